//! Stable-toolchain stand-in for the cargo-fuzz target (fuzz/fuzz_targets/parse_check.rs):
//! deterministic mutations of corpus queries run through parse, check, compile, print and
//! format; nothing may panic and formatting must be idempotent. `SAKER_FUZZ_ITERS` sets the
//! number of mutated inputs (default 3000).

mod common;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const PIECES: &[&str] = &[
    "|",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "/",
    "//",
    "/*",
    "*/",
    "\"",
    "\\",
    "=",
    "!=",
    ":=",
    "=~",
    "<=>",
    "=>",
    ";",
    ",",
    "*",
    "?",
    "?{a=",
    "$",
    "$\"",
    "`",
    "not ",
    " or ",
    " and ",
    "case {",
    " match {",
    "\u{a0}",
    "é",
    "\n",
    "groupBy(",
    "in(",
    "test(",
    "regex(\"",
    "(?<=",
    "(?<n>",
    "[[:alpha:]]",
    "a++",
    "-",
    "%",
    "@timestamp",
    "#event_simpleName",
    "0",
    "1.5",
];

fn mutate(rng: &mut Rng, base: &str, other: &str) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(5) {
            0 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at.min(chars.len())..end);
            }
            1 => {
                let p = PIECES[rng.below(PIECES.len())];
                chars.splice(at..at, p.chars());
            }
            2 => {
                let o: Vec<char> = other.chars().collect();
                let s = rng.below(o.len() + 1);
                let e = (s + rng.below(40)).min(o.len());
                chars.splice(at..at, o[s..e].iter().copied());
            }
            3 if chars.len() > 1 => {
                let b = rng.below(chars.len());
                let a = at.min(chars.len() - 1);
                chars.swap(a, b);
            }
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

fn exercise(text: &str) {
    let _ = saker_cql::parse(text);
    let _ = saker_cql::check(text, &saker_cql::CheckOptions::default());
    if let Ok(plan) = saker_cql::compile(text, &saker_cql::CompileOptions::default()) {
        let _ = saker_cql::compile(&saker_cql::print(&plan), &Default::default());
    }
    if let Ok(once) = saker_cql::format(text)
        && let Ok(twice) = saker_cql::format(&once)
    {
        assert_eq!(once, twice, "formatting is not idempotent for {text:?}");
    }
}

#[test]
fn mutated_corpus_never_panics() {
    let seeds: Vec<String> = match common::corpus() {
        Some(c) => c.into_iter().map(|(_, t)| t).collect(),
        None => vec![
            "groupBy(x, function=count()) | sort(_count)".into(),
            "a=1 or b=/x/i | case { c=1 | d:=2; * }".into(),
        ],
    };
    let iters: usize = std::env::var("SAKER_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    for _ in 0..iters {
        let a = &seeds[rng.below(seeds.len())];
        let b = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, a, b);
        exercise(&input);
    }
    for s in PIECES {
        exercise(s);
    }
}

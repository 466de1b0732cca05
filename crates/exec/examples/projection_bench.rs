//! Measures what decoding only the fields a query reads would save: `groupBy(FIELD,
//! function=count())` over an NDJSON file, once with every field decoded (`saker_io::read_input`)
//! and once with a prototype scanner that walks each flat JSON object, validates it and keeps only
//! FIELD. Single thread; reports CPU time (user + system) so a busy machine skews less.
//! Usage: projection_bench FILE FIELD

use std::collections::HashMap;
use std::ops::ControlFlow;

use saker_event::{Sym, Text};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(field)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: projection_bench FILE FIELD");
        return;
    };
    let sym = Sym::new(field);
    let input = saker_io::Input::path(file);
    let opts = saker_io::ReadOptions::default();
    let mut counts: HashMap<Text, u64> = HashMap::new();
    let t = Cpu::now();
    let stats = saker_io::read_input(
        &input,
        &opts,
        &mut |e| {
            if let Some(v) = e.get(sym) {
                match counts.get_mut(v) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(Text::from(v), 1);
                    }
                }
            }
            ControlFlow::Continue(())
        },
        &mut |_| {},
    );
    let full = t.elapsed();
    let events = stats.map(|s| s.events).unwrap_or(0);
    println!(
        "full decode: {events} events, {} groups, {full:.2}s cpu",
        counts.len()
    );

    let t = Cpu::now();
    let data = std::fs::read(file).unwrap_or_default();
    let mut counts: HashMap<Text, u64> = HashMap::new();
    let (mut lines, mut fallback) = (0u64, 0u64);
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
        let line = &data[start..end];
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        lines += 1;
        let Ok(text) = std::str::from_utf8(line) else {
            fallback += 1;
            continue;
        };
        match project(text, field) {
            Some(Some(v)) => match counts.get_mut(v) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(Text::from(v), 1);
                }
            },
            Some(None) => {}
            None => fallback += 1,
        }
    }
    let proj = t.elapsed();
    println!(
        "projection prototype: {lines} lines, {} groups, {fallback} left to the full decoder, {proj:.2}s cpu ({:.1}x)",
        counts.len(),
        full / proj
    );
}

/// Walks a flat JSON object; returns the raw (unescaped only when escape-free) value of `want`.
/// `None` = not a flat object this prototype handles (the full decoder would take the line).
fn project<'a>(line: &'a str, want: &str) -> Option<Option<&'a str>> {
    let b = line.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    let mut found = None;
    if b.get(i) == Some(&b'}') {
        return Some(None);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (ks, ke, escaped) = skip_string(b, i + 1)?;
        i = ws(b, ke + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        let is_wanted = !escaped && &line[ks..ke] == want;
        match b.get(i)? {
            b'"' => {
                let (vs, ve, vesc) = skip_string(b, i + 1)?;
                if is_wanted && !vesc {
                    found = Some(&line[vs..ve]);
                }
                i = ve + 1;
            }
            b'-' | b'0'..=b'9' => {
                let s = i;
                while b
                    .get(i)
                    .is_some_and(|c| matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                {
                    i += 1;
                }
                if is_wanted {
                    found = Some(&line[s..i]);
                }
            }
            b't' if b[i..].starts_with(b"true") => i += 4,
            b'f' if b[i..].starts_with(b"false") => i += 5,
            b'n' if b[i..].starts_with(b"null") => i += 4,
            _ => return None,
        }
        i = ws(b, i);
        match b.get(i)? {
            b',' => i = ws(b, i + 1),
            b'}' => return (ws(b, i + 1) == b.len()).then_some(found),
            _ => return None,
        }
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

/// A string's content range (after the opening quote at `start - 1`) and whether it has escapes.
fn skip_string(b: &[u8], start: usize) -> Option<(usize, usize, bool)> {
    let mut i = start;
    let mut escaped = false;
    loop {
        let stop = memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        i += stop;
        if b[i] == b'"' {
            return Some((start, i, escaped));
        }
        escaped = true;
        i += 2;
    }
}

/// CPU time of this process (user + system).
struct Cpu(f64);

impl Cpu {
    fn now() -> Cpu {
        Cpu(cpu_seconds())
    }

    fn elapsed(&self) -> f64 {
        cpu_seconds() - self.0
    }
}

fn cpu_seconds() -> f64 {
    // /proc/self/stat fields 14 and 15: utime and stime in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

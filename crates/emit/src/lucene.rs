//! Sigma regexes → Lucene regular expressions (ES|QL `RLIKE`).
//!
//! Lucene regexes match the whole value and have no anchors, lookaround, word boundaries or
//! `(?i)` (https://www.elastic.co/guide/en/elasticsearch/reference/current/regexp-syntax.html).
//! The pattern is parsed (ASCII semantics for `\d \w \s` and case folding, as PCRE without UTF
//! mode) and printed back: case-insensitivity becomes character classes, an unanchored search
//! gets `.*` on the open sides, and constructs Lucene lacks are refused.

use regex_syntax::ParserBuilder;
use regex_syntax::hir::{Class, Hir, HirKind, Look, Repetition};

use crate::Refusal;

/// The Lucene regex equivalent to searching `pattern` with Sigma `flags` (`i`, `m`, `s`).
pub fn from_sigma(pattern: &str, flags: &str) -> Result<String, Refusal> {
    let mut b = ParserBuilder::new();
    b.unicode(false).utf8(false);
    for f in flags.chars() {
        match f {
            'i' => {
                b.case_insensitive(true);
            }
            'm' => {
                b.multi_line(true);
            }
            's' => {
                b.dot_matches_new_line(true);
            }
            other => return Err(Refusal::new(format!("unknown regex flag `{other}`"))),
        }
    }
    let hir = b.build().parse(pattern).map_err(|e| {
        Refusal::new(format!(
            "regex `{pattern}` cannot be translated to a Lucene regex: {}",
            first_line(&e.to_string())
        ))
    })?;
    let refuse = |what: &str| {
        Refusal::new(format!(
            "regex `{pattern}` uses {what}, which Lucene regexes (ES|QL RLIKE) do not support"
        ))
    };
    let branches: Vec<&Hir> = match hir.kind() {
        HirKind::Alternation(v) => v.iter().collect(),
        _ => vec![&hir],
    };
    let mut out = Vec::with_capacity(branches.len());
    for b in branches {
        out.push(branch(b).map_err(refuse)?);
    }
    Ok(out.join("|"))
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or("").trim().to_string()
}

/// One top-level alternative: leading `^`/trailing `$` become anchoring, else `.*`.
fn branch(h: &Hir) -> Result<String, &'static str> {
    let items: Vec<&Hir> = match h.kind() {
        HirKind::Concat(v) => v.iter().collect(),
        _ => vec![h],
    };
    let mut start = 0;
    let mut end = items.len();
    let anchored_start = matches!(
        items.first().map(|h| h.kind()),
        Some(HirKind::Look(Look::Start))
    );
    if anchored_start {
        start = 1;
    }
    let anchored_end = end > start
        && matches!(
            items.last().map(|h| h.kind()),
            Some(HirKind::Look(Look::End))
        );
    if anchored_end {
        end -= 1;
    }
    let mut out = String::new();
    if !anchored_start {
        out.push_str(".*");
    }
    for item in &items[start..end] {
        out.push_str(&node(item)?);
    }
    if !anchored_end {
        out.push_str(".*");
    }
    Ok(out)
}

fn node(h: &Hir) -> Result<String, &'static str> {
    Ok(match h.kind() {
        HirKind::Empty => "()".into(),
        HirKind::Literal(lit) => {
            let text = std::str::from_utf8(&lit.0).map_err(|_| "a non-UTF-8 byte literal")?;
            text.chars().map(literal_char).collect()
        }
        HirKind::Class(c) => class(c)?,
        HirKind::Look(_) => return Err("an anchor or word boundary inside the pattern"),
        HirKind::Repetition(r) => repetition(r)?,
        HirKind::Capture(c) => format!("({})", node(&c.sub)?),
        HirKind::Concat(v) => v.iter().map(node).collect::<Result<Vec<_>, _>>()?.concat(),
        HirKind::Alternation(v) => format!(
            "({})",
            v.iter().map(node).collect::<Result<Vec<_>, _>>()?.join("|")
        ),
    })
}

fn repetition(r: &Repetition) -> Result<String, &'static str> {
    let sub = node(&r.sub)?;
    let atomic = match r.sub.kind() {
        HirKind::Literal(l) => std::str::from_utf8(&l.0)
            .map(|s| s.chars().count() == 1)
            .unwrap_or(false),
        HirKind::Class(_) | HirKind::Capture(_) | HirKind::Alternation(_) => true,
        _ => false,
    };
    let sub = if atomic { sub } else { format!("({sub})") };
    let q = match (r.min, r.max) {
        (0, None) => "*".to_string(),
        (1, None) => "+".to_string(),
        (0, Some(1)) => "?".to_string(),
        (n, None) => format!("{{{n},}}"),
        (n, Some(m)) if n == m => format!("{{{n}}}"),
        (n, Some(m)) => format!("{{{n},{m}}}"),
    };
    Ok(format!("{sub}{q}"))
}

fn class(c: &Class) -> Result<String, &'static str> {
    let ranges: Vec<(u32, u32)> = match c {
        Class::Bytes(b) => b
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        Class::Unicode(u) => u
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
    };
    let max = match c {
        Class::Bytes(_) => 0xFF,
        Class::Unicode(_) => 0x10FFFF,
    };
    let complement = complement(&ranges, max);
    let covers_high = |rs: &[(u32, u32)]| rs.iter().any(|&(_, e)| e >= 0x80);
    if complement.is_empty() {
        return Ok(".".into());
    }
    if !covers_high(&ranges) {
        return Ok(format!("[{}]", print_ranges(&ranges)));
    }
    if !covers_high(&complement) {
        return Ok(format!("[^{}]", print_ranges(&complement)));
    }
    Err("a character class over non-ASCII bytes")
}

fn complement(ranges: &[(u32, u32)], max: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut next = 0u32;
    for &(s, e) in ranges {
        if s > next {
            out.push((next, s - 1));
        }
        next = e.saturating_add(1);
    }
    if next <= max {
        out.push((next, max));
    }
    out
}

fn print_ranges(ranges: &[(u32, u32)]) -> String {
    let mut out = String::new();
    for &(s, e) in ranges {
        let (Some(a), Some(b)) = (char::from_u32(s), char::from_u32(e)) else {
            continue;
        };
        out.push_str(&literal_char(a));
        if e > s {
            if e > s + 1 {
                out.push('-');
            }
            out.push_str(&literal_char(b));
        }
    }
    out
}

/// Letters and digits as themselves, any other ASCII character escaped with `\`.
fn literal_char(c: char) -> String {
    if c.is_ascii_alphanumeric() || !c.is_ascii() || c.is_ascii_control() {
        c.to_string()
    } else {
        format!("\\{c}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lucene(p: &str, f: &str) -> String {
        from_sigma(p, f).unwrap_or_else(|r| format!("REFUSED: {r}"))
    }

    #[test]
    fn search_becomes_whole_value_match() {
        assert_eq!(lucene("foo.*bar", ""), ".*foo[^\n]*bar.*");
        assert_eq!(lucene("^a\\.b$", ""), "a\\.b");
        assert_eq!(lucene("^a|b$", ""), "a.*|.*b");
        assert_eq!(lucene("a.b", "s"), ".*a.b.*");
    }

    #[test]
    fn case_insensitivity_becomes_classes() {
        assert_eq!(lucene("^ab1$", "i"), "[Aa][Bb]1");
        assert_eq!(lucene("(?i)^x$", ""), "[Xx]");
    }

    #[test]
    fn perl_classes_and_repetitions() {
        assert_eq!(lucene("^\\d{2,4}$", ""), "[0-9]{2,4}");
        assert_eq!(lucene("^(ab)+$", ""), "(ab)+");
        assert_eq!(lucene("^ab+$", ""), "ab+");
        assert_eq!(lucene("^[^a]$", ""), "[^a]");
    }

    #[test]
    fn unsupported_constructs_are_refused() {
        assert!(lucene("\\bword", "").starts_with("REFUSED"));
        assert!(lucene("a(?=b)", "").starts_with("REFUSED"));
        assert!(lucene("a$b", "").starts_with("REFUSED"));
    }
}

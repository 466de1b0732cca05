//! Regex checks: constructs LogScale's engine rejects, and patterns saker's engines (the `regex`
//! crate, `fancy-regex` for lookahead) cannot compile.

use std::ops::Range;

use saker_diag::{Diagnostic, Kind};
use saker_plan::catalog::{self, ParamKind};

use super::walk::{Visitor, walk_pipeline};
use crate::ast::{ArgValue, Call, Query, Value, ValueKind};
use crate::codes;

pub fn check(q: &Query, _source: &str) -> Vec<Diagnostic> {
    let mut v = Regexes { out: Vec::new() };
    walk_pipeline(&q.pipeline, &mut v);
    v.out
}

struct Regexes {
    out: Vec<Diagnostic>,
}

impl Visitor for Regexes {
    fn value(&mut self, v: &Value) {
        if let ValueKind::Regex { pattern, flags } = &v.kind {
            self.pattern(pattern, flags, v.span.clone());
        }
    }

    fn call(&mut self, c: &Call) {
        let Some(spec) = (!c.saved).then(|| catalog::lookup(&c.name)).flatten() else {
            return;
        };
        let flags = c
            .args
            .iter()
            .find(|a| {
                a.name
                    .as_ref()
                    .is_some_and(|(n, _)| n.eq_ignore_ascii_case("flags"))
            })
            .and_then(|a| match &a.value {
                ArgValue::Value(Value {
                    kind: ValueKind::Str(s) | ValueKind::Word(s),
                    ..
                }) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for a in &c.args {
            let pname = match &a.name {
                Some((n, _)) => spec.param(n).map(|p| p.name),
                None => spec.unnamed,
            };
            let is_regex = pname
                .and_then(|n| spec.param(n))
                .is_some_and(|p| p.kind == ParamKind::Regex)
                || (spec.name == "array:regex" && pname == Some("regex"));
            if !is_regex {
                continue;
            }
            if let ArgValue::Value(Value {
                kind: ValueKind::Str(s),
                span,
            }) = &a.value
            {
                self.pattern(s, &flags, span.clone());
            }
        }
    }
}

impl Regexes {
    fn pattern(&mut self, pattern: &str, flags: &str, span: Range<usize>) {
        if let Some((what, help)) = unsupported(pattern) {
            self.out.push(
                Diagnostic::error(
                    Kind::Semantic,
                    codes::REGEX_UNSUPPORTED,
                    format!("LogScale regexes do not support {what}"),
                    span,
                )
                .with_label(what)
                .with_help(help),
            );
            return;
        }
        if let Err(e) = compile(pattern, flags) {
            let first = e
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            self.out.push(
                Diagnostic::error(
                    Kind::Semantic,
                    codes::REGEX_INVALID,
                    format!("regex does not compile: {first}"),
                    span,
                )
                .with_label("invalid regex"),
            );
        }
    }
}

/// The first construct LogScale rejects, with a hint.
pub fn unsupported(p: &str) -> Option<(&'static str, &'static str)> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    let mut in_quote = false;
    while i < b.len() {
        let c = b[i];
        if in_quote {
            if c == b'\\' && b.get(i + 1) == Some(&b'E') {
                in_quote = false;
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match c {
            b'\\' => {
                let n = b.get(i + 1).copied().unwrap_or(0);
                match n {
                    b'Q' => in_quote = true,
                    b'1'..=b'9' if !in_class => {
                        return Some((
                            "backreferences",
                            "plain groups do not capture in LogScale; match the repeated text explicitly",
                        ));
                    }
                    b'k' if b.get(i + 2) == Some(&b'<') => {
                        return Some((
                            "named backreferences (`\\k<name>`)",
                            "match the repeated text explicitly",
                        ));
                    }
                    b'p' | b'P' => {
                        return Some((
                            "Unicode property classes (`\\p{…}`)",
                            "use an explicit character class",
                        ));
                    }
                    b'h' | b'H' | b'v' | b'V' | b'e' | b'R' | b'X' | b'G' => {
                        return Some((
                            "`\\h \\H \\v \\V \\e \\R \\X \\G`",
                            "use an explicit character class such as `[ \\t]`",
                        ));
                    }
                    _ => {}
                }
                i += 2;
                continue;
            }
            b'[' if in_class && b.get(i + 1) == Some(&b':') => {
                return Some((
                    "POSIX classes (`[[:alpha:]]`)",
                    "use `[a-zA-Z]` and similar",
                ));
            }
            b'[' => {
                in_class = true;
                // A `]` right after `[` or `[^` is literal.
                if b.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            b'&' if in_class && b.get(i + 1) == Some(&b'&') => {
                return Some((
                    "class intersection (`&&`)",
                    "list the characters in one class",
                ));
            }
            b'(' if !in_class && b.get(i + 1) == Some(&b'?') => {
                match (b.get(i + 2), b.get(i + 3)) {
                    (Some(b'<'), Some(b'=' | b'!')) => {
                        return Some((
                            "lookbehind",
                            "lookahead `(?=…)`/`(?!…)` is supported; or extract the field and test it in a second stage",
                        ));
                    }
                    (Some(b'>'), _) => {
                        return Some(("atomic groups `(?>…)`", "use a plain group `(?:…)`"));
                    }
                    _ => {}
                }
            }
            b'*' | b'+' | b'?' | b'}' if !in_class && b.get(i + 1) == Some(&b'+') => {
                // `x*+`, `x++`, `x?+`, `x{2}+`; but `(?+` cannot occur and `\++` was skipped above.
                let prev_is_group_start = c == b'?' && i > 0 && b[i - 1] == b'(';
                if !prev_is_group_start {
                    return Some((
                        "possessive quantifiers",
                        "drop the trailing `+` of the quantifier",
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Compiles `pattern` the way the engine will: CQL flags to inline flags, `(?<a.b>` group names
/// made identifiers, `\Q…\E` quoted; `fancy-regex` when lookahead is used.
pub fn compile(pattern: &str, flags: &str) -> Result<(), String> {
    let translated = translate(pattern, flags);
    if pattern.contains("(?=") || pattern.contains("(?!") {
        fancy_regex::Regex::new(&translated)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else {
        ::regex::Regex::new(&translated)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn translate(pattern: &str, flags: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut inline = String::new();
    for f in flags.chars() {
        match f {
            'i' => inline.push('i'),
            'm' => inline.push('m'),
            'd' => inline.push('s'),
            _ => {}
        }
    }
    if !inline.is_empty() {
        out.push_str(&format!("(?{inline})"));
    }
    let mut group = 0;
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\Q") {
            let end = after.find("\\E").unwrap_or(after.len());
            out.push_str(&::regex::escape(&after[..end]));
            rest = after.get(end + 2..).unwrap_or("");
            continue;
        }
        if let Some(after) = rest.strip_prefix("\\Z") {
            out.push_str("\\z");
            rest = after;
            continue;
        }
        if rest.starts_with('\\') {
            let len = rest[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        let named = rest
            .strip_prefix("(?<")
            .filter(|a| !a.starts_with('=') && !a.starts_with('!'))
            .or_else(|| rest.strip_prefix("(?P<"));
        if let Some(after) = named
            && let Some(end) = after.find('>')
        {
            group += 1;
            out.push_str(&format!("(?P<g{group}>"));
            rest = &after[end + 1..];
            continue;
        }
        if rest.starts_with('{') && !is_quantifier(rest) {
            // Java reads a `{` that starts no quantifier literally; Rust needs it escaped.
            out.push_str("\\{");
            rest = &rest[1..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `{n}`, `{n,}`, `{n,m}` at the start of `s`.
fn is_quantifier(s: &str) -> bool {
    let Some(end) = s.find('}') else { return false };
    let inner = &s[1..end];
    let mut parts = inner.splitn(2, ',');
    let lo = parts.next().unwrap_or("");
    let hi = parts.next();
    !lo.is_empty()
        && lo.bytes().all(|b| b.is_ascii_digit())
        && hi.is_none_or(|h| h.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_logscale_rejects() {
        assert!(unsupported("(?<=a)b").is_some());
        assert!(unsupported("(?<!a)b").is_some());
        assert!(unsupported("(?>ab)").is_some());
        assert!(unsupported("a++").is_some());
        assert!(unsupported(r"(a)\1").is_some());
        assert!(unsupported(r"\p{L}").is_some());
        assert!(unsupported("[[:alpha:]]").is_some());
    }

    #[test]
    fn accepts_what_logscale_accepts() {
        for p in [
            "(?=a)b",
            "(?<name>x)",
            r"(?i)SOFTWARE\\(Microsoft|Policies)",
            r"[\d+]+",
            r"\Q.*\E",
            "a+?",
            r"(?<@timestamp>\d+)",
            r".*?(?<json>{.*})$",
            r"\d{1,2}x",
        ] {
            assert_eq!(unsupported(p), None, "{p}");
            assert_eq!(compile(p, "i"), Ok(()), "{p}");
        }
    }

    #[test]
    fn reports_invalid() {
        assert!(compile("(ab", "").is_err());
    }
}

//! Regexes in LogScale's dialect (JitRex) and Sigma's, compiled to Rust engines.
//!
//! LogScale differences handled here (see <https://library.humio.com/data-analysis/syntax-regular-expression.html>):
//! * `(…)` does not capture; only `(?<name>…)` does, and its name may contain `.@#[]` (it becomes a
//!   field name, so names are kept aside and the Rust pattern uses plain numbered groups);
//! * `\w \d \s` are ASCII; `\Q…\E`, `\uhhhh`, `\0nn`, `\cX` are translated;
//! * lookahead is allowed (then `fancy-regex` runs the pattern); lookbehind, atomic groups,
//!   possessive quantifiers, backreferences, `\p{…}` and `\h \v \e \R \X \G` are rejected, as LogScale
//!   rejects them;
//! * suffix flags: `i` case-insensitive, `m` multi-line, `d` dot matches newline, `g` repeated
//!   extraction, `F` (engine v2, no effect here).

use saker_event::Sym;
use saker_plan::RegexDialect;

use crate::error::{ExecError, Result};

/// A compiled regex with the field names of its named groups.
#[derive(Clone, Debug)]
pub struct CompiledRegex {
    engine: Engine,
    /// Field for capture group `i + 1`.
    groups: Vec<Sym>,
    /// The `g` flag: repeated matching when extracting.
    pub global: bool,
    source: String,
}

#[derive(Clone, Debug)]
enum Engine {
    Linear(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

/// Result of translating a LogScale pattern.
#[derive(Debug, PartialEq)]
pub(crate) struct Translated {
    pub pattern: String,
    pub groups: Vec<String>,
    pub needs_lookaround: bool,
}

impl CompiledRegex {
    /// Compiles `pattern` with suffix `flags` in `dialect`. Sigma regexes never extract fields.
    pub fn new(pattern: &str, flags: &str, dialect: RegexDialect) -> Result<Self> {
        match dialect {
            RegexDialect::LogScale => Self::logscale(pattern, flags),
            RegexDialect::Sigma => Self::sigma(pattern, flags),
        }
    }

    /// A LogScale regex (`/…/flags`, `regex("…", flags=…)`).
    pub fn logscale(pattern: &str, flags: &str) -> Result<Self> {
        let err = |message: String| ExecError::Regex {
            pattern: pattern.to_owned(),
            message,
        };
        let mut prefix = String::new();
        let mut global = false;
        for c in flags.chars() {
            match c {
                'i' => prefix.push('i'),
                'm' => prefix.push('m'),
                'd' => prefix.push('s'),
                'g' => global = true,
                'F' => {}
                other => return Err(err(format!("unknown regex flag `{other}`"))),
            }
        }
        let t = translate_logscale(pattern).map_err(err)?;
        let full = with_flags(&prefix, &t.pattern);
        let engine = build(&full, t.needs_lookaround).map_err(err)?;
        Ok(CompiledRegex {
            engine,
            groups: t.groups.iter().map(|g| Sym::new(g)).collect(),
            global,
            source: pattern.to_owned(),
        })
    }

    /// A Sigma `|re` value: PCRE-flavoured, flags `i m s`, no field extraction.
    pub fn sigma(pattern: &str, flags: &str) -> Result<Self> {
        let err = |message: String| ExecError::Regex {
            pattern: pattern.to_owned(),
            message,
        };
        let mut prefix = String::new();
        for c in flags.chars() {
            match c {
                'i' | 'm' | 's' => prefix.push(c),
                other => return Err(err(format!("unknown regex flag `{other}`"))),
            }
        }
        let full = with_flags(&prefix, pattern);
        let engine = match regex::Regex::new(&full) {
            Ok(re) => Engine::Linear(re),
            Err(linear) => match fancy_regex::Regex::new(&full) {
                Ok(re) => Engine::Backtracking(re),
                Err(_) => return Err(err(linear.to_string())),
            },
        };
        Ok(CompiledRegex {
            engine,
            groups: Vec::new(),
            global: false,
            source: pattern.to_owned(),
        })
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Fields the named groups write.
    pub fn group_fields(&self) -> &[Sym] {
        &self.groups
    }

    /// Unanchored search. A backtracking engine that exceeds its limits counts as no match.
    pub fn is_match(&self, text: &str) -> bool {
        match &self.engine {
            Engine::Linear(re) => re.is_match(text),
            Engine::Backtracking(re) => re.is_match(text).unwrap_or(false),
        }
    }

    /// The named groups of the first match: `Some(fields)` when the regex matches, holding the groups
    /// that took part in the match.
    pub fn captures(&self, text: &str) -> Option<Vec<(Sym, String)>> {
        self.captures_from(text, 0).map(|(fields, _)| fields)
    }

    /// Every non-overlapping match, each with its named groups (for `g` / `repeat=true`).
    pub fn captures_all(&self, text: &str) -> Vec<Vec<(Sym, String)>> {
        let mut out = Vec::new();
        let mut at = 0;
        while at <= text.len() {
            let Some((fields, end)) = self.captures_from(text, at) else {
                break;
            };
            out.push(fields);
            at = if end > at {
                end
            } else {
                next_char_boundary(text, at)
            };
        }
        out
    }

    fn captures_from(&self, text: &str, at: usize) -> Option<(Vec<(Sym, String)>, usize)> {
        match &self.engine {
            Engine::Linear(re) => {
                let caps = re.captures_at(text, at)?;
                let end = caps.get(0).map_or(at, |m| m.end());
                let fields = self
                    .groups
                    .iter()
                    .enumerate()
                    .filter_map(|(i, sym)| caps.get(i + 1).map(|m| (*sym, m.as_str().to_owned())))
                    .collect();
                Some((fields, end))
            }
            Engine::Backtracking(re) => {
                let caps = re.captures_from_pos(text, at).ok()??;
                let end = caps.get(0).map_or(at, |m| m.end());
                let fields = self
                    .groups
                    .iter()
                    .enumerate()
                    .filter_map(|(i, sym)| caps.get(i + 1).map(|m| (*sym, m.as_str().to_owned())))
                    .collect();
                Some((fields, end))
            }
        }
    }

    /// Replaces every match with `with` (no group references), as `replace()` does.
    pub fn replace_all(&self, text: &str, with: &str) -> String {
        match &self.engine {
            Engine::Linear(re) => re.replace_all(text, regex::NoExpand(with)).into_owned(),
            Engine::Backtracking(re) => {
                let mut out = String::with_capacity(text.len());
                let mut last = 0;
                let mut at = 0;
                while at <= text.len() {
                    let Ok(Some(m)) = re.find_from_pos(text, at) else {
                        break;
                    };
                    out.push_str(&text[last..m.start()]);
                    out.push_str(with);
                    last = m.end();
                    at = if m.end() > m.start() {
                        m.end()
                    } else {
                        next_char_boundary(text, m.end())
                    };
                }
                out.push_str(&text[last.min(text.len())..]);
                out
            }
        }
    }

    /// Byte ranges of every non-overlapping match (for `splitString`).
    pub fn find_ranges(&self, text: &str) -> Vec<(usize, usize)> {
        match &self.engine {
            Engine::Linear(re) => re.find_iter(text).map(|m| (m.start(), m.end())).collect(),
            Engine::Backtracking(re) => re
                .find_iter(text)
                .filter_map(|m| m.ok())
                .map(|m| (m.start(), m.end()))
                .collect(),
        }
    }
}

fn next_char_boundary(text: &str, at: usize) -> usize {
    let mut i = at + 1;
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn with_flags(prefix: &str, pattern: &str) -> String {
    if prefix.is_empty() {
        pattern.to_owned()
    } else {
        format!("(?{prefix}){pattern}")
    }
}

fn build(pattern: &str, lookaround: bool) -> Result<Engine, String> {
    if lookaround {
        fancy_regex::Regex::new(pattern)
            .map(Engine::Backtracking)
            .map_err(|e| e.to_string())
    } else {
        regex::RegexBuilder::new(pattern)
            .size_limit(64 << 20)
            .build()
            .map(Engine::Linear)
            .map_err(|e| e.to_string())
    }
}

const WORD: &str = "0-9A-Za-z_";
const DIGIT: &str = "0-9";
const SPACE: &str = "\\t\\n\\x0B\\x0C\\r ";

/// Translates a LogScale pattern into Rust regex syntax.
pub(crate) fn translate_logscale(src: &str) -> Result<Translated, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 8);
    let mut groups = Vec::new();
    let mut needs_lookaround = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                i = escape(&chars, i, &mut out, false)?;
            }
            '[' => {
                i = class(&chars, i, &mut out)?;
            }
            '(' => {
                if chars.get(i + 1) != Some(&'?') {
                    out.push_str("(?:");
                    i += 1;
                    continue;
                }
                let rest: String = chars[i + 2..].iter().take(3).collect();
                if rest.starts_with("<=") || rest.starts_with("<!") {
                    return Err(format!("lookbehind at offset {i} is not supported"));
                }
                if rest.starts_with('>') {
                    return Err(format!("atomic group at offset {i} is not supported"));
                }
                if rest.starts_with('=') || rest.starts_with('!') {
                    needs_lookaround = true;
                    out.push_str("(?");
                    i += 2;
                    continue;
                }
                if rest.starts_with('<') || rest.starts_with("P<") {
                    let start = i + if rest.starts_with('<') { 3 } else { 4 };
                    let close = chars[start..]
                        .iter()
                        .position(|&ch| ch == '>')
                        .ok_or_else(|| format!("unterminated group name at offset {i}"))?;
                    let name: String = chars[start..start + close].iter().collect();
                    if name.is_empty() {
                        return Err(format!("empty group name at offset {i}"));
                    }
                    groups.push(name);
                    out.push('(');
                    i = start + close + 1;
                    continue;
                }
                if rest.starts_with('#') {
                    return Err(format!("comment group at offset {i} is not supported"));
                }
                i = inline_flags(&chars, i, &mut out)?;
            }
            '*' | '+' | '?' | '}' => {
                out.push(c);
                i += 1;
                if chars.get(i) == Some(&'+') {
                    return Err(format!(
                        "possessive quantifier at offset {} is not supported",
                        i - 1
                    ));
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(Translated {
        pattern: out,
        groups,
        needs_lookaround,
    })
}

/// `(?flags)` / `(?flags:`; keeps the flags Rust shares with Java (`i m s x`), drops `d u U`.
fn inline_flags(chars: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    let mut j = i + 2;
    let mut kept = String::new();
    while let Some(&c) = chars.get(j) {
        match c {
            'i' | 'm' | 's' | 'x' | '-' => kept.push(c),
            'd' | 'u' | 'U' => {}
            ')' | ':' => break,
            other => return Err(format!("unknown group flag `{other}` at offset {i}")),
        }
        j += 1;
    }
    let Some(&end) = chars.get(j) else {
        return Err(format!("unterminated group at offset {i}"));
    };
    let kept = kept.trim_end_matches('-');
    if end == ':' {
        out.push_str("(?");
        out.push_str(kept);
        out.push(':');
    } else if !kept.is_empty() {
        out.push_str("(?");
        out.push_str(kept);
        out.push(')');
    }
    Ok(j + 1)
}

/// A character class starting at `chars[i] == '['`.
fn class(chars: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    out.push('[');
    let mut j = i + 1;
    if chars.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    if chars.get(j) == Some(&']') {
        out.push_str("\\]");
        j += 1;
    }
    while let Some(&c) = chars.get(j) {
        match c {
            ']' => {
                out.push(']');
                return Ok(j + 1);
            }
            '\\' => j = escape(chars, j, out, true)?,
            '[' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                j += 1;
            }
            '-' if chars.get(j + 1) == Some(&'-') || (j > 0 && chars[j - 1] == '-') => {
                out.push_str("\\-");
                j += 1;
            }
            _ => {
                out.push(c);
                j += 1;
            }
        }
    }
    Err(format!("unterminated character class at offset {i}"))
}

/// An escape starting at `chars[i] == '\\'`; returns the index after it.
fn escape(chars: &[char], i: usize, out: &mut String, in_class: bool) -> Result<usize, String> {
    let Some(&c) = chars.get(i + 1) else {
        return Err("pattern ends with a backslash".to_owned());
    };
    let mut next = i + 2;
    match c {
        'w' | 'd' | 's' => {
            let set = match c {
                'w' => WORD,
                'd' => DIGIT,
                _ => SPACE,
            };
            if in_class {
                out.push_str(set);
            } else {
                out.push('[');
                out.push_str(set);
                out.push(']');
            }
        }
        'W' | 'D' | 'S' => {
            let set = match c {
                'W' => WORD,
                'D' => DIGIT,
                _ => SPACE,
            };
            out.push_str("[^");
            out.push_str(set);
            out.push(']');
        }
        'Q' => {
            let mut j = next;
            while j < chars.len() && !(chars[j] == '\\' && chars.get(j + 1) == Some(&'E')) {
                push_literal(out, chars[j]);
                j += 1;
            }
            next = if j < chars.len() { j + 2 } else { j };
        }
        'E' => {}
        'u' => {
            let hex: String = chars[next..].iter().take(4).collect();
            if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                return Err(format!("bad \\u escape at offset {i}"));
            }
            out.push_str(&format!("\\x{{{hex}}}"));
            next += 4;
        }
        '0' => {
            let digits: String = chars[next..]
                .iter()
                .take(3)
                .take_while(|d| ('0'..='7').contains(d))
                .collect();
            let digits = if digits.len() == 3 && digits.as_bytes()[0] > b'3' {
                &digits[..2]
            } else {
                &digits[..]
            };
            let value = u32::from_str_radix(digits, 8)
                .map_err(|_| format!("bad octal escape at offset {i}"))?;
            out.push_str(&format!("\\x{{{value:x}}}"));
            next += digits.len();
        }
        'c' => {
            let Some(&x) = chars.get(next) else {
                return Err(format!("bad \\c escape at offset {i}"));
            };
            out.push_str(&format!("\\x{{{:x}}}", (x as u32) ^ 64));
            next += 1;
        }
        'Z' if !in_class => out.push_str("(?:\\n?\\z)"),
        '1'..='9' | 'k' => {
            return Err(format!("backreference at offset {i} is not supported"));
        }
        'p' | 'P' | 'h' | 'H' | 'v' | 'V' | 'e' | 'R' | 'X' | 'G' => {
            return Err(format!("`\\{c}` at offset {i} is not supported"));
        }
        _ => {
            out.push('\\');
            out.push(c);
        }
    }
    Ok(next)
}

fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_punctuation() || c == ' ' {
        if c != ' ' {
            out.push('\\');
        }
        out.push(c);
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(p: &str) -> CompiledRegex {
        CompiledRegex::logscale(p, "").unwrap()
    }

    #[test]
    fn plain_groups_do_not_capture() {
        let t = translate_logscale("a(b|c)d").unwrap();
        assert_eq!(t.pattern, "a(?:b|c)d");
        assert!(t.groups.is_empty());
    }

    #[test]
    fn named_groups_with_field_characters() {
        // https://library.humio.com/data-analysis/syntax-regular-expression.html (named groups → fields)
        let re = ls(r"(?<@timestamp>\d+) (?<a.b[0]>\w+) (?P<c>x)?");
        let caps = re.captures("123 foo ").unwrap();
        let caps: Vec<_> = caps.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(caps, vec![("@timestamp", "123"), ("a.b[0]", "foo")]);
    }

    #[test]
    fn flags_and_inline_flags() {
        assert!(
            CompiledRegex::logscale("abc", "i")
                .unwrap()
                .is_match("xABCx")
        );
        assert!(ls("(?i)abc").is_match("ABC"));
        assert!(ls("(?i:abc)def").is_match("ABCdef"));
        assert!(!ls("(?i:abc)def").is_match("ABCDEF"));
        assert!(!ls("a.b").is_match("a\nb"));
        assert!(
            CompiledRegex::logscale("a.b", "d")
                .unwrap()
                .is_match("a\nb")
        );
        assert!(!ls("^b").is_match("a\nb"));
        assert!(CompiledRegex::logscale("^b", "m").unwrap().is_match("a\nb"));
        assert!(CompiledRegex::logscale("x", "q").is_err());
    }

    #[test]
    fn ascii_classes() {
        assert!(!ls(r"^\w$").is_match("é"));
        assert!(ls(r"^[\w-]+$").is_match("a-b_c"));
        assert!(!ls(r"^\d$").is_match("٣"));
        assert!(ls(r"^[^\W]$").is_match("a"));
    }

    #[test]
    fn unsupported_constructs_are_rejected() {
        for p in [
            "(?<=a)b", "(?<!a)b", "(?>a)", "a++", "a*+", r"(a)\1", r"\k<x>", r"\p{L}", r"\h",
        ] {
            assert!(
                CompiledRegex::logscale(p, "").is_err(),
                "{p} should be rejected"
            );
        }
    }

    #[test]
    fn lookahead_is_supported() {
        let re = ls("foo(?=bar)");
        assert!(re.is_match("foobar"));
        assert!(!re.is_match("foobaz"));
        let re = ls("^(?!.*evil)(?<w>\\w+)");
        assert!(!re.is_match("goodevil"));
        let caps = re.captures("good").unwrap();
        assert_eq!(caps[0].1, "good");
    }

    #[test]
    fn java_escapes() {
        assert!(ls(r"\Qa.b*\E").is_match("xa.b*"));
        assert!(!ls(r"\Qa.b\E").is_match("axb"));
        assert!(ls(r"\u0041").is_match("A"));
        assert!(ls(r"\0101").is_match("A"));
        assert!(ls(r"\x41\t").is_match("A\t"));
        assert!(ls(r"a\/b").is_match("a/b"));
        assert!(ls(r"[-/][ix]").is_match("/i"));
    }

    #[test]
    fn lazy_quantifiers_are_not_possessive() {
        assert!(ls("a+?b").is_match("aab"));
        assert!(ls("a??b").is_match("ab"));
        assert!(CompiledRegex::logscale("(?:x)?+", "").is_err());
    }

    #[test]
    fn sigma_dialect() {
        let re = CompiledRegex::sigma(r"\bcmd\.exe\b", "i").unwrap();
        assert!(re.is_match("C:\\CMD.EXE /c"));
        assert!(re.group_fields().is_empty());
        let re = CompiledRegex::sigma("(?<x>a)", "").unwrap();
        assert!(re.group_fields().is_empty(), "Sigma regexes never extract");
        assert!(CompiledRegex::sigma("a", "g").is_err());
    }

    #[test]
    fn repeated_matches_and_replace() {
        let re = ls(r"(?<n>\d)");
        let all = re.captures_all("a1b2c3");
        assert_eq!(all.len(), 3);
        assert_eq!(all[2][0].1, "3");
        assert_eq!(ls(r"\d").replace_all("a1b22", "#"), "a#b##");
        assert_eq!(ls("(?=b)").replace_all("abab", "-"), "a-ba-b");
    }
}

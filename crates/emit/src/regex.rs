//! Regex text: escaping literals, and checking Sigma `|re` patterns against each target's dialect.
//!
//! Sigma patterns are PCRE-flavoured. LogScale runs JitRex (Java-like, no lookbehind, no
//! backreferences, no possessive or atomic groups, no `\p{…}`; `(…)` does not capture and
//! `(?<name>…)` creates a field), KQL runs RE2 (no lookaround, no backreferences), Splunk runs PCRE.
//! A pattern is refused for a target when it uses a construct the target lacks or reads
//! differently, never rewritten into something that means less.

use crate::Refusal;

/// Escapes a literal for the common regex syntax (Perl, Java, RE2, PCRE), plus `/` so that the
/// result can also sit inside a `/…/` literal. Control characters become escapes.
pub fn escape_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
            | '/' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// The regex dialects the printers target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    LogScale,
    Re2,
    Pcre,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::LogScale => "LogScale's regex engine",
            Dialect::Re2 => "KQL's RE2 engine",
            Dialect::Pcre => "Splunk's PCRE engine",
        }
    }
}

/// Checks a Sigma pattern for constructs `dialect` lacks or reads differently.
pub fn check_sigma_pattern(pattern: &str, dialect: Dialect) -> Result<(), Refusal> {
    let refuse = |what: &str| {
        Err(Refusal::new(format!(
            "regex `{pattern}` uses {what}, which {} does not support",
            dialect.name()
        )))
    };
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' {
            let Some(e) = next else {
                return Err(Refusal::new(format!(
                    "regex `{pattern}` ends with a lone backslash"
                )));
            };
            match e {
                '1'..='9' if !in_class && dialect != Dialect::Pcre => {
                    return refuse("a backreference");
                }
                'k' if dialect != Dialect::Pcre => return refuse("a named backreference"),
                'p' | 'P' if dialect == Dialect::LogScale => {
                    return refuse("a Unicode property class `\\p{…}`");
                }
                'h' | 'H' | 'v' | 'V' | 'e' | 'R' | 'X' | 'G' | 'K' if dialect != Dialect::Pcre => {
                    return refuse(&format!("the escape `\\{e}`"));
                }
                'Z' if dialect == Dialect::Re2 => return refuse("`\\Z`"),
                _ => {}
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' && i > class_start {
                in_class = false;
            } else if c == '[' {
                if next == Some(':') {
                    if dialect == Dialect::LogScale {
                        return refuse("a POSIX class `[[:…:]]`");
                    }
                } else if dialect == Dialect::LogScale {
                    return refuse(
                        "an unescaped `[` inside a character class (a set union in Java-style regexes, a literal in Sigma's)",
                    );
                }
            } else if c == '&' && next == Some('&') && dialect == Dialect::LogScale {
                return refuse(
                    "`&&` inside a character class (class intersection in Java-style regexes)",
                );
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                // `[]…]` and `[^]…]` start with a literal `]`.
                class_start = i + 1;
                if chars.get(class_start) == Some(&'^') {
                    class_start += 1;
                }
                class_start += 1;
            }
            '(' if next == Some('?') => {
                let rest: String = chars[i + 2..].iter().take(3).collect();
                if rest.starts_with("<=") || rest.starts_with("<!") {
                    if dialect != Dialect::Pcre {
                        return refuse("lookbehind");
                    }
                } else if rest.starts_with('=') || rest.starts_with('!') {
                    if dialect == Dialect::Re2 {
                        return refuse("lookahead");
                    }
                } else if rest.starts_with('>') {
                    if dialect != Dialect::Pcre {
                        return refuse("an atomic group");
                    }
                } else if rest.starts_with("P=") || rest.starts_with("P>") || rest.starts_with('R')
                {
                    if dialect != Dialect::Pcre {
                        return refuse("a backreference or recursion");
                    }
                } else if rest.starts_with('|') && dialect != Dialect::Pcre {
                    return refuse("a branch-reset group");
                } else if rest.starts_with('#') && dialect != Dialect::Pcre {
                    return refuse("a comment group");
                }
            }
            '*' | '+' | '?' | '}' if next == Some('+') && dialect != Dialect::Pcre => {
                return refuse("a possessive quantifier");
            }
            _ => {}
        }
        i += 1;
    }
    if in_class {
        return Err(Refusal::new(format!(
            "regex `{pattern}` has an unterminated character class"
        )));
    }
    Ok(())
}

/// Rewrites a checked Sigma pattern for a `/…/` LogScale literal: `/` is escaped, and named groups
/// become non-capturing so that matching does not create fields the rule never asked for.
pub fn sigma_to_logscale_body(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push('\\');
                if let Some(&e) = chars.get(i + 1) {
                    out.push(e);
                }
                i += 2;
                continue;
            }
            '/' => out.push_str("\\/"),
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `]` (after an optional `^`) is a literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                if let Some(len) = named_group_prefix(&chars[i..]) {
                    out.push_str("(?:");
                    i += len;
                    continue;
                }
                out.push('(');
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Length of `(?<name>` / `(?P<name>` / `(?'name'` at the start of `s`, if it opens a named group.
fn named_group_prefix(s: &[char]) -> Option<usize> {
    let (skip, close) = match s.get(2..4) {
        Some(['<', c]) if *c != '=' && *c != '!' => (3, '>'),
        Some(['P', '<']) => (4, '>'),
        Some(['\'', _]) => (3, '\''),
        _ => return None,
    };
    let end = s[skip..].iter().position(|&c| c == close)?;
    let name = &s[skip..skip + end];
    let valid = !name.is_empty() && name.iter().all(|c| c.is_alphanumeric() || *c == '_');
    valid.then_some(skip + end + 1)
}

/// Maps Sigma's regex flags (`i`, `m`, `s`) to inline-flag letters (`(?ims)`), refusing unknown ones.
pub fn sigma_inline_flags(flags: &str) -> Result<String, Refusal> {
    let mut out = String::new();
    for f in flags.chars() {
        match f {
            'i' | 'm' | 's' => {
                if !out.contains(f) {
                    out.push(f);
                }
            }
            other => {
                return Err(Refusal::new(format!("unknown regex flag `{other}`")));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_every_metacharacter() {
        assert_eq!(
            escape_literal("valueA*$^.|?()[]+/{}"),
            "valueA\\*\\$\\^\\.\\|\\?\\(\\)\\[\\]\\+\\/\\{\\}"
        );
        assert_eq!(escape_literal("C:\\Win"), "C:\\\\Win");
        assert_eq!(escape_literal("a\nb\u{1}"), "a\\nb\\x01");
    }

    #[test]
    fn logscale_refuses_what_jitrex_lacks() {
        // https://library.humio.com/data-analysis/syntax-regular-expression.html
        for p in [
            "(?<=a)b",
            "(?<!a)b",
            "(a)\\1",
            "(?>a)",
            "a++",
            "\\p{L}",
            "[[:alpha:]]",
            "[a[b]]",
            "\\k<n>",
        ] {
            assert!(
                check_sigma_pattern(p, Dialect::LogScale).is_err(),
                "{p} should be refused"
            );
        }
        for p in [
            "(?=a)b",
            "a+?",
            "[a\\[b]",
            "^\\d{2,}$",
            "[]a]",
            "(?i)x",
            "\\\\1",
        ] {
            assert!(
                check_sigma_pattern(p, Dialect::LogScale).is_ok(),
                "{p} should be accepted"
            );
        }
    }

    #[test]
    fn re2_refuses_lookahead_but_pcre_accepts() {
        assert!(check_sigma_pattern("(?=a)", Dialect::Re2).is_err());
        assert!(check_sigma_pattern("(?<=a)b\\1", Dialect::Pcre).is_ok());
    }

    #[test]
    fn named_groups_become_non_capturing_and_slashes_escaped() {
        assert_eq!(
            sigma_to_logscale_body("(?<host>[^/]+)/(?P<p>x)(?'q'y)"),
            "(?:[^\\/]+)\\/(?:x)(?:y)"
        );
        assert_eq!(sigma_to_logscale_body("a\\/b"), "a\\/b");
        assert_eq!(sigma_to_logscale_body("[]/]"), "[\\]\\/]");
    }
}

//! Sigma string values: wildcards (`*`, `?`), escapes, and how a value becomes a plan matcher.

use saker_plan::{Matcher, RegexDialect};

/// One piece of a Sigma string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
}

/// A Sigma string after escape processing: literals and wildcards.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigmaString {
    pub parts: Vec<Part>,
}

impl SigmaString {
    /// Reads a plain value: `*` and `?` are wildcards, `\*`, `\?` and `\\` are the literal
    /// characters, and any other backslash is literal (Sigma specification v2, "Escaping").
    pub fn parse(raw: &str) -> Self {
        let mut s = SigmaString::default();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => s.push_wild(Part::AnyRun),
                '?' => s.push_wild(Part::AnyChar),
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        s.push_char(n);
                    }
                    _ => s.push_char('\\'),
                },
                c => s.push_char(c),
            }
        }
        s
    }

    /// A value with no wildcard interpretation (numbers, booleans, encoded values).
    pub fn literal(text: &str) -> Self {
        let mut s = SigmaString::default();
        if !text.is_empty() {
            s.parts.push(Part::Lit(text.to_owned()));
        }
        s
    }

    fn push_char(&mut self, c: char) {
        match self.parts.last_mut() {
            Some(Part::Lit(l)) => l.push(c),
            _ => self.parts.push(Part::Lit(c.to_string())),
        }
    }

    fn push_wild(&mut self, p: Part) {
        // `**` is the same as `*`.
        if p == Part::AnyRun && self.parts.last() == Some(&Part::AnyRun) {
            return;
        }
        self.parts.push(p);
    }

    pub fn has_wildcards(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, Part::Lit(_)))
    }

    /// The literal text when there are no wildcards.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => out.push_str(l),
                _ => return None,
            }
        }
        Some(out)
    }

    pub fn prepend_any(&mut self) {
        if self.parts.first() != Some(&Part::AnyRun) {
            self.parts.insert(0, Part::AnyRun);
        }
    }

    pub fn append_any(&mut self) {
        if self.parts.last() != Some(&Part::AnyRun) {
            self.parts.push(Part::AnyRun);
        }
    }

    /// Replaces every literal piece through `f`, which returns the alternatives for it; the
    /// result is the cartesian product (used by `windash` and placeholder expansion).
    pub fn expand_literals(&self, f: &dyn Fn(&str) -> Vec<SigmaString>) -> Vec<SigmaString> {
        let mut acc = vec![SigmaString::default()];
        for p in &self.parts {
            let alternatives = match p {
                Part::Lit(l) => f(l),
                wild => vec![SigmaString {
                    parts: vec![wild.clone()],
                }],
            };
            let mut next = Vec::with_capacity(acc.len() * alternatives.len());
            for a in &acc {
                for alt in &alternatives {
                    let mut s = a.clone();
                    for part in &alt.parts {
                        match part {
                            Part::Lit(l) => l.chars().for_each(|c| s.push_char(c)),
                            w => s.push_wild(w.clone()),
                        }
                    }
                    next.push(s);
                }
            }
            acc = next;
        }
        acc
    }

    /// The plan matcher for this value.
    pub fn to_matcher(&self, case_insensitive: bool) -> Matcher {
        let parts = &self.parts;
        let lit_at = |i: usize| match parts.get(i) {
            Some(Part::Lit(l)) => Some(l.clone()),
            _ => None,
        };
        match parts.as_slice() {
            [] => Matcher::Equals {
                value: String::new(),
                case_insensitive,
            },
            [Part::AnyRun] => Matcher::Exists,
            // Sigma compares numbers as text ("4688" is not "04688"); the plan's `Equals`
            // compares plain numbers numerically, a one-value `AnyOf` does not.
            [Part::Lit(l)] if looks_numeric(l) => Matcher::AnyOf {
                values: vec![l.clone()],
                glob: false,
                case_insensitive,
            },
            [Part::Lit(l)] => Matcher::Equals {
                value: l.clone(),
                case_insensitive,
            },
            [Part::AnyRun, Part::Lit(_), Part::AnyRun] => Matcher::Contains {
                value: lit_at(1).unwrap_or_default(),
                case_insensitive,
            },
            [Part::Lit(l), Part::AnyRun] => Matcher::StartsWith {
                value: l.clone(),
                case_insensitive,
            },
            [Part::AnyRun, Part::Lit(l)] => Matcher::EndsWith {
                value: l.clone(),
                case_insensitive,
            },
            _ if self.is_glob_expressible() => Matcher::Glob {
                pattern: self.glob_pattern(),
                case_insensitive,
            },
            _ => Matcher::Regex {
                pattern: self.anchored_regex(),
                flags: if case_insensitive { "is" } else { "s" }.to_owned(),
                dialect: RegexDialect::Sigma,
            },
        }
    }

    /// A plan glob has `*` but no `?` and no way to write a literal `*`.
    fn is_glob_expressible(&self) -> bool {
        self.parts.iter().all(|p| match p {
            Part::Lit(l) => !l.contains('*'),
            Part::AnyRun => true,
            Part::AnyChar => false,
        })
    }

    fn glob_pattern(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(l) => l.as_str(),
                _ => "*",
            })
            .collect()
    }

    /// `^…$` with wildcards as `.*` / `.`.
    pub fn anchored_regex(&self) -> String {
        let mut out = String::from("^");
        for p in &self.parts {
            match p {
                Part::Lit(l) => out.push_str(&regex::escape(l)),
                Part::AnyRun => out.push_str(".*"),
                Part::AnyChar => out.push('.'),
            }
        }
        out.push('$');
        out
    }

    /// The longest literal piece (for prefilters and diagnostics).
    pub fn longest_literal(&self) -> Option<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Lit(l) => Some(l.as_str()),
                _ => None,
            })
            .max_by_key(|l| l.len())
    }
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(raw: &str) -> Matcher {
        SigmaString::parse(raw).to_matcher(true)
    }

    #[test]
    fn escapes_follow_the_specification() {
        assert_eq!(
            SigmaString::parse(r"a\*b\?c\\d\e").as_plain().as_deref(),
            Some(r"a*b?c\d\e")
        );
        // A trailing escaped backslash is one backslash.
        assert_eq!(
            SigmaString::parse(r"C:\Windows\\").as_plain().as_deref(),
            Some(r"C:\Windows\")
        );
        assert_eq!(
            SigmaString::parse(r"\\*").parts,
            vec![Part::Lit("\\".into()), Part::AnyRun]
        );
    }

    #[test]
    fn value_shapes_become_the_cheapest_matcher() {
        assert!(matches!(m("abc"), Matcher::Equals { .. }));
        assert!(matches!(m("*abc*"), Matcher::Contains { .. }));
        assert!(matches!(m("abc*"), Matcher::StartsWith { .. }));
        assert!(matches!(m("*abc"), Matcher::EndsWith { .. }));
        assert!(matches!(m("a*b"), Matcher::Glob { .. }));
        assert_eq!(m("*"), Matcher::Exists);
        match m("a?b") {
            Matcher::Regex { pattern, flags, .. } => {
                assert_eq!(pattern, "^a.b$");
                assert_eq!(flags, "is");
            }
            other => panic!("{other:?}"),
        }
        // A literal star cannot be written in a plan glob: regex instead.
        match m(r"a\**") {
            Matcher::Regex { pattern, .. } => assert_eq!(pattern, r"^a\*.*$"),
            Matcher::StartsWith { value, .. } => assert_eq!(value, "a*"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            m(""),
            Matcher::Equals {
                value: String::new(),
                case_insensitive: true
            }
        );
    }

    #[test]
    fn inner_wildcard_in_contains_is_kept() {
        let mut s = SigmaString::parse("tasklist*|*find");
        s.prepend_any();
        s.append_any();
        match s.to_matcher(true) {
            Matcher::Glob { pattern, .. } => assert_eq!(pattern, "*tasklist*|*find*"),
            other => panic!("{other:?}"),
        }
    }
}

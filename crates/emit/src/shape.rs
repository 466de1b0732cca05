//! One shape for every string test of the plan (`Equals`, `Glob`, `Contains`, `StartsWith`,
//! `EndsWith`, and each value of `AnyOf`): literal parts separated by "any run of characters",
//! optionally anchored at either end. Printers read this instead of five matcher variants.

use saker_plan::Matcher;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The value must start with the first part.
    pub anchored_start: bool,
    /// The value must end with the last part.
    pub anchored_end: bool,
    /// Literal texts, in order, separated by any run of characters. Never empty.
    pub parts: Vec<String>,
    pub case_insensitive: bool,
}

/// What a shape tests, in the simplest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeKind<'a> {
    /// Any value, even empty: the field is present.
    Present,
    /// Whole value equals the text.
    Equals(&'a str),
    StartsWith(&'a str),
    EndsWith(&'a str),
    Contains(&'a str),
    /// Several parts: needs a wildcard or regex form.
    Pattern,
}

impl Shape {
    /// The shape of a string matcher, or `None` for the other matcher kinds.
    pub fn of(m: &Matcher) -> Option<Shape> {
        let (start, end, text, glob, ci) = match m {
            Matcher::Equals {
                value,
                case_insensitive,
            } => (true, true, value, false, *case_insensitive),
            Matcher::Glob {
                pattern,
                case_insensitive,
            } => (true, true, pattern, true, *case_insensitive),
            Matcher::Contains {
                value,
                case_insensitive,
            } => (false, false, value, false, *case_insensitive),
            Matcher::StartsWith {
                value,
                case_insensitive,
            } => (true, false, value, false, *case_insensitive),
            Matcher::EndsWith {
                value,
                case_insensitive,
            } => (false, true, value, false, *case_insensitive),
            _ => return None,
        };
        Some(Shape::build(start, end, text, glob, ci))
    }

    /// The shape of one `AnyOf` value.
    pub fn of_value(value: &str, glob: bool, case_insensitive: bool) -> Shape {
        Shape::build(true, true, value, glob, case_insensitive)
    }

    fn build(start: bool, end: bool, text: &str, glob: bool, ci: bool) -> Shape {
        if !glob {
            return Shape {
                anchored_start: start,
                anchored_end: end,
                parts: vec![text.to_string()],
                case_insensitive: ci,
            };
        }
        let pieces: Vec<&str> = text.split('*').collect();
        let anchored_start = start && !text.starts_with('*');
        let anchored_end = end && (text.is_empty() || !text.ends_with('*'));
        let mut parts: Vec<String> = pieces
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.to_string())
            .collect();
        if parts.is_empty() {
            parts.push(String::new());
        }
        Shape {
            anchored_start,
            anchored_end,
            parts,
            case_insensitive: ci,
        }
    }

    pub fn kind(&self) -> ShapeKind<'_> {
        match (
            self.parts.as_slice(),
            self.anchored_start,
            self.anchored_end,
        ) {
            ([p], true, true) => ShapeKind::Equals(p),
            ([p], _, _) if p.is_empty() => ShapeKind::Present,
            ([p], true, false) => ShapeKind::StartsWith(p),
            ([p], false, true) => ShapeKind::EndsWith(p),
            ([p], false, false) => ShapeKind::Contains(p),
            _ => ShapeKind::Pattern,
        }
    }

    /// Case-insensitivity matters only when a part has a letter with case.
    pub fn case_matters(&self) -> bool {
        self.case_insensitive && self.parts.iter().any(|p| has_cased_char(p))
    }

    /// Whether any literal part contains `c` (e.g. a `*` that a glob language cannot escape).
    pub fn literal_contains(&self, c: char) -> bool {
        self.parts.iter().any(|p| p.contains(c))
    }

    /// A regex body (without delimiters or flags) in the common Perl/Java/RE2 syntax, and whether
    /// it uses `.` for a wildcard (so needs dot-matches-newline to keep Sigma's `*` semantics).
    pub fn regex_body(&self, escape: fn(&str) -> String) -> (String, bool) {
        let mut out = String::new();
        if self.anchored_start {
            out.push('^');
        }
        let mut uses_dot = false;
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push_str(".*");
                uses_dot = true;
            }
            out.push_str(&escape(p));
        }
        if self.anchored_end {
            out.push('$');
        }
        (out, uses_dot)
    }

    /// A `*`-glob covering the shape (only meaningful when no part contains `*`).
    pub fn glob(&self) -> String {
        let mut out = String::new();
        if !self.anchored_start {
            out.push('*');
        }
        out.push_str(&self.parts.join("*"));
        let only_empty = self.parts.len() == 1 && self.parts[0].is_empty();
        if !self.anchored_end && !only_empty {
            out.push('*');
        }
        out
    }
}

/// Whether the text has a character that changes under case conversion.
pub fn has_cased_char(s: &str) -> bool {
    s.chars()
        .any(|c| c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str) -> Shape {
        Shape::of(&Matcher::Glob {
            pattern: p.into(),
            case_insensitive: true,
        })
        .unwrap_or_else(|| panic!("glob shape"))
    }

    #[test]
    fn globs_become_parts() {
        assert_eq!(glob("*\\cmd.exe").kind(), ShapeKind::EndsWith("\\cmd.exe"));
        assert_eq!(glob("*abc*").kind(), ShapeKind::Contains("abc"));
        assert_eq!(glob("ab*").kind(), ShapeKind::StartsWith("ab"));
        assert_eq!(glob("*").kind(), ShapeKind::Present);
        assert_eq!(glob("**").kind(), ShapeKind::Present);
        assert_eq!(glob("").kind(), ShapeKind::Equals(""));
        let s = glob("a**b*c");
        assert_eq!(s.parts, vec!["a", "b", "c"]);
        assert_eq!(s.kind(), ShapeKind::Pattern);
        assert_eq!(s.glob(), "a*b*c");
    }

    #[test]
    fn regex_body_escapes_parts_and_reports_dots() {
        let (body, dot) = glob("a.b*c").regex_body(crate::regex::escape_literal);
        assert_eq!(body, "^a\\.b.*c$");
        assert!(dot);
        let (body, dot) = glob("*x*").regex_body(crate::regex::escape_literal);
        assert_eq!(body, "x");
        assert!(!dot);
    }

    #[test]
    fn case_only_matters_for_cased_letters() {
        assert!(!glob("1234-*").case_matters());
        assert!(glob("*É*").case_matters());
        assert!(glob("x").case_matters());
    }
}

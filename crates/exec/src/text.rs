//! Literal string tests: equality, anchored globs, substring, prefix and suffix, each optionally
//! case-insensitive. ASCII needles compare without allocating; other text is lower-cased first.

use std::borrow::Cow;

use aho_corasick::AhoCorasick;
use memchr::memmem;

/// A needle kept in the form its comparisons need.
#[derive(Clone, Debug)]
struct Needle {
    /// As written, or lower-cased when case-insensitive.
    text: String,
    ci: bool,
}

impl Needle {
    fn new(text: &str, ci: bool) -> Self {
        Needle {
            text: if ci {
                text.to_lowercase()
            } else {
                text.to_owned()
            },
            ci,
        }
    }

    /// Whether a byte-wise ASCII case-insensitive comparison is exact for this needle.
    fn ascii(&self) -> bool {
        self.text.is_ascii()
    }
}

/// Lower-cases `value` for a case-insensitive comparison, borrowing when nothing changes.
pub(crate) fn fold(value: &str) -> Cow<'_, str> {
    if value.is_ascii() {
        if value.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(value.to_ascii_lowercase())
        } else {
            Cow::Borrowed(value)
        }
    } else {
        Cow::Owned(value.to_lowercase())
    }
}

fn starts_with(value: &str, n: &Needle) -> bool {
    if !n.ci {
        return value.starts_with(&n.text);
    }
    if n.ascii() && value.is_ascii() {
        let b = value.as_bytes();
        return b.len() >= n.text.len()
            && b[..n.text.len()].eq_ignore_ascii_case(n.text.as_bytes());
    }
    fold(value).starts_with(&n.text)
}

fn ends_with(value: &str, n: &Needle) -> bool {
    if !n.ci {
        return value.ends_with(&n.text);
    }
    if n.ascii() && value.is_ascii() {
        let b = value.as_bytes();
        return b.len() >= n.text.len()
            && b[b.len() - n.text.len()..].eq_ignore_ascii_case(n.text.as_bytes());
    }
    fold(value).ends_with(&n.text)
}

fn equals(value: &str, n: &Needle) -> bool {
    if !n.ci {
        return value == n.text;
    }
    if n.ascii() && value.is_ascii() {
        return value.eq_ignore_ascii_case(&n.text);
    }
    fold(value) == n.text
}

/// An anchored glob: `*` is any run of characters; no other wildcard, no escape.
#[derive(Clone, Debug)]
pub struct Glob {
    /// Literal pieces between the stars (lower-cased when case-insensitive).
    parts: Vec<String>,
    leading_star: bool,
    trailing_star: bool,
    ci: bool,
}

impl Glob {
    pub fn new(pattern: &str, ci: bool) -> Self {
        let pattern = if ci {
            pattern.to_lowercase()
        } else {
            pattern.to_owned()
        };
        let leading_star = pattern.starts_with('*');
        let trailing_star = pattern.ends_with('*') && !pattern.is_empty();
        let parts = pattern
            .split('*')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        Glob {
            parts,
            leading_star,
            trailing_star,
            ci,
        }
    }

    pub fn is_match(&self, value: &str) -> bool {
        if self.ci {
            self.match_folded(&fold(value))
        } else {
            self.match_folded(value)
        }
    }

    fn match_folded(&self, mut v: &str) -> bool {
        let n = self.parts.len();
        if n == 0 {
            // "" matches only the empty value; "*", "**" match anything.
            return self.leading_star || v.is_empty();
        }
        let mut first = 0;
        if !self.leading_star {
            let p = &self.parts[0];
            if !v.starts_with(p.as_str()) {
                return false;
            }
            v = &v[p.len()..];
            first = 1;
            if n == 1 && !self.trailing_star {
                return v.is_empty();
            }
        }
        let mut last = n;
        if !self.trailing_star && first < n {
            let p = &self.parts[n - 1];
            if !v.ends_with(p.as_str()) {
                return false;
            }
            v = &v[..v.len() - p.len()];
            last = n - 1;
        }
        for p in &self.parts[first..last] {
            match memmem::find(v.as_bytes(), p.as_bytes()) {
                Some(at) => v = &v[at + p.len()..],
                None => return false,
            }
        }
        true
    }
}

/// A substring search, case-insensitive searches for ASCII needles without lower-casing the value.
#[derive(Clone, Debug)]
pub struct Contains {
    needle: Needle,
    finder: memmem::Finder<'static>,
    ascii_ci: Option<AhoCorasick>,
}

impl Contains {
    pub fn new(text: &str, ci: bool) -> Self {
        let needle = Needle::new(text, ci);
        let finder = memmem::Finder::new(needle.text.as_bytes()).into_owned();
        let ascii_ci = (ci && needle.ascii())
            .then(|| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build([needle.text.as_str()])
                    .ok()
            })
            .flatten();
        Contains {
            needle,
            finder,
            ascii_ci,
        }
    }

    pub fn is_match(&self, value: &str) -> bool {
        if !self.needle.ci {
            return self.finder.find(value.as_bytes()).is_some();
        }
        match &self.ascii_ci {
            Some(ac) => ac.is_match(value),
            None => self.finder.find(fold(value).as_bytes()).is_some(),
        }
    }
}

/// One literal test on a whole value.
#[derive(Clone, Debug)]
pub enum TextTest {
    /// Whole value equals; when both sides read as plain numbers they also compare numerically
    /// (`404` = `404.0`).
    Equals(Literal),
    Glob(Glob),
    Contains(Box<Contains>),
    StartsWith(Literal),
    EndsWith(Literal),
}

/// A literal needle, with its numeric reading when it is a plain number.
#[derive(Clone, Debug)]
pub struct Literal {
    needle: Needle,
    number: Option<f64>,
}

impl TextTest {
    pub fn equals(value: &str, ci: bool) -> Self {
        TextTest::Equals(Literal {
            needle: Needle::new(value, ci),
            number: plain_number(value),
        })
    }
    pub fn glob(pattern: &str, ci: bool) -> Self {
        if pattern.contains('*') {
            TextTest::Glob(Glob::new(pattern, ci))
        } else {
            TextTest::equals(pattern, ci)
        }
    }
    pub fn contains(value: &str, ci: bool) -> Self {
        TextTest::Contains(Box::new(Contains::new(value, ci)))
    }
    pub fn starts_with(value: &str, ci: bool) -> Self {
        TextTest::StartsWith(Literal {
            needle: Needle::new(value, ci),
            number: None,
        })
    }
    pub fn ends_with(value: &str, ci: bool) -> Self {
        TextTest::EndsWith(Literal {
            needle: Needle::new(value, ci),
            number: None,
        })
    }

    pub fn is_match(&self, value: &str) -> bool {
        match self {
            TextTest::Equals(n) => {
                equals(value, &n.needle) || n.number.is_some_and(|x| plain_number(value) == Some(x))
            }
            TextTest::Glob(g) => g.is_match(value),
            TextTest::Contains(c) => c.is_match(value),
            TextTest::StartsWith(n) => starts_with(value, &n.needle),
            TextTest::EndsWith(n) => ends_with(value, &n.needle),
        }
    }
}

/// A value written as a plain decimal number (`-12`, `3.50`), the only form `=` compares numerically.
fn plain_number(s: &str) -> Option<f64> {
    let t = s.strip_prefix('-').unwrap_or(s);
    let mut dot = false;
    if t.is_empty() || t.starts_with('.') || t.ends_with('.') {
        return None;
    }
    for b in t.bytes() {
        match b {
            b'0'..=b'9' => {}
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_anchored() {
        // https://library.humio.com/data-analysis/syntax-filters.html: `user = *Turing` does not match "Turing Alan"
        let g = Glob::new("*Turing", false);
        assert!(g.is_match("Alan Turing"));
        assert!(!g.is_match("Turing Alan"));
        assert!(Glob::new("ab*", false).is_match("abc"));
        assert!(!Glob::new("ab*", false).is_match("xabc"));
        assert!(Glob::new("*b*", false).is_match("abc"));
        assert!(Glob::new("a*c*e", false).is_match("abcde"));
        assert!(!Glob::new("a*c*e", false).is_match("abcdef"));
        assert!(Glob::new("a*a", false).is_match("aa"));
        assert!(!Glob::new("a*a", false).is_match("a"));
        assert!(Glob::new("*", false).is_match(""));
        assert!(Glob::new("", false).is_match(""));
        assert!(!Glob::new("", false).is_match("x"));
        assert!(Glob::new("*CMD.exe", true).is_match("c:\\cmd.EXE"));
        assert!(!Glob::new("*CMD.exe", false).is_match("c:\\cmd.EXE"));
        assert!(Glob::new("É*", true).is_match("école"));
    }

    #[test]
    fn equality_is_case_sensitive_unless_asked() {
        assert!(TextTest::equals("Error", false).is_match("Error"));
        assert!(!TextTest::equals("Error", false).is_match("error"));
        assert!(TextTest::equals("Error", true).is_match("ERROR"));
        assert!(TextTest::equals("404", false).is_match("404.0"));
        assert!(!TextTest::equals("404", false).is_match("0x194"));
    }

    #[test]
    fn substring_prefix_suffix() {
        assert!(TextTest::contains("Cmd", true).is_match("x cMD y"));
        assert!(!TextTest::contains("Cmd", false).is_match("x cMD y"));
        assert!(TextTest::contains("ü", true).is_match("xÜy"));
        assert!(TextTest::starts_with("C:\\", true).is_match("c:\\x"));
        assert!(TextTest::ends_with(".EXE", true).is_match("a.exe"));
        assert!(!TextTest::ends_with(".EXE", false).is_match("a.exe"));
        assert!(!TextTest::ends_with("long needle", true).is_match("x"));
    }
}

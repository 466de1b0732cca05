//! Turning token text into values: escapes, regex bodies, parameter and saved-query names.

/// Resolves `\"`, `\\`, `\n`, `\t`, `\r` in a `"…"` token (quotes included). Other backslash
/// sequences are kept as written, so `"\d"` reaches a regex engine as `\d`.
pub fn unescape_string(raw: &str) -> String {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    unescape(inner)
}

/// An unquoted value: `\x` stands for `x` (`*\\cmd.exe` is `*\cmd.exe`); back-quotes are
/// removed as in names (`` as=`Total Score` ``).
pub fn unescape_word(raw: &str) -> String {
    unescape_name(raw)
}

/// An unquoted field name: escapes resolved and back-quotes removed
/// (``user.`e-mail`[]`` is `user.e-mail[]`).
pub fn unescape_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            '`' => {}
            _ => out.push(c),
        }
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `/body/flags` → (body with `\/` turned into `/`, flags).
pub fn split_regex(raw: &str) -> (String, String) {
    let body_and_flags = raw.strip_prefix('/').unwrap_or(raw);
    let close = body_and_flags.rfind('/').unwrap_or(body_and_flags.len());
    let body = &body_and_flags[..close];
    let flags = body_and_flags.get(close + 1..).unwrap_or("");
    let mut pattern = String::with_capacity(body.len());
    let mut it = body.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('/') => pattern.push('/'),
                Some(n) => {
                    pattern.push('\\');
                    pattern.push(n);
                }
                None => pattern.push('\\'),
            }
        } else {
            pattern.push(c);
        }
    }
    (pattern, flags.to_string())
}

/// `?name`, `?"name"`, `?{name=default}` → (name, default).
pub fn split_param(raw: &str) -> (String, Option<String>) {
    let rest = raw.strip_prefix('?').unwrap_or(raw);
    if let Some(inner) = rest.strip_prefix('{') {
        let inner = inner.strip_suffix('}').unwrap_or(inner);
        return match inner.split_once('=') {
            Some((n, d)) => (n.trim().to_string(), Some(unquote(d.trim()))),
            None => (inner.trim().to_string(), None),
        };
    }
    if rest.starts_with('"') {
        return (unescape_string(rest), None);
    }
    (rest.to_string(), None)
}

fn unquote(s: &str) -> String {
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        unescape_string(s)
    } else {
        s.to_string()
    }
}

/// `$name` / `$"pkg/name:q"` → the name.
pub fn saved_name(raw: &str) -> String {
    let rest = raw.strip_prefix('$').unwrap_or(raw);
    if rest.starts_with('"') {
        unescape_string(rest)
    } else {
        rest.to_string()
    }
}

/// Quotes `s` as a CQL string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_escapes() {
        assert_eq!(unescape_string(r#""a\"b\\c\d""#), "a\"b\\c\\d");
        assert_eq!(unescape_string(r#""\\d+""#), "\\d+");
    }

    #[test]
    fn regex_split() {
        assert_eq!(split_regex(r"/a\/b/i"), ("a/b".into(), "i".into()));
        assert_eq!(split_regex(r"/x/"), ("x".into(), "".into()));
        assert_eq!(split_regex(r"/[\\/]/"), (r"[\\/]".into(), "".into()));
    }

    #[test]
    fn params() {
        assert_eq!(split_param("?x"), ("x".into(), None));
        assert_eq!(split_param("?{x=*}"), ("x".into(), Some("*".into())));
        assert_eq!(
            split_param("?{x=\"a b\"}"),
            ("x".into(), Some("a b".into()))
        );
    }

    #[test]
    fn quote_round_trips() {
        for s in ["a\"b", "c:\\x", "tab\there"] {
            assert_eq!(unescape_string(&quote(s)), s);
        }
    }
}

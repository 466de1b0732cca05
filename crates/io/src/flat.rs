//! A fast path for the common record shape: one JSON object whose values are all scalars
//! (Falcon FDR lines, most flat exports).
//!
//! The scanner reads such a line straight into field/value pairs without building a DOM. It
//! accepts only what it fully understands; anything else (a nested value, an unusual escape, any
//! syntax error) returns `None` and the caller decodes the line with the general parser, which
//! also produces the error message. So the fast path never changes what is accepted or how.

use saker_event::Text;

/// A decoded string: borrowed from the line when it has no escapes.
pub(crate) enum Str<'a> {
    Borrowed(&'a str),
    Owned(Text),
}

impl Str<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Str::Borrowed(s) => s,
            Str::Owned(t) => t.as_str(),
        }
    }

    pub(crate) fn into_text(self) -> Text {
        match self {
            Str::Borrowed(s) => Text::from(s),
            Str::Owned(t) => t,
        }
    }
}

/// Scans `line` as a flat JSON object into `out` (cleared first). `None` = not a flat object
/// this scanner accepts; decode the line the general way.
pub(crate) fn scan_flat<'a>(line: &'a str, out: &mut Vec<(Str<'a>, Str<'a>)>) -> Option<()> {
    out.clear();
    let b = line.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return (skip_ws(b, i + 1) == b.len()).then_some(());
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key, next) = string(line, i + 1)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let (value, next) = match b.get(i)? {
            b'"' => string(line, i + 1)?,
            b'-' | b'0'..=b'9' => {
                let end = number(b, i)?;
                (Str::Borrowed(&line[i..end]), end)
            }
            b't' if b[i..].starts_with(b"true") => (Str::Borrowed("true"), i + 4),
            b'f' if b[i..].starts_with(b"false") => (Str::Borrowed("false"), i + 5),
            b'n' if b[i..].starts_with(b"null") => (Str::Borrowed("null"), i + 4),
            _ => return None,
        };
        out.push((key, value));
        i = skip_ws(b, next);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return (skip_ws(b, i + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(c) = b.get(i) {
        if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

/// A string starting after its opening quote at `start`; returns it and the index after the
/// closing quote.
#[inline]
fn string(line: &str, start: usize) -> Option<(Str<'_>, usize)> {
    let b = line.as_bytes();
    let rest = b.get(start..)?;
    let stop = memchr::memchr2(b'"', b'\\', rest)?;
    if rest[stop] == b'"' {
        let s = &rest[..stop];
        if s.iter().any(|&c| c < 0x20) {
            return None;
        }
        return Some((Str::Borrowed(&line[start..start + stop]), start + stop + 1));
    }
    // Escapes: unescape into an owned text.
    let mut text = Text::with_capacity(stop + 16);
    let mut i = start;
    loop {
        let rest = b.get(i..)?;
        let stop = memchr::memchr2(b'"', b'\\', rest)?;
        let plain = &rest[..stop];
        if plain.iter().any(|&c| c < 0x20) {
            return None;
        }
        text.push_str(line.get(i..i + stop)?);
        i += stop;
        if b[i] == b'"' {
            return Some((Str::Owned(text), i + 1));
        }
        let c = match b.get(i + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(b.get(i + 2..i + 6)?)?;
                // Surrogates (pairs or lone) are left to the general parser.
                let c = char::from_u32(u32::from(unit))?;
                text.push(c);
                i += 6;
                continue;
            }
            _ => return None,
        };
        text.push(c);
        i += 2;
    }
}

fn hex4(h: &[u8]) -> Option<u16> {
    let mut v: u16 = 0;
    for &c in h {
        let d = (c as char).to_digit(16)?;
        v = v * 16 + d as u16;
    }
    Some(v)
}

/// The end of a JSON number starting at `i` (RFC 8259 grammar).
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > s).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i)?,
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    // A number must be followed by a delimiter.
    match b.get(i) {
        None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') => Some(i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(line: &str) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        scan_flat(line, &mut out)?;
        Some(
            out.iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
                .collect(),
        )
    }

    #[test]
    fn flat_objects_are_read() {
        let got = scan(r#" { "a" : "x\"y\\z\u00e9\n" , "n": -1.5e3, "t":true,"z":null, "e":"" } "#);
        let want: Vec<(String, String)> = [
            ("a", "x\"y\\zé\n"),
            ("n", "-1.5e3"),
            ("t", "true"),
            ("z", "null"),
            ("e", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, Some(want));
        assert_eq!(scan("{}"), Some(vec![]));
    }

    #[test]
    fn anything_else_falls_back() {
        for line in [
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":1"#,
            r#"{"a":1} x"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":tru}"#,
            r#"{"a":1,}"#,
            r#"["a"]"#,
            r#"{"a" "b"}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":1x}"#,
        ] {
            assert!(scan(line).is_none(), "{line}");
        }
    }

    #[test]
    fn agrees_with_serde_json_where_it_accepts() {
        let lines = [
            r#"{"CommandLine":"\"C:\\Windows\\System32\\cmd.exe\" /c echo \u0041","x":"\/"}"#,
            r#"{"k\"ey":"v","n":0,"m":-0.0e-0}"#,
        ];
        for line in lines {
            let got = scan(line).unwrap_or_default();
            let oracle: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap_or_default();
            assert_eq!(got.len(), oracle.len());
            for (k, v) in &got {
                let o = &oracle[k.as_str()];
                let text = o
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| o.to_string());
                if o.is_string() {
                    assert_eq!(v, &text);
                }
            }
        }
    }
}

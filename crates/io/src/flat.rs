//! A fast path for the common record shape: one JSON object whose values are all scalars
//! (Falcon FDR lines, most flat exports).
//!
//! The scanner reads such a line straight into field/value pairs without building a DOM. It
//! accepts only what it fully understands; anything else (a nested value, an unusual escape, any
//! syntax error) returns `None` and the caller decodes the line with the general parser, which
//! also produces the error message. So the fast path never changes what is accepted or how.

use saker_event::Text;

/// A string of the line: borrowed when it has no escapes; otherwise its raw text between the
/// quotes (escapes already validated), unescaped only when asked for, so a field a projection
/// skips costs no allocation.
pub(crate) enum Str<'a> {
    Borrowed(&'a str),
    Escaped(&'a str),
}

impl Str<'_> {
    /// The value, unescaped.
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Str::Borrowed(s) => std::borrow::Cow::Borrowed(s),
            Str::Escaped(raw) => std::borrow::Cow::Owned(unescape(raw).into()),
        }
    }

    pub(crate) fn into_text(self) -> Text {
        match self {
            Str::Borrowed(s) => Text::from(s),
            Str::Escaped(raw) => unescape(raw),
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
/// closing quote. Always inlined: returned through memory, its result stalled the caller on
/// store forwarding (a quarter of the scan time).
#[inline(always)]
fn string(line: &str, start: usize) -> Option<(Str<'_>, usize)> {
    let b = line.as_bytes();
    let mut i = special(b, start)?;
    if b[i] == b'"' {
        return Some((Str::Borrowed(&line[start..i]), i + 1));
    }
    // Escapes: validate them here (anything unusual falls back), unescape on demand.
    loop {
        match b[i] {
            b'"' => return Some((Str::Escaped(&line[start..i]), i + 1)),
            b'\\' => {}
            // A raw control character is invalid JSON: the general parser reports it.
            _ => return None,
        }
        match b.get(i + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
            b'u' => {
                let unit = hex4(b.get(i + 2..i + 6)?)?;
                // Surrogates (pairs or lone) are left to the general parser.
                char::from_u32(u32::from(unit))?;
                i += 6;
            }
            _ => return None,
        }
        i = special(b, i)?;
    }
}

/// The first index at or after `i` holding `"`, `\` or a control character (< 0x20).
///
/// Eight bytes at a time (SWAR): JSON strings are mostly short, where a SIMD search's set-up
/// costs more than it saves. Each test flags the first matching byte of a word exactly (false
/// flags only ever sit above a true one), so the lowest flag of the three is the answer.
#[inline(always)]
fn special(b: &[u8], mut i: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = LO * b'"' as u64;
    const BACKSLASH: u64 = LO * b'\\' as u64;
    while let Some(word) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let q = w ^ QUOTE;
        let s = w ^ BACKSLASH;
        let hits = ((q.wrapping_sub(LO) & !q)
            | (s.wrapping_sub(LO) & !s)
            | (w.wrapping_sub(LO * 0x20) & !w))
            & HI;
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

/// Unescapes the text between the quotes of a string [`string`] accepted.
fn unescape(raw: &str) -> Text {
    let b = raw.as_bytes();
    let mut text = Text::with_capacity(raw.len());
    let mut i = 0;
    while let Some(stop) = memchr::memchr(b'\\', &b[i..]) {
        text.push_str(&raw[i..i + stop]);
        i += stop;
        let c = match b.get(i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let c = b
                    .get(i + 2..i + 6)
                    .and_then(hex4)
                    .and_then(|u| char::from_u32(u32::from(u)))
                    .unwrap_or('\u{fffd}');
                text.push(c);
                i += 6;
                continue;
            }
            // `string` validated every escape; unreachable in practice.
            _ => '\\',
        };
        text.push(c);
        i += 2;
    }
    text.push_str(&raw[i..]);
    text
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
                .map(|(k, v)| (k.text().into_owned(), v.text().into_owned()))
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
    fn special_bytes_are_found_at_every_offset() {
        for len in 0..40 {
            for at in 0..len {
                for c in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut v = vec![b'a'; len];
                    for (j, x) in v.iter_mut().enumerate() {
                        // Bytes around the specials that must not be taken for them.
                        *x = [b'a', 0x20, 0xc3, 0x7f, b'!', b'#', 0x80, 0xff][j % 8];
                    }
                    v[at] = c;
                    assert_eq!(special(&v, 0), Some(at), "len {len} at {at} byte {c}");
                }
            }
            let plain = vec![0xe9u8; len];
            assert_eq!(special(&plain, 0), None);
        }
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

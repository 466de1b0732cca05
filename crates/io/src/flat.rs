//! A fast path for the common record shape: one JSON object whose values are all scalars
//! (Falcon FDR lines, most flat exports).
//!
//! The scanner reads such a line straight into field/value pairs without building a DOM. It
//! accepts only what it fully understands; anything else (a nested value, an unusual escape, any
//! syntax error) returns `None` and the caller decodes the line with the general parser, which
//! also produces the error message. So the fast path never changes what is accepted or how.

use saker_event::Text;

use crate::fields::FieldSet;

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
/// this scanner accepts; decode the line the general way. With `keep`, only the pairs whose key
/// it holds are put in `out` (the others are still validated). `marks` is scratch space.
pub(crate) fn scan_flat<'a>(
    line: &'a str,
    out: &mut Vec<(Str<'a>, Str<'a>)>,
    keep: Option<&FieldSet>,
    marks: &mut Vec<u64>,
) -> Option<()> {
    out.clear();
    let b = line.as_bytes();
    mark_specials(b, marks);
    let marks = &marks[..];
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
        let (key, next) = string(line, i + 1, marks)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let (value, next) = match b.get(i)? {
            b'"' => string(line, i + 1, marks)?,
            b'-' | b'0'..=b'9' => {
                let end = number(b, i)?;
                (Str::Borrowed(&line[i..end]), end)
            }
            b't' if b[i..].starts_with(b"true") => (Str::Borrowed("true"), i + 4),
            b'f' if b[i..].starts_with(b"false") => (Str::Borrowed("false"), i + 5),
            b'n' if b[i..].starts_with(b"null") => (Str::Borrowed("null"), i + 4),
            _ => return None,
        };
        let wanted = match (keep, &key) {
            (None, _) => true,
            (Some(k), Str::Borrowed(s)) => k.contains(s),
            (Some(k), Str::Escaped(raw)) => escaped_key_wanted(k, raw),
        };
        if wanted {
            out.push((key, value));
        }
        i = skip_ws(b, next);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return (skip_ws(b, i + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

/// Kept out of line: an escaped key is rare, and inlining its unescaping made the scanner's
/// common path spill registers for every pair.
#[cold]
#[inline(never)]
fn escaped_key_wanted(keep: &FieldSet, raw: &str) -> bool {
    keep.contains(&unescape(raw))
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
fn string<'a>(line: &'a str, start: usize, marks: &[u64]) -> Option<(Str<'a>, usize)> {
    let b = line.as_bytes();
    let mut i = special(marks, start)?;
    if b[i] == b'"' {
        return Some((Str::Borrowed(ascii_bounded(line, start, i)), i + 1));
    }
    // Escapes: validate them here (anything unusual falls back), unescape on demand.
    loop {
        match b[i] {
            b'"' => return Some((Str::Escaped(ascii_bounded(line, start, i)), i + 1)),
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
        i = special(marks, i)?;
    }
}

/// `line[start..end]` where the byte before `start` and the byte at `end` are ASCII quotes (so
/// both are char boundaries), without the boundary checks of `&line[start..end]`, which showed in
/// profiles of the scanner.
#[inline(always)]
fn ascii_bounded(line: &str, start: usize, end: usize) -> &str {
    debug_assert!(line.is_char_boundary(start) && line.is_char_boundary(end) && start <= end);
    // SAFETY: callers pass `start` right after a `"` byte and `end` at a `"` byte of `line`, both
    // within it; ASCII bytes are never inside a UTF-8 sequence, so both are char boundaries.
    unsafe { line.get_unchecked(start..end) }
}

/// Marks the bytes of `b` that end a run of plain string text: `"`, `\` and control bytes
/// (< 0x20). Bit `i % 64` of `marks[i / 64]` is byte `i`.
///
/// One pass over the line, 16 bytes a step, so that finding the end of each string is a bit scan
/// instead of a byte loop per string (the scan of unread values was most of a groupBy's time).
fn mark_specials(b: &[u8], marks: &mut Vec<u64>) {
    marks.clear();
    let mut blocks = b.chunks_exact(64);
    for block in &mut blocks {
        let mut w = [0u8; 64];
        w.copy_from_slice(block);
        marks.push(block_marks(&w));
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // Padding with spaces marks nothing past the end.
        let mut w = [b' '; 64];
        w[..rest.len()].copy_from_slice(rest);
        marks.push(block_marks(&w));
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn block_marks(block: &[u8; 64]) -> u64 {
    // SAFETY: the cfg above guarantees SSE2, the only target feature `block_marks_sse2` needs.
    unsafe { block_marks_sse2(block) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn block_marks(block: &[u8; 64]) -> u64 {
    block_marks_scalar(block)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
fn block_marks_sse2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let control = _mm_set1_epi8(0x1f);
    let mut marks = 0u64;
    for (j, part) in block.chunks_exact(16).enumerate() {
        // SAFETY: `part` is 16 readable bytes and `loadu` has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(part.as_ptr().cast()) };
        // max(v, 0x1f) == 0x1f exactly when v <= 0x1f (unsigned).
        let hits = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
            _mm_cmpeq_epi8(_mm_max_epu8(v, control), control),
        );
        marks |= u64::from(_mm_movemask_epi8(hits) as u16) << (16 * j);
    }
    marks
}

/// The portable [`block_marks`], also the reference the vector version is tested against.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn block_marks_scalar(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, b'"' | b'\\' | 0..=0x1f))
        .fold(0, |m, (i, _)| m | 1 << i)
}

/// The first index at or after `i` marked by [`mark_specials`].
#[inline(always)]
fn special(marks: &[u64], i: usize) -> Option<usize> {
    let mut w = i / 64;
    let mut bits = *marks.get(w)? & (u64::MAX << (i % 64));
    while bits == 0 {
        w += 1;
        bits = *marks.get(w)?;
    }
    Some(w * 64 + bits.trailing_zeros() as usize)
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
        scan_flat(line, &mut out, None, &mut Vec::new())?;
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
                    let mut marks = Vec::new();
                    mark_specials(&v, &mut marks);
                    assert_eq!(special(&marks, 0), Some(at), "len {len} at {at} byte {c}");
                    assert_eq!(special(&marks, at + 1), None, "len {len} at {at} byte {c}");
                }
            }
            let plain = vec![0xe9u8; len];
            let mut marks = Vec::new();
            mark_specials(&plain, &mut marks);
            assert_eq!(special(&marks, 0), None);
        }
        // Across block boundaries, and every byte value in every lane.
        let long: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
        let mut marks = Vec::new();
        mark_specials(&long, &mut marks);
        let mut at = 0;
        for (i, &c) in long.iter().enumerate() {
            if matches!(c, b'"' | b'\\' | 0..=0x1f) {
                assert_eq!(special(&marks, at), Some(i));
                at = i + 1;
            }
        }
        assert_eq!(special(&marks, at), None);
    }

    #[test]
    fn vector_marks_match_the_scalar_reference() {
        for seed in 0..64u32 {
            let block: [u8; 64] =
                std::array::from_fn(|i| ((i as u32 * 37 + seed * 101) % 256) as u8);
            assert_eq!(
                block_marks(&block),
                block_marks_scalar(&block),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn a_kept_set_leaves_other_pairs_out_but_still_validates_them() {
        let keep = FieldSet::new(["b", "c\"d"]);
        let mut out = Vec::new();
        let mut marks = Vec::new();
        let line = r#"{"a":"x\\y","b":"1","c\"d":2,"e":null}"#;
        assert!(scan_flat(line, &mut out, Some(&keep), &mut marks).is_some());
        let got: Vec<(String, String)> = out
            .iter()
            .map(|(k, v)| (k.text().into_owned(), v.text().into_owned()))
            .collect();
        assert_eq!(
            got,
            vec![("b".into(), "1".into()), ("c\"d".into(), "2".into())]
        );
        for bad in [
            r#"{"a":"x\q","b":"1"}"#,
            "{\"a\":\"\u{1}x\",\"b\":1}",
            "{\"a\":\"t\tb\",\"b\":1}",
        ] {
            assert!(
                scan_flat(bad, &mut out, Some(&keep), &mut marks).is_none(),
                "{bad}"
            );
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

//! JSON documents: a single object, an array of objects, or concatenated objects.
//!
//! The document is held in memory (JSON documents are the small format; large exports are NDJSON).
//! Each record's text is its `@rawstring`; reports name the line the record starts on.

use std::ops::ControlFlow;

use saker_event::Event;
use sonic_rs::JsonContainerTrait;

use crate::decode::{Flattener, kind_name, parse_json};
use crate::error::Malformed;
use crate::format::Profile;
use crate::profile;

/// Counters of one document.
#[derive(Default, Debug)]
pub(crate) struct DocCounts {
    pub(crate) events: u64,
    pub(crate) malformed: u64,
}

struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
    /// Line of `line_pos` (1-based); lines are counted lazily up to where a report needs them.
    line: u64,
    line_pos: usize,
}

impl<'a> Cursor<'a> {
    fn skip_ws(&mut self) {
        while self
            .text
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn line_at(&mut self, pos: usize) -> u64 {
        if pos >= self.line_pos {
            self.line += memchr::memchr_iter(b'\n', &self.text[self.line_pos..pos]).count() as u64;
            self.line_pos = pos;
        }
        self.line
    }
}

/// The end (exclusive) of the JSON value starting at `start`, found by bracket matching that
/// respects strings. Nesting depth does not matter here (no recursion); the parser bounds it.
fn value_end(text: &[u8], start: usize) -> Result<usize, &'static str> {
    let mut depth = 0usize;
    let mut i = start;
    let mut in_string = false;
    while i < text.len() {
        let b = text[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return Ok(i + 1);
                    }
                }
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        return Ok(i);
                    }
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i + 1);
                    }
                }
                b',' | b' ' | b'\t' | b'\r' | b'\n' if depth == 0 => return Ok(i),
                _ => {}
            }
        }
        i += 1;
    }
    if depth == 0 && !in_string {
        Ok(text.len())
    } else {
        Err("document ends inside a value (truncated JSON)")
    }
}

/// Reads every record of a JSON document. `profile` is detected from the first record when `None`.
pub(crate) fn read_document(
    bytes: &[u8],
    input: &str,
    profile: Option<Profile>,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
    malformed: &mut dyn FnMut(Malformed) -> ControlFlow<()>,
) -> DocCounts {
    let mut counts = DocCounts::default();
    let text = bytes
        .strip_prefix(b"\xef\xbb\xbf".as_slice())
        .unwrap_or(bytes);
    let mut cur = Cursor {
        text,
        pos: 0,
        line: 1,
        line_pos: 0,
    };
    let mut flattener = Flattener::new();
    let mut profile = profile;
    let mut report = |cur: &mut Cursor, at: usize, reason: String, counts: &mut DocCounts| {
        counts.malformed += 1;
        let line = cur.line_at(at);
        malformed(Malformed {
            input: input.to_owned(),
            location: format!("line {line}"),
            reason,
        })
    };
    cur.skip_ws();
    let in_array = cur.peek() == Some(b'[');
    if in_array {
        cur.pos += 1;
    }
    loop {
        cur.skip_ws();
        let Some(first) = cur.peek() else {
            if in_array {
                let at = cur.pos;
                let _ = report(
                    &mut cur,
                    at,
                    "document ends before the closing `]`".into(),
                    &mut counts,
                );
            }
            break;
        };
        if in_array && first == b']' {
            cur.pos += 1;
            cur.skip_ws();
            if cur.peek().is_some() {
                let at = cur.pos;
                let _ = report(
                    &mut cur,
                    at,
                    "unexpected text after the closing `]`".into(),
                    &mut counts,
                );
            }
            break;
        }
        let start = cur.pos;
        let end = match value_end(text, start) {
            Ok(end) if end > start => end,
            Ok(_) => {
                let flow = report(
                    &mut cur,
                    start,
                    format!("unexpected `{}`", char::from(first)),
                    &mut counts,
                );
                if flow.is_break() || !resync(&mut cur) {
                    break;
                }
                continue;
            }
            Err(reason) => {
                let _ = report(&mut cur, start, reason.into(), &mut counts);
                break;
            }
        };
        cur.pos = end;
        let decoded = std::str::from_utf8(&text[start..end])
            .map_err(|e| format!("invalid UTF-8 at byte {}", start + e.valid_up_to() + 1))
            .and_then(|raw| {
                let value = parse_json(raw)?;
                let Some(obj) = value.as_object() else {
                    return Err(format!(
                        "expected a JSON object, found {}",
                        kind_name(&value)
                    ));
                };
                let p = *profile.get_or_insert_with(|| profile::detect(obj));
                flattener.decode_record(raw, &value, Some(p))
            });
        match decoded {
            Ok(event) => {
                counts.events += 1;
                if emit(event).is_break() {
                    break;
                }
            }
            Err(reason) => {
                if report(&mut cur, start, reason, &mut counts).is_break() {
                    break;
                }
            }
        }
        if in_array {
            cur.skip_ws();
            match cur.peek() {
                Some(b',') => cur.pos += 1,
                Some(b']') | None => {}
                Some(c) => {
                    let at = cur.pos;
                    let flow = report(
                        &mut cur,
                        at,
                        format!("expected `,` or `]`, found `{}`", char::from(c)),
                        &mut counts,
                    );
                    if flow.is_break() {
                        break;
                    }
                    cur.pos += 1;
                }
            }
        }
    }
    flattener.release();
    counts
}

/// After a record that could not be delimited, continues at the next line starting with `{`.
fn resync(cur: &mut Cursor) -> bool {
    let mut pos = cur.pos + 1;
    while let Some(nl) = memchr::memchr(b'\n', &cur.text[pos.min(cur.text.len())..]) {
        pos += nl + 1;
        let rest = &cur.text[pos..];
        let ws = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        if rest.get(ws) == Some(&b'{') {
            cur.pos = pos + ws;
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(doc: &str) -> (Vec<Event>, Vec<String>) {
        let mut events = Vec::new();
        let mut bad = Vec::new();
        read_document(
            doc.as_bytes(),
            "f.json",
            Some(Profile::Generic),
            &mut |e| {
                events.push(e);
                ControlFlow::Continue(())
            },
            &mut |m| {
                bad.push(m.to_string());
                ControlFlow::Continue(())
            },
        );
        (events, bad)
    }

    #[test]
    fn single_object_array_and_concatenated() {
        let (e, bad) = read("{\n \"a\": 1\n}\n");
        assert_eq!((e.len(), bad.len()), (1, 0));
        assert_eq!(e[0].rawstring(), Some("{\n \"a\": 1\n}"));
        let (e, bad) = read("[{\"a\":1}, {\"a\":\"]\"} ]");
        assert_eq!((e.len(), bad.len()), (2, 0));
        assert_eq!(e[1].get_by_name("a"), Some("]"));
        let (e, bad) = read("{\"a\":1}{\"a\":2}\n{\"a\":3}");
        assert_eq!((e.len(), bad.len()), (3, 0));
    }

    #[test]
    fn bad_records_are_reported_with_their_line() {
        let (e, bad) = read("[{\"a\":1},\n 5,\n {\"a\":2}]");
        assert_eq!(e.len(), 2);
        assert_eq!(
            bad,
            vec!["f.json:2: expected a JSON object, found a number"]
        );
        let (e, bad) = read("{\"a\":1}\n{\"a\": nope}\n{\"a\":3}");
        assert_eq!(e.len(), 2);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("f.json:2: invalid JSON"), "{bad:?}");
        let (e, bad) = read("[{\"a\":1}, {\"a\":");
        assert_eq!(e.len(), 1);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].contains("truncated"), "{bad:?}");
    }
}

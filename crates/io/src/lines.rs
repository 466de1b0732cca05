//! Line-oriented inputs (NDJSON, plain text): newline-aligned chunks and their decoding.

use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use saker_event::{Event, Sym, Text};
use sonic_rs::JsonContainerTrait;

use crate::decode::Flattener;
use crate::error::Malformed;
use crate::format::Profile;
use crate::{Finder, Prefilter, profile};

/// Complete lines read from an input, with where they start.
pub(crate) struct Chunk {
    data: ChunkData,
    pub(crate) start: ChunkStart,
}

/// Where a chunk starts in its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkStart {
    /// The number of its first line (1-based).
    Line(u64),
    /// Its byte offset, for chunks of a memory-mapped file, whose lines are not counted ahead of
    /// time: a malformed record in it is reported at `byte N` (of the line's start), which the
    /// reader turns into a line number in input order.
    Byte(u64),
}

enum ChunkData {
    /// Read into a buffer that goes back to `pool` (if any) once the chunk is decoded.
    Read {
        buf: Vec<u8>,
        pool: Option<Arc<BufferPool>>,
    },
    /// The first `len` bytes of a memory map of the file (unmapped when the chunk is dropped).
    Mapped { map: memmap2::Mmap, len: usize },
}

impl Chunk {
    #[cfg(test)]
    pub(crate) fn new(data: Vec<u8>, first_line: u64) -> Chunk {
        Chunk {
            data: ChunkData::Read {
                buf: data,
                pool: None,
            },
            start: ChunkStart::Line(first_line),
        }
    }

    pub(crate) fn mapped(map: memmap2::Mmap, len: usize, offset: u64) -> Chunk {
        Chunk {
            data: ChunkData::Mapped { map, len },
            start: ChunkStart::Byte(offset),
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match &self.data {
            ChunkData::Read { buf, .. } => buf,
            ChunkData::Mapped { map, len } => &map[..*len],
        }
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if let ChunkData::Read {
            buf,
            pool: Some(pool),
        } = &mut self.data
        {
            pool.put(std::mem::take(buf));
        }
    }
}

/// Chunk buffers handed back once decoded, so that reading fills memory that is already
/// initialised: zero-filling a fresh buffer for every chunk (as `read` needs) cost a tenth of
/// a groupBy's time.
#[derive(Default)]
pub(crate) struct BufferPool(Mutex<Vec<Vec<u8>>>);

/// Buffers kept for reuse; more are in flight only briefly.
const POOL_MAX: usize = 16;

impl BufferPool {
    fn get(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    fn put(&self, buf: Vec<u8>) {
        if let Ok(mut p) = self.0.lock()
            && p.len() < POOL_MAX
        {
            p.push(buf);
        }
    }
}

/// A read error in the middle of a stream (e.g. a truncated gzip member).
pub(crate) struct StreamError {
    /// The complete lines read before the error.
    pub(crate) lines_before: Option<Chunk>,
    /// The line the error interrupted.
    pub(crate) line: u64,
    pub(crate) error: io::Error,
}

/// Splits a byte stream into chunks of about `target` bytes that end on a newline. A line longer
/// than `target` makes its chunk as long as the line.
pub(crate) struct LineChunker<R> {
    reader: R,
    carry: Vec<u8>,
    next_line: u64,
    target: usize,
    eof: bool,
    pool: Arc<BufferPool>,
}

const READ_SIZE: usize = 256 * 1024;

impl<R: Read> LineChunker<R> {
    pub(crate) fn new(reader: R, target: usize) -> Self {
        LineChunker {
            reader,
            carry: Vec::new(),
            next_line: 1,
            target: target.max(1),
            eof: false,
            pool: Arc::default(),
        }
    }

    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>, StreamError> {
        if self.eof {
            return Ok(None);
        }
        // `buf[..filled]` holds the stream's bytes; the rest is initialised scratch to read into.
        let mut buf = self.pool.get();
        let want = self.carry.len() + self.target + READ_SIZE;
        if buf.capacity() < want {
            // A fresh buffer rather than a grown one (nothing in it is kept), with room for the
            // next chunks' carried partial lines, which vary in length.
            buf = Vec::with_capacity(want + READ_SIZE);
        }
        if buf.len() < want {
            buf.resize(want, 0);
        }
        buf[..self.carry.len()].copy_from_slice(&self.carry);
        let mut filled = self.carry.len();
        // Bytes before this offset are known to hold no newline worth splitting at.
        let mut scanned = 0;
        loop {
            if filled >= self.target
                && let Some(pos) = memchr::memrchr(b'\n', &buf[scanned..filled])
            {
                let split = scanned + pos + 1;
                self.carry.clear();
                self.carry.extend_from_slice(&buf[split..filled]);
                buf.truncate(split);
                return Ok(Some(self.take(buf)));
            }
            if filled >= self.target {
                scanned = filled;
            }
            if buf.len() < filled + READ_SIZE {
                buf.resize(filled + READ_SIZE, 0);
            }
            match self.reader.read(&mut buf[filled..filled + READ_SIZE]) {
                Ok(0) => {
                    buf.truncate(filled);
                    self.eof = true;
                    return Ok((!buf.is_empty()).then(|| self.take(buf)));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    buf.truncate(filled);
                    self.eof = true;
                    let complete = memchr::memrchr(b'\n', &buf).map(|p| p + 1).unwrap_or(0);
                    buf.truncate(complete);
                    let lines_before = (!buf.is_empty()).then(|| self.take(buf));
                    return Err(StreamError {
                        lines_before,
                        line: self.next_line,
                        error,
                    });
                }
            }
        }
    }

    fn take(&mut self, data: Vec<u8>) -> Chunk {
        let first_line = self.next_line;
        let mut lines = memchr::memchr_iter(b'\n', &data).count() as u64;
        if data.last() != Some(&b'\n') {
            lines += 1;
        }
        self.next_line += lines;
        Chunk {
            data: ChunkData::Read {
                buf: data,
                pool: Some(self.pool.clone()),
            },
            start: ChunkStart::Line(first_line),
        }
    }
}

/// How to decode the lines of a chunk.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LineKind {
    Ndjson,
    Text,
}

/// What decoding a chunk produced besides events.
#[derive(Default, Debug)]
pub(crate) struct LineCounts {
    pub(crate) events: u64,
    pub(crate) malformed: u64,
    pub(crate) prefiltered: u64,
}

/// Where a line is, for reports.
enum Location {
    Line(u64),
    Byte(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Byte(n) => write!(f, "byte {n}"),
        }
    }
}

/// Decodes every line of `chunk`. Blank lines are not records. Stops early when `emit` breaks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_chunk(
    chunk: &Chunk,
    kind: LineKind,
    profile: Option<Profile>,
    prefilter: Option<&Prefilter>,
    finder: Option<&Finder>,
    input: &str,
    flattener: &mut Flattener,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
    malformed: &mut dyn FnMut(Malformed) -> ControlFlow<()>,
) -> (LineCounts, ControlFlow<()>) {
    let mut counts = LineCounts::default();
    // Line numbers are kept only when the chunk's first line is known.
    let mut line_no = match chunk.start {
        ChunkStart::Line(n) => Some(n),
        ChunkStart::Byte(_) => None,
    };
    let byte_base = match chunk.start {
        ChunkStart::Byte(offset) => offset,
        ChunkStart::Line(_) => 0,
    };
    let mut start = 0;
    let data = chunk.bytes();
    while start < data.len() {
        if let Some(find) = finder {
            // Jump to the line of the next candidate; the lines passed over cannot match.
            let line_start = match find(&data[start..]) {
                Some(p) => memchr::memrchr(b'\n', &data[start..start + p])
                    .map(|q| start + q + 1)
                    .unwrap_or(start),
                None => data.len(),
            };
            if let Some(n) = &mut line_no {
                *n += memchr::memchr_iter(b'\n', &data[start..line_start]).count() as u64;
            }
            start = line_start;
            if start >= data.len() {
                break;
            }
        }
        let end = memchr::memchr(b'\n', &data[start..])
            .map(|p| start + p)
            .unwrap_or(data.len());
        let mut line = &data[start..end];
        let location = match line_no {
            Some(n) => Location::Line(n),
            None => Location::Byte(byte_base + start as u64),
        };
        start = end + 1;
        if let Some(n) = &mut line_no {
            *n += 1;
        }
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if let Some(p) = prefilter
            && !p(line)
        {
            counts.prefiltered += 1;
            continue;
        }
        let decoded = match kind {
            LineKind::Ndjson => decode_json_line(line, profile, flattener),
            LineKind::Text => Ok(text_event(line)),
        };
        match decoded {
            Ok(event) => {
                counts.events += 1;
                if emit(event).is_break() {
                    return (counts, ControlFlow::Break(()));
                }
            }
            Err(reason) => {
                counts.malformed += 1;
                let flow = malformed(Malformed {
                    input: input.to_owned(),
                    location: location.to_string(),
                    reason,
                });
                if flow.is_break() {
                    return (counts, ControlFlow::Break(()));
                }
            }
        }
    }
    (counts, ControlFlow::Continue(()))
}

fn decode_json_line(
    line: &[u8],
    profile: Option<Profile>,
    flattener: &mut Flattener,
) -> Result<Event, String> {
    // The vector check first (most lines are valid); std's error locates the bad byte.
    let text = match simdutf8::basic::from_utf8(line) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(line)
            .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1))?,
    };
    flattener.decode_text(text, profile)
}

/// A plain-text line: `@rawstring` only.
pub(crate) fn text_event(line: &[u8]) -> Event {
    let mut e = Event::with_capacity(1);
    e.push_unchecked(Sym::rawstring(), Text::from(String::from_utf8_lossy(line)));
    e
}

/// The profile of an NDJSON file, from its first line that decodes as a JSON object.
pub(crate) fn detect_profile(chunk: &Chunk) -> Option<Profile> {
    chunk
        .bytes()
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
        .take(16)
        .find_map(|l| {
            let text = std::str::from_utf8(l).ok()?;
            let value = crate::decode::parse_json(text.trim_end()).ok()?;
            value.as_object().map(profile::detect)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(data: &[u8], target: usize) -> Vec<(String, u64)> {
        let mut c = LineChunker::new(data, target);
        let mut out = Vec::new();
        while let Ok(Some(ch)) = c.next_chunk() {
            out.push((
                String::from_utf8_lossy(ch.bytes()).into_owned(),
                match ch.start {
                    ChunkStart::Line(n) => n,
                    ChunkStart::Byte(_) => 0,
                },
            ));
        }
        out
    }

    fn check_chunking(data: &str, target: usize) {
        let got = chunks(data.as_bytes(), target);
        let joined: String = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(joined, data);
        let mut line = 1;
        for (i, (text, first)) in got.iter().enumerate() {
            assert_eq!(*first, line);
            line += text.matches('\n').count() as u64;
            if i + 1 < got.len() {
                assert!(text.ends_with('\n'));
            }
        }
    }

    #[test]
    fn chunks_end_on_newlines_and_number_lines() {
        let lines: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
        check_chunking(&lines, 100_000);
        check_chunking("aa\nbb\ncc\ndd", 4);
        assert_eq!(chunks(b"aa\nbb", 1 << 20), vec![("aa\nbb".to_owned(), 1)]);
    }

    #[test]
    fn a_line_longer_than_the_target_is_kept_whole() {
        let long = "x".repeat(1_000_000);
        let data = format!("a\n{long}\nb\n");
        check_chunking(&data, 10);
        let got = chunks(data.as_bytes(), 10);
        assert!(
            got.iter()
                .any(|(s, first)| *first == 2 && s.starts_with(&format!("{long}\n")))
        );
    }

    #[test]
    fn a_finder_skips_runs_of_lines_and_keeps_line_numbers() {
        let data = b"{\"a\":\"x1\"}\n{\"a\":\"y\"}\n\n{x\n{\"a\":\"y\"}\n{\"a\":\"x2\"}".to_vec();
        let has_x = |l: &[u8]| memchr::memchr(b'x', l).is_some();
        let prefilter: Prefilter = std::sync::Arc::new(has_x);
        let finder: Finder = std::sync::Arc::new(|hay: &[u8]| memchr::memchr(b'x', hay));
        let chunk = Chunk::new(data, 10);
        for use_finder in [false, true] {
            let mut events = Vec::new();
            let mut bad = Vec::new();
            let mut f = Flattener::new();
            let (counts, _) = decode_chunk(
                &chunk,
                LineKind::Ndjson,
                Some(Profile::Generic),
                Some(&prefilter),
                use_finder.then_some(&finder),
                "in",
                &mut f,
                &mut |e| {
                    events.push(e.get_by_name("a").map(str::to_owned));
                    ControlFlow::Continue(())
                },
                &mut |m| {
                    bad.push(m.location);
                    ControlFlow::Continue(())
                },
            );
            f.release();
            assert_eq!(events, vec![Some("x1".into()), Some("x2".into())]);
            assert_eq!(bad, vec!["line 13".to_owned()]);
            assert_eq!((counts.events, counts.malformed), (2, 1));
            // Lines the finder passes over are not counted one by one.
            assert_eq!(counts.prefiltered, if use_finder { 0 } else { 2 });
        }
    }

    struct FailAfter<'a>(&'a [u8]);
    impl Read for FailAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_stream_error_keeps_complete_lines_and_names_the_line() {
        let mut c = LineChunker::new(FailAfter(b"one\ntwo\nthr"), 1 << 20);
        match c.next_chunk() {
            Err(e) => {
                assert_eq!(e.line, 3);
                assert_eq!(
                    e.lines_before.map(|c| c.bytes().to_vec()),
                    Some(b"one\ntwo\n".to_vec())
                );
            }
            Ok(_) => panic!("expected a stream error"),
        }
        assert!(matches!(c.next_chunk(), Ok(None)));
    }
}

//! Newline-aligned chunks of a regular file read through memory maps.
//!
//! Reading a file with `read` makes the kernel copy every byte out of the page cache, which was
//! half the CPU time of a selective query over a cached file. Mapping each chunk instead lets the
//! decoder read the page cache directly. Each chunk is its own mapping, unmapped when the chunk is
//! dropped, so resident memory stays bounded by the chunks in flight (as with buffers).

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::IoError;
use crate::input::{Compression, Input, Opened, read_error};
#[cfg(test)]
use crate::lines::ChunkStart;
use crate::lines::{Chunk, LineChunker, StreamError};

/// Files smaller than this are read with `read`: mapping pays off only over many chunks.
pub(crate) const MAP_MIN_BYTES: u64 = 16 << 20;

/// Where the chunks of a line-oriented input come from.
pub(crate) enum Chunker {
    Stream(LineChunker<Box<dyn std::io::BufRead + Send>>),
    Mapped(MappedChunker),
}

impl Chunker {
    /// Chunks of `opened`: memory-mapped, of `mapped_size(file length)` bytes, when it is a regular
    /// uncompressed file of [`MAP_MIN_BYTES`] or more; otherwise read in chunks of `stream_size`.
    /// Returns the counter of stored bytes read.
    pub(crate) fn new(
        input: &Input,
        opened: Opened,
        stream_size: usize,
        mapped_size: impl Fn(u64) -> usize,
        progress: &Option<Arc<AtomicU64>>,
    ) -> Result<(Chunker, Arc<AtomicU64>), IoError> {
        let path = input
            .file_path()
            .filter(|_| opened.compression == Compression::None);
        if let Some(path) = path {
            let file = File::open(path).map_err(|e| IoError::unreadable(path, e))?;
            let meta = file.metadata().map_err(|e| read_error(input, e))?;
            if meta.is_file() && meta.len() >= MAP_MIN_BYTES {
                // The mapped chunks count the whole file; undo what sniffing the format read.
                if let Some(p) = progress {
                    p.fetch_sub(
                        opened.stored_bytes.load(Ordering::Relaxed),
                        Ordering::Relaxed,
                    );
                }
                let stored = Arc::default();
                let chunker = MappedChunker::new(
                    file,
                    meta.len(),
                    mapped_size(meta.len()),
                    Arc::clone(&stored),
                    progress.clone(),
                );
                return Ok((Chunker::Mapped(chunker), stored));
            }
        }
        let chunker = LineChunker::new(opened.reader, stream_size);
        Ok((Chunker::Stream(chunker), opened.stored_bytes))
    }

    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>, StreamError> {
        match self {
            Chunker::Stream(c) => c.next_chunk(),
            Chunker::Mapped(c) => c.next_chunk(),
        }
    }
}

/// Cuts a regular file into chunks of about `target` bytes ending on a newline; a line longer than
/// `target` makes its chunk as long as the line.
pub(crate) struct MappedChunker {
    file: File,
    size: u64,
    offset: u64,
    target: u64,
    stored_bytes: Arc<AtomicU64>,
    progress: Option<Arc<AtomicU64>>,
}

impl MappedChunker {
    pub(crate) fn new(
        file: File,
        size: u64,
        target: usize,
        stored_bytes: Arc<AtomicU64>,
        progress: Option<Arc<AtomicU64>>,
    ) -> Self {
        MappedChunker {
            file,
            size,
            offset: 0,
            target: (target as u64).max(1),
            stored_bytes,
            progress,
        }
    }

    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>, StreamError> {
        if self.offset >= self.size {
            return Ok(None);
        }
        let mut want = self.target;
        loop {
            let len = want.min(self.size - self.offset);
            let map = self.map(len).map_err(|error| StreamError {
                lines_before: None,
                // Unused: a read error of an uncompressed input stops the read.
                line: 0,
                error,
            })?;
            let at_end = self.offset + len == self.size;
            let split = if at_end {
                Some(map.len())
            } else {
                // Only the tail is searched: the page(s) holding the last newline.
                memchr::memrchr(b'\n', &map).map(|p| p + 1)
            };
            if let Some(split) = split {
                return Ok(Some(self.take(map, split)));
            }
            want = want.saturating_mul(2);
        }
    }

    fn map(&self, len: u64) -> io::Result<memmap2::Mmap> {
        let len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "chunk too large to map"))?;
        // SAFETY: the map is read-only and private. Like every reader of a mapped file, a file
        // truncated by another process while it is being read can fault; inputs are exported
        // logs that are not written to while saker reads them.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(self.offset)
                .len(len)
                .map(&self.file)?
        };
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(map)
    }

    fn take(&mut self, map: memmap2::Mmap, len: usize) -> Chunk {
        let offset = self.offset;
        self.offset += len as u64;
        self.stored_bytes.fetch_add(len as u64, Ordering::Relaxed);
        if let Some(p) = &self.progress {
            p.fetch_add(len as u64, Ordering::Relaxed);
        }
        Chunk::mapped(map, len, offset)
    }
}

/// Turns byte offsets of a file into line numbers, for offsets given in increasing order (the
/// reports of one input arrive in input order), counting each byte once.
pub(crate) struct LineResolver {
    file: File,
    offset: u64,
    line: u64,
}

impl LineResolver {
    pub(crate) fn new(file: File) -> Self {
        LineResolver {
            file,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based number of the line holding byte `offset`.
    pub(crate) fn line_at(&mut self, offset: u64) -> io::Result<u64> {
        use std::io::{Read, Seek, SeekFrom};
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        self.file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = vec![0; 1 << 20];
        while self.offset < offset {
            let want =
                usize::try_from(offset - self.offset).map_or(buf.len(), |n| n.min(buf.len()));
            let n = self.file.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            self.line += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
            self.offset += n as u64;
        }
        Ok(self.line)
    }
}

/// Rewrites a `byte N` location of a mapped chunk's report into `line M`; leaves it (still a
/// precise location) when the file cannot be read again.
pub(crate) fn resolve_location(location: &mut String, resolver: &mut LineResolver) {
    let Some(offset) = location
        .strip_prefix("byte ")
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return;
    };
    if let Ok(line) = resolver.line_at(offset) {
        *location = format!("line {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn chunks(data: &[u8], target: usize) -> Vec<(Vec<u8>, u64)> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(data).expect("write");
        let f = File::open(file.path()).expect("open");
        let mut c = MappedChunker::new(f, data.len() as u64, target, Arc::default(), None);
        let mut resolver = LineResolver::new(File::open(file.path()).expect("open"));
        let mut out = Vec::new();
        while let Ok(Some(ch)) = c.next_chunk() {
            let ChunkStart::Byte(offset) = ch.start else {
                panic!("mapped chunks start at a byte offset");
            };
            let line = resolver.line_at(offset).expect("count lines");
            out.push((ch.bytes().to_vec(), line));
        }
        out
    }

    #[test]
    fn chunks_cover_the_file_end_on_newlines_and_number_lines() {
        let lines: Vec<u8> = (0..50_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        for target in [1, 7, 4096, 100_000, 1 << 20] {
            let got = chunks(&lines, target);
            let joined: Vec<u8> = got.iter().flat_map(|(c, _)| c.clone()).collect();
            assert_eq!(joined, lines, "target {target}");
            let mut line = 1;
            for (c, first) in &got {
                assert_eq!(*first, line);
                assert_eq!(c.last(), Some(&b'\n'));
                line += memchr::memchr_iter(b'\n', c).count() as u64;
            }
        }
    }

    #[test]
    fn a_long_line_and_a_missing_final_newline_are_kept_whole() {
        let long = vec![b'x'; 300_000];
        let mut data = b"a\n".to_vec();
        data.extend_from_slice(&long);
        data.extend_from_slice(b"\nlast");
        let got = chunks(&data, 10_000);
        let joined: Vec<u8> = got.iter().flat_map(|(c, _)| c.clone()).collect();
        assert_eq!(joined, data);
        let second = got
            .iter()
            .find(|(_, first)| *first == 2)
            .expect("a chunk at line 2");
        assert!(second.0.len() >= 300_001 && second.0[300_000] == b'\n');
        assert!(
            got.last()
                .is_some_and(|(c, _)| c.ends_with(b"\nlast") || c == b"last")
        );
    }
}

#[cfg(test)]
mod resolver_tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn byte_locations_become_line_numbers_in_any_order() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"a\nbb\n\nccc\n").expect("write");
        let mut r = LineResolver::new(File::open(file.path()).expect("open"));
        let mut at = |offset| {
            let mut loc = format!("byte {offset}");
            resolve_location(&mut loc, &mut r);
            loc
        };
        assert_eq!(at(0), "line 1");
        assert_eq!(at(2), "line 2");
        assert_eq!(at(6), "line 4");
        assert_eq!(at(5), "line 3");
        let mut other = "record 7".to_owned();
        resolve_location(
            &mut other,
            &mut LineResolver::new(File::open(file.path()).expect("open")),
        );
        assert_eq!(other, "record 7");
    }
}

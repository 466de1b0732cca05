//! Inputs (files or stdin), folder expansion, decompression and format sniffing.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::IoError;
use crate::format::InputFormat;

/// One input: a file path or stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    source: Source,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Path(PathBuf),
    Stdin,
}

impl Input {
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Input {
            name: path.display().to_string(),
            source: Source::Path(path),
        }
    }

    pub fn stdin() -> Self {
        Input {
            source: Source::Stdin,
            name: "-".to_owned(),
        }
    }

    /// The name used in reports: the path as given, or `-` for stdin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file path; `None` for stdin.
    pub fn file_path(&self) -> Option<&Path> {
        match &self.source {
            Source::Path(p) => Some(p),
            Source::Stdin => None,
        }
    }

    pub fn is_stdin(&self) -> bool {
        self.source == Source::Stdin
    }

    /// The stored size in bytes (for progress), when known.
    pub fn size(&self) -> Option<u64> {
        self.file_path()
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
    }

    /// The format the file name implies (`None` for stdin or an unknown extension).
    pub fn format_from_name(&self) -> Option<InputFormat> {
        self.file_path()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(InputFormat::from_file_name)
    }

    /// Opens the raw (possibly compressed) byte stream.
    pub(crate) fn open_raw(&self) -> Result<Box<dyn Read + Send>, IoError> {
        match &self.source {
            Source::Path(p) => File::open(p)
                .map(|f| Box::new(f) as Box<dyn Read + Send>)
                .map_err(|e| IoError::unreadable(p, e)),
            Source::Stdin => Ok(Box::new(io::stdin())),
        }
    }
}

/// Expands command-line inputs: files as given (any extension), folders recursively (files with a
/// supported extension only, sorted by path), and `-` for stdin. A missing or unreadable path is
/// an error naming it.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, IoError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input::stdin());
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| IoError::unreadable(p, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files)?;
            files.sort();
            out.extend(files.into_iter().map(Input::path));
        } else {
            out.push(Input::path(p.clone()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IoError> {
    let entries = std::fs::read_dir(dir).map_err(|e| IoError::unreadable(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| IoError::unreadable(dir, e))?;
        let path = entry.path();
        let ty = entry
            .file_type()
            .map_err(|e| IoError::unreadable(&path, e))?;
        let is_dir = if ty.is_symlink() {
            path.is_dir()
        } else {
            ty.is_dir()
        };
        if is_dir {
            walk(&path, out)?;
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(InputFormat::is_supported_file_name)
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Compression detected from the first bytes of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub(crate) fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Counts bytes read from the stored stream (progress and [`crate::ReadStats::bytes`]).
pub(crate) struct Counting<R> {
    inner: R,
    pub(crate) count: Arc<AtomicU64>,
    progress: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(p) = &self.progress {
            p.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// An opened input: decompressed, buffered, with its stored-bytes counter.
pub(crate) struct Opened {
    pub(crate) reader: Box<dyn BufRead + Send>,
    pub(crate) stored_bytes: Arc<AtomicU64>,
    pub(crate) compression: Compression,
}

/// Opens `input`, transparently decompressing gzip (multi-member) and zstd by magic bytes.
pub(crate) fn open(input: &Input, progress: Option<Arc<AtomicU64>>) -> Result<Opened, IoError> {
    let raw = input.open_raw()?;
    let count = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: raw,
        count: Arc::clone(&count),
        progress,
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, counting);
    let head = buffered.fill_buf().map_err(|e| read_error(input, e))?;
    let compression = Compression::sniff(head);
    let reader: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        Compression::Zstd => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(buffered).map_err(|e| {
                IoError::Unsupported {
                    input: input.name().to_owned(),
                    reason: format!("invalid zstd stream: {e}"),
                }
            })?;
            Box::new(BufReader::with_capacity(256 * 1024, decoder))
        }
    };
    Ok(Opened {
        reader,
        stored_bytes: count,
        compression,
    })
}

pub(crate) fn read_error(input: &Input, source: io::Error) -> IoError {
    match input.file_path() {
        Some(p) if source.kind() != io::ErrorKind::UnexpectedEof => IoError::Read {
            input: p.display().to_string(),
            source,
        },
        _ => IoError::Read {
            input: input.name().to_owned(),
            source,
        },
    }
}

/// Guesses the format from the first decompressed bytes.
pub(crate) fn sniff_format(head: &[u8]) -> InputFormat {
    if head.starts_with(b"ElfFile\0") {
        return InputFormat::Evtx;
    }
    let trimmed = trim_start(head);
    match trimmed.first() {
        Some(b'[') => InputFormat::Json,
        Some(b'{') => {
            if first_line_is_object(trimmed) {
                InputFormat::Ndjson
            } else {
                InputFormat::Json
            }
        }
        _ => InputFormat::Text,
    }
}

/// True when the first line of `text` is one complete JSON object (NDJSON, not a pretty document).
pub(crate) fn first_line_is_object(text: &[u8]) -> bool {
    let trimmed = trim_start(text);
    let line = match memchr::memchr(b'\n', trimmed) {
        Some(i) => &trimmed[..i],
        None => trimmed,
    };
    let line = std::str::from_utf8(line).unwrap_or("");
    line.trim_end().ends_with('}') && sonic_rs::from_str::<sonic_rs::Value>(line.trim_end()).is_ok()
}

fn trim_start(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let b = &b[start..];
    b.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff_format(b"{\"a\":1}\n{\"a\":2}\n"), InputFormat::Ndjson);
        assert_eq!(sniff_format(b"{\n  \"a\": 1\n}\n"), InputFormat::Json);
        assert_eq!(sniff_format(b" [ {\"a\":1} ]"), InputFormat::Json);
        assert_eq!(sniff_format(b"ElfFile\0rest"), InputFormat::Evtx);
        assert_eq!(sniff_format(b"hello world\n"), InputFormat::Text);
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
    }

    #[test]
    fn missing_paths_are_errors_naming_the_path() {
        let err = expand_inputs(&[PathBuf::from("/definitely/not/here.ndjson")]);
        match err {
            Err(e) => assert!(e.to_string().contains("/definitely/not/here.ndjson")),
            Ok(_) => panic!("expected an error"),
        }
    }
}

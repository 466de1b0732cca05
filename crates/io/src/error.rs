use std::fmt;
use std::path::PathBuf;

/// A record that could not be decoded; reported, counted and skipped (fatal under `--strict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The input's name (a path, or `-` for stdin).
    pub input: String,
    /// Where in the input: `line 12`, `record 7`, `chunk 3`, `byte 4096`.
    pub location: String,
    /// What is wrong, in a few words.
    pub reason: String,
}

impl fmt::Display for Malformed {
    /// `FILE:LINE: reason` for line locations, `FILE: record 7: reason` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location.strip_prefix("line ") {
            Some(n) => write!(f, "{}:{}: {}", self.input, n, self.reason),
            None => write!(f, "{}: {}: {}", self.input, self.location, self.reason),
        }
    }
}

/// A failure that stops reading.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A path that does not exist or cannot be opened/listed.
    #[error("cannot read {}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An I/O error while reading an input that had been opened.
    #[error("error reading {input}")]
    Read {
        input: String,
        #[source]
        source: std::io::Error,
    },
    /// A malformed record under `--strict`.
    #[error("malformed record (strict mode): {0}")]
    Strict(Malformed),
    /// A file whose format cannot be read as requested (e.g. an unsupported forced format).
    #[error("{input}: {reason}")]
    Unsupported { input: String, reason: String },
}

impl IoError {
    pub(crate) fn unreadable(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError::Unreadable {
            path: path.into(),
            source,
        }
    }
}

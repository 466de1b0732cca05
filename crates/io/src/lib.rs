//! Telemetry readers, normalisation profiles and writers.
//!
//! Inputs ([`Input`]: files, folders expanded by [`expand_inputs`], or stdin) are decoded into flat
//! [`saker_event::Event`]s the way LogScale would see them:
//!
//! * nested JSON objects flatten to dotted names (`a.b.c`), arrays to `a[0]`, `a[1].b`, `a[0][1]`;
//! * scalars become text: strings unescaped, numbers exactly as written (`7.0` stays `7.0`),
//!   booleans `true`/`false`, JSON `null` the text `null` (what `parseJson()` does by default);
//!   empty objects and arrays produce no field;
//! * `@rawstring` is the original record text (the NDJSON line, the EVTX record's JSON rendering);
//! * `@timestamp` is milliseconds since the Unix epoch, as text, derived by the [`Profile`].
//!
//! Formats ([`InputFormat`]) are chosen by extension and by sniffing content; gzip and zstd are
//! detected by magic bytes whatever the extension. Bad records never stop a run and are never dropped
//! silently: each one is handed to the caller as a [`Malformed`] report and counted in
//! [`ReadStats::malformed`]; with [`ReadOptions::strict`] the first one is an [`IoError::Strict`].
//!
//! Two ways to read: [`read_input`] streams one input on the calling thread;
//! [`par_map_batches`] decodes many inputs (and chunks of large NDJSON files) on all cores and hands
//! results back strictly in input order.

mod decode;
mod error;
mod evtx;
mod fields;
mod flat;
mod format;
mod input;
mod json;
mod lines;
mod mapped;
mod parallel;
mod profile;
mod reader;
mod symcache;
mod tabular;
mod time;
pub mod write;

pub use error::{IoError, Malformed};
pub use fields::FieldSet;
pub use format::{InputFormat, Profile};
pub use input::{Input, expand_inputs};
pub use parallel::{par_fold_units_until, par_map_batches, par_map_batches_until};
pub use reader::read_input;
pub use time::parse_timestamp_ms;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A predicate on the raw bytes of one record; see [`ReadOptions::prefilter`].
pub type Prefilter = Arc<dyn Fn(&[u8]) -> bool + Send + Sync>;

/// A search over many raw records at once; see [`ReadOptions::finder`].
pub type Finder = Arc<dyn Fn(&[u8]) -> Option<usize> + Send + Sync>;

/// How to read inputs. `Default` = detect format and profile per file, lenient.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Force an input format (`--input-format`); `None` detects it per file.
    pub format: Option<InputFormat>,
    /// Force a normalisation profile (`--profile`); `None` detects it per file.
    pub profile: Option<Profile>,
    /// Make the first malformed record fatal ([`IoError::Strict`]).
    pub strict: bool,
    /// Called with the raw bytes of one record (an NDJSON/text line) before decoding; `false` skips it
    /// undecoded (not malformed; counted in [`ReadStats::prefiltered`]). Readers of other formats
    /// ignore it.
    pub prefilter: Option<Prefilter>,
    /// With [`ReadOptions::prefilter`]: finds, in a run of raw NDJSON/text lines, the offset of the
    /// first byte that any line passing the prefilter must contain a match at (the first match of
    /// a needle every passing line contains). Lines before the line of that offset are skipped
    /// undecoded in one search instead of one prefilter call per line; `None` skips them all.
    pub finder: Option<Finder>,
    /// Incremented with the stored bytes read so far (for a progress bar); optional.
    pub progress: Option<Arc<AtomicU64>>,
    /// Produce only these fields (`None`: all). Records are still read and validated in full;
    /// `@rawstring` and `@timestamp` are produced only when named. For consumers that provably read
    /// nothing else (a query's projection), never for output of whole events.
    pub fields: Option<Arc<FieldSet>>,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("format", &self.format)
            .field("profile", &self.profile)
            .field("strict", &self.strict)
            .field("prefilter", &self.prefilter.is_some())
            .field("fields", &self.fields)
            .finish()
    }
}

/// Counters of one read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadStats {
    /// Events produced.
    pub events: u64,
    /// Inputs read (files, or stdin).
    pub files: u64,
    /// Malformed records reported and skipped.
    pub malformed: u64,
    /// Records [`ReadOptions::prefilter`] rejected without decoding (runs of lines that
    /// [`ReadOptions::finder`] passes over in one search are not counted).
    pub prefiltered: u64,
    /// Bytes read from the inputs as stored (compressed size for gzip/zstd).
    pub bytes: u64,
}

impl ReadStats {
    /// Adds `other`'s counters to `self`.
    pub fn merge(&mut self, other: &ReadStats) {
        self.events += other.events;
        self.files += other.files;
        self.malformed += other.malformed;
        self.prefiltered += other.prefiltered;
        self.bytes += other.bytes;
    }
}

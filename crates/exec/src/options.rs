//! What a run needs from outside the query: parameters, lookup files, the clock and the interval.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use saker_plan::Plan;

/// Resolves a saved query `$name(…)` to its plan, given the parameters in effect (the run's, then
/// the call's named arguments).
pub type SavedResolver =
    dyn Fn(&str, &BTreeMap<String, String>) -> Result<Plan, String> + Send + Sync;

/// Where saved queries come from (see [`Options::saved`]).
#[derive(Clone)]
pub struct SavedQueries(pub Arc<SavedResolver>);

impl std::fmt::Debug for SavedQueries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SavedQueries(..)")
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Values of `?name` parameters the front-end left unsubstituted.
    pub params: BTreeMap<String, String>,
    /// Where `match()`/`readFile()` find lookup files.
    pub files_dir: PathBuf,
    /// Lookup tables given inline (name → rows), consulted before `files_dir`.
    pub tables: BTreeMap<String, Vec<Vec<(String, String)>>>,
    /// "Now" in ms since the epoch (`now()`).
    pub now_ms: i64,
    /// The search interval (`start()`, `end()`, `bucket`/`timeChart` spans).
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// A MaxMind City database for `ipLocation()`; without one `ipLocation()` does not compile.
    pub geoip: Option<PathBuf>,
    /// A MaxMind ASN database for `asn()`; without one `asn()` does not compile.
    pub asn: Option<PathBuf>,
    /// An IOC table (CSV or JSON) for `ioc:lookup()`; without one `ioc:lookup()` does not compile.
    pub iocs: Option<PathBuf>,
    /// Saved queries for `$name(…)`; without them a saved query does not compile.
    pub saved: Option<SavedQueries>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            params: BTreeMap::new(),
            files_dir: PathBuf::from("."),
            tables: BTreeMap::new(),
            now_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            start_ms: None,
            end_ms: None,
            geoip: None,
            iocs: None,
            asn: None,
            saved: None,
        }
    }
}

//! `ioc:lookup(field, type, confidenceThreshold=high, strict=false, prefix=ioc, include)`:
//! indicators of compromise from a table given with [`crate::Options::iocs`].
//! <https://library.humio.com/data-analysis/functions-ioc-lookup.html>
//!
//! LogScale looks values up in CrowdStrike's IOC database; offline, the database is a CSV or JSON
//! table with the database's columns: `indicator`, `type` (`ip_address`, `domain`, `url`),
//! `malicious_confidence` (`unverified` < `low` < `medium` < `high`), `labels`
//! (comma-separated), `published_date`, `last_updated`. Each IOC of one of the `type`s at or above
//! the threshold whose indicator equals a `field` value (IP addresses compared as addresses,
//! domains without regard to case) adds `<prefix>[i].<column>` for the `include` columns (default
//! all) and sets `<prefix>.detected` to `true`; `strict=true` drops events without a match.

use std::net::IpAddr;
use std::sync::Arc;

use saker_event::{Event, Sym};

use super::lookup::{Row, load_path};
use super::stream;
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::{ExecError, Result};
use crate::pipeline::{Out, StageSpec};

const COLUMNS: [&str; 6] = [
    "indicator",
    "type",
    "malicious_confidence",
    "labels",
    "published_date",
    "last_updated",
];

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    if name != "ioc:lookup" {
        return Ok(None);
    }
    let Some(path) = &c.opts.iocs else {
        return Err(ExecError::Invalid(
            "ioc:lookup() needs an IOC table (CSV or JSON with columns indicator, type, \
             malicious_confidence, labels, published_date, last_updated): pass it with --iocs FILE"
                .into(),
        ));
    };
    let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    if fields.is_empty() {
        return Err(a.err("missing `field`"));
    }
    let types: Vec<String> = a
        .list("type")
        .iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    if let Some(t) = types
        .iter()
        .find(|t| !matches!(t.as_str(), "ip_address" | "domain" | "url"))
    {
        return Err(a.err(format!(
            "unknown IOC type `{t}`: expected ip_address, domain or url"
        )));
    }
    let threshold_text = a.text_or("confidenceThreshold", "high");
    let threshold = confidence(&threshold_text).ok_or_else(|| {
        a.err(format!(
            "unknown confidenceThreshold `{threshold_text}`: expected unverified, low, medium or high"
        ))
    })?;
    let include = a.list("include");
    if let Some(col) = include.iter().find(|c| !COLUMNS.contains(&c.as_str())) {
        return Err(a.err(format!(
            "unknown IOC column `{col}`: expected one of {}",
            COLUMNS.join(", ")
        )));
    }
    let columns: Vec<&str> = if include.is_empty() {
        COLUMNS.to_vec()
    } else {
        COLUMNS
            .iter()
            .copied()
            .filter(|c| include.iter().any(|i| i == c))
            .collect()
    };
    let prefix = a.text_or("prefix", "ioc");
    let rows = load_path(path, "IOC table")?;
    if let Some(row) = rows.first() {
        for needed in ["indicator", "type"] {
            if !row.iter().any(|(k, _)| k == needed) {
                return Err(ExecError::Invalid(format!(
                    "IOC table {}: no `{needed}` column (columns: {})",
                    path.display(),
                    COLUMNS.join(", ")
                )));
            }
        }
    }
    let iocs: Vec<Ioc> = rows
        .into_iter()
        .filter_map(|row| Ioc::from_row(row, &types, threshold))
        .collect();
    let table = Arc::new(Table {
        fields,
        iocs,
        outputs: (0..MAX_MATCHES)
            .map(|i| {
                columns
                    .iter()
                    .map(|c| (*c, Sym::new(&format!("{prefix}[{i}].{c}"))))
                    .collect()
            })
            .collect(),
        detected: Sym::new(&format!("{prefix}.detected")),
    });
    let strict = a.bool_or("strict", false)?;
    Ok(Some(stream(move |mut e| {
        let found = table.annotate(&mut e);
        if strict && !found {
            Out::Drop
        } else {
            Out::One(e)
        }
    })))
}

/// IOCs reported for one event at most (each adds a `[i]` group of fields).
const MAX_MATCHES: usize = 64;

fn confidence(text: &str) -> Option<u8> {
    match text.to_ascii_lowercase().as_str() {
        "unverified" => Some(0),
        "low" => Some(1),
        "medium" => Some(2),
        "high" => Some(3),
        _ => None,
    }
}

struct Ioc {
    key: Key,
    row: Row,
}

impl Ioc {
    fn from_row(row: Row, types: &[String], threshold: u8) -> Option<Ioc> {
        let col = |name: &str| row.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let kind = col("type")?.trim().to_ascii_lowercase();
        if !types.is_empty() && !types.contains(&kind) {
            return None;
        }
        if confidence(col("malicious_confidence").unwrap_or("unverified"))? < threshold {
            return None;
        }
        let key = Key::of(&kind, col("indicator")?)?;
        Some(Ioc { key, row })
    }
}

/// An indicator in the form values are compared in.
#[derive(PartialEq)]
enum Key {
    Ip(IpAddr),
    Domain(String),
    Url(String),
}

impl Key {
    fn of(kind: &str, value: &str) -> Option<Key> {
        let value = value.trim();
        match kind {
            "ip_address" => value.parse().ok().map(Key::Ip),
            "domain" => Some(Key::Domain(
                value.trim_end_matches('.').to_ascii_lowercase(),
            )),
            "url" => Some(Key::Url(value.to_owned())),
            _ => None,
        }
    }

    fn matches(&self, value: &str) -> bool {
        let value = value.trim();
        match self {
            Key::Ip(ip) => value.parse::<IpAddr>().is_ok_and(|v| v == *ip),
            Key::Domain(d) => value.trim_end_matches('.').eq_ignore_ascii_case(d),
            Key::Url(u) => value == u,
        }
    }
}

struct Table {
    fields: Vec<Sym>,
    iocs: Vec<Ioc>,
    /// Per match index, the (column, output field) pairs.
    outputs: Vec<Vec<(&'static str, Sym)>>,
    detected: Sym,
}

impl Table {
    /// Adds the fields of every IOC matching one of the event's fields; whether any matched.
    fn annotate(&self, e: &mut Event) -> bool {
        let values: Vec<String> = self
            .fields
            .iter()
            .filter_map(|f| e.get(*f).map(str::to_owned))
            .collect();
        let mut n = 0;
        for ioc in &self.iocs {
            if n == MAX_MATCHES {
                break;
            }
            if !values.iter().any(|v| ioc.key.matches(v)) {
                continue;
            }
            for (col, out) in &self.outputs[n] {
                if let Some((_, v)) = ioc.row.iter().find(|(k, _)| k == col) {
                    e.set(*out, v.as_str());
                }
            }
            n += 1;
        }
        if n > 0 {
            e.set(self.detected, "true");
        }
        n > 0
    }
}

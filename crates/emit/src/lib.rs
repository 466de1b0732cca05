//! Printers from the plan IR to query languages: CQL (LogScale), KQL (Microsoft Sentinel and
//! Defender Advanced Hunting), SPL (Splunk) and ES|QL (Elasticsearch).
//!
//! Each printer builds the target's syntax from the plan through one escaping routine per kind
//! of literal, and keeps the plan's semantics: case (in)sensitivity as the matcher says, a test on
//! an absent field is false and its negation true (Sigma's and LogScale's rule). What a target
//! cannot say exactly is refused with the reason ([`Refusal`]); what it says slightly differently
//! is converted with a named [`Caveat`].

mod cond;
pub mod cql;
pub mod esql;
pub mod kql;
mod lucene;
mod regex;
mod shape;
pub mod spl;

use std::fmt;

use saker_plan::Plan;

pub use cond::{Cond, Test};
pub use regex::{Dialect, check_sigma_pattern, escape_literal};

/// A query language saker can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Cql,
    Kql,
    Spl,
    Esql,
}

impl Target {
    pub const ALL: [Target; 4] = [Target::Cql, Target::Kql, Target::Spl, Target::Esql];

    pub fn name(self) -> &'static str {
        match self {
            Target::Cql => "cql",
            Target::Kql => "kql",
            Target::Spl => "spl",
            Target::Esql => "esql",
        }
    }

    /// The prefix of a line comment in the language.
    pub fn comment_prefix(self) -> &'static str {
        match self {
            Target::Cql | Target::Kql | Target::Esql => "//",
            Target::Spl => "```",
        }
    }

    /// A comment line holding `text` (Splunk comments are enclosed in triple backticks).
    pub fn comment(self, text: &str) -> String {
        let clean = text.replace(['\n', '\r'], " ");
        match self {
            Target::Spl => format!("``` {} ```", clean.replace("```", "'''")),
            _ => format!("// {clean}"),
        }
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "cql" | "logscale" => Ok(Target::Cql),
            "kql" => Ok(Target::Kql),
            "spl" | "splunk" => Ok(Target::Spl),
            "esql" | "es|ql" => Ok(Target::Esql),
            other => Err(format!(
                "unknown target `{other}` (expected cql, kql, spl or esql)"
            )),
        }
    }
}

/// Where the converted query reads from, for languages whose queries name their source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// KQL table (`DeviceProcessEvents`, `SecurityEvent`, …), ES|QL `FROM` source (`logs-*`) or
    /// SPL search prefix (`index=main sourcetype=…`). Defaults: `KQL: no table` (a `where` stage
    /// to append to one), `ES|QL: FROM logs-*`, `SPL: none`.
    pub source: Option<String>,
}

/// A converted query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversion {
    pub text: String,
    /// Where the query's meaning differs from the plan's, each named.
    pub caveats: Vec<Caveat>,
}

/// Why a plan cannot be converted faithfully.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
}

impl Refusal {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Refusal {}

/// A named, documented difference between the converted query and the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Caveat {
    /// Event counts are taken in fixed time buckets of the correlation's timespan, not in a
    /// window sliding from each event: a burst split across a bucket boundary is missed.
    FixedTimeBuckets,
    /// The aggregation runs over the whole search interval; the correlation's timespan must be
    /// set as the search's time range.
    SearchWindowIsTimespan,
    /// KQL columns hold `""` for a value that was never set: "field absent" and "field empty"
    /// cannot be told apart.
    EmptyMeansAbsent,
    /// Percentile in the target is an estimate (LogScale `percentile()` is approximate).
    ApproximatePercentile,
    /// A full path is matched on its file name only: the target field holds no directory
    /// (Falcon `ParentBaseFileName`, `ContextBaseFileName`).
    FileNameOnly,
}

impl Caveat {
    /// Stable short name, used by `--report`.
    pub fn code(self) -> &'static str {
        match self {
            Caveat::FixedTimeBuckets => "fixed-time-buckets",
            Caveat::SearchWindowIsTimespan => "search-window-is-timespan",
            Caveat::EmptyMeansAbsent => "empty-means-absent",
            Caveat::ApproximatePercentile => "approximate-percentile",
            Caveat::FileNameOnly => "file-name-only",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Caveat::FixedTimeBuckets => {
                "counts are taken in fixed buckets of the timespan, not in a sliding window"
            }
            Caveat::SearchWindowIsTimespan => {
                "the aggregation covers the whole search interval: run it over the correlation timespan"
            }
            Caveat::EmptyMeansAbsent => "an absent field and an empty field cannot be told apart",
            Caveat::ApproximatePercentile => "the target computes percentiles approximately",
            Caveat::FileNameOnly => {
                "a full path is matched on its file name only, in any directory"
            }
        }
    }
}

impl fmt::Display for Caveat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.description())
    }
}

/// Converts a plan to `target`.
pub fn convert(plan: &Plan, target: Target, options: &Options) -> Result<Conversion, Refusal> {
    match target {
        Target::Cql => cql::convert(plan),
        Target::Kql => kql::convert(plan, options),
        Target::Spl => spl::convert(plan, options),
        Target::Esql => esql::convert(plan, options),
    }
}

/// Collects caveats without duplicates, in first-seen order.
#[derive(Debug, Default)]
pub(crate) struct Caveats(Vec<Caveat>);

impl Caveats {
    pub fn add(&mut self, c: Caveat) {
        if !self.0.contains(&c) {
            self.0.push(c);
        }
    }

    pub fn into_vec(self) -> Vec<Caveat> {
        self.0
    }
}

/// The field names a plan's tests read (filters, correlation inputs and group-by fields), sorted.
pub fn fields(plan: &Plan) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    collect_fields(plan, &mut out);
    out.into_iter().collect()
}

fn collect_fields(plan: &Plan, out: &mut std::collections::BTreeSet<String>) {
    use saker_plan::{Expr, Op};
    fn expr_fields(e: &Expr, out: &mut std::collections::BTreeSet<String>) {
        match e {
            Expr::Field(f) => {
                out.insert(f.clone());
            }
            Expr::Unary(_, a) => expr_fields(a, out),
            Expr::Binary(_, a, b) => {
                expr_fields(a, out);
                expr_fields(b, out);
            }
            _ => {}
        }
    }
    for op in &plan.ops {
        match op {
            Op::Filter(p) => {
                for (test, _) in Cond::from_predicate(p).tests() {
                    match test {
                        Test::Field { field, .. } => {
                            out.insert(field.clone());
                        }
                        Test::Expr(e) => expr_fields(e, out),
                        Test::FreeText(_) | Test::Call(_) => {}
                    }
                }
            }
            Op::Correlate(c) => {
                for (_, p) in &c.rules {
                    collect_fields(p, out);
                }
                out.extend(c.group_by.iter().cloned());
            }
            _ => {}
        }
    }
}

//! `selfJoinFilter(field=[keys], where=[{…}, …], prefilter=false)`.
//! <https://library.humio.com/data-analysis/functions-selfjoinfilter.html>
//!
//! Two phases over the same stream: first find the key values for which every `where` clause is
//! satisfied by some event with that key; then pass the events having such a key (with
//! `prefilter=true`, only those that satisfy at least one clause themselves). LogScale keeps an
//! approximate key summary and may let false positives through; saker keeps the exact key set,
//! so its output is the exact answer.
//!
//! Offline this buffers the stream (only clause-satisfying events with `prefilter=true`) and emits
//! the kept events, in input order, when the input ends.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::ArgValue;

use super::agg;
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{AggState, StageSpec, StreamOp, run_chain};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    if name != "selfjoinfilter" {
        return Ok(None);
    }
    let keys: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    if keys.is_empty() {
        return Err(a.err("missing `field`"));
    }
    let plans = match a.raw("where") {
        Some(ArgValue::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(v) => vec![v],
        None => return Err(a.err("missing `where`")),
    };
    let mut clauses = Vec::new();
    for p in plans {
        let ArgValue::Plan(p) = p else {
            return Err(a.err("`where` must be a list of queries in braces: where=[{…}, {…}]"));
        };
        clauses.push(c.streaming(p, "a selfJoinFilter() clause")?);
    }
    if clauses.is_empty() {
        return Err(a.err("`where` needs at least one clause"));
    }
    let prefilter = a.bool_or("prefilter", false)?;
    let spec = Arc::new(Spec {
        keys,
        clauses,
        prefilter,
    });
    Ok(Some(StageSpec::Agg(agg(move || State {
        spec: spec.clone(),
        seen: HashMap::new(),
        buffered: Vec::new(),
    }))))
}

struct Spec {
    keys: Vec<Sym>,
    clauses: Vec<Vec<Arc<dyn StreamOp>>>,
    prefilter: bool,
}

struct State {
    spec: Arc<Spec>,
    /// Per key: which clauses some event with that key satisfied.
    seen: HashMap<Vec<String>, Vec<bool>>,
    buffered: Vec<(Vec<String>, Event)>,
}

impl AggState for State {
    fn add(&mut self, e: &Event) {
        let Some(key) = self
            .spec
            .keys
            .iter()
            .map(|k| e.get(*k).map(str::to_owned))
            .collect::<Option<Vec<String>>>()
        else {
            return;
        };
        let n = self.spec.clauses.len();
        let mut any = false;
        for (i, clause) in self.spec.clauses.iter().enumerate() {
            if !run_chain(clause, e.clone()).is_empty() {
                any = true;
                self.seen
                    .entry(key.clone())
                    .or_insert_with(|| vec![false; n])[i] = true;
            }
        }
        if any || !self.spec.prefilter {
            self.buffered.push((key, e.clone()));
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let complete: HashSet<&Vec<String>> = self
            .seen
            .iter()
            .filter(|(_, hit)| hit.iter().all(|h| *h))
            .map(|(k, _)| k)
            .collect();
        for (key, e) in std::mem::take(&mut self.buffered) {
            if complete.contains(&key) {
                out.push(e);
            }
        }
    }
}

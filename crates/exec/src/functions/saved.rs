//! Saved queries (user functions): `$name(…)`, `$"pkg/name:query"(…)`.
//! <https://library.humio.com/data-analysis/syntax-function-user.html>
//!
//! The query text comes from [`crate::Options::saved`] (the CLI reads `NAME.cql` files from
//! `--saved DIR`). Named arguments become the saved query's `?parameters` (`$q(host="x")` sets
//! `?host`), on top of the run's own parameters. The saved query runs in place of the call: a
//! streaming saved query is a stage (and a filter: `!$q()` keeps the events it drops), one that
//! aggregates is an aggregate.

use std::cell::Cell;
use std::sync::Arc;

use saker_plan::{ArgValue, Call};

use super::stream;
use crate::compile::Compiler;
use crate::error::{ExecError, Result};
use crate::pipeline::{Out, StageSpec, run_chain};

/// Saved queries may call saved queries; a cycle stops here.
const MAX_DEPTH: usize = 16;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

pub(super) fn stage(c: &Compiler, call: &Call, name: &str) -> Result<StageSpec> {
    let Some(saved) = &c.opts.saved else {
        return Err(ExecError::Invalid(format!(
            "saved query ${name}(): no saved queries are available; pass --saved DIR (a folder of NAME.cql files)"
        )));
    };
    let mut params = c.opts.params.clone();
    for a in &call.args {
        if a.name == "_" {
            return Err(ExecError::Invalid(format!(
                "saved query ${name}(): arguments must be named (`${name}(host=\"x\")`)"
            )));
        }
        let v = match &a.value {
            ArgValue::Str(s) | ArgValue::Word(s) | ArgValue::Num(s) => s.clone(),
            ArgValue::Param(p) => params.get(p).cloned().unwrap_or_else(|| "*".into()),
            _ => {
                return Err(ExecError::Unsupported(format!(
                    "argument `{}` of saved query ${name}() that is not a single value",
                    a.name
                )));
            }
        };
        params.insert(a.name.clone(), v);
    }
    let depth = DEPTH.with(|d| d.get());
    if depth >= MAX_DEPTH {
        return Err(ExecError::Invalid(format!(
            "saved query ${name}(): saved queries nest deeper than {MAX_DEPTH} (a cycle?)"
        )));
    }
    let plan = (saved.0)(name, &params)
        .map_err(|m| ExecError::Invalid(format!("saved query ${name}(): {m}")))?;
    DEPTH.with(|d| d.set(depth + 1));
    let spec = c.plan(&plan);
    DEPTH.with(|d| d.set(depth));
    let spec = spec?;
    match spec.streaming_ops() {
        Some(ops) => {
            let ops: Arc<[_]> = ops.into();
            Ok(if call.negated {
                stream(move |e| {
                    if run_chain(&ops, e.clone()).is_empty() {
                        Out::One(e)
                    } else {
                        Out::Drop
                    }
                })
            } else {
                stream(move |e| run_chain(&ops, e))
            })
        }
        None if call.negated => Err(ExecError::Invalid(format!(
            "saved query ${name}() aggregates and cannot be negated"
        ))),
        None => Ok(StageSpec::Agg(Arc::new(spec))),
    }
}

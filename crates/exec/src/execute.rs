//! Running a [`Query`] over inputs read by `saker-io`: one pass, the raw-line prefilter before
//! decoding, the leading streaming stages on all cores, the rest in input order.

use std::ops::ControlFlow;
use std::sync::Arc;

use saker_event::Event;
use saker_io::{Input, IoError, Malformed, ReadOptions, ReadStats};

use crate::Query;
use crate::pipeline::{AggSpec, AggState, Out, StageSpec};

/// The first stage after the streaming prefix when it is an aggregate whose states merge.
fn mergeable_first(query: &Query) -> Option<&Arc<dyn AggSpec>> {
    match query.rest.stages.first() {
        Some(StageSpec::Agg(a)) if a.start_partial().mergeable() => Some(a),
        _ => None,
    }
}

/// Reads `inputs`, runs `query` and hands each output row to `on_row` (streaming queries emit as
/// they go, in input order; aggregates at the end). `on_row` returning `Break` stops the run.
pub fn execute(
    query: &Query,
    inputs: &[Input],
    read: &ReadOptions,
    mut on_row: impl FnMut(Event) -> ControlFlow<()>,
    on_malformed: impl FnMut(Malformed) + Send,
) -> Result<ReadStats, IoError> {
    // Sub-queries (`join`, `defineTable`) run to completion first, each with its own prefilter.
    query.tables.fill_from_inputs(inputs, read)?;
    let mut opts = read.clone();
    if let Some(pf) = query.prefilter().cloned() {
        let pf = Arc::new(pf);
        let in_lines = pf.clone();
        opts.prefilter = Some(Arc::new(move |line: &[u8]| in_lines.may_match(line)));
        opts.finder = Some(Arc::new(move |hay: &[u8]| pf.find(hay)));
    }
    if opts.fields.is_none() {
        opts.fields = query.read_fields().cloned();
    }
    let mut run = query.start();
    let mut out = Vec::new();
    let mut stopped = false;
    let stats = if let Some(spec) = mergeable_first(query) {
        // The aggregate runs on the workers, one partial state per unit of input; the states
        // are merged in input order, so the result (group order included) is that of one pass.
        saker_io::par_fold_units_until(
            inputs,
            &opts,
            || spec.start_partial(),
            |state: &mut Box<dyn AggState>, batch: Vec<Event>| {
                for e in batch {
                    match query.run_prefix(e) {
                        Out::Drop => {}
                        Out::One(e) => state.add(&e),
                        Out::Many(v) => v.iter().for_each(|e| state.add(e)),
                    }
                }
            },
            |state| {
                run.rest.merge_first(state);
                ControlFlow::Continue(())
            },
            on_malformed,
        )?
    } else {
        saker_io::par_map_batches_until(
            inputs,
            &opts,
            |batch: Vec<Event>| {
                let mut kept = Vec::new();
                for e in batch {
                    match query.run_prefix(e) {
                        Out::Drop => {}
                        Out::One(e) => kept.push(e),
                        Out::Many(v) => kept.extend(v),
                    }
                }
                // Fields nothing downstream reads are freed here, on the worker that allocated
                // them, rather than on the single thread that runs the aggregate.
                if let Some(keep) = query.projection() {
                    for e in &mut kept {
                        e.retain(|k, _| keep.contains(&k));
                    }
                }
                kept
            },
            |kept| {
                for e in kept {
                    run.push_prefixed(e, &mut out);
                }
                for row in out.drain(..) {
                    if on_row(row).is_break() {
                        stopped = true;
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            },
            on_malformed,
        )?
    };
    if !stopped {
        run.finish(&mut out);
        for row in out.drain(..) {
            if on_row(row).is_break() {
                break;
            }
        }
    }
    Ok(stats)
}

//! Hunting over many inputs on all cores.
//!
//! Decoding is cheap next to evaluating thousands of rules, and one large file (a 500 MB
//! Security.evtx) must not keep the scan on one thread. So each input is decoded on one worker
//! while its batches of events are handed to the pool as separate scan tasks; when enough batches
//! already wait, the decoding worker scans its batch itself, which bounds memory to a few batches
//! per thread. Results are put back in input order (input, then batch), so the output does not
//! depend on the thread count.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use saker_event::Event;
use saker_io::{Input, IoError, Malformed, ReadOptions, ReadStats};

use crate::{BatchResult, Hunt};

/// Events per scan task: small enough that the batches in flight stay a few MB, large enough
/// that a task is milliseconds of work.
const BATCH: usize = 256;

/// What a whole run produced, in input order.
#[derive(Default, Debug)]
pub struct RunResult {
    pub result: BatchResult,
    pub stats: ReadStats,
    /// Malformed records, in input order.
    pub malformed: Vec<Malformed>,
}

/// How one input's read ended: its index, counters or error, and its malformed records.
type InputDone = (usize, Result<ReadStats, IoError>, Vec<Malformed>);

struct Shared<'a> {
    hunt: &'a Hunt,
    inflight: AtomicUsize,
    max_inflight: usize,
    results: Mutex<Vec<((usize, usize), BatchResult)>>,
    inputs_done: Mutex<Vec<InputDone>>,
}

impl Shared<'_> {
    fn store(&self, key: (usize, usize), r: BatchResult) {
        if let Ok(mut results) = self.results.lock() {
            results.push((key, r));
        }
    }

    /// Scans `batch` on another worker, or here when enough batches are already waiting.
    fn dispatch<'s>(&'s self, scope: &rayon::Scope<'s>, key: (usize, usize), batch: Vec<Event>) {
        if self.inflight.fetch_add(1, Ordering::AcqRel) >= self.max_inflight {
            self.inflight.fetch_sub(1, Ordering::AcqRel);
            self.store(key, self.hunt.scan(&batch));
            return;
        }
        scope.spawn(move |_| {
            let r = self.hunt.scan(&batch);
            drop(batch);
            self.inflight.fetch_sub(1, Ordering::AcqRel);
            self.store(key, r);
        });
    }

    fn read_one<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        index: usize,
        input: &Input,
        opts: &ReadOptions,
    ) {
        let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
        let mut seq = 0usize;
        let mut malformed = Vec::new();
        let read = saker_io::read_input(
            input,
            opts,
            &mut |e| {
                batch.push(e);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    self.dispatch(scope, (index, seq), full);
                    seq += 1;
                }
                ControlFlow::Continue(())
            },
            &mut |m| malformed.push(m),
        );
        if !batch.is_empty() {
            self.store((index, seq), self.hunt.scan(&batch));
        }
        if let Ok(mut done) = self.inputs_done.lock() {
            done.push((index, read, malformed));
        }
    }
}

/// Scans every input with `hunt` on the current rayon pool. The first input that cannot be read
/// (in input order) is the error; malformed records are collected, not fatal (unless
/// `opts.strict`).
pub fn scan_inputs(
    hunt: &Hunt,
    inputs: &[Input],
    opts: &ReadOptions,
) -> Result<RunResult, IoError> {
    let threads = rayon::current_num_threads().max(1);
    let shared = Shared {
        hunt,
        inflight: AtomicUsize::new(0),
        max_inflight: threads * 2,
        results: Mutex::new(Vec::new()),
        inputs_done: Mutex::new(Vec::new()),
    };
    rayon::scope(|scope| {
        let shared = &shared;
        for (index, input) in inputs.iter().enumerate() {
            scope.spawn(move |scope| shared.read_one(scope, index, input, opts));
        }
    });
    let mut results = shared.results.into_inner().unwrap_or_default();
    results.sort_by_key(|(key, _)| *key);
    let mut done = shared.inputs_done.into_inner().unwrap_or_default();
    done.sort_by_key(|(index, _, _)| *index);
    let mut out = RunResult::default();
    for (_, read, malformed) in done {
        out.stats.merge(&read?);
        out.malformed.extend(malformed);
    }
    for (_, r) in results {
        out.result.events += r.events;
        out.result.hits.extend(r.hits);
        out.result.observations.extend(r.observations);
    }
    Ok(out)
}

//! Decoding many inputs on all cores with results delivered in input order.
//!
//! A producer (one thread) opens inputs in order and cuts line-oriented ones into newline-aligned
//! chunks; whole files of other formats are one unit each. Windows of units are decoded in parallel
//! (rayon) while the producer reads the next window; each unit's results, reports and counters are
//! then handed on strictly in input order, so output is deterministic whatever the thread count.

use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use rayon::prelude::*;
use saker_event::Event;

use crate::decode::Flattener;
use crate::error::{IoError, Malformed};
use crate::format::{InputFormat, Profile};
use crate::input::{Compression, Input, Opened, open, read_error};
use crate::lines::{Chunk, ChunkStart, LineKind, decode_chunk, detect_profile};
use crate::mapped::{Chunker, LineResolver, resolve_location};
use crate::reader::{read_with, resolve_format, truncated_stream};
use crate::{ReadOptions, ReadStats};

/// Size of the newline-aligned chunks large line-oriented inputs are cut into.
const CHUNK_SIZE: usize = 4 << 20;
/// The largest chunk of a memory-mapped file. Large files get larger chunks: a consumer folding
/// each chunk into a partial state (a groupBy's groups) pays per chunk; eight chunks per thread
/// still balance the load.
const MAPPED_CHUNK_MAX: u64 = 16 << 20;
/// Events per batch handed to `map`.
const BATCH: usize = 2048;

enum Unit {
    Lines {
        input: usize,
        chunk: Chunk,
        kind: LineKind,
        profile: Option<Profile>,
    },
    File {
        input: usize,
    },
    /// A report produced while reading (a truncated compressed stream).
    Report(Malformed),
    /// Counters of a finished line-oriented input.
    Done {
        bytes: u64,
    },
}

struct Current {
    input: usize,
    kind: LineKind,
    profile: Option<Profile>,
    compression: Compression,
    chunker: Chunker,
    stored_bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

struct Producer<'a> {
    inputs: &'a [Input],
    opts: &'a ReadOptions,
    next_input: usize,
    current: Option<Current>,
}

impl Producer<'_> {
    /// Up to `n` units in input order; empty when all inputs are read.
    fn take(&mut self, n: usize) -> Result<Vec<Unit>, IoError> {
        let mut units = Vec::with_capacity(n);
        while units.len() < n {
            if let Some(cur) = &mut self.current {
                match cur.chunker.next_chunk() {
                    Ok(Some(chunk)) => {
                        if cur.profile.is_none() && cur.kind == LineKind::Ndjson {
                            cur.profile = detect_profile(&chunk);
                        }
                        units.push(Unit::Lines {
                            input: cur.input,
                            chunk,
                            kind: cur.kind,
                            profile: cur.profile,
                        });
                    }
                    Ok(None) => {
                        let bytes = cur.stored_bytes.load(Ordering::Relaxed);
                        units.push(Unit::Done { bytes });
                        self.current = None;
                    }
                    Err(e) => {
                        let input = &self.inputs[cur.input];
                        if cur.compression == Compression::None {
                            return Err(read_error(input, e.error));
                        }
                        if let Some(chunk) = e.lines_before {
                            units.push(Unit::Lines {
                                input: cur.input,
                                chunk,
                                kind: cur.kind,
                                profile: cur.profile,
                            });
                        }
                        units.push(Unit::Report(truncated_stream(
                            input.name(),
                            cur.compression,
                            e.line,
                            &e.error,
                        )));
                        let bytes = cur.stored_bytes.load(Ordering::Relaxed);
                        units.push(Unit::Done { bytes });
                        self.current = None;
                    }
                }
                continue;
            }
            let Some(input) = self.inputs.get(self.next_input) else {
                break;
            };
            let index = self.next_input;
            self.next_input += 1;
            let mut opened: Opened = open(input, self.opts.progress.clone())?;
            let format = resolve_format(input, self.opts, &mut opened)?;
            let kind = match format {
                InputFormat::Ndjson => LineKind::Ndjson,
                InputFormat::Text => LineKind::Text,
                _ => {
                    drop(opened);
                    units.push(Unit::File { input: index });
                    continue;
                }
            };
            let compression = opened.compression;
            let (chunker, stored_bytes) = Chunker::new(
                input,
                opened,
                CHUNK_SIZE,
                mapped_chunk_size,
                &self.opts.progress,
            )?;
            self.current = Some(Current {
                input: index,
                kind,
                profile: self.opts.profile,
                compression,
                chunker,
                stored_bytes,
            });
        }
        Ok(units)
    }
}

/// The chunk size for a memory-mapped file of `len` bytes: eight chunks per thread, 4 to 16 MB.
fn mapped_chunk_size(len: u64) -> usize {
    let threads = rayon::current_num_threads().max(1) as u64;
    (len / (threads * 8)).clamp(CHUNK_SIZE as u64, MAPPED_CHUNK_MAX) as usize
}

/// Line numbers for the reports of memory-mapped inputs, counted only up to the last report.
#[derive(Default)]
struct Lines {
    current: Option<(usize, LineResolver)>,
}

impl Lines {
    fn resolve(&mut self, index: usize, input: &Input, reports: &mut [Malformed]) {
        if self.current.as_ref().is_none_or(|(i, _)| *i != index) {
            self.current = input
                .file_path()
                .and_then(|p| std::fs::File::open(p).ok())
                .map(|f| (index, LineResolver::new(f)));
        }
        if let Some((_, resolver)) = &mut self.current {
            for m in reports {
                resolve_location(&mut m.location, resolver);
            }
        }
    }
}

struct UnitOut<S> {
    /// The unit's folded batches; `None` when it had no events.
    results: Option<S>,
    /// The input of a memory-mapped chunk, whose reports name bytes rather than lines.
    mapped_input: Option<usize>,
    malformed: Vec<Malformed>,
    stats: ReadStats,
    error: Option<IoError>,
}

fn process<S>(
    unit: Unit,
    inputs: &[Input],
    opts: &ReadOptions,
    init: &(impl Fn() -> S + Sync),
    fold: &(impl Fn(&mut S, Vec<Event>) + Sync),
) -> UnitOut<S> {
    let mut out = UnitOut {
        results: None,
        mapped_input: None,
        malformed: Vec::new(),
        stats: ReadStats::default(),
        error: None,
    };
    let mut batch: Vec<Event> = Vec::new();
    let mut emit = |e: Event| {
        batch.push(e);
        if batch.len() >= BATCH {
            fold(
                out.results.get_or_insert_with(init),
                std::mem::take(&mut batch),
            );
        }
        ControlFlow::Continue(())
    };
    let mut reports = Vec::new();
    let mut malformed = |m: Malformed| {
        reports.push(m);
        ControlFlow::Continue(())
    };
    match unit {
        Unit::Lines {
            input,
            chunk,
            kind,
            profile,
        } => {
            if matches!(chunk.start, ChunkStart::Byte(_)) {
                out.mapped_input = Some(input);
            }
            let mut flattener = Flattener::with_fields(opts.fields.clone());
            let (counts, _) = decode_chunk(
                &chunk,
                kind,
                profile,
                opts.prefilter.as_ref(),
                opts.prefilter.as_ref().and(opts.finder.as_ref()),
                inputs[input].name(),
                &mut flattener,
                &mut emit,
                &mut malformed,
            );
            flattener.release();
            out.stats.events = counts.events;
            out.stats.malformed = counts.malformed;
            out.stats.prefiltered = counts.prefiltered;
        }
        Unit::File { input } => {
            let file_opts = ReadOptions {
                strict: false,
                ..opts.clone()
            };
            match read_with(&inputs[input], &file_opts, &mut emit, &mut malformed) {
                Ok(stats) => out.stats = stats,
                Err(e) => out.error = Some(e),
            }
        }
        Unit::Report(m) => {
            out.stats.malformed = 1;
            reports.push(m);
        }
        Unit::Done { bytes } => {
            out.stats.files = 1;
            out.stats.bytes = bytes;
        }
    }
    if !batch.is_empty() {
        fold(out.results.get_or_insert_with(init), batch);
    }
    out.malformed = reports;
    out
}

/// Decodes `inputs` on all cores (over files and ~4 MB newline-aligned chunks of line-oriented
/// inputs): `map` runs on worker threads on batches of events (up to 2048, in input order within a
/// batch); `sink` receives the results on the calling thread strictly in input order;
/// `on_malformed` gets the reports in input order too.
///
/// Errors as [`crate::read_input`]; with [`ReadOptions::strict`] the first malformed record (in input
/// order) stops the run. Memory stays bounded by a few chunks per thread for line-oriented inputs;
/// JSON documents, CSV and EVTX files are decoded one whole file per unit.
pub fn par_map_batches<T: Send>(
    inputs: &[Input],
    opts: &ReadOptions,
    map: impl Fn(Vec<Event>) -> T + Sync,
    mut sink: impl FnMut(T),
    on_malformed: impl FnMut(Malformed) + Send,
) -> Result<ReadStats, IoError> {
    par_map_batches_until(
        inputs,
        opts,
        map,
        |t| {
            sink(t);
            ControlFlow::Continue(())
        },
        on_malformed,
    )
}

/// [`par_map_batches`] whose `sink` can stop the run early (e.g. the output pipe closed, or a
/// `head` limit was reached): after `Break`, decoding stops and the counters so far are returned.
pub fn par_map_batches_until<T: Send>(
    inputs: &[Input],
    opts: &ReadOptions,
    map: impl Fn(Vec<Event>) -> T + Sync,
    mut sink: impl FnMut(T) -> ControlFlow<()>,
    on_malformed: impl FnMut(Malformed) + Send,
) -> Result<ReadStats, IoError> {
    par_fold_units_until(
        inputs,
        opts,
        Vec::new,
        |results: &mut Vec<T>, batch| results.push(map(batch)),
        |results| {
            for t in results {
                sink(t)?;
            }
            ControlFlow::Continue(())
        },
        on_malformed,
    )
}

/// [`par_map_batches_until`] that folds the batches of each unit of work (a ~4 MB chunk of a
/// line-oriented input, or a whole file of another format) into one value on the worker: `init`
/// starts it, `fold` adds a batch (in input order), and `sink` gets the values strictly in input
/// order. A unit without events produces no value. Lets a consumer aggregate on the workers and
/// merge one partial result per unit instead of moving every event to one thread.
pub fn par_fold_units_until<S: Send>(
    inputs: &[Input],
    opts: &ReadOptions,
    init: impl Fn() -> S + Sync,
    fold: impl Fn(&mut S, Vec<Event>) + Sync,
    mut sink: impl FnMut(S) -> ControlFlow<()>,
    mut on_malformed: impl FnMut(Malformed) + Send,
) -> Result<ReadStats, IoError> {
    let window = (rayon::current_num_threads() * 2).max(2);
    // Two units in flight to the sink: about the eight batches queued before units were folded.
    let (tx, rx) = mpsc::sync_channel::<S>(2);
    std::thread::scope(|scope| {
        let (init, fold) = (&init, &fold);
        let driver = scope.spawn(move || -> Result<ReadStats, IoError> {
            let mut stats = ReadStats::default();
            let mut producer = Producer {
                inputs,
                opts,
                next_input: 0,
                current: None,
            };
            let mut lines = Lines::default();
            let mut current = producer.take(window)?;
            while !current.is_empty() {
                let (next, outs) = rayon::join(
                    || producer.take(window),
                    || {
                        current
                            .into_par_iter()
                            .map(|u| process(u, inputs, opts, init, fold))
                            .collect::<Vec<_>>()
                    },
                );
                for mut out in outs {
                    if let Some(e) = out.error {
                        return Err(e);
                    }
                    if let Some(input) = out.mapped_input
                        && !out.malformed.is_empty()
                    {
                        lines.resolve(input, &inputs[input], &mut out.malformed);
                    }
                    if opts.strict
                        && let Some(m) = out.malformed.first()
                    {
                        return Err(IoError::Strict(m.clone()));
                    }
                    for m in out.malformed {
                        on_malformed(m);
                    }
                    stats.merge(&out.stats);
                    if let Some(s) = out.results
                        && tx.send(s).is_err()
                    {
                        return Ok(stats);
                    }
                }
                current = next?;
            }
            Ok(stats)
        });
        for t in rx.iter() {
            if sink(t).is_break() {
                break;
            }
        }
        // Dropping the receiver makes the driver's next send fail, which ends it.
        drop(rx);
        driver
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

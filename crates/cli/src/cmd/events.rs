//! `saker events`: print the normalised events saker reads from inputs, or their field inventory.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use saker_event::{Event, Sym};
use saker_io::write::{NdjsonWriter, OutputFormat, write_rows};
use saker_io::{Input, InputFormat, Profile, ReadOptions, ReadStats};

#[derive(clap::Args)]
pub struct Args {
    /// Files, folders (read recursively) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output format: ndjson (default for events), table (default for --fields), csv, json.
    #[arg(long, value_name = "FORMAT")]
    format: Option<OutputFormat>,
    /// Read inputs as this format instead of detecting it: ndjson, json, evtx, csv, text.
    #[arg(long, value_name = "F")]
    input_format: Option<InputFormat>,
    /// Normalise with this profile instead of detecting it per file: falcon, windows, mde, generic.
    #[arg(long, value_name = "P")]
    profile: Option<Profile>,
    /// Stop with exit code 2 at the first malformed record.
    #[arg(long)]
    strict: bool,
    /// Print the field inventory (name, number of events carrying it, an example value) instead.
    #[arg(long)]
    fields: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let inputs = saker_io::expand_inputs(&args.inputs)?;
    let progress = Progress::start(&inputs);
    let opts = ReadOptions {
        format: args.input_format,
        profile: args.profile,
        strict: args.strict,
        progress: progress.as_ref().map(|p| Arc::clone(&p.done)),
        ..ReadOptions::default()
    };
    let report = |m: saker_io::Malformed| {
        if let Some(p) = &progress {
            p.suspend(|| eprintln!("{m}"));
        } else {
            eprintln!("{m}");
        }
    };
    let result = if args.fields {
        print_fields(
            &inputs,
            &opts,
            args.format.unwrap_or(OutputFormat::Table),
            report,
        )
    } else {
        print_events(
            &inputs,
            &opts,
            args.format.unwrap_or(OutputFormat::Ndjson),
            report,
        )
    };
    if let Some(p) = progress {
        p.finish();
    }
    let stats = result?;
    eprintln!(
        "read {} events from {} files, {} malformed records skipped",
        stats.events, stats.files, stats.malformed
    );
    Ok(ExitCode::SUCCESS)
}

fn print_events(
    inputs: &[Input],
    opts: &ReadOptions,
    format: OutputFormat,
    report: impl FnMut(saker_io::Malformed) + Send,
) -> anyhow::Result<ReadStats> {
    let stdout = io::stdout();
    if format == OutputFormat::Ndjson {
        // Render on the worker threads; write in input order.
        let mut out = stdout.lock();
        let mut write_error = None;
        let stats = saker_io::par_map_batches_until(
            inputs,
            opts,
            |batch| {
                let mut buf = Vec::with_capacity(batch.len() * 512);
                let mut w = NdjsonWriter::new(&mut buf);
                let r = batch
                    .iter()
                    .try_for_each(|e| w.write(e))
                    .and_then(|_| w.flush());
                drop(w);
                r.map(|_| buf)
            },
            |rendered| match rendered.and_then(|buf| out.write_all(&buf)) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    write_error = Some(e);
                    ControlFlow::Break(())
                }
            },
            report,
        )?;
        match write_error.or_else(|| out.flush().err()) {
            Some(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Some(e) => return Err(e).context("writing to stdout"),
            None => {}
        }
        return Ok(stats);
    }
    let mut events: Vec<Event> = Vec::new();
    let stats = saker_io::par_map_batches(inputs, opts, |b| b, |b| events.extend(b), report)?;
    let mut out = stdout.lock();
    match write_rows(format, &[], &events, &mut out) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout")?,
        _ => {}
    }
    Ok(stats)
}

/// Per field: events carrying it, and the first value seen.
#[derive(Default)]
struct Inventory {
    fields: HashMap<Sym, (u64, String)>,
}

impl Inventory {
    fn add(&mut self, e: &Event) {
        for (k, v) in e.iter() {
            let slot = self.fields.entry(k).or_insert_with(|| (0, v.to_owned()));
            slot.0 += 1;
        }
    }

    /// Adds a later part of the input: counts add up, the earlier example stays.
    fn merge(&mut self, later: Inventory) {
        for (k, (n, example)) in later.fields {
            self.fields.entry(k).or_insert((0, example)).0 += n;
        }
    }
}

fn print_fields(
    inputs: &[Input],
    opts: &ReadOptions,
    format: OutputFormat,
    report: impl FnMut(saker_io::Malformed) + Send,
) -> anyhow::Result<ReadStats> {
    let mut total = Inventory::default();
    let stats = saker_io::par_map_batches(
        inputs,
        opts,
        |batch| {
            let mut inv = Inventory::default();
            batch.iter().for_each(|e| inv.add(e));
            inv
        },
        |inv| total.merge(inv),
        report,
    )?;
    let mut names: Vec<(Sym, (u64, String))> = total.fields.into_iter().collect();
    names.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let (field, events, example) = (Sym::new("field"), Sym::new("events"), Sym::new("example"));
    let rows: Vec<Event> = names
        .into_iter()
        .map(|(k, (n, ex))| {
            let mut e = Event::with_capacity(3);
            e.push_unchecked(field, k.as_str());
            e.push_unchecked(events, n.to_string());
            e.push_unchecked(example, ex);
            e
        })
        .collect();
    let columns = ["field", "events", "example"].map(String::from);
    let mut out = io::stdout().lock();
    match write_rows(format, &columns, &rows, &mut out) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout")?,
        _ => {}
    }
    Ok(stats)
}

/// A bytes-done progress bar on stderr, shown only on a terminal and only once the run has taken
/// more than a moment.
struct Progress {
    done: Arc<AtomicU64>,
    finished: Arc<AtomicBool>,
    bar: indicatif::ProgressBar,
    ticker: Option<std::thread::JoinHandle<()>>,
}

const PROGRESS_DELAY: Duration = Duration::from_millis(700);

impl Progress {
    fn start(inputs: &[Input]) -> Option<Progress> {
        if !io::stderr().is_terminal() {
            return None;
        }
        let total: u64 = inputs.iter().filter_map(Input::size).sum();
        let bar = indicatif::ProgressBar::hidden();
        bar.set_length(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style);
        }
        let done = Arc::new(AtomicU64::new(0));
        let finished = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, done, finished) = (bar.clone(), Arc::clone(&done), Arc::clone(&finished));
            std::thread::spawn(move || {
                let start = std::time::Instant::now();
                let mut shown = false;
                while !finished.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    if !shown && start.elapsed() >= PROGRESS_DELAY {
                        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                        shown = true;
                    }
                    bar.set_position(done.load(Ordering::Relaxed));
                }
            })
        };
        Some(Progress {
            done,
            finished,
            bar,
            ticker: Some(ticker),
        })
    }

    fn suspend(&self, f: impl FnOnce()) {
        self.bar.suspend(f);
    }

    fn finish(mut self) {
        self.finished.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.bar.finish_and_clear();
    }
}

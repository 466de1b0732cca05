//! `saker run`: run one CQL query over inputs.
//!
//! The query is compiled (front-end, then engine) before any input is read; errors exit 2.
//! Output keeps the query's field order (`select`, `table`, `groupBy` build rows in that order).
//! A query without aggregates streams its events in input order (files as given, lines in file
//! order); aggregates print their rows at the end in their own order.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use saker_io::write::{NdjsonWriter, OutputFormat, write_rows};
use saker_io::{InputFormat, Profile, ReadOptions};

#[derive(clap::Args)]
pub struct Args {
    /// The CQL query text (omit when using -f).
    #[arg(value_name = "QUERY", required_unless_present = "query_file")]
    query: Option<String>,
    /// Files, folders (read recursively) or `-` for stdin.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Read the query from this file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    query_file: Option<PathBuf>,
    /// Output format: table (default on a terminal), ndjson (default otherwise), csv, json.
    #[arg(long, value_name = "FORMAT")]
    format: Option<OutputFormat>,
    /// Folder holding lookup files for match() and readFile().
    #[arg(long, value_name = "DIR", default_value = ".")]
    files: PathBuf,
    /// A query parameter `?name`, as name=value (repeatable).
    #[arg(long = "param", value_name = "N=V")]
    params: Vec<String>,
    /// Start of the search interval (epoch ms, or an ISO 8601 time), for start()/bucket()/timeChart().
    #[arg(long, value_name = "T")]
    start: Option<String>,
    /// End of the search interval (epoch ms, or an ISO 8601 time); also what now() returns.
    #[arg(long, value_name = "T")]
    end: Option<String>,
    /// Read inputs as this format instead of detecting it: ndjson, json, evtx, csv, text.
    #[arg(long, value_name = "F")]
    input_format: Option<InputFormat>,
    /// Normalise with this profile instead of detecting it per file: falcon, windows, mde, generic.
    #[arg(long, value_name = "P")]
    profile: Option<Profile>,
    /// Stop with exit code 2 at the first malformed record.
    #[arg(long)]
    strict: bool,
    /// A MaxMind City database (GeoLite2-City.mmdb or GeoIP2-City.mmdb) for ipLocation().
    #[arg(long, value_name = "FILE")]
    geoip: Option<PathBuf>,
    /// A MaxMind ASN database (GeoLite2-ASN.mmdb) for asn().
    #[arg(long, value_name = "FILE")]
    asn: Option<PathBuf>,
    /// An IOC table for ioc:lookup(): CSV or JSON with columns indicator, type (ip_address, domain,
    /// url), malicious_confidence, labels, published_date, last_updated.
    #[arg(long, value_name = "FILE")]
    iocs: Option<PathBuf>,
    /// Folder of saved queries for `$name(…)`: DIR/name.cql; `$"pkg/name:q"()` reads
    /// DIR/pkg/name/q.cql. Call arguments set the saved query's ?parameters.
    #[arg(long, value_name = "DIR")]
    saved: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (source, mut inputs) = match &args.query_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read query file {}", path.display()))?;
            let mut inputs = args.inputs.clone();
            if let Some(q) = &args.query {
                inputs.insert(0, PathBuf::from(q));
            }
            (text, inputs)
        }
        None => (args.query.clone().unwrap_or_default(), args.inputs.clone()),
    };
    if inputs.is_empty() {
        inputs.push(PathBuf::from("-"));
    }
    let params = parse_params(&args.params)?;

    let plan = match saker_cql::compile(
        &source,
        &saker_cql::CompileOptions {
            params: params.clone(),
        },
    ) {
        Ok(plan) => plan,
        Err(diags) => {
            print_diagnostics(&source, &diags);
            return Ok(ExitCode::from(2));
        }
    };
    let mut opts = saker_exec::Options {
        params,
        files_dir: args.files.clone(),
        ..saker_exec::Options::default()
    };
    opts.geoip = args.geoip.clone();
    opts.iocs = args.iocs.clone();
    opts.asn = args.asn.clone();
    opts.saved = args.saved.clone().map(super::saved::resolver);
    opts.start_ms = args.start.as_deref().map(parse_time).transpose()?;
    opts.end_ms = args.end.as_deref().map(parse_time).transpose()?;
    if let Some(end) = opts.end_ms {
        opts.now_ms = end;
    }
    let query = match saker_exec::Query::compile(&plan, &opts) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };

    let inputs = saker_io::expand_inputs(&inputs)?;
    let read = ReadOptions {
        format: args.input_format,
        profile: args.profile,
        strict: args.strict,
        ..ReadOptions::default()
    };
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Ndjson
    });
    let report = |m: saker_io::Malformed| eprintln!("{m}");
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    let stats = if format == OutputFormat::Ndjson {
        let mut writer = NdjsonWriter::new(&mut lock);
        let mut failed = None;
        let stats = saker_exec::execute(
            &query,
            &inputs,
            &read,
            |row| match writer.write(&row) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
            },
            report,
        )?;
        writer.flush().ok();
        if let Some(e) = failed
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            return Err(e).context("writing output");
        }
        stats
    } else {
        let mut rows = Vec::new();
        let stats = saker_exec::execute(
            &query,
            &inputs,
            &read,
            |row| {
                rows.push(row);
                ControlFlow::Continue(())
            },
            report,
        )?;
        match write_rows(format, &[], &rows, &mut lock) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                return Err(e).context("writing output");
            }
            _ => {}
        }
        stats
    };
    lock.flush().ok();
    if stats.malformed > 0 {
        eprintln!(
            "read {} events from {} files, {} malformed records skipped",
            stats.events, stats.files, stats.malformed
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_params(items: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .with_context(|| format!("--param `{p}` is not name=value"))?;
            Ok((k.trim().trim_start_matches('?').to_owned(), v.to_owned()))
        })
        .collect()
}

fn parse_time(t: &str) -> anyhow::Result<i64> {
    saker_io::parse_timestamp_ms(t).with_context(|| format!("cannot read `{t}` as a time"))
}

fn print_diagnostics(source: &str, diags: &[saker_diag::Diagnostic]) {
    for d in diags {
        let (line, col) = saker_diag::line_col(source, d.span.start);
        let severity = if d.is_error() { "error" } else { "warning" };
        eprintln!("{severity}[{}]: {}", d.code, d.message);
        eprintln!("  --> query:{line}:{col}");
        if let Some(text) = source.lines().nth(line.saturating_sub(1)) {
            eprintln!("   | {text}");
            let width = d.span.end.saturating_sub(d.span.start).max(1);
            eprintln!(
                "   | {}{}",
                " ".repeat(col.saturating_sub(1)),
                "^".repeat(width.min(80))
            );
        }
        if let Some(help) = &d.help {
            eprintln!("   = help: {help}");
        }
    }
}

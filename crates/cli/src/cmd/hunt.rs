//! `saker hunt`: run Sigma rules (detection, filter and correlation rules) over inputs.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::{Context, bail};
use saker_event::{Event, Sym};
use saker_hunt::Hunt;
use saker_io::write::{NdjsonWriter, OutputFormat, write_rows};
use saker_io::{ReadOptions, ReadStats};

use saker_sigma::{CompiledRule, Level, Options, Pipeline, RuleSet, Target};

#[derive(clap::Args)]
pub struct Args {
    /// Sigma rule files or folders (searched recursively for .yml/.yaml).
    #[arg(short = 'r', long = "rules", required = true, num_args = 1..)]
    rules: Vec<PathBuf>,
    /// Output format: table, ndjson or csv.
    #[arg(long, default_value = "table")]
    format: String,
    /// A built-in target (windows, falcon, mde, ecs, raw) or a pySigma pipeline YAML file;
    /// repeatable. Files apply in order before the target's mapping (default target: windows).
    #[arg(long = "pipeline")]
    pipelines: Vec<String>,
    /// Report only rules of this level or above (informational, low, medium, high, critical).
    #[arg(long = "min-level")]
    min_level: Option<String>,
    /// A file of rule ids, names or titles to leave out, one per line (`#` starts a comment).
    #[arg(long)]
    exclude: Option<PathBuf>,
    /// Placeholder values for `|expand`: a YAML mapping of name to a value or a list of values.
    #[arg(long)]
    placeholders: Option<PathBuf>,
    /// Exit with status 1 when any rule matched.
    #[arg(long = "fail-on-match")]
    fail_on_match: bool,
    /// Input files or folders (`-` for stdin).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

fn options(args: &Args) -> anyhow::Result<Options> {
    let mut opts = Options::default();
    for p in &args.pipelines {
        if let Some(t) = Target::parse(p) {
            opts.target = t;
            continue;
        }
        let text = std::fs::read_to_string(p).with_context(|| {
            format!(
                "`{p}` is neither a built-in target (windows, falcon, mde, ecs, raw) nor a readable pipeline file"
            )
        })?;
        let pipeline = Pipeline::parse(&text).map_err(|d| {
            let (line, col) = saker_diag::line_col(&text, d.span.start);
            anyhow::anyhow!("{p}:{line}:{col}: [{}] {}", d.code, d.message)
        })?;
        opts.pipelines.push(pipeline);
    }
    opts.pipelines.sort_by_key(|p| p.priority);
    if let Some(path) = &args.placeholders {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read placeholders {}", path.display()))?;
        opts.placeholders = saker_sigma::parse_placeholders(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    Ok(opts)
}

fn exclusions(path: &Option<PathBuf>) -> anyhow::Result<HashSet<String>> {
    let Some(path) = path else {
        return Ok(HashSet::new());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read exclusions {}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn meta_excluded(meta: &saker_sigma::Meta, excluded: &HashSet<String>) -> bool {
    [
        meta.id.as_deref(),
        meta.name.as_deref(),
        Some(meta.title.as_str()),
    ]
    .into_iter()
    .flatten()
    .any(|k| excluded.contains(k))
}

fn level_ok(level: Option<Level>, min: Option<Level>) -> bool {
    min.is_none_or(|m| level.is_some_and(|l| l >= m))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format: OutputFormat = args
        .format
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    if format == OutputFormat::Json {
        bail!("`--format json` is not offered by hunt: use ndjson, csv or table");
    }
    let min_level = match &args.min_level {
        Some(l) => Some(Level::parse(l).with_context(|| {
            format!("unknown level `{l}` (informational, low, medium, high, critical)")
        })?),
        None => None,
    };
    let opts = options(&args)?;
    let excluded = exclusions(&args.exclude)?;
    let set = saker_sigma::load(&args.rules, &opts);
    if set.files == 0 {
        bail!("no rule files found in the given --rules paths");
    }
    let enabled =
        |r: &CompiledRule| !meta_excluded(&r.meta, &excluded) && level_ok(r.meta.level, min_level);
    let (hunt, compile_errors) = Hunt::new(&set, &enabled);
    let rules_text = rules_summary(&set, &compile_errors);
    // The hunt keeps what it needs; the rule set's memory goes back for the scan.
    drop(set);

    let inputs = saker_io::expand_inputs(&args.inputs).context("reading inputs")?;
    let progress = Arc::new(AtomicU64::new(0));
    let read_opts = ReadOptions {
        progress: Some(progress.clone()),
        ..ReadOptions::default()
    };
    let bar = progress_bar(&inputs, progress);
    let run = saker_hunt::scan_inputs(&hunt, &inputs, &read_opts).context("reading inputs")?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    for m in &run.malformed {
        eprintln!("warning: {m}");
    }
    let malformed = run.malformed.len() as u64;
    let stats = run.stats;
    let hits = run.result.hits;
    let observations = run.result.observations;
    let correlation_hits = hunt.correlate(observations);

    // Rows are rendered only when written: hits hold shared, compact events until then.
    let mut pending: Vec<(i64, Pending)> = Vec::with_capacity(hits.len() + correlation_hits.len());
    let mut by_rule: BTreeMap<(Option<Level>, String), usize> = BTreeMap::new();
    for h in hits {
        let info = &hunt.rules[h.rule as usize];
        *by_rule.entry((info.level, info.title.clone())).or_default() += 1;
        pending.push((h.ts.unwrap_or(i64::MIN), Pending::Hit(h)));
    }
    for (i, ch) in correlation_hits.iter().enumerate() {
        let meta = &hunt.correlations()[ch.correlation].rule.meta;
        if !level_ok(meta.level, min_level) || meta_excluded(meta, &excluded) {
            continue;
        }
        *by_rule.entry((meta.level, meta.title.clone())).or_default() += 1;
        pending.push((ch.ts, Pending::Correlation(i)));
    }
    // Stable: equal times keep input order.
    pending.sort_by_key(|(t, _)| *t);
    let total = pending.len();
    let render = |p: Pending| -> Event {
        match p {
            Pending::Hit(h) => {
                let info = &hunt.rules[h.rule as usize];
                let head = RowHead {
                    id: &info.id,
                    title: &info.title,
                    level: info.level,
                    tags: &info.tags,
                    ts: h.ts,
                };
                hit_row(&head, h.event.iter(), h.event.len(), &[])
            }
            Pending::Correlation(i) => {
                let ch = &correlation_hits[i];
                let meta = &hunt.correlations()[ch.correlation].rule.meta;
                let mut extra: Vec<(String, String)> = ch.group.clone();
                extra.push((
                    "correlation_value".into(),
                    saker_event::format_number(ch.value).to_string(),
                ));
                extra.push((
                    "correlation_window_start".into(),
                    ch.window_start.to_string(),
                ));
                let head = RowHead {
                    id: meta.key(),
                    title: &meta.title,
                    level: meta.level,
                    tags: &meta.tags,
                    ts: Some(ch.ts),
                };
                hit_row(&head, std::iter::empty(), 0, &extra)
            }
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if format == OutputFormat::Ndjson {
        let mut w = NdjsonWriter::new(&mut out);
        for (_, p) in pending {
            w.write(&render(p)).context("writing results")?;
        }
        w.flush().context("writing results")?;
    } else {
        let rows: Vec<Event> = pending.into_iter().map(|(_, p)| render(p)).collect();
        let columns: Vec<String> = if format == OutputFormat::Table {
            [
                "@timestamp",
                "level",
                "rule_title",
                "rule_id",
                "Computer",
                "Channel",
                "EventID",
            ]
            .map(str::to_owned)
            .to_vec()
        } else {
            Vec::new()
        };
        write_rows(format, &columns, &rows, &mut out).context("writing results")?;
    }
    out.flush().context("writing results")?;

    summary(&rules_text, &stats, malformed, &by_rule, total);
    Ok(if args.fail_on_match && total > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A row waiting to be written.
enum Pending {
    Hit(saker_hunt::Hit),
    /// Index into the run's correlation hits.
    Correlation(usize),
}

struct RowHead<'a> {
    id: &'a str,
    title: &'a str,
    level: Option<Level>,
    tags: &'a [String],
    ts: Option<i64>,
}

fn hit_row<'a>(
    head: &RowHead,
    fields: impl Iterator<Item = (Sym, &'a str)>,
    len: usize,
    extra: &[(String, String)],
) -> Event {
    let mut row = Event::with_capacity(len + 5 + extra.len());
    row.push_unchecked(Sym::new("rule_id"), head.id);
    row.push_unchecked(Sym::new("rule_title"), head.title);
    row.push_unchecked(Sym::new("level"), head.level.map_or("", Level::as_str));
    row.push_unchecked(Sym::new("tags"), head.tags.join(","));
    if let Some(t) = head.ts {
        row.push_unchecked(Sym::timestamp(), t.to_string());
    }
    for (k, v) in extra {
        row.set(Sym::new(k), v.as_str());
    }
    for (k, v) in fields {
        if k == Sym::rawstring() || k == Sym::timestamp() {
            continue;
        }
        row.set(k, v);
    }
    row
}

fn progress_bar(
    inputs: &[saker_io::Input],
    progress: Arc<AtomicU64>,
) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = inputs.iter().filter_map(|i| i.size()).sum();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    std::thread::spawn(move || {
        while !b.is_finished() {
            b.set_position(progress.load(std::sync::atomic::Ordering::Relaxed));
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    });
    Some(bar)
}

/// The rule part of the run summary: known before any event is read, so the rule set can be
/// dropped before the scan.
fn rules_summary(set: &RuleSet, compile_errors: &[(usize, String)]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let refused: Vec<_> = set
        .refused
        .iter()
        .filter(|r| r.diagnostic.is_error())
        .collect();
    let unrouted = set
        .rules
        .iter()
        .filter(|r| r.variants.iter().any(|v| v.route.is_none()))
        .count();
    let _ = writeln!(
        out,
        "rules: {} loaded ({} correlations) from {} files, {} refused, {} not evaluable",
        set.rules.len() + set.correlations.len(),
        set.correlations.len(),
        set.files,
        refused.len(),
        compile_errors.len()
    );
    if unrouted > 0 {
        let _ = writeln!(
            out,
            "  {unrouted} rules have a log source without a mapping and are offered every event"
        );
    }
    for r in &refused {
        let _ = writeln!(
            out,
            "  refused {} ({}): [{}] {}",
            r.path.display(),
            r.title.as_deref().unwrap_or("-"),
            r.diagnostic.code,
            r.diagnostic.message
        );
    }
    for r in set.refused.iter().filter(|r| !r.diagnostic.is_error()) {
        let _ = writeln!(
            out,
            "  warning {}: {}",
            r.path.display(),
            r.diagnostic.message
        );
    }
    for (i, e) in compile_errors {
        if let Some(r) = set.rules.get(*i) {
            let _ = writeln!(
                out,
                "  not evaluable {} ({}): {e}",
                r.path.display(),
                r.meta.title
            );
        }
    }
    out
}

fn summary(
    rules: &str,
    stats: &ReadStats,
    malformed: u64,
    by_rule: &BTreeMap<(Option<Level>, String), usize>,
    total_hits: usize,
) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{rules}");
    let _ = writeln!(
        err,
        "events: {} read from {} inputs ({} malformed)",
        stats.events, stats.files, malformed
    );
    let mut by_level: BTreeMap<Option<Level>, usize> = BTreeMap::new();
    for ((level, _), n) in by_rule {
        *by_level.entry(*level).or_default() += n;
    }
    let levels: Vec<String> = by_level
        .iter()
        .rev()
        .map(|(l, n)| format!("{} {n}", l.map_or("none", Level::as_str)))
        .collect();
    let _ = writeln!(err, "hits: {total_hits} ({})", levels.join(", "));
    let mut ranked: Vec<_> = by_rule.iter().collect();
    ranked.sort_by(|a, b| b.0.0.cmp(&a.0.0).then(b.1.cmp(a.1)).then(a.0.1.cmp(&b.0.1)));
    for ((level, title), n) in ranked {
        let _ = writeln!(
            err,
            "  {n:>7}  {:<13} {title}",
            level.map_or("none", Level::as_str)
        );
    }
}

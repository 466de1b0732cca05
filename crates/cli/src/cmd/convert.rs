//! `saker convert`: Sigma rules → CQL, KQL, SPL or ES|QL, and `--verify`: the rule run by the
//! hunt engine (as `saker hunt` runs it) and its CQL conversion run through the CQL engine,
//! compared event by event.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use saker_emit::{Caveat, Conversion, Refusal, Target};
use saker_event::Event;
use saker_exec::compile::Compiler;
use saker_exec::pipeline::{StreamOp, run_chain};
use saker_plan::Plan;
use saker_sigma::{Pipeline, RuleSet};

const AFTER_HELP: &str = "\
Pipelines: `windows` (Channel/EventID routing, Sysmon field names), `falcon` (#event_simpleName
routing, Falcon field names; a field without a Falcon mapping refuses the rule), `mde`, `ecs`,
`raw` (no mapping), or a pySigma pipeline YAML FILE (repeatable; files apply before the target).

Output: one query per rule, each under a comment header with the rule title and id, and the
caveats of the conversion as comments. A rule that cannot be converted faithfully is refused on
stderr with the reason. --report prints a table instead: converted / converted with caveats
(named) / refused (reason).

--verify runs each rule as `saker hunt` does and its CQL conversion through the CQL engine over
the same events (inputs after `--` or with --input) and reports any difference in hits, with the first
differing event.

Exit codes: 0 all converted (and, with --verify, no difference); 1 --verify found a difference;
2 a rule was refused, or a usage/input error.";

/// Convert Sigma rules to CQL, KQL, SPL or ES|QL, or verify the CQL conversion on events.
#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Target language: cql, kql, spl or esql.
    #[arg(long = "to", value_name = "LANG", default_value = "cql")]
    to: String,
    /// Processing pipeline: windows, falcon, mde, ecs, raw, or a pySigma pipeline FILE.
    #[arg(long, short = 'p', value_name = "PIPELINE")]
    pipeline: Vec<String>,
    /// Placeholder values for `|expand` (a YAML mapping of name to values).
    #[arg(long, value_name = "FILE")]
    placeholders: Option<PathBuf>,
    /// What the query reads from: KQL table, ES|QL `FROM` source, SPL search prefix
    /// (default for KQL: the Defender table of the rule's category with `--pipeline mde`).
    #[arg(long, value_name = "TEXT")]
    source: Option<String>,
    /// Print a per-rule table of converted / converted with caveats / refused.
    #[arg(long)]
    report: bool,
    /// Run each rule as `saker hunt` does and its CQL conversion through the CQL engine; compare hits.
    #[arg(long)]
    verify: bool,
    /// Input for --verify (repeatable; also accepted after `--`).
    #[arg(long = "input", short = 'i', value_name = "INPUT")]
    input: Vec<PathBuf>,
    /// Sigma rule files or folders.
    #[arg(value_name = "RULE", required = true)]
    rules: Vec<PathBuf>,
    #[arg(last = true, value_name = "INPUT")]
    inputs_after: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let target: Target = args.to.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let setup = Setup::from_args(&args)?;
    let set = saker_sigma::load(&args.rules, &setup.options);
    if set.files == 0 {
        bail!("no Sigma rule files found in the given paths");
    }
    if args.verify {
        let mut inputs = args.input.clone();
        inputs.extend(args.inputs_after.iter().cloned());
        if inputs.is_empty() {
            bail!("--verify needs inputs: `saker convert --verify RULE… -- INPUT…` or --input");
        }
        return verify(&set, &setup, &inputs);
    }
    let outcomes = convert_set(&set, target, &setup);
    let refused = outcomes.iter().filter(|o| o.result.is_err()).count();
    if args.report {
        print!("{}", report(&outcomes, target));
    } else {
        print_queries(&outcomes, target);
    }
    Ok(if refused > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The loader options and what the command needs to know about the chosen target.
struct Setup {
    options: saker_sigma::Options,
    target: saker_sigma::Target,
    source: Option<String>,
}

impl Setup {
    fn from_args(args: &Args) -> anyhow::Result<Self> {
        let mut options = saker_sigma::Options {
            target: saker_sigma::Target::Raw,
            ..saker_sigma::Options::default()
        };
        for p in &args.pipeline {
            if let Some(t) = saker_sigma::Target::parse(p) {
                options.target = t;
                continue;
            }
            let path = Path::new(p);
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("`{p}` is neither a built-in pipeline (windows, falcon, mde, ecs, raw) nor a readable file")
            })?;
            let pipeline =
                Pipeline::parse(&text).map_err(|d| anyhow::anyhow!("{p}: {}", d.message))?;
            options.pipelines.push(pipeline);
        }
        if let Some(f) = &args.placeholders {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            options.placeholders = saker_sigma::parse_placeholders(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        }
        Ok(Setup {
            target: options.target,
            options,
            source: args.source.clone(),
        })
    }
}

/// One rule's conversion.
struct Outcome {
    path: PathBuf,
    title: String,
    id: String,
    result: Result<Conversion, Refusal>,
}

fn convert_set(set: &RuleSet, target: Target, setup: &Setup) -> Vec<Outcome> {
    let mut out = Vec::new();
    for r in &set.rules {
        out.push(Outcome {
            path: r.path.clone(),
            title: r.meta.title.clone(),
            id: r.meta.key().to_string(),
            result: convert_checked(r, target, setup),
        });
    }
    for c in &set.correlations {
        out.push(Outcome {
            path: c.path.clone(),
            title: c.rule.meta.title.clone(),
            id: c.rule.meta.key().to_string(),
            result: convert_plan(&c.plan, target, setup, None),
        });
    }
    for r in &set.refused {
        if r.diagnostic.severity != saker_diag::Severity::Error {
            continue;
        }
        out.push(Outcome {
            path: r.path.clone(),
            title: r.title.clone().unwrap_or_default(),
            id: r.id.clone().unwrap_or_default(),
            result: Err(Refusal::new(
                if r.diagnostic.code == saker_sigma::codes::MAPPING {
                    // The pipeline's field cannot hold the value: the message names the field.
                    format!("no faithful mapping: {}", r.diagnostic.message)
                } else {
                    format!("the rule does not load: {}", r.diagnostic.message)
                },
            )),
        });
    }
    out
}

/// Converts a loaded rule: refused when the pipeline lacks a field it tests, and with the
/// caveats of the pipeline's value mappings.
fn convert_checked(
    r: &saker_sigma::CompiledRule,
    target: Target,
    setup: &Setup,
) -> Result<Conversion, Refusal> {
    if setup.target == saker_sigma::Target::Falcon {
        // A field Falcon does not have would make a query that never matches.
        saker_sigma::check_mapped(r, setup.target).map_err(Refusal::new)?;
    }
    let mut c = convert_rule(&r.plan, &r.meta.logsource, target, setup)?;
    if r.notes
        .iter()
        .any(|n| n.code == saker_sigma::codes::MAPPING_WIDENED)
    {
        c.caveats.push(Caveat::FileNameOnly);
    }
    Ok(c)
}

fn convert_rule(
    plan: &Plan,
    logsource: &saker_sigma::rule::Logsource,
    target: Target,
    setup: &Setup,
) -> Result<Conversion, Refusal> {
    let table = match (target, setup.target) {
        (Target::Kql, saker_sigma::Target::Mde) => logsource
            .category
            .as_deref()
            .and_then(saker_emit::kql::defender_table),
        _ => None,
    };
    convert_plan(plan, target, setup, table)
}

fn convert_plan(
    plan: &Plan,
    target: Target,
    setup: &Setup,
    default_source: Option<&str>,
) -> Result<Conversion, Refusal> {
    let options = saker_emit::Options {
        source: setup
            .source
            .clone()
            .or_else(|| default_source.map(str::to_string)),
    };
    let conversion = saker_emit::convert(plan, target, &options)?;
    if target == Target::Cql {
        // The printed query must be one the CQL front-end accepts.
        if let Err(diags) =
            saker_cql::compile(&conversion.text, &saker_cql::CompileOptions::default())
        {
            let first = diags.first().map_or(String::new(), |d| d.message.clone());
            return Err(Refusal::new(format!(
                "the generated CQL is not accepted by the CQL front-end ({first}); this is a converter bug"
            )));
        }
    }
    Ok(conversion)
}

fn header(o: &Outcome, target: Target) -> String {
    let mut h = target.comment(&format!("{} ({})", o.title, o.id));
    h.push('\n');
    h.push_str(&target.comment(&o.path.display().to_string()));
    h
}

fn print_queries(outcomes: &[Outcome], target: Target) {
    let several = outcomes.len() > 1;
    let mut first = true;
    for o in outcomes {
        match &o.result {
            Ok(c) => {
                if !first {
                    println!();
                }
                first = false;
                if several || !c.caveats.is_empty() {
                    println!("{}", header(o, target));
                }
                for cv in &c.caveats {
                    println!("{}", target.comment(&format!("caveat: {cv}")));
                }
                println!("{}", c.text);
            }
            Err(r) => eprintln!(
                "refused: {} ({}): {}: {}",
                o.title,
                o.id,
                o.path.display(),
                r.reason
            ),
        }
    }
}

fn report(outcomes: &[Outcome], target: Target) -> String {
    let mut out = String::new();
    let (mut plain, mut caveated, mut refused) = (0, 0, 0);
    let _ = writeln!(out, "status\trule\tid\tdetail");
    for o in outcomes {
        let (status, detail) = match &o.result {
            Ok(c) if c.caveats.is_empty() => {
                plain += 1;
                ("converted", String::new())
            }
            Ok(c) => {
                caveated += 1;
                (
                    "converted-with-caveats",
                    c.caveats
                        .iter()
                        .map(|c| Caveat::code(*c))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }
            Err(r) => {
                refused += 1;
                ("refused", r.reason.clone())
            }
        };
        let _ = writeln!(out, "{status}\t{}\t{}\t{detail}", o.title, o.id);
    }
    let total = outcomes.len();
    let pct = |n: usize| {
        if total == 0 {
            0.0
        } else {
            n as f64 * 100.0 / total as f64
        }
    };
    let _ = writeln!(
        out,
        "\n{total} rules to {}: {plain} converted ({:.1}%), {caveated} converted with caveats ({:.1}%), {refused} refused ({:.1}%)",
        target.name(),
        pct(plain),
        pct(caveated),
        pct(refused)
    );
    out
}

/// Events read from the inputs, with where each came from.
struct Events {
    events: Vec<Event>,
    origins: Vec<String>,
}

fn read_events(paths: &[PathBuf]) -> anyhow::Result<Events> {
    let inputs = saker_io::expand_inputs(paths)?;
    let mut events = Vec::new();
    let mut origins = Vec::new();
    let opts = saker_io::ReadOptions::default();
    for input in &inputs {
        let name = input.name().to_string();
        let mut n = 0usize;
        saker_io::read_input(
            input,
            &opts,
            &mut |e| {
                n += 1;
                events.push(e);
                origins.push(format!("{name} record {n}"));
                ControlFlow::Continue(())
            },
            &mut |m| eprintln!("warning: skipped malformed record: {m}"),
        )
        .with_context(|| format!("reading {name}"))?;
    }
    Ok(Events { events, origins })
}

/// Compiles a filter-only plan into streaming operators.
fn streaming(
    plan: &Plan,
    opts: &saker_exec::options::Options,
) -> Result<Vec<Arc<dyn StreamOp>>, String> {
    Compiler::new(opts)
        .plan(plan)
        .map_err(|e| e.to_string())?
        .streaming_ops()
        .ok_or_else(|| "the plan aggregates; only filter rules are verified".to_string())
}

/// Which events a filter plan keeps.
pub fn hits(plan: &Plan, events: &[Event]) -> Result<Vec<bool>, String> {
    let opts = saker_exec::options::Options::default();
    let ops = streaming(plan, &opts)?;
    Ok(events
        .iter()
        .map(|e| !run_chain(&ops, e.clone()).is_empty())
        .collect())
}

/// Per rule, which events `saker hunt` reports as hits (routing, prefilter and evaluation of
/// the hunt engine), or why the engine could not compile the rule.
fn hunt_hits(set: &RuleSet, events: &[Event]) -> Vec<Result<Vec<bool>, String>> {
    let (hunt, errors) = saker_hunt::Hunt::new(set, &|_| true);
    let mut out: Vec<Result<Vec<bool>, String>> =
        vec![Ok(vec![false; events.len()]); set.rules.len()];
    for (rule, reason) in errors {
        if let Some(slot) = out.get_mut(rule) {
            *slot = Err(reason);
        }
    }
    for (i, e) in events.iter().enumerate() {
        for h in hunt.scan(std::slice::from_ref(e)).hits {
            if let Some(Ok(hits)) = out.get_mut(h.rule as usize)
                && let Some(hit) = hits.get_mut(i)
            {
                *hit = true;
            }
        }
    }
    out
}

fn verify(set: &RuleSet, setup: &Setup, inputs: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let data = read_events(inputs)?;
    let native = hunt_hits(set, &data.events);
    let (mut identical, mut differing, mut refused) = (0, 0, 0);
    for (r, native) in set.rules.iter().zip(native) {
        let label = format!("{} ({})", r.meta.title, r.meta.key());
        let converted = match convert_checked(r, Target::Cql, setup) {
            Ok(c) => c,
            Err(e) => {
                refused += 1;
                println!("refused\t{label}\t{}", e.reason);
                continue;
            }
        };
        let outcome = native
            .map_err(|e| format!("saker hunt cannot run the rule: {e}"))
            .and_then(|native| compare(&native, &converted.text, &data));
        match outcome {
            Ok(Comparison::Same(n)) => {
                identical += 1;
                println!("same\t{label}\t{n} hits");
            }
            Ok(Comparison::Different {
                native,
                cql,
                first,
                native_hit,
            }) => {
                differing += 1;
                println!(
                    "DIFFERENT\t{label}\tnative {native} hits, CQL {cql} hits; first difference: {} (the rule {}, the CQL {})",
                    data.origins.get(first).map_or("?", String::as_str),
                    if native_hit { "hits it" } else { "misses it" },
                    if native_hit { "misses it" } else { "hits it" },
                );
                if let Some(e) = data.events.get(first) {
                    println!("\tevent: {}", describe(e));
                }
                println!("\tquery: {}", converted.text.replace('\n', " "));
            }
            Err(e) => {
                differing += 1;
                println!("error\t{label}\t{e}");
            }
        }
    }
    for r in set
        .refused
        .iter()
        .filter(|r| r.diagnostic.severity == saker_diag::Severity::Error)
    {
        refused += 1;
        println!(
            "refused\t{} ({})\tthe rule does not load: {}",
            r.title.as_deref().unwrap_or("?"),
            r.id.as_deref().unwrap_or("?"),
            r.diagnostic.message
        );
    }
    eprintln!(
        "{} rules verified over {} events: {identical} identical, {differing} different, {refused} refused",
        identical + differing + refused,
        data.events.len(),
    );
    Ok(if differing > 0 {
        ExitCode::from(1)
    } else if refused > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

enum Comparison {
    Same(usize),
    Different {
        native: usize,
        cql: usize,
        first: usize,
        native_hit: bool,
    },
}

fn compare(native: &[bool], cql: &str, data: &Events) -> Result<Comparison, String> {
    let plan = saker_cql::compile(cql, &saker_cql::CompileOptions::default()).map_err(|d| {
        format!(
            "the CQL does not compile: {}",
            d.first().map_or("", |d| d.message.as_str())
        )
    })?;
    let converted = hits(&plan, &data.events).map_err(|e| format!("CQL run: {e}"))?;
    let count = |v: &[bool]| v.iter().filter(|b| **b).count();
    match native.iter().zip(&converted).position(|(a, b)| a != b) {
        None => Ok(Comparison::Same(count(native))),
        Some(first) => Ok(Comparison::Different {
            native: count(native),
            cql: count(&converted),
            first,
            native_hit: native[first],
        }),
    }
}

/// `field=value` pairs of an event, without the raw text, shortened.
fn describe(e: &Event) -> String {
    let mut s = String::new();
    for (k, v) in e.iter() {
        if k.as_str() == "@rawstring" {
            continue;
        }
        let v: String = v.chars().take(200).collect();
        let _ = write!(s, "{}={:?} ", k.as_str(), v);
        if s.len() > 2000 {
            s.push('…');
            break;
        }
    }
    s.trim_end().to_string()
}

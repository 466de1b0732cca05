//! Loading rule files into runnable rules: parse, apply filters and pipelines, route by log
//! source, lower to plans, resolve correlations. Every rule either loads or is refused with a
//! diagnostic; nothing is skipped silently.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use saker_diag::{Diagnostic, Kind};
use saker_plan::{
    Correlation, CorrelationCondition, CorrelationKind, Matcher, Op, Plan, Predicate,
};

use crate::builtin::{Route, Target, ValueMap, Variant};
use crate::codes;
use crate::condition::Cond;
use crate::lower::{self, LowerCtx, Placeholders};
use crate::pipeline::{self, Pipeline};
use crate::rule::{
    CorrelationRule, CorrelationType, Detection, DetectionRule, Document, FilterRule, Meta,
    read_document,
};
use crate::yaml;
use rayon::prelude::*;

/// How rules are loaded.
#[derive(Clone, Debug)]
pub struct Options {
    pub target: Target,
    /// pySigma pipelines applied, in order, before the target's mapping.
    pub pipelines: Vec<Pipeline>,
    pub placeholders: Placeholders,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            target: Target::Windows,
            pipelines: Vec::new(),
            placeholders: Placeholders::new(),
        }
    }
}

/// One way a rule runs: the events it is routed to and its predicate over them.
#[derive(Clone, Debug)]
pub struct CompiledVariant {
    /// `None`: the rule's log source has no mapping; it is offered every event.
    pub route: Option<Route>,
    pub predicate: Predicate,
    pub label: &'static str,
}

#[derive(Clone, Debug)]
pub struct CompiledRule {
    pub meta: Meta,
    pub path: PathBuf,
    pub variants: Vec<CompiledVariant>,
    /// The whole rule as a plan (routing included), for other back-ends.
    pub plan: Plan,
    /// Whether matches are reported (false for rules only feeding a correlation).
    pub generate: bool,
    /// Warnings and notes (lints, unmapped log source).
    pub notes: Vec<Diagnostic>,
}

#[derive(Clone, Debug)]
pub struct CompiledCorrelation {
    pub rule: CorrelationRule,
    pub path: PathBuf,
    pub plan: Plan,
    /// Each referenced input: a detection rule index or an earlier correlation index.
    pub inputs: Vec<CorrelationInput>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorrelationInput {
    Rule(usize),
    Correlation(usize),
}

/// A document that could not be loaded, and why.
#[derive(Clone, Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub title: Option<String>,
    pub id: Option<String>,
    pub diagnostic: Diagnostic,
}

#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<CompiledRule>,
    /// In dependency order: a correlation's inputs come before it.
    pub correlations: Vec<CompiledCorrelation>,
    pub refused: Vec<Refused>,
    pub files: usize,
}

/// A parsed document and where it came from.
struct Sourced<T> {
    doc: T,
    path: PathBuf,
}

/// Every `.yml` / `.yaml` file under the paths (files are taken as given), sorted.
pub fn rule_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
        {
            out.push(p);
        }
    }
}

/// Loads every rule under `paths`.
pub fn load(paths: &[PathBuf], opts: &Options) -> RuleSet {
    let files = rule_files(paths);
    let mut sources = Vec::with_capacity(files.len());
    let mut refused = Vec::new();
    for f in &files {
        match std::fs::read_to_string(f) {
            Ok(text) => sources.push((f.clone(), text)),
            Err(e) => refused.push(Refused {
                path: f.clone(),
                title: None,
                id: None,
                diagnostic: Diagnostic::error(
                    Kind::Syntax,
                    codes::YAML,
                    format!("cannot read the file: {e}"),
                    0..0,
                ),
            }),
        }
    }
    let mut set = load_sources(&sources, opts);
    set.refused.splice(0..0, refused);
    set.files = files.len();
    set
}

/// Loads rules from `(path, text)` pairs (the path is only a label).
pub fn load_sources(sources: &[(PathBuf, String)], opts: &Options) -> RuleSet {
    let mut set = RuleSet {
        files: sources.len(),
        ..RuleSet::default()
    };
    let mut rules = Vec::new();
    let mut filters = Vec::new();
    let mut correlations = Vec::new();
    // Files parse independently: on every core, gathered back in file order.
    let parsed: Vec<Vec<Parsed>> = sources
        .par_iter()
        .map(|(path, text)| parse_file(path, text))
        .collect();
    for (docs, (path, _)) in parsed.into_iter().zip(sources) {
        for p in docs {
            match p {
                Parsed::Doc(Document::Rule(r)) => rules.push(Sourced {
                    doc: r,
                    path: path.clone(),
                }),
                Parsed::Doc(Document::Filter(f)) => filters.push(Sourced {
                    doc: f,
                    path: path.clone(),
                }),
                Parsed::Doc(Document::Correlation(c)) => correlations.push(Sourced {
                    doc: c,
                    path: path.clone(),
                }),
                Parsed::Refused(r) => set.refused.push(r),
            }
        }
    }

    check_filter_targets(&filters, &rules, &mut set.refused);
    // Lowering is independent per rule too; results keep rule order.
    let compiled: Vec<Result<CompiledRule, Refused>> = rules
        .into_par_iter()
        .map(|r| {
            compile_rule(r.doc, &r.path, &filters, opts).map_err(|(meta, diag)| Refused {
                path: r.path,
                title: Some(meta.title),
                id: meta.id,
                diagnostic: diag,
            })
        })
        .collect();
    for c in compiled {
        match c {
            Ok(c) => set.rules.push(c),
            Err(r) => set.refused.push(r),
        }
    }
    resolve_correlations(correlations, &mut set);
    set
}

/// One document of a rule file, read or refused.
enum Parsed {
    Doc(Document),
    Refused(Refused),
}

fn parse_file(path: &Path, text: &str) -> Vec<Parsed> {
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            return vec![Parsed::Refused(Refused {
                path: path.to_owned(),
                title: None,
                id: None,
                diagnostic: Diagnostic::error(Kind::Syntax, codes::YAML, e.message, e.span),
            })];
        }
    };
    docs.iter()
        .map(|d| {
            if d.get("action").is_some() {
                return Parsed::Refused(refusal(
                    path,
                    d,
                    Diagnostic::error(
                        Kind::Semantic,
                        codes::UNSUPPORTED,
                        "legacy rule collections (`action: global/repeat/reset`) are not supported; write one document per rule",
                        d.get("action").map_or(d.span.clone(), |n| n.span.clone()),
                    ),
                ));
            }
            match read_document(d) {
                Ok(doc) => Parsed::Doc(doc),
                Err(diag) => Parsed::Refused(refusal(path, d, diag)),
            }
        })
        .collect()
}

fn refusal(path: &Path, d: &yaml::Node, diagnostic: Diagnostic) -> Refused {
    Refused {
        path: path.to_owned(),
        title: d.get("title").and_then(yaml::Node::as_scalar_text),
        id: d.get("id").and_then(yaml::Node::as_scalar_text),
        diagnostic,
    }
}

fn check_filter_targets(
    filters: &[Sourced<FilterRule>],
    rules: &[Sourced<DetectionRule>],
    refused: &mut Vec<Refused>,
) {
    for f in filters {
        let unknown: Vec<&String> = f
            .doc
            .rules
            .iter()
            .filter(|r| !rules.iter().any(|x| x.doc.meta.is_named(r)))
            .collect();
        if !unknown.is_empty() {
            // The filter still applies to the rules it does find; report the rest.
            refused.push(Refused {
                path: f.path.clone(),
                title: Some(f.doc.meta.title.clone()),
                id: f.doc.meta.id.clone(),
                diagnostic: Diagnostic::warning(
                    Kind::Semantic,
                    codes::FILTER,
                    format!(
                        "filter refers to rules that are not loaded: {}",
                        unknown
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    f.doc.meta.span.clone(),
                ),
            });
        }
    }
}

/// Appends a filter's searches (renamed apart) and ANDs its condition to the rule's.
fn apply_filter(rule: &mut DetectionRule, filter: &Detection, n: usize) {
    let prefix = format!("__filter{n}_");
    for s in &filter.searches {
        let mut s = s.clone();
        s.name = format!("{prefix}{}", s.name);
        rule.detection.searches.push(s);
    }
    let fc = lower::or_cond(
        filter
            .conditions
            .iter()
            .map(|c| rename_cond(c, &prefix))
            .collect(),
    );
    for c in &mut rule.detection.conditions {
        *c = Cond::And(vec![c.clone(), fc.clone()]);
    }
}

fn rename_cond(c: &Cond, prefix: &str) -> Cond {
    match c {
        Cond::Ident(n) => Cond::Ident(format!("{prefix}{n}")),
        Cond::And(v) => Cond::And(v.iter().map(|c| rename_cond(c, prefix)).collect()),
        Cond::Or(v) => Cond::Or(v.iter().map(|c| rename_cond(c, prefix)).collect()),
        Cond::Not(c) => Cond::Not(Box::new(rename_cond(c, prefix))),
        Cond::OneOf(p) | Cond::AllOf(p) => {
            let p = if p == "them" {
                format!("{prefix}*")
            } else {
                format!("{prefix}{p}")
            };
            if matches!(c, Cond::OneOf(_)) {
                Cond::OneOf(p)
            } else {
                Cond::AllOf(p)
            }
        }
    }
}

fn route_predicate(route: &Route) -> Predicate {
    lower::and(
        route
            .selectors
            .iter()
            .map(|(field, values)| {
                Predicate::field(
                    field.clone(),
                    if values.len() == 1 {
                        Matcher::Equals {
                            value: values[0].clone(),
                            case_insensitive: true,
                        }
                    } else {
                        Matcher::AnyOf {
                            values: values.clone(),
                            glob: false,
                            case_insensitive: true,
                        }
                    },
                )
            })
            .collect(),
    )
}

fn unused_searches(rule: &DetectionRule) -> Vec<Diagnostic> {
    let det = &rule.detection;
    det.searches
        .iter()
        .filter(|s| {
            !det.conditions.iter().any(|c| {
                let mut used = false;
                c.visit_idents(&mut |n| used |= n == s.name);
                c.visit_patterns(&mut |p| {
                    used |= if p == "them" {
                        !s.name.starts_with('_')
                    } else {
                        crate::condition::glob_match(p, &s.name)
                    }
                });
                used
            })
        })
        .filter(|s| !s.name.starts_with("_pipeline_condition_"))
        .map(|s| {
            Diagnostic::warning(
                Kind::Lint,
                codes::UNUSED_SEARCH,
                format!("search `{}` is not used by the condition", s.name),
                s.span.clone(),
            )
        })
        .collect()
}

fn compile_rule(
    mut rule: DetectionRule,
    path: &Path,
    filters: &[Sourced<FilterRule>],
    opts: &Options,
) -> Result<CompiledRule, (Meta, Diagnostic)> {
    let mut notes = unused_searches(&rule);
    for (n, f) in filters.iter().enumerate() {
        if f.doc.rules.iter().any(|r| rule.meta.is_named(r)) {
            apply_filter(&mut rule, &f.doc.detection, n);
        }
    }
    for p in &opts.pipelines {
        p.apply(&mut rule);
    }
    let variants: Vec<Option<Variant>> = match opts.target.variants(&rule.meta.logsource) {
        Some(v) => v.into_iter().map(Some).collect(),
        None => {
            if opts.target != Target::Raw {
                let ls = &rule.meta.logsource;
                notes.push(Diagnostic::note(
                    Kind::Lint,
                    codes::UNMAPPED_LOGSOURCE,
                    format!(
                        "log source (product {}, category {}, service {}) has no mapping in the `{}` target: the rule is offered every event",
                        ls.product.as_deref().unwrap_or("-"),
                        ls.category.as_deref().unwrap_or("-"),
                        ls.service.as_deref().unwrap_or("-"),
                        opts.target.name()
                    ),
                    rule.meta.span.start..rule.meta.span.start,
                ));
            }
            vec![None]
        }
    };
    let mut compiled = Vec::with_capacity(variants.len());
    for v in &variants {
        let map_field = |f: &str| -> Vec<String> {
            let mut out = Vec::new();
            for name in pipeline::alternatives(f) {
                match v
                    .as_ref()
                    .and_then(|v| v.fields.iter().find(|(k, _)| *k == name))
                {
                    Some((_, targets)) => out.extend(targets.iter().map(|t| (*t).to_owned())),
                    None => {
                        if v.as_ref().is_some_and(|v| v.spaced_names) {
                            let s = crate::builtin::spaced(&name);
                            if s != name {
                                out.push(s);
                            }
                        }
                        out.push(name)
                    }
                }
            }
            out
        };
        let value_map = |f: &str| -> Option<ValueMap> {
            let v = v.as_ref()?;
            pipeline::alternatives(f)
                .iter()
                .find_map(|name| v.value_map(name).copied())
        };
        let lowering_notes = RefCell::new(Vec::new());
        let ctx = LowerCtx {
            map_field: &map_field,
            value_map: &value_map,
            placeholders: &opts.placeholders,
            notes: &lowering_notes,
        };
        let predicate =
            lower::lower_detection(&rule.detection, &ctx).map_err(|d| (rule.meta.clone(), d))?;
        notes.extend(lowering_notes.into_inner());
        compiled.push(CompiledVariant {
            route: v.as_ref().map(|v| v.route.clone()),
            predicate,
            label: v.as_ref().map_or("unrouted", |v| v.label),
        });
    }
    let plan = Plan::filter(lower::or(
        compiled
            .iter()
            .map(|c| match &c.route {
                Some(r) => lower::and(vec![route_predicate(r), c.predicate.clone()]),
                None => c.predicate.clone(),
            })
            .collect(),
    ));
    Ok(CompiledRule {
        meta: rule.meta,
        path: path.to_owned(),
        variants: compiled,
        plan,
        generate: true,
        notes,
    })
}

fn correlation_kind(c: &CorrelationRule) -> CorrelationKind {
    let field = c.field.clone().unwrap_or_default();
    match c.kind {
        CorrelationType::EventCount => CorrelationKind::EventCount,
        CorrelationType::ValueCount => CorrelationKind::ValueCount { field },
        CorrelationType::Temporal => CorrelationKind::Temporal,
        CorrelationType::TemporalOrdered => CorrelationKind::TemporalOrdered,
        CorrelationType::ValueSum => CorrelationKind::ValueSum { field },
        CorrelationType::ValueAvg => CorrelationKind::ValueAvg { field },
        CorrelationType::ValuePercentile => CorrelationKind::ValuePercentile {
            field,
            percentile: c.percentile.unwrap_or(50.0),
        },
        CorrelationType::ValueMedian => CorrelationKind::ValueMedian { field },
    }
}

/// Resolves references (rules by id or name, correlations chained on correlations) and orders
/// correlations so that inputs come first.
fn resolve_correlations(pending: Vec<Sourced<CorrelationRule>>, set: &mut RuleSet) {
    let mut pending: Vec<Option<Sourced<CorrelationRule>>> =
        pending.into_iter().map(Some).collect();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    loop {
        let mut progressed = false;
        for slot in pending.iter_mut() {
            let Some(c) = slot.as_ref() else { continue };
            let mut inputs = Vec::new();
            let mut waiting = false;
            for r in &c.doc.rules {
                if let Some(i) = set.rules.iter().position(|x| x.meta.is_named(r)) {
                    inputs.push(CorrelationInput::Rule(i));
                } else if let Some(&i) = by_ref.get(r) {
                    inputs.push(CorrelationInput::Correlation(i));
                } else {
                    waiting = true;
                }
            }
            if waiting {
                continue;
            }
            let Some(c) = slot.take() else { continue };
            progressed = true;
            let rules = inputs
                .iter()
                .zip(&c.doc.rules)
                .map(|(inp, name)| {
                    let plan = match inp {
                        CorrelationInput::Rule(i) => set.rules[*i].plan.clone(),
                        CorrelationInput::Correlation(i) => set.correlations[*i].plan.clone(),
                    };
                    (name.clone(), plan)
                })
                .collect();
            let condition = c.doc.condition.first().map(|(op, v)| CorrelationCondition {
                op: *op,
                value: *v,
                and: c.doc.condition.get(1).copied(),
            });
            let plan = Plan::new(vec![Op::Correlate(Correlation {
                kind: correlation_kind(&c.doc),
                rules,
                group_by: c.doc.group_by.clone(),
                timespan_ms: c.doc.timespan_ms,
                condition,
            })]);
            for inp in &inputs {
                if let CorrelationInput::Rule(i) = inp
                    && !c.doc.generate
                {
                    set.rules[*i].generate = false;
                }
            }
            let index = set.correlations.len();
            for key in [c.doc.meta.id.clone(), c.doc.meta.name.clone()]
                .into_iter()
                .flatten()
            {
                by_ref.insert(key, index);
            }
            set.correlations.push(CompiledCorrelation {
                rule: c.doc,
                path: c.path,
                plan,
                inputs,
            });
        }
        if !progressed {
            break;
        }
    }
    for c in pending.into_iter().flatten() {
        let missing: Vec<&String> = c
            .doc
            .rules
            .iter()
            .filter(|r| !set.rules.iter().any(|x| x.meta.is_named(r)) && !by_ref.contains_key(*r))
            .collect();
        set.refused.push(Refused {
            path: c.path.clone(),
            title: Some(c.doc.meta.title.clone()),
            id: c.doc.meta.id.clone(),
            diagnostic: Diagnostic::error(
                Kind::Semantic,
                codes::CORRELATION,
                format!(
                    "correlation refers to rules that are not loaded (or form a cycle): {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                c.doc.meta.span.clone(),
            ),
        });
    }
}

/// Diagnostics for one file, as `saker check` reports them.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub file: PathBuf,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks every Sigma file under `path` with the default options: errors for refused
/// documents, warnings and notes for loaded ones.
pub fn check_path(path: &Path) -> Vec<FileReport> {
    let files = rule_files(&[path.to_owned()]);
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let source = match std::fs::read_to_string(&f) {
            Ok(s) => s,
            Err(e) => {
                out.push(FileReport {
                    file: f,
                    source: String::new(),
                    diagnostics: vec![Diagnostic::error(
                        Kind::Syntax,
                        codes::YAML,
                        format!("cannot read the file: {e}"),
                        0..0,
                    )],
                });
                continue;
            }
        };
        out.push(check_source(&f, source));
    }
    out
}

/// Checks one file's text (correlation and filter references are resolved within the file).
pub fn check_source(file: &Path, source: String) -> FileReport {
    let set = load_sources(&[(file.to_owned(), source.clone())], &Options::default());
    let mut diagnostics: Vec<Diagnostic> = set
        .refused
        .into_iter()
        .map(|r| {
            let mut d = r.diagnostic;
            // References to rules in other files cannot be resolved from one file.
            if d.code == codes::CORRELATION && d.message.contains("not loaded") {
                d.severity = saker_diag::Severity::Warning;
            }
            d
        })
        .collect();
    for r in set.rules {
        diagnostics.extend(
            r.notes
                .into_iter()
                .filter(|n| n.code != codes::UNMAPPED_LOGSOURCE),
        );
    }
    diagnostics.sort_by_key(|d| d.span.start);
    FileReport {
        file: file.to_owned(),
        source,
        diagnostics,
    }
}

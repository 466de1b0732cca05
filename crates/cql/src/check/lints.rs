//! Lints: queries that run but cannot do what they were written for.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;

use saker_diag::{Diagnostic, Kind};
use saker_plan::catalog::{self, FnKind, ParamKind};

use super::schema::Schema;
use super::walk::{Visitor, walk_pipeline};
use crate::ast::*;
use crate::codes;

pub fn check(q: &Query, schema: &Schema, params: &BTreeMap<String, String>) -> Vec<Diagnostic> {
    let mut l = Lints {
        schema,
        types: event_types(&q.pipeline, schema),
        created: HashSet::new(),
        opaque: false,
        reported: HashSet::new(),
        out: Vec::new(),
    };
    l.pipeline(&q.pipeline, true);
    let mut p = Params {
        params,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    walk_pipeline(&q.pipeline, &mut p);
    l.out.extend(p.out);
    l.out
}

/// How a field is used, for choosing between "absent field" lints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Tested by a filter: on absence the filter fails.
    Filter,
    /// Negated test (`!=`, `not`, `!in`): on absence it passes.
    Exclusion,
    /// Read by a function or projection.
    Read,
}

struct Lints<'a> {
    schema: &'a Schema,
    /// Event types the query restricts itself to, when known to the schema.
    types: Option<BTreeSet<String>>,
    /// Fields the query has created so far.
    created: HashSet<String>,
    /// Set once a stage may create fields we cannot name (parsers, joins, saved queries) or
    /// replaces events by rows (aggregates).
    opaque: bool,
    reported: HashSet<(&'static str, String)>,
    out: Vec<Diagnostic>,
}

/// Event types selected by top-level conjuncts before the first aggregate.
fn event_types(p: &Pipeline, schema: &Schema) -> Option<BTreeSet<String>> {
    let mut result: Option<BTreeSet<String>> = None;
    for s in &p.stages {
        match &s.kind {
            StageKind::Filter(f) => {
                if is_aggregate_stage(f) {
                    break;
                }
                for c in conjuncts(f) {
                    if let Some(set) = types_of(c, schema) {
                        result = Some(match result {
                            Some(prev) => prev.intersection(&set).cloned().collect(),
                            None => set,
                        });
                    }
                }
            }
            StageKind::Empty | StageKind::Assign { .. } => {}
            _ => {}
        }
    }
    result.filter(|set| !set.is_empty() && set.iter().all(|t| schema.events.contains_key(t)))
}

fn conjuncts(f: &Filter) -> Vec<&Filter> {
    match &f.kind {
        FilterKind::And(items) => items.iter().flat_map(conjuncts).collect(),
        FilterKind::Paren(inner) => conjuncts(inner),
        _ => vec![f],
    }
}

/// The event names one filter term allows, if it constrains the type field.
fn types_of(f: &Filter, schema: &Schema) -> Option<BTreeSet<String>> {
    match &f.kind {
        FilterKind::Compare {
            field,
            op: FilterOp::Eq,
            value,
        } if schema.type_fields.contains(&field.text) => match &value.kind {
            ValueKind::Word(w) | ValueKind::Str(w) if !w.contains('*') => {
                Some(BTreeSet::from([w.clone()]))
            }
            ValueKind::Regex { pattern, flags } if !flags.contains('i') => alternatives(pattern),
            _ => None,
        },
        FilterKind::Or(items) => {
            let mut all = BTreeSet::new();
            for i in items {
                all.extend(types_of(i, schema)?);
            }
            Some(all)
        }
        FilterKind::Call(c)
            if c.name.eq_ignore_ascii_case("in")
                && !c.negated
                && call_field(c).is_some_and(|n| schema.type_fields.contains(&n)) =>
        {
            let values = c.args.iter().find(|a| {
                a.name
                    .as_ref()
                    .is_some_and(|(n, _)| n.eq_ignore_ascii_case("values"))
            })?;
            let ArgValue::Array(items, _) = &values.value else {
                return None;
            };
            let mut out = BTreeSet::new();
            for i in items {
                match i {
                    ArgValue::Value(Value {
                        kind: ValueKind::Word(w) | ValueKind::Str(w),
                        ..
                    }) if !w.contains('*') => {
                        out.insert(w.clone());
                    }
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// `^(A|B)$`, `^A$`, `A|B` → {A, B} when every alternative is a plain name.
fn alternatives(pattern: &str) -> Option<BTreeSet<String>> {
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    let p = p.strip_suffix('$').unwrap_or(p);
    let p = p
        .strip_prefix("(?:")
        .or_else(|| p.strip_prefix('('))
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(p);
    if !pattern.starts_with('^') || !pattern.ends_with('$') {
        return None;
    }
    let names: BTreeSet<String> = p.split('|').map(str::to_string).collect();
    names
        .iter()
        .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(names)
}

/// The field a call reads as its `field` (unnamed or named, or `f =~`).
fn call_field(c: &Call) -> Option<String> {
    if let Some(r) = &c.receiver {
        return Some(r.text.clone());
    }
    let spec = catalog::lookup(&c.name)?;
    c.args.iter().find_map(|a| {
        let name = match &a.name {
            Some((n, _)) => spec.param(n)?.name,
            None => spec.unnamed?,
        };
        if name != "field" {
            return None;
        }
        match &a.value {
            ArgValue::Value(Value {
                kind: ValueKind::Word(w) | ValueKind::Str(w),
                ..
            }) => Some(w.clone()),
            _ => None,
        }
    })
}

fn is_aggregate_stage(f: &Filter) -> bool {
    match &f.kind {
        FilterKind::Call(c) => {
            !c.saved && catalog::lookup(&c.name).is_some_and(|s| s.kind == FnKind::Aggregate)
        }
        _ => false,
    }
}

fn named_arg<'c>(c: &'c Call, spec: &catalog::FunctionSpec, name: &str) -> Option<&'c Arg> {
    c.args.iter().find(|a| match &a.name {
        Some((n, _)) => spec.param(n).is_some_and(|p| p.name == name),
        None => spec.unnamed == Some(name),
    })
}

/// Functions whose output fields cannot be named statically.
const OPAQUE: &[&str] = &[
    "parseJson",
    "kvParse",
    "parseXml",
    "parseCsv",
    "parseUrl",
    "parseUri",
    "parseCEF",
    "parseLEEF",
    "split",
    "join",
    "match",
    "correlate",
    "readFile",
    "defineTable",
    "createEvents",
    "ipLocation",
    "asn",
    "ioc:lookup",
    "neighbor",
    "bitfield:extractFlags",
    "setField",
    "transpose",
    "findTimestamp",
    "rdns",
];

impl Lints<'_> {
    fn pipeline(&mut self, p: &Pipeline, top: bool) {
        let mut after_aggregate = false;
        for s in &p.stages {
            self.stage(s, top, after_aggregate);
            if let StageKind::Filter(f) = &s.kind
                && is_aggregate_stage(f)
            {
                after_aggregate = true;
                self.opaque = true;
            }
            if let StageKind::Stats { .. } = s.kind {
                after_aggregate = true;
                self.opaque = true;
            }
        }
    }

    fn stage(&mut self, s: &Stage, top: bool, after_aggregate: bool) {
        match &s.kind {
            StageKind::Empty => {}
            StageKind::Filter(f) => {
                if top && after_aggregate {
                    self.free_text_after_aggregate(f);
                }
                self.filter(f, false);
            }
            StageKind::Assign { field, value } => {
                self.expr(value);
                self.created.insert(field.text.clone());
            }
            StageKind::Case { clauses } => {
                self.unreachable_clauses(clauses);
                let before = self.created.clone();
                let mut all = before.clone();
                for c in clauses {
                    self.created = before.clone();
                    self.pipeline(c, false);
                    all.extend(self.created.drain());
                }
                self.created = all;
            }
            StageKind::Match { field, arms } => {
                self.field(&field.text, field.span.clone(), Use::Filter);
                let before = self.created.clone();
                let mut all = before.clone();
                for a in arms {
                    self.created = before.clone();
                    self.pipeline(&a.body, false);
                    all.extend(self.created.drain());
                }
                self.created = all;
            }
            StageKind::Stats { .. } => {}
        }
    }

    fn free_text_after_aggregate(&mut self, f: &Filter) {
        for c in conjuncts(f) {
            if let FilterKind::Text(v) = &c.kind {
                if matches!(&v.kind, ValueKind::Word(w) if w == "*") {
                    continue;
                }
                self.out.push(
                    Diagnostic::warning(
                        Kind::Lint,
                        codes::LINT_FREE_TEXT_AFTER_AGGREGATE,
                        "free-text filter after an aggregate",
                        v.span.clone(),
                    )
                    .with_label("rows produced by an aggregate cannot be searched as free text")
                    .with_help("filter on a field instead: `field = *text*`"),
                );
            }
        }
    }

    fn filter(&mut self, f: &Filter, negated: bool) {
        match &f.kind {
            FilterKind::And(items) | FilterKind::Or(items) => {
                items.iter().for_each(|i| self.filter(i, negated))
            }
            FilterKind::Not(inner) => self.filter(inner, !negated),
            FilterKind::Paren(inner) => self.filter(inner, negated),
            FilterKind::Compare { field, op, value } => {
                let usage = if negated ^ (*op == FilterOp::Ne) {
                    Use::Exclusion
                } else {
                    Use::Filter
                };
                self.field(&field.text, field.span.clone(), usage);
                if *op == FilterOp::Eq && !negated {
                    self.suspicious_equals(field, value);
                }
                if let ValueKind::Regex { pattern, .. } = &value.kind {
                    self.created.extend(named_groups(pattern));
                }
            }
            FilterKind::Link { left, .. } => self.field(&left.text, left.span.clone(), Use::Read),
            FilterKind::Text(v) => {
                if let ValueKind::Regex { pattern, .. } = &v.kind {
                    self.created.extend(named_groups(pattern));
                }
            }
            FilterKind::Call(c) => self.call(c, negated ^ c.negated),
            FilterKind::Error => {}
        }
    }

    fn call(&mut self, c: &Call, negated: bool) {
        if c.saved {
            self.opaque = true;
            return;
        }
        let Some(spec) = catalog::lookup(&c.name) else {
            return;
        };
        if let Some(r) = &c.receiver {
            let usage = if spec.kind == FnKind::Filter {
                if negated { Use::Exclusion } else { Use::Filter }
            } else {
                Use::Read
            };
            self.field(&r.text, r.span.clone(), usage);
        }
        self.deprecated(c, spec);
        self.row_limit(c, spec);
        for a in &c.args {
            let pname = match &a.name {
                Some((n, _)) => spec.param(n).map(|p| (p.name, p.kind)),
                None => spec
                    .unnamed
                    .and_then(|u| spec.param(u))
                    .map(|p| (p.name, p.kind)),
            };
            let Some((pname, kind)) = pname else { continue };
            if pname == "as"
                || pname == "include"
                || spec.name == "rename"
                    && pname == "field"
                    && matches!(a.value, ArgValue::Array(..))
            {
                continue;
            }
            match kind {
                ParamKind::Field => {
                    let usage = if spec.kind == FnKind::Filter {
                        if negated { Use::Exclusion } else { Use::Filter }
                    } else {
                        Use::Read
                    };
                    for (name, span) in field_words(&a.value) {
                        if spec.name == "default" {
                            continue;
                        }
                        self.field(&name, span, usage);
                    }
                }
                ParamKind::Expr => {
                    if let ArgValue::Expr(e) = &a.value {
                        self.expr(e);
                    }
                }
                ParamKind::Regex => {
                    if let ArgValue::Value(Value {
                        kind: ValueKind::Str(p) | ValueKind::Regex { pattern: p, .. },
                        ..
                    }) = &a.value
                    {
                        self.created.extend(named_groups(p));
                    }
                }
                _ => {}
            }
        }
        // Outputs.
        if let Some(a) = named_arg(c, spec, "as") {
            for (name, _) in field_words(&a.value) {
                self.created.insert(name);
            }
        } else if let Some(out) = spec.output {
            self.created.insert(out.to_string());
        }
        if let Some(a) = &c.assign {
            self.created.insert(a.text.clone());
        }
        if (spec.name == "default" || spec.name == "rename")
            && let Some(a) = named_arg(c, spec, "field")
        {
            for (name, _) in field_words(&a.value) {
                self.created.insert(name);
            }
        }
        if OPAQUE.contains(&spec.name)
            || spec.name.starts_with("array:")
            || spec.name.starts_with("objectArray:")
        {
            self.opaque = true;
        }
    }

    fn expr(&mut self, e: &Expr) {
        struct Fields(Vec<(String, Range<usize>)>, Vec<Call>);
        impl Visitor for Fields {
            fn expr(&mut self, e: &Expr) {
                if let ExprKind::Field(n) = &e.kind {
                    self.0.push((n.text.clone(), n.span.clone()));
                }
                if let ExprKind::Call(c) = &e.kind {
                    self.1.push(c.clone());
                }
            }
        }
        let mut f = Fields(Vec::new(), Vec::new());
        super::walk::walk_expr(e, &mut f);
        for (name, span) in f.0 {
            self.field(&name, span, Use::Read);
        }
    }

    /// The lints about one field reference.
    fn field(&mut self, name: &str, span: Range<usize>, usage: Use) {
        if name == "_time" {
            if self
                .reported
                .insert((codes::LINT_TIME_FIELD, span.start.to_string()))
            {
                self.out.push(
                    Diagnostic::warning(
                        Kind::Lint,
                        codes::LINT_TIME_FIELD,
                        "`_time` does not exist in LogScale; did you mean `@timestamp`?",
                        span,
                    )
                    .with_label("no event has this field")
                    .with_help("use `@timestamp` (epoch milliseconds)"),
                );
            }
            return;
        }
        for suffix in ["_decimal", "_readable"] {
            if let Some(base) = name.strip_suffix(suffix) {
                if !self.created.contains(name)
                    && self
                        .reported
                        .insert((codes::LINT_LEGACY_SUFFIX, name.to_string()))
                {
                    self.out.push(
                        Diagnostic::warning(
                            Kind::Lint,
                            codes::LINT_LEGACY_SUFFIX,
                            format!(
                                "`{name}`: the `{suffix}` suffix is from legacy Falcon Event Search"
                            ),
                            span.clone(),
                        )
                        .with_label("LogScale's Falcon data has no such field")
                        .with_help(format!("use `{base}`")),
                    );
                }
                return;
            }
        }
        if name.starts_with('@') || self.created.contains(name) {
            return;
        }
        let Some(types) = &self.types else { return };
        if self.opaque || name.starts_with('#') || self.schema.carries(types, name) {
            return;
        }
        let list = types.iter().cloned().collect::<Vec<_>>().join("/");
        let foreign = self.schema.foreign.get(name).cloned();
        if usage == Use::Exclusion {
            if self
                .reported
                .insert((codes::LINT_VACUOUS_EXCLUSION, name.to_string()))
            {
                self.out.push(
                    Diagnostic::warning(
                        Kind::Lint,
                        codes::LINT_VACUOUS_EXCLUSION,
                        format!("this exclusion on `{name}` can never apply: {list} events do not carry `{name}`"),
                        span,
                    )
                    .with_label(format!("`{name}` is absent, so the negated test is true for every event"))
                    .with_help(foreign.unwrap_or_else(|| {
                        "test the field on the event that carries it (join the writer process via `ContextProcessId`), or require it first with `field = *`".into()
                    })),
                );
            }
            return;
        }
        if self
            .reported
            .insert((codes::LINT_FIELD_NOT_ON_EVENT, name.to_string()))
        {
            let effect = match usage {
                Usage::Filter => "this filter never matches",
                _ => "it is always absent here",
            };
            self.out.push(
                Diagnostic::warning(
                    Kind::Lint,
                    codes::LINT_FIELD_NOT_ON_EVENT,
                    format!("{list} events do not carry `{name}`: {effect}"),
                    span,
                )
                .with_label("not in the event schema")
                .with_help(foreign.unwrap_or_else(|| {
                    "check the field name against the event type's schema".into()
                })),
            );
        }
    }

    fn row_limit(&mut self, c: &Call, spec: &catalog::FunctionSpec) {
        if !matches!(spec.name, "sort" | "head" | "tail" | "table") {
            return;
        }
        if named_arg(c, spec, "limit").is_some() {
            return;
        }
        self.out.push(
            Diagnostic::note(
                Kind::Lint,
                codes::LINT_ROW_LIMIT,
                format!("`{}()` keeps at most 200 rows by default", spec.name),
                c.name_span.clone(),
            )
            .with_label("rows beyond the 200th are silently dropped")
            .with_help(match spec.name {
                "sort" | "table" => "set `limit=` explicitly (`limit=max` allows 200,000)",
                _ => "set `limit=` explicitly",
            }),
        );
    }

    fn deprecated(&mut self, c: &Call, spec: &catalog::FunctionSpec) {
        let msg = match spec.name {
            "lowercase" => Some(("`lowercase()` is deprecated", "use `lower()`")),
            "sort" if named_arg(c, spec, "reverse").is_some() => {
                Some(("`sort(reverse=…)` is deprecated", "use `order=asc|desc`"))
            }
            "cidr" if named_arg(c, spec, "negate").is_some() => {
                Some(("`cidr(negate=…)` is deprecated", "use `!cidr(…)`"))
            }
            _ => None,
        };
        if let Some((m, h)) = msg {
            self.out.push(
                Diagnostic::warning(Kind::Lint, codes::LINT_DEPRECATED, m, c.name_span.clone())
                    .with_help(h),
            );
        }
    }

    fn suspicious_equals(&mut self, field: &Name, value: &Value) {
        let (ValueKind::Word(v) | ValueKind::Str(v)) = &value.kind else {
            return;
        };
        if v.contains('*') || v.is_empty() {
            return;
        }
        let path_fields = [
            "ImageFileName",
            "TargetFileName",
            "TargetImageFileName",
            "ParentImageFileName",
            "GrandparentImageFileName",
            "FilePath",
        ];
        let why = if v.trim() != v {
            Some(
                "the value has leading or trailing spaces; `=` compares the whole value"
                    .to_string(),
            )
        } else if path_fields.contains(&field.text.as_str())
            && !v.contains('\\')
            && !v.contains('/')
        {
            Some(format!(
                "`{}` holds a full path, so `= {v}` never matches; use `{} = *\\\\{v}` or a regex",
                field.text, field.text
            ))
        } else if path_fields.contains(&field.text.as_str())
            && v.len() > 2
            && v.as_bytes()[1] == b':'
        {
            Some(format!(
                "Falcon `{}` values are NT device paths (`\\Device\\HarddiskVolume3\\…`), not drive-letter paths",
                field.text
            ))
        } else if (field.text.ends_with("FileName") || field.text == "DomainName")
            && v.chars().any(|c| c.is_ascii_uppercase())
            && v.chars().any(|c| c.is_ascii_lowercase())
            && v.contains('.')
        {
            Some(format!(
                "`=` is case-sensitive and `{}` values vary in case; use `{} = /^{}$/i` or `in({}, values=[…], ignoreCase=true)`",
                field.text,
                field.text,
                regex_escape(v),
                field.text
            ))
        } else {
            None
        };
        if let Some(why) = why {
            self.out.push(
                Diagnostic::warning(
                    Kind::Lint,
                    codes::LINT_SUSPICIOUS_EQUALS,
                    "`=` matches the whole value exactly and case-sensitively",
                    value.span.clone(),
                )
                .with_label("probably not the intended comparison")
                .with_help(why),
            );
        }
    }

    fn unreachable_clauses(&mut self, clauses: &[Pipeline]) {
        let mut seen: Vec<(String, Range<usize>)> = Vec::new();
        let mut catch_all: Option<Range<usize>> = None;
        for c in clauses {
            let span = c.span.clone();
            if let Some(prev) = &catch_all {
                self.out.push(
                    Diagnostic::warning(
                        Kind::Lint,
                        codes::LINT_UNREACHABLE_CLAUSE,
                        "unreachable case clause",
                        span,
                    )
                    .with_label("never tried")
                    .with_secondary(prev.clone(), "this clause already takes every event"),
                );
                continue;
            }
            let first = c.stages.first();
            match first.map(|s| &s.kind) {
                None | Some(StageKind::Empty) => {
                    catch_all = Some(span);
                    continue;
                }
                Some(StageKind::Filter(f)) if matches!(&f.kind, FilterKind::Text(Value { kind: ValueKind::Word(w), .. }) if w == "*") =>
                {
                    catch_all = Some(span);
                    continue;
                }
                Some(StageKind::Filter(f)) => {
                    let key = crate::print::print(
                        &crate::lower::lower(
                            &Query {
                                pipeline: Pipeline {
                                    stages: vec![Stage {
                                        kind: StageKind::Filter(f.clone()),
                                        span: f.span.clone(),
                                    }],
                                    span: f.span.clone(),
                                },
                            },
                            &BTreeMap::new(),
                        )
                        .0,
                    );
                    let rest_filters = c.stages[1..].iter().any(|s| {
                        matches!(
                            s.kind,
                            StageKind::Filter(_) | StageKind::Case { .. } | StageKind::Match { .. }
                        )
                    });
                    if let Some((_, prev)) = seen.iter().find(|(k, _)| *k == key) {
                        self.out.push(
                            Diagnostic::warning(
                                Kind::Lint,
                                codes::LINT_UNREACHABLE_CLAUSE,
                                "unreachable case clause: an earlier clause has the same condition",
                                span,
                            )
                            .with_label("never taken")
                            .with_secondary(prev.clone(), "this clause takes these events first"),
                        );
                        continue;
                    }
                    if !rest_filters {
                        seen.push((key, span));
                    }
                }
                _ => {
                    // Assignments or functions first: the clause takes every event.
                    if c.stages
                        .iter()
                        .all(|s| matches!(s.kind, StageKind::Assign { .. }))
                    {
                        catch_all = Some(span);
                    }
                }
            }
        }
    }
}

type Usage = Use;

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Field names written as words/strings in an argument (single or array).
fn field_words(v: &ArgValue) -> Vec<(String, Range<usize>)> {
    match v {
        ArgValue::Value(Value {
            kind: ValueKind::Word(w) | ValueKind::Str(w),
            span,
        }) => vec![(w.clone(), span.clone())],
        ArgValue::Array(items, _) => items.iter().flat_map(field_words).collect(),
        _ => Vec::new(),
    }
}

/// `(?<name>…)` group names of a regex: the fields it extracts.
pub fn named_groups(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = p;
    while let Some(i) = rest.find("(?<").or_else(|| rest.find("(?P<")) {
        let after = &rest[i..];
        let start = if after.starts_with("(?P<") { 4 } else { 3 };
        let body = &after[start..];
        if body.starts_with('=') || body.starts_with('!') {
            rest = body;
            continue;
        }
        match body.find('>') {
            Some(end) => {
                out.push(body[..end].to_string());
                rest = &body[end..];
            }
            None => break,
        }
    }
    out
}

/// Notes for `?parameters` without a value.
struct Params<'a> {
    params: &'a BTreeMap<String, String>,
    seen: HashSet<String>,
    out: Vec<Diagnostic>,
}

impl Visitor for Params<'_> {
    fn value(&mut self, v: &Value) {
        if let ValueKind::Param { name, default } = &v.kind {
            self.param(name, default, v.span.clone());
        }
    }
    fn expr(&mut self, e: &Expr) {
        if let ExprKind::Param { name, default } = &e.kind {
            self.param(name, default, e.span.clone());
        }
    }
}

impl Params<'_> {
    fn param(&mut self, name: &str, default: &Option<String>, span: Range<usize>) {
        if default.is_some()
            || self.params.contains_key(name)
            || !self.seen.insert(name.to_string())
        {
            return;
        }
        self.out.push(
            Diagnostic::note(
                Kind::Semantic,
                codes::UNBOUND_PARAMETER,
                format!("parameter `?{name}` has no value; `*` is used"),
                span,
            )
            .with_help(format!("pass `--param {name}=VALUE`")),
        );
    }
}

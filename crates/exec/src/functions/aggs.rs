//! Aggregates: `count`, `sum`, `avg`, `min`, `max`, `groupBy`, `stats`, `top`, `sort`, `head`,
//! `tail`, `table`, `collect`, `selectLast`, `selectFromMax/Min`, `range`, `stdDev`, `bucket`,
//! `timeChart`.
//!
//! After an aggregate only its output fields remain (<https://library.humio.com/data-analysis/functions-groupby.html>).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use saker_event::{Event, Sym, Text, format_number, parse_number};

use super::{agg, agg_reading};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{AggSpec, AggState, StageSpec, downcast};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    let spec: Arc<dyn AggSpec> = match name {
        "count" => {
            let field = a.text("field").map(|f| Sym::new(&f));
            let distinct = a.bool_or("distinct", false)?;
            let out = super::out_field(a, "_count");
            if field.is_none() {
                return Ok(Some(StageSpec::Agg(Arc::new(CountEvents { out }))));
            }
            agg_reading(field.into_iter().collect(), move || Count {
                field,
                distinct,
                out,
                n: 0,
                seen: std::collections::HashSet::new(),
            })
        }
        "sum" | "avg" | "min" | "max" | "range" | "stddev" => {
            let kind = match name {
                "sum" => NumKind::Sum,
                "avg" => NumKind::Avg,
                "min" => NumKind::Min,
                "max" => NumKind::Max,
                "range" => NumKind::Range,
                _ => NumKind::StdDev,
            };
            let field = super::required_field(a)?;
            let default = match name {
                "stddev" => "_stddev".to_owned(),
                n => format!("_{n}"),
            };
            let out = super::out_field(a, &default);
            agg_reading(vec![field], move || NumAgg::new(kind, field, out))
        }
        "groupby" => groupby(c, a)?,
        "stats" => match a.raw("function") {
            Some(v) => c.agg_list(v)?,
            None => stats_of(Vec::new()),
        },
        "top" => top(a)?,
        "sort" => sort(a)?,
        "head" | "tail" => {
            let limit = a.limit_or("limit", 200, 10_000)?;
            let newest = name == "tail";
            // On searched events the first/last are by time; after an aggregate (`sort`,
            // `groupBy`, …) they are the first/last rows in that aggregate's order
            // (https://library.humio.com/crowdstrike-query-language/query-howto-limiting.html).
            let by_time = !c.after_aggregate();
            agg(move || HeadTail {
                limit,
                newest,
                by_time,
                rows: Vec::new(),
            })
        }
        "table" => table(a)?,
        "select" => return Ok(Some(select(a)?)),
        "collect" => {
            let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
            let limit = a.limit_or("limit", 2000, 2000)?;
            let separator = a.text_or("separator", "\n");
            agg(move || Collect {
                fields: fields.clone(),
                limit,
                separator: separator.clone(),
                values: vec![Vec::new(); fields.len()],
            })
        }
        "selectlast" => {
            let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
            agg(move || SelectLast {
                fields: fields.clone(),
                values: vec![None; fields.len()],
            })
        }
        "selectfrommax" | "selectfrommin" => {
            let field = super::required_field(a)?;
            let include: Vec<Sym> = a.list("include").iter().map(|f| Sym::new(f)).collect();
            let max = name == "selectfrommax";
            agg(move || SelectFrom {
                field,
                include: include.clone(),
                max,
                best: None,
            })
        }
        "bucket" | "timechart" => super::bucket::bucket(c, a, name)?,
        _ => return Ok(None),
    };
    Ok(Some(StageSpec::Agg(spec)))
}

pub(super) fn select(a: &Args) -> Result<StageSpec> {
    let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    Ok(super::map(move |e| *e = project(e, &fields)))
}

/// The stats combination rule: one-row outputs merge; otherwise a Cartesian product (an empty
/// output counts as one empty row).
pub fn stats_of(parts: Vec<Arc<dyn AggSpec>>) -> Arc<dyn AggSpec> {
    if parts.len() == 1 {
        if let Some(p) = parts.into_iter().next() {
            return p;
        }
        return Arc::new(Stats { parts: Vec::new() });
    }
    Arc::new(Stats { parts })
}

struct Stats {
    parts: Vec<Arc<dyn AggSpec>>,
}

impl AggSpec for Stats {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(StatsState {
            states: self.parts.iter().map(|p| p.start()).collect(),
        })
    }

    fn start_partial(&self) -> Box<dyn AggState> {
        Box::new(StatsState {
            states: self.parts.iter().map(|p| p.start_partial()).collect(),
        })
    }

    fn reads(&self) -> Option<Vec<Sym>> {
        let mut all = Vec::new();
        for p in &self.parts {
            all.extend(p.reads()?);
        }
        Some(all)
    }
}

struct StatsState {
    states: Vec<Box<dyn AggState>>,
}

impl AggState for StatsState {
    fn add(&mut self, e: &Event) {
        for s in &mut self.states {
            s.add(e);
        }
    }

    fn mergeable(&self) -> bool {
        self.states.iter().all(|s| s.mergeable())
    }

    fn merge(&mut self, later: Box<dyn AggState>) {
        if let Some(later) = downcast::<StatsState>(later) {
            for (s, l) in self.states.iter_mut().zip(later.states) {
                s.merge(l);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let mut product = vec![Event::new()];
        for s in &mut self.states {
            let mut rows = Vec::new();
            s.finish(&mut rows);
            if rows.is_empty() {
                continue;
            }
            let mut next = Vec::with_capacity(product.len() * rows.len());
            for p in &product {
                for r in &rows {
                    let mut m = p.clone();
                    for (k, v) in r.iter() {
                        m.set(k, v);
                    }
                    next.push(m);
                }
            }
            product = next;
        }
        out.extend(product);
    }
}

fn groupby(c: &Compiler, a: &Args) -> Result<Arc<dyn AggSpec>> {
    let keys: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    if keys.is_empty() {
        return Err(a.err("missing `field`"));
    }
    let function = match a.raw("function") {
        Some(v) => c.agg_list(v)?,
        None => count_spec("_count"),
    };
    let limit = a.limit_or("limit", 20_000, 1_000_000)?;
    Ok(Arc::new(GroupBy {
        keys,
        function,
        limit,
    }))
}

pub(super) fn count_spec(out: &str) -> Arc<dyn AggSpec> {
    Arc::new(CountEvents { out: Sym::new(out) })
}

/// `count()` without a field (`distinct` means nothing without one): the number of events.
struct CountEvents {
    out: Sym,
}

impl AggSpec for CountEvents {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(Count {
            field: None,
            distinct: false,
            out: self.out,
            n: 0,
            seen: Default::default(),
        })
    }

    fn reads(&self) -> Option<Vec<Sym>> {
        Some(Vec::new())
    }

    fn counts_events(&self) -> Option<Sym> {
        Some(self.out)
    }
}

pub(super) struct GroupBy {
    pub keys: Vec<Sym>,
    pub function: Arc<dyn AggSpec>,
    pub limit: usize,
}

impl GroupBy {
    fn state(&self, partial: bool) -> GroupState {
        GroupState {
            keys: self.keys.clone(),
            function: self.function.clone(),
            limit: if partial { usize::MAX } else { self.limit },
            partial,
            index: HashMap::default(),
            single_index: HashMap::default(),
            group_keys: Vec::new(),
            aggs: match self.function.counts_events() {
                Some(out) => GroupAggs::Counts(out, Vec::new()),
                None => GroupAggs::States(Vec::new()),
            },
        }
    }
}

/// The aggregate of each group, in group order.
enum GroupAggs {
    States(Vec<Box<dyn AggState>>),
    /// `function=count()`, the most common groupBy: plain counters, with the output field. Saves
    /// a boxed state and a dynamic call per event.
    Counts(Sym, Vec<u64>),
}

impl AggSpec for GroupBy {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(self.state(false))
    }

    /// Without the group limit: which groups fit is only known once the slices before are in.
    fn start_partial(&self) -> Box<dyn AggState> {
        Box::new(self.state(true))
    }

    fn reads(&self) -> Option<Vec<Sym>> {
        let mut all = self.keys.clone();
        all.extend(self.function.reads()?);
        Some(all)
    }
}

/// Hashing of group keys: seeded per process like std's SipHash, but much cheaper on the short
/// keys groups usually have (SipHash stood out in profiles of a groupBy over 2 M events).
type GroupHash = foldhash::fast::RandomState;

struct GroupState {
    keys: Vec<Sym>,
    function: Arc<dyn AggSpec>,
    limit: usize,
    /// A partial state (see [`AggSpec::start_partial`]): its groups are partial states too.
    partial: bool,
    /// Group numbers by key values; with one key field, by that value alone (no key vector to
    /// build per event).
    index: HashMap<Vec<Text>, usize, GroupHash>,
    single_index: HashMap<Text, usize, GroupHash>,
    /// Each group's key values, in group order; its aggregate is at the same index of `aggs`.
    group_keys: Vec<Vec<Text>>,
    aggs: GroupAggs,
}

impl GroupState {
    /// The group of `e`, created when new; `None` when a key field is missing or the group limit
    /// is reached.
    fn group_of(&mut self, e: &Event) -> Option<usize> {
        if let [k] = self.keys[..] {
            let v = e.get(k)?;
            if let Some(&i) = self.single_index.get(v) {
                return Some(i);
            }
            let i = self.new_group(vec![Text::from(v)])?;
            self.single_index.insert(Text::from(v), i);
            return Some(i);
        }
        let key = self
            .keys
            .iter()
            .map(|k| e.get(*k).map(Text::from))
            .collect::<Option<Vec<Text>>>()?;
        if let Some(&i) = self.index.get(&key) {
            return Some(i);
        }
        let i = self.new_group(key.clone())?;
        self.index.insert(key, i);
        Some(i)
    }

    fn new_group(&mut self, key: Vec<Text>) -> Option<usize> {
        if self.group_keys.len() >= self.limit {
            return None;
        }
        match &mut self.aggs {
            GroupAggs::Counts(_, counts) => counts.push(0),
            GroupAggs::States(states) => states.push(if self.partial {
                self.function.start_partial()
            } else {
                self.function.start()
            }),
        }
        self.group_keys.push(key);
        Some(self.group_keys.len() - 1)
    }

    fn find(&self, key: &[Text]) -> Option<usize> {
        match key {
            [k] if self.keys.len() == 1 => self.single_index.get(k).copied(),
            _ => self.index.get(key).copied(),
        }
    }
}

/// One group's aggregate taken out of a [`GroupAggs`] for merging.
enum Agg {
    Count(u64),
    State(Box<dyn AggState>),
}

impl AggState for GroupState {
    fn add(&mut self, e: &Event) {
        if let Some(i) = self.group_of(e) {
            match &mut self.aggs {
                GroupAggs::Counts(_, counts) => counts[i] += 1,
                GroupAggs::States(states) => states[i].add(e),
            }
        }
    }

    fn mergeable(&self) -> bool {
        self.function.start_partial().mergeable()
    }

    /// The later slice's groups in their order of first appearance: known groups absorb theirs,
    /// new ones are appended while the limit allows, so groups are numbered (and emitted) in the
    /// order one pass over all events would have created them.
    fn merge(&mut self, later: Box<dyn AggState>) {
        let Some(later) = downcast::<GroupState>(later) else {
            return;
        };
        let later = *later;
        let later_aggs: Vec<Agg> = match later.aggs {
            GroupAggs::Counts(_, counts) => counts.into_iter().map(Agg::Count).collect(),
            GroupAggs::States(states) => states.into_iter().map(Agg::State).collect(),
        };
        for (key, agg) in later.group_keys.into_iter().zip(later_aggs) {
            if let Some(i) = self.find(&key) {
                match (&mut self.aggs, agg) {
                    (GroupAggs::Counts(_, counts), Agg::Count(n)) => counts[i] += n,
                    (GroupAggs::States(states), Agg::State(state)) => states[i].merge(state),
                    // Both states come from the same spec.
                    _ => {}
                }
                continue;
            }
            if self.group_keys.len() >= self.limit {
                continue;
            }
            match (&mut self.aggs, agg) {
                (GroupAggs::Counts(_, counts), Agg::Count(n)) => counts.push(n),
                (GroupAggs::States(states), Agg::State(state)) => states.push(state),
                _ => continue,
            }
            let i = self.group_keys.len();
            match &key[..] {
                [k] if self.keys.len() == 1 => {
                    self.single_index.insert(k.clone(), i);
                }
                _ => {
                    self.index.insert(key.clone(), i);
                }
            }
            self.group_keys.push(key);
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let states = match &mut self.aggs {
            GroupAggs::Counts(field, counts) => {
                for (key, n) in self.group_keys.iter().zip(counts.iter()) {
                    let mut row = Event::with_capacity(key.len() + 1);
                    for (k, v) in self.keys.iter().zip(key.iter()) {
                        row.set(*k, v.clone());
                    }
                    row.set(*field, compact_str::format_compact!("{n}"));
                    out.push(row);
                }
                return;
            }
            GroupAggs::States(states) => states,
        };
        for (key, state) in self.group_keys.iter().zip(states.iter_mut()) {
            let mut rows = Vec::new();
            state.finish(&mut rows);
            for r in rows {
                let mut row = Event::with_capacity(key.len() + r.len());
                for (k, v) in self.keys.iter().zip(key.iter()) {
                    row.set(*k, v.clone());
                }
                for (k, v) in r.iter() {
                    row.set(k, v);
                }
                out.push(row);
            }
        }
    }
}

fn top(a: &Args) -> Result<Arc<dyn AggSpec>> {
    let keys: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    if keys.is_empty() {
        return Err(a.err("missing `field`"));
    }
    let limit = a.limit_or("limit", 10, 20_000)?;
    let sum = a.text("sum").map(|f| Sym::new(&f));
    let max = a.text("max").map(|f| Sym::new(&f));
    let default_out = if sum.is_some() {
        "_sum"
    } else if max.is_some() {
        "_max"
    } else {
        "_count"
    };
    let out = super::out_field(a, default_out);
    let percent = a.bool_or("percent", false)?;
    let rest = a.text("rest");
    Ok(Arc::new(Top {
        keys,
        limit,
        sum,
        max,
        out,
        percent,
        rest,
    }))
}

struct Top {
    keys: Vec<Sym>,
    limit: usize,
    sum: Option<Sym>,
    max: Option<Sym>,
    out: Sym,
    percent: bool,
    rest: Option<String>,
}

impl AggSpec for Top {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(TopState {
            spec: Top {
                keys: self.keys.clone(),
                limit: self.limit,
                sum: self.sum,
                max: self.max,
                out: self.out,
                percent: self.percent,
                rest: self.rest.clone(),
            },
            index: HashMap::new(),
            groups: Vec::new(),
        })
    }

    fn reads(&self) -> Option<Vec<Sym>> {
        let mut all = self.keys.clone();
        all.extend(self.sum);
        all.extend(self.max);
        Some(all)
    }
}

struct TopState {
    spec: Top,
    index: HashMap<Vec<Text>, usize>,
    groups: Vec<(Vec<Text>, f64)>,
}

impl AggState for TopState {
    fn add(&mut self, e: &Event) {
        let mut key = Vec::with_capacity(self.spec.keys.len());
        for k in &self.spec.keys {
            match e.get(*k) {
                Some(v) => key.push(Text::from(v)),
                None => return,
            }
        }
        let weight = match (self.spec.sum, self.spec.max) {
            (Some(f), _) | (None, Some(f)) => match e.number(f) {
                Some(n) => n,
                None => return,
            },
            _ => 1.0,
        };
        let i = *self.index.entry(key.clone()).or_insert_with(|| {
            self.groups.push((
                key,
                if self.spec.max.is_some() {
                    f64::MIN
                } else {
                    0.0
                },
            ));
            self.groups.len() - 1
        });
        let slot = &mut self.groups[i].1;
        if self.spec.max.is_some() {
            *slot = slot.max(weight);
        } else {
            *slot += weight;
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let total: f64 = self.groups.iter().map(|g| g.1).sum();
        self.groups
            .sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
        let shown = self.groups.len().min(self.spec.limit);
        for (key, n) in &self.groups[..shown] {
            let mut row = Event::new();
            for (k, v) in self.spec.keys.iter().zip(key) {
                row.set(*k, v.clone());
            }
            row.set(self.spec.out, format_number(*n));
            if self.spec.percent && total > 0.0 {
                row.set(Sym::new("percent"), format_number(n / total * 100.0));
            }
            out.push(row);
        }
        if let Some(label) = &self.spec.rest
            && self.groups.len() > shown
        {
            let rest: f64 = self.groups[shown..].iter().map(|g| g.1).sum();
            let mut row = Event::new();
            if let Some(k) = self.spec.keys.first() {
                row.set(*k, label.as_str());
            }
            row.set(self.spec.out, format_number(rest));
            out.push(row);
        }
    }
}

fn sort(a: &Args) -> Result<Arc<dyn AggSpec>> {
    let mut fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    if fields.is_empty() {
        fields.push(Sym::new("_count"));
    }
    let mut orders = a.list("order");
    if a.bool_or("reverse", false)? && orders.is_empty() {
        orders.push("asc".into());
    }
    let types = a.list("type");
    let keys = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let order = orders
                .get(i)
                .or(orders.last())
                .map_or("desc", String::as_str);
            let ty = types
                .get(i)
                .or(types.last())
                .map_or("number", String::as_str);
            Ok(SortKey {
                field: *f,
                desc: parse_order(a, order)?,
                ty: parse_type(a, ty)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let limit = a.limit_or("limit", 200, 200_000)?;
    Ok(Arc::new(Sorted {
        keys,
        limit,
        project: None,
    }))
}

fn table(a: &Args) -> Result<Arc<dyn AggSpec>> {
    let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    let limit = a.limit_or("limit", 200, 200_000)?;
    let sortby = a.list("sortby");
    let sortby = if sortby.is_empty() {
        vec!["@timestamp".to_owned()]
    } else {
        sortby
    };
    let orders = a.list("order");
    let types = a.list("type");
    let keys = sortby
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let order = orders
                .get(i)
                .or(orders.last())
                .map_or("desc", String::as_str);
            let ty = types
                .get(i)
                .or(types.last())
                .map_or("number", String::as_str);
            Ok(SortKey {
                field: Sym::new(f),
                desc: parse_order(a, order)?,
                ty: parse_type(a, ty)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Arc::new(Sorted {
        keys,
        limit,
        project: Some(fields),
    }))
}

fn parse_order(a: &Args, o: &str) -> Result<bool> {
    match o.to_ascii_lowercase().as_str() {
        "desc" | "descending" => Ok(true),
        "asc" | "ascending" => Ok(false),
        other => Err(a.err(format!("order must be asc or desc, not `{other}`"))),
    }
}

fn parse_type(a: &Args, t: &str) -> Result<SortType> {
    match t.to_ascii_lowercase().as_str() {
        "number" | "any" => Ok(SortType::Number),
        "string" => Ok(SortType::String),
        "hex" => Ok(SortType::Hex),
        other => Err(a.err(format!("type must be number, string or hex, not `{other}`"))),
    }
}

#[derive(Clone, Copy)]
enum SortType {
    Number,
    String,
    Hex,
}

#[derive(Clone, Copy)]
struct SortKey {
    field: Sym,
    desc: bool,
    ty: SortType,
}

/// `sort`/`table`: rows ordered by the keys (missing or unreadable values last, in input order),
/// cut to `limit`.
struct Sorted {
    keys: Vec<SortKey>,
    limit: usize,
    project: Option<Vec<Sym>>,
}

impl AggSpec for Sorted {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(SortedState {
            keys: self.keys.clone(),
            limit: self.limit,
            project: self.project.clone(),
            rows: Vec::new(),
        })
    }
}

struct SortedState {
    keys: Vec<SortKey>,
    limit: usize,
    project: Option<Vec<Sym>>,
    rows: Vec<Event>,
}

fn cmp_key(k: &SortKey, a: &Event, b: &Event) -> Ordering {
    let read = |e: &Event| -> Option<SortVal> {
        let v = e.get(k.field)?;
        match k.ty {
            SortType::Number => parse_number(v).map(SortVal::Num),
            SortType::Hex => {
                let t = v.trim();
                let t = t
                    .strip_prefix("0x")
                    .or_else(|| t.strip_prefix("0X"))
                    .unwrap_or(t);
                u128::from_str_radix(t, 16)
                    .ok()
                    .map(|n| SortVal::Num(n as f64))
            }
            SortType::String => Some(SortVal::Str(v.to_owned())),
        }
    };
    match (read(a), read(b)) {
        (Some(x), Some(y)) => {
            let o = x.cmp(&y);
            if k.desc { o.reverse() } else { o }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[derive(PartialEq, PartialOrd)]
enum SortVal {
    Num(f64),
    Str(String),
}

impl SortVal {
    fn cmp(&self, other: &SortVal) -> Ordering {
        self.partial_cmp(other).unwrap_or(Ordering::Equal)
    }
}

impl SortedState {
    fn cmp(&self, a: &Event, b: &Event) -> Ordering {
        for k in &self.keys {
            let o = cmp_key(k, a, b);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl AggState for SortedState {
    fn add(&mut self, e: &Event) {
        let e = match &self.project {
            Some(fields) => project_keeping(e, fields, &self.keys),
            None => e.clone(),
        };
        self.rows.push(e);
        // Keep memory bounded: trim to the limit now and then (stable, so ties keep input order).
        if self.rows.len() >= self.limit.saturating_mul(2).max(1024) {
            let mut rows = std::mem::take(&mut self.rows);
            rows.sort_by(|a, b| self.cmp(a, b));
            rows.truncate(self.limit);
            self.rows = rows;
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| self.cmp(a, b));
        rows.truncate(self.limit);
        if let Some(fields) = &self.project {
            for r in &mut rows {
                *r = project(r, fields);
            }
        }
        out.extend(rows);
    }
}

/// The listed fields that exist, in the listed order.
pub(crate) fn project(e: &Event, fields: &[Sym]) -> Event {
    let mut out = Event::with_capacity(fields.len());
    for f in fields {
        if let Some(v) = e.get(*f)
            && !out.contains(*f)
        {
            out.push_unchecked(*f, v);
        }
    }
    out
}

/// Projection that keeps the sort keys too until the final projection.
fn project_keeping(e: &Event, fields: &[Sym], keys: &[SortKey]) -> Event {
    let mut out = project(e, fields);
    for k in keys {
        if let Some(v) = e.get(k.field)
            && !out.contains(k.field)
        {
            out.push_unchecked(k.field, v);
        }
    }
    out
}

/// `head`: the oldest `limit` events; `tail`: the newest. Output is oldest first. Events are
/// ordered by `@timestamp` when all have one, else kept in arrival order.
struct HeadTail {
    limit: usize,
    newest: bool,
    /// Order rows by `@timestamp` (when every row has one) before cutting.
    by_time: bool,
    rows: Vec<Event>,
}

impl AggState for HeadTail {
    fn add(&mut self, e: &Event) {
        self.rows.push(e.clone());
        if self.rows.len() >= self.limit.saturating_mul(2).max(1024) {
            self.trim();
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        self.trim();
        out.append(&mut self.rows);
    }
}

impl HeadTail {
    fn trim(&mut self) {
        if self.by_time && self.rows.iter().all(|e| e.timestamp().is_some()) {
            self.rows.sort_by_key(|e| e.timestamp().unwrap_or(0));
        }
        if self.rows.len() > self.limit {
            if self.newest {
                let cut = self.rows.len() - self.limit;
                self.rows.drain(..cut);
            } else {
                self.rows.truncate(self.limit);
            }
        }
    }
}

struct Count {
    field: Option<Sym>,
    distinct: bool,
    out: Sym,
    n: u64,
    seen: std::collections::HashSet<Text>,
}

impl AggState for Count {
    fn add(&mut self, e: &Event) {
        match self.field {
            None => self.n += 1,
            Some(f) => {
                if let Some(v) = e.get(f) {
                    if self.distinct {
                        if !self.seen.contains(v) {
                            self.seen.insert(Text::from(v));
                        }
                    } else {
                        self.n += 1;
                    }
                }
            }
        }
    }

    fn mergeable(&self) -> bool {
        true
    }

    fn merge(&mut self, later: Box<dyn AggState>) {
        if let Some(later) = downcast::<Count>(later) {
            self.n += later.n;
            self.seen.extend(later.seen);
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let n = if self.distinct {
            self.seen.len() as u64
        } else {
            self.n
        };
        let mut row = Event::new();
        row.set(self.out, compact_str::format_compact!("{n}"));
        out.push(row);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum NumKind {
    Sum,
    Avg,
    Min,
    Max,
    Range,
    StdDev,
}

struct NumAgg {
    kind: NumKind,
    field: Sym,
    out: Sym,
    n: u64,
    sum: f64,
    sumsq: f64,
    min: Option<(f64, Text)>,
    max: Option<(f64, Text)>,
}

impl NumAgg {
    fn new(kind: NumKind, field: Sym, out: Sym) -> Self {
        NumAgg {
            kind,
            field,
            out,
            n: 0,
            sum: 0.0,
            sumsq: 0.0,
            min: None,
            max: None,
        }
    }
}

impl AggState for NumAgg {
    fn add(&mut self, e: &Event) {
        let Some(raw) = e.get(self.field) else {
            return;
        };
        let Some(x) = parse_number(raw) else {
            return;
        };
        self.n += 1;
        self.sum += x;
        self.sumsq += x * x;
        if self.min.as_ref().is_none_or(|(m, _)| x < *m) {
            self.min = Some((x, Text::from(raw.trim())));
        }
        if self.max.as_ref().is_none_or(|(m, _)| x > *m) {
            self.max = Some((x, Text::from(raw.trim())));
        }
    }

    /// Minimum and maximum merge exactly (the earlier state wins ties, as in one pass); sums
    /// would not (floating-point addition is not associative), so those run in one pass.
    fn mergeable(&self) -> bool {
        matches!(self.kind, NumKind::Min | NumKind::Max | NumKind::Range)
    }

    fn merge(&mut self, later: Box<dyn AggState>) {
        let Some(later) = downcast::<NumAgg>(later) else {
            return;
        };
        let later = *later;
        self.n += later.n;
        if let Some((x, t)) = later.min
            && self.min.as_ref().is_none_or(|(m, _)| x < *m)
        {
            self.min = Some((x, t));
        }
        if let Some((x, t)) = later.max
            && self.max.as_ref().is_none_or(|(m, _)| x > *m)
        {
            self.max = Some((x, t));
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let value = match self.kind {
            NumKind::Sum => Some(format_number(self.sum)),
            NumKind::Avg => (self.n > 0).then(|| format_number(self.sum / self.n as f64)),
            NumKind::Min => self.min.as_ref().map(|(_, t)| t.clone()),
            NumKind::Max => self.max.as_ref().map(|(_, t)| t.clone()),
            NumKind::Range => match (&self.min, &self.max) {
                (Some((a, _)), Some((b, _))) => Some(format_number(b - a)),
                _ => None,
            },
            NumKind::StdDev => (self.n > 0).then(|| {
                let n = self.n as f64;
                let mean = self.sum / n;
                format_number((self.sumsq / n - mean * mean).max(0.0).sqrt())
            }),
        };
        let mut row = Event::new();
        if let Some(v) = value {
            row.set(self.out, v);
        }
        out.push(row);
    }
}

struct Collect {
    fields: Vec<Sym>,
    limit: usize,
    separator: String,
    values: Vec<Vec<Text>>,
}

impl AggState for Collect {
    fn add(&mut self, e: &Event) {
        for (i, f) in self.fields.iter().enumerate() {
            if let Some(v) = e.get(*f) {
                let vals = &mut self.values[i];
                if vals.len() < self.limit && !vals.iter().any(|x| x == v) {
                    vals.push(Text::from(v));
                }
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let mut row = Event::new();
        for (f, vals) in self.fields.iter().zip(&self.values) {
            if !vals.is_empty() {
                let joined: Vec<&str> = vals.iter().map(|t| t.as_str()).collect();
                row.set(*f, joined.join(&self.separator));
            }
        }
        out.push(row);
    }
}

struct SelectLast {
    fields: Vec<Sym>,
    values: Vec<Option<Text>>,
}

impl AggState for SelectLast {
    fn add(&mut self, e: &Event) {
        for (i, f) in self.fields.iter().enumerate() {
            if let Some(v) = e.get(*f) {
                self.values[i] = Some(Text::from(v));
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let mut row = Event::new();
        for (f, v) in self.fields.iter().zip(&self.values) {
            if let Some(v) = v {
                row.set(*f, v.clone());
            }
        }
        out.push(row);
    }
}

struct SelectFrom {
    field: Sym,
    include: Vec<Sym>,
    max: bool,
    best: Option<(f64, Event)>,
}

impl AggState for SelectFrom {
    fn add(&mut self, e: &Event) {
        let Some(x) = e.number(self.field) else {
            return;
        };
        let better = match &self.best {
            None => true,
            Some((b, _)) => {
                if self.max {
                    x > *b
                } else {
                    x < *b
                }
            }
        };
        if better {
            let mut fields = self.include.clone();
            if !fields.contains(&self.field) {
                fields.push(self.field);
            }
            self.best = Some((x, project(e, &fields)));
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        out.push(self.best.take().map(|(_, e)| e).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(out: &[Event]) -> Vec<Vec<(String, String)>> {
        out.iter()
            .map(|e| {
                e.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
                    .collect()
            })
            .collect()
    }

    fn run_once(spec: &dyn AggSpec, events: &[Event]) -> Vec<Vec<(String, String)>> {
        let mut state = spec.start();
        events.iter().for_each(|e| state.add(e));
        let mut out = Vec::new();
        state.finish(&mut out);
        rows(&out)
    }

    fn run_merged(
        spec: &dyn AggSpec,
        events: &[Event],
        slice: usize,
    ) -> Vec<Vec<(String, String)>> {
        let mut state = spec.start();
        assert!(state.mergeable());
        for part in events.chunks(slice) {
            let mut partial = spec.start_partial();
            part.iter().for_each(|e| partial.add(e));
            state.merge(partial);
        }
        let mut out = Vec::new();
        state.finish(&mut out);
        rows(&out)
    }

    #[test]
    fn partial_states_merged_in_input_order_give_the_one_pass_result() {
        let (k, x) = (Sym::new("k"), Sym::new("x"));
        // Equal numbers written differently (`4` and `4.0`): the first one seen must win.
        let events: Vec<Event> = (0..300u32)
            .map(|i| {
                let mut e = Event::new();
                if i % 11 != 0 {
                    e.set(k, format!("g{}", (i * 7) % 13));
                }
                let v = (i * 31) % 17;
                e.set(
                    x,
                    if i % 2 == 0 {
                        format!("{v}")
                    } else {
                        format!("{v}.0")
                    },
                );
                e
            })
            .collect();
        let function = stats_of(vec![
            count_spec("_count"),
            agg_reading(vec![x], move || Count {
                field: Some(x),
                distinct: true,
                out: Sym::new("_distinct"),
                n: 0,
                seen: Default::default(),
            }),
            agg_reading(vec![x], move || {
                NumAgg::new(NumKind::Min, x, Sym::new("_min"))
            }),
            agg_reading(vec![x], move || {
                NumAgg::new(NumKind::Max, x, Sym::new("_max"))
            }),
            agg_reading(vec![x], move || {
                NumAgg::new(NumKind::Range, x, Sym::new("_range"))
            }),
        ]);
        // A limit below the number of groups: which groups are kept depends on arrival order.
        for limit in [3, 20_000] {
            let spec = GroupBy {
                keys: vec![k],
                function: function.clone(),
                limit,
            };
            let want = run_once(&spec, &events);
            assert_eq!(want.len(), limit.min(13));
            for slice in [1, 7, 50, 300] {
                assert_eq!(
                    run_merged(&spec, &events, slice),
                    want,
                    "limit {limit} slice {slice}"
                );
            }
        }
        // `function=count()` keeps plain counters: same groups, same counts as a count state.
        for limit in [3, 20_000] {
            let counters = GroupBy {
                keys: vec![k],
                function: count_spec("_count"),
                limit,
            };
            let states = GroupBy {
                keys: vec![k],
                function: stats_of(vec![count_spec("_count"), count_spec("_other")]),
                limit,
            };
            let want: Vec<Vec<(String, String)>> = run_once(&states, &events)
                .into_iter()
                .map(|row| row.into_iter().filter(|(f, _)| f != "_other").collect())
                .collect();
            assert_eq!(run_once(&counters, &events), want, "limit {limit}");
            for slice in [1, 7, 300] {
                assert_eq!(run_merged(&counters, &events, slice), want, "limit {limit}");
            }
        }
        let two_keys = GroupBy {
            keys: vec![k, x],
            function: count_spec("_count"),
            limit: 20,
        };
        assert_eq!(
            run_merged(&two_keys, &events, 9),
            run_once(&two_keys, &events)
        );
    }

    #[test]
    fn sums_are_not_merged() {
        let x = Sym::new("x");
        for kind in [NumKind::Sum, NumKind::Avg, NumKind::StdDev] {
            assert!(!NumAgg::new(kind, x, x).mergeable());
        }
        let spec = GroupBy {
            keys: vec![x],
            function: agg_reading(vec![x], move || NumAgg::new(NumKind::Sum, x, x)),
            limit: 10,
        };
        assert!(!spec.start_partial().mergeable());
    }
}

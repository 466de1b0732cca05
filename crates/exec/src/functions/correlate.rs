//! `correlate(name1: {…} include: […], name2: {… | f <=> name1.g}, within, sequence, …)`.
//! <https://library.humio.com/data-analysis/functions-correlate.html>
//!
//! Each named query filters the stream; a *constellation* is one event per query such that every
//! link condition `f <=> other.g` holds (equal values), all events lie within `within` of each
//! other (no bound without `within`), and with `sequence=true` the events come in the order the
//! queries are listed (non-decreasing `sequenceBy`, default `@timestamp`, give or take
//! `jitterTolerance`). `globalConstraints=[f…]` links every query on each field `f`. One event
//! fills at most one query of a constellation.
//!
//! Output: one row per constellation with, for each query, its event's fields prefixed by the
//! query name (`name1.aid`, `name2.FileName`), restricted to the query's `include` list when it
//! has one. Which constellations LogScale reports when a root event (an event of the `root`
//! query, default the first) takes part in several is not documented: saker reports the first
//! `maxPerRoot` (default 1) found, trying candidate events in input order; with
//! `includeMatchesOnceOnly=true` an event takes part in at most one reported constellation.
//! Rows come in the input order of their root events.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::{ArgValue, BinaryOp, Expr, Op, Plan, Predicate};

use super::agg;
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::functions::time::parse_duration_ms;
use crate::pipeline::{AggState, Out, StageSpec, StreamOp, run_chain};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    if name != "correlate" {
        return Ok(None);
    }
    let mut names = Vec::new();
    let mut plans = Vec::new();
    for arg in &a.call.args {
        if let ArgValue::Plan(p) = &arg.value
            && !arg.name.contains('.')
            && arg.name != "_"
        {
            names.push(arg.name.clone());
            plans.push(p.clone());
        }
    }
    if names.len() < 2 {
        return Err(a.err("needs at least two named queries: correlate(a: {…}, b: {…}, …)"));
    }
    let mut queries = Vec::new();
    let mut links = Vec::new();
    for field in a.list("globalConstraints") {
        let f = Sym::new(&field);
        links.extend((1..names.len()).map(|i| Link {
            a: (0, f),
            b: (i, f),
        }));
    }
    for (i, (qname, plan)) in names.iter().zip(&plans).enumerate() {
        let plan = split_links(plan, i, &names, &mut links).map_err(|m| a.err(m))?;
        let include: Vec<Sym> = a
            .list(&format!("{qname}.include"))
            .iter()
            .map(|f| Sym::new(f))
            .collect();
        queries.push(NamedQuery {
            ops: c.streaming(&plan, "a correlate() query")?,
            include,
            prefix: qname.clone(),
        });
    }
    let duration = |param: &str| -> Result<Option<i64>> {
        match a.text(param) {
            None => Ok(None),
            Some(t) => parse_duration_ms(&t)
                .map(Some)
                .ok_or_else(|| a.err(format!("`{param}` must be a duration, not `{t}`"))),
        }
    };
    let within = duration("within")?;
    let jitter = duration("jitterTolerance")?.unwrap_or(0);
    let sequence = a.bool_or("sequence", false)?;
    let sequence_by = a
        .text("sequenceBy")
        .map_or_else(Sym::timestamp, |f| Sym::new(&f));
    let root = match a.text("root") {
        None => 0,
        Some(r) => names
            .iter()
            .position(|n| *n == r)
            .ok_or_else(|| a.err(format!("`root` names no query: `{r}`")))?,
    };
    let max_per_root = a.limit_or("maxPerRoot", 1, usize::MAX)?.max(1);
    let once_only = a.bool_or("includeMatchesOnceOnly", false)?;
    let spec = Arc::new(Spec {
        queries,
        links,
        within,
        sequence,
        sequence_by,
        jitter,
        root,
        max_per_root,
        once_only,
    });
    Ok(Some(StageSpec::Agg(agg(move || State {
        spec: spec.clone(),
        inputs: 0,
        events: Vec::new(),
        hits: vec![Vec::new(); spec.queries.len()],
    }))))
}

struct NamedQuery {
    ops: Vec<Arc<dyn StreamOp>>,
    include: Vec<Sym>,
    prefix: String,
}

/// `(query a, field of a) <=> (query b, field of b)`.
#[derive(Clone, Debug)]
struct Link {
    a: (usize, Sym),
    b: (usize, Sym),
}

/// Removes the link conditions from `plan` (query `me`), adding them to `links`.
fn split_links(
    plan: &Plan,
    me: usize,
    names: &[String],
    links: &mut Vec<Link>,
) -> Result<Plan, String> {
    let mut ops = Vec::new();
    for op in &plan.ops {
        match op {
            Op::Filter(p) => {
                let mut rest = Vec::new();
                let parts = match p {
                    Predicate::And(ps) => ps.clone(),
                    p => vec![p.clone()],
                };
                for part in parts {
                    match part {
                        Predicate::Expr(Expr::Binary(BinaryOp::Link, l, r)) => {
                            let side = |e: &Expr| match e {
                                Expr::Field(f) => Ok(resolve(f, me, names)),
                                _ => Err("a link `<=>` compares two fields".to_owned()),
                            };
                            links.push(Link {
                                a: side(&l)?,
                                b: side(&r)?,
                            });
                        }
                        other => rest.push(other),
                    }
                }
                match rest.len() {
                    0 => {}
                    1 => ops.push(Op::Filter(rest.remove(0))),
                    _ => ops.push(Op::Filter(Predicate::And(rest))),
                }
            }
            other => ops.push(other.clone()),
        }
    }
    Ok(Plan::new(ops))
}

/// `other.field` refers to query `other`; anything else is a field of query `me`.
fn resolve(field: &str, me: usize, names: &[String]) -> (usize, Sym) {
    if let Some((q, f)) = field.split_once('.')
        && let Some(i) = names.iter().position(|n| n == q)
    {
        return (i, Sym::new(f));
    }
    (me, Sym::new(field))
}

/// A query's output for one input event, its `@timestamp` and the input event's position.
type Kept = (Event, Option<i64>, usize);

struct Spec {
    queries: Vec<NamedQuery>,
    links: Vec<Link>,
    within: Option<i64>,
    sequence: bool,
    /// The field whose values order a sequence.
    sequence_by: Sym,
    /// How far (in `sequence_by` units, ms for timestamps) an event may come before the one
    /// listed ahead of it and still count as in sequence.
    jitter: i64,
    root: usize,
    max_per_root: usize,
    once_only: bool,
}

struct State {
    spec: Arc<Spec>,
    /// Input events seen so far.
    inputs: usize,
    /// What each query kept of an input event: its output, timestamp and input position.
    events: Vec<Kept>,
    /// Per query, the positions in `events` of the events it kept (an event may match several
    /// queries; each query keeps its own output of it).
    hits: Vec<Vec<usize>>,
}

impl AggState for State {
    fn add(&mut self, e: &Event) {
        for (i, q) in self.spec.queries.iter().enumerate() {
            let kept = match run_chain(&q.ops, e.clone()) {
                Out::Drop => continue,
                Out::One(x) => x,
                Out::Many(mut v) if !v.is_empty() => v.swap_remove(0),
                Out::Many(_) => continue,
            };
            let ts = kept.timestamp();
            self.hits[i].push(self.events.len());
            self.events.push((kept, ts, self.inputs));
        }
        self.inputs += 1;
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let spec = self.spec.clone();
        let n = spec.queries.len();
        // Order of assignment: the root first, then the others as listed.
        let order: Vec<usize> = std::iter::once(spec.root)
            .chain((0..n).filter(|i| *i != spec.root))
            .collect();
        let mut search = Search {
            spec: &spec,
            events: &self.events,
            hits: &self.hits,
            order: &order,
            chosen: vec![usize::MAX; n],
            used: HashSet::new(),
            found: Vec::new(),
            want: 0,
            index: HashMap::new(),
            budget: 0,
        };
        for &r in &self.hits[spec.root] {
            if search.used.contains(&self.events[r].2) {
                continue;
            }
            search.want = spec.max_per_root;
            search.budget = STEPS_PER_ROOT;
            search.chosen[spec.root] = r;
            search.extend(1);
            search.chosen[spec.root] = usize::MAX;
        }
        for c in std::mem::take(&mut search.found) {
            let mut row = Event::new();
            for (qi, &ev) in c.iter().enumerate() {
                let q = &spec.queries[qi];
                for (k, v) in self.events[ev].0.iter() {
                    if q.include.is_empty() || q.include.contains(&k) {
                        row.set_by_name(&format!("{}.{}", q.prefix, k.as_str()), v);
                    }
                }
            }
            out.push(row);
        }
    }
}

struct Search<'a> {
    spec: &'a Spec,
    events: &'a [Kept],
    hits: &'a [Vec<usize>],
    order: &'a [usize],
    /// The event chosen for each query (`usize::MAX`: not yet).
    chosen: Vec<usize>,
    /// Input positions of events already reported (with `includeMatchesOnceOnly`).
    used: HashSet<usize>,
    found: Vec<Vec<usize>>,
    /// Constellations still wanted for the current root.
    want: usize,
    /// (query, field) → value → candidate positions, built on first use.
    index: HashMap<(usize, Sym), HashMap<String, Vec<usize>>>,
    /// Search steps left for the current root: queries without links multiply candidates, and
    /// a root with no constellation would otherwise try every combination.
    budget: usize,
}

/// Search steps per root event before it is given up (reported as no constellation).
const STEPS_PER_ROOT: usize = 100_000;

impl Search<'_> {
    /// Chooses events for `order[step..]`; records complete constellations.
    fn extend(&mut self, step: usize) {
        if self.want == 0 || self.budget == 0 {
            return;
        }
        self.budget -= 1;
        if step == self.order.len() {
            let c = self.chosen.clone();
            if self.spec.once_only {
                self.used.extend(c.iter().map(|&i| self.events[i].2));
            }
            self.found.push(c);
            self.want -= 1;
            return;
        }
        let q = self.order[step];
        for cand in self.candidates(q) {
            let src = self.events[cand].2;
            let taken = self
                .chosen
                .iter()
                .any(|&c| c != usize::MAX && self.events[c].2 == src);
            if taken || self.used.contains(&src) || !self.fits(q, cand) {
                continue;
            }
            self.chosen[q] = cand;
            self.extend(step + 1);
            self.chosen[q] = usize::MAX;
            if self.want == 0 || self.budget == 0 {
                return;
            }
        }
    }

    /// Events of query `q` worth trying: through a link to a chosen query when there is one.
    fn candidates(&mut self, q: usize) -> Vec<usize> {
        for l in &self.spec.links {
            let (mine, other) = if l.a.0 == q {
                (l.a, l.b)
            } else if l.b.0 == q {
                (l.b, l.a)
            } else {
                continue;
            };
            if other.0 == q || self.chosen[other.0] == usize::MAX {
                continue;
            }
            let Some(v) = self.events[self.chosen[other.0]].0.get(other.1) else {
                return Vec::new();
            };
            let v = v.to_owned();
            let (events, hits) = (self.events, self.hits);
            let idx = self.index.entry(mine).or_insert_with(|| {
                let mut m: HashMap<String, Vec<usize>> = HashMap::new();
                for &i in &hits[q] {
                    if let Some(x) = events[i].0.get(mine.1) {
                        m.entry(x.to_owned()).or_default().push(i);
                    }
                }
                m
            });
            return idx.get(&v).cloned().unwrap_or_default();
        }
        self.hits[q].clone()
    }

    /// Whether `cand` for query `q` agrees with the events chosen so far.
    fn fits(&self, q: usize, cand: usize) -> bool {
        let pick = |qi: usize| {
            if qi == q {
                Some(cand)
            } else {
                Some(self.chosen[qi]).filter(|c| *c != usize::MAX)
            }
        };
        for l in &self.spec.links {
            if l.a.0 != q && l.b.0 != q {
                continue;
            }
            let (Some(ea), Some(eb)) = (pick(l.a.0), pick(l.b.0)) else {
                continue;
            };
            match (self.events[ea].0.get(l.a.1), self.events[eb].0.get(l.b.1)) {
                (Some(x), Some(y)) if x == y => {}
                _ => return false,
            }
        }
        let ts = self.events[cand].1;
        if let Some(w) = self.spec.within {
            let Some(t) = ts else { return false };
            for (qi, &c) in self.chosen.iter().enumerate() {
                if qi == q || c == usize::MAX {
                    continue;
                }
                match self.events[c].1 {
                    Some(u) if (t - u).abs() <= w => {}
                    _ => return false,
                }
            }
        }
        if self.spec.sequence {
            let Some(t) = self.order_key(cand) else {
                return false;
            };
            let jitter = self.spec.jitter as f64;
            for (qi, &c) in self.chosen.iter().enumerate() {
                if qi == q || c == usize::MAX {
                    continue;
                }
                let Some(u) = self.order_key(c) else {
                    return false;
                };
                if (qi < q && u > t + jitter) || (qi > q && u + jitter < t) {
                    return false;
                }
            }
        }
        true
    }

    /// The value that orders event `i` in a sequence.
    fn order_key(&self, i: usize) -> Option<f64> {
        let (event, ts, _) = &self.events[i];
        if self.spec.sequence_by == Sym::timestamp() {
            ts.map(|t| t as f64)
        } else {
            event.number(self.spec.sequence_by)
        }
    }
}

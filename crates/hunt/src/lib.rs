//! Many Sigma rules over one pass of the events.
//!
//! The architecture runs one plan per query through `exec`; Sigma hunting deliberately deviates
//! from "exec runs many plans" and has this crate of its own, because thousands of rules over one
//! stream need two things a set of independent plans cannot give:
//!
//! * **rule routing**: each rule variant is indexed by its log source route (for Windows event
//!   logs `Channel` + `EventID`, for Falcon `#event_simpleName`), so an event is offered only the
//!   rules that can apply to it; inside a route bucket one Aho-Corasick automaton per field
//!   (ASCII case-insensitive) finds every rule literal at once ([`prefilter`]), and only rules
//!   whose required literals occur are evaluated. Evaluation itself uses `exec`'s
//!   [`CompiledPredicate`], so matching semantics are the engine's;
//! * **correlation state** across rules and events ([`correlate`]), bounded and evicted by time.
//!
//! [`Hunt::scan`] is `&self` and thread-safe: callers evaluate batches on many threads.

pub mod correlate;
pub mod packed;
pub mod prefilter;
pub mod program;
pub mod run;

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use program::{Leaves, Program, Scratch};
use saker_event::{Event, Sym};
use saker_exec::predicate::{EventFilter, FilterCompiler};
use saker_exec::{CompiledPredicate, ExecError};
use saker_plan::{BinaryOp, Expr, Predicate};
use saker_sigma::{CompiledRule, CorrelationInput, Level, RuleSet};

pub use correlate::{CorrelationHit, Observation};
pub use packed::PackedEvent;
use prefilter::{Automata, BucketPrefilter, Requirement};
pub use run::{RunResult, scan_inputs};

/// What the output needs to know about a rule.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub level: Option<Level>,
    pub tags: Vec<String>,
    /// Whether its matches are reported (not for rules only feeding a correlation, nor for
    /// rules the caller disabled).
    pub report: bool,
}

/// One rule matching one event.
#[derive(Clone, Debug)]
pub struct Hit {
    pub rule: u32,
    pub ts: Option<i64>,
    /// The event's fields without `@rawstring` (kept for every hit until output, so packed),
    /// shared by every rule that matched it.
    pub event: Arc<PackedEvent>,
}

/// What one batch of events produced.
#[derive(Default, Debug)]
pub struct BatchResult {
    pub hits: Vec<Hit>,
    pub observations: Vec<Observation>,
    pub events: u64,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// A rule variant placed in a bucket.
#[derive(Clone, Copy)]
struct Slot {
    rule: u32,
    program: u32,
}

struct Bucket {
    slots: Vec<Slot>,
    prefilter: BucketPrefilter,
}

/// Route buckets of one list of routing fields (e.g. `[Channel, EventID]`).
struct RouteIndex {
    fields: Vec<Sym>,
    buckets: HashMap<String, usize>,
}

/// A bucket being assembled: its routing fields and its slots with their literal requirements.
type PendingBucket = (Vec<String>, Vec<(Slot, Requirement)>);

/// Rules that could not be compiled for evaluation (rule index, reason).
pub type CompileErrors = Vec<(usize, String)>;

pub struct Hunt {
    pub rules: Vec<RuleInfo>,
    indexes: Vec<RouteIndex>,
    buckets: Vec<Bucket>,
    /// One compiled predicate per rule variant (shared by every bucket the variant is in).
    programs: Vec<Program>,
    leaves: Leaves,
    /// Every distinct prefilter automaton (each shared by the bucket fields with its literals).
    automata: Vec<Arc<prefilter::Automaton>>,
    /// Variants without a route: offered every event.
    unrouted: Option<usize>,
    /// Per rule: the correlation inputs it feeds.
    feeds: Vec<correlate::Feeds>,
    set_correlations: Vec<saker_sigma::CompiledCorrelation>,
}

/// `field|fieldref: other` lowers to an equality of two fields.
struct FieldEquals {
    a: Sym,
    b: Sym,
}

impl EventFilter for FieldEquals {
    fn matches(&self, event: &Event) -> bool {
        match (event.get(self.a), event.get(self.b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }
}

struct SigmaFilters;

impl FilterCompiler for SigmaFilters {
    fn compile_filter(&self, p: &Predicate) -> Result<Arc<dyn EventFilter>, ExecError> {
        if let Predicate::Expr(Expr::Binary(BinaryOp::Eq, a, b)) = p
            && let (Expr::Field(a), Expr::Field(b)) = (a.as_ref(), b.as_ref())
        {
            return Ok(Arc::new(FieldEquals {
                a: Sym::new(a),
                b: Sym::new(b),
            }));
        }
        Err(ExecError::Unsupported(format!(
            "predicate {p:?} in a Sigma rule"
        )))
    }
}

/// Compiles a Sigma predicate for evaluation on its own (outside a [`Hunt`]).
pub fn compile_predicate(p: &Predicate) -> Result<CompiledPredicate, ExecError> {
    CompiledPredicate::compile_with(p, &SigmaFilters)
}

fn route_key(values: &[&str]) -> String {
    let mut key = String::new();
    route_key_into(values, &mut key);
    key
}

fn route_key_into(values: &[&str], key: &mut String) {
    key.clear();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        key.extend(v.trim().chars().flat_map(char::to_lowercase));
    }
}

impl Hunt {
    /// Builds the engine. `enabled` says which rules report matches; disabled rules are not
    /// evaluated unless a correlation needs them. Rules whose predicate cannot be compiled are
    /// returned with the reason (and not evaluated).
    pub fn new(set: &RuleSet, enabled: &dyn Fn(&CompiledRule) -> bool) -> (Hunt, CompileErrors) {
        let mut feeds: Vec<correlate::Feeds> = vec![Vec::new(); set.rules.len()];
        for (ci, c) in set.correlations.iter().enumerate() {
            for (input, inp) in c.inputs.iter().enumerate() {
                if let CorrelationInput::Rule(r) = inp
                    && let Some(f) = feeds.get_mut(*r)
                {
                    f.push((ci as u32, input as u32));
                }
            }
        }
        let mut errors = Vec::new();
        let mut rules = Vec::with_capacity(set.rules.len());
        // Rules evaluated: those reporting matches and those feeding a correlation.
        let mut wanted = Vec::new();
        for (ri, r) in set.rules.iter().enumerate() {
            let on = enabled(r);
            rules.push(RuleInfo {
                id: r.meta.key().to_owned(),
                title: r.meta.title.clone(),
                level: r.meta.level,
                tags: r.meta.tags.clone(),
                report: on && r.generate,
            });
            if on || !feeds[ri].is_empty() {
                wanted.push((ri, r));
            }
        }
        let predicates: Vec<&Predicate> = wanted
            .iter()
            .flat_map(|(_, r)| r.variants.iter().map(|v| &v.predicate))
            .collect();
        let mut leaves = Leaves::default();
        let compiled = leaves.compile_many(&predicates, &SigmaFilters);
        let requirements: Vec<Requirement> = predicates
            .par_iter()
            .map(|p| prefilter::requirement(p))
            .collect();
        let mut compiled = compiled.into_iter().zip(requirements);
        // (field list, key) → slots and their requirements.
        let mut pending: Vec<PendingBucket> = Vec::new();
        let mut bucket_of: HashMap<(Vec<String>, String), usize> = HashMap::new();
        let mut unrouted: Vec<(Slot, Requirement)> = Vec::new();
        let mut programs = Vec::new();
        for (ri, r) in wanted {
            let mine: Vec<_> = compiled.by_ref().take(r.variants.len()).collect();
            for (v, (program, req)) in r.variants.iter().zip(mine) {
                let program = match program {
                    Ok(p) => {
                        programs.push(p);
                        (programs.len() - 1) as u32
                    }
                    Err(e) => {
                        errors.push((ri, e.to_string()));
                        break;
                    }
                };
                let Some(route) = &v.route else {
                    unrouted.push((
                        Slot {
                            rule: ri as u32,
                            program,
                        },
                        req,
                    ));
                    continue;
                };
                let fields: Vec<String> = route.selectors.iter().map(|(f, _)| f.clone()).collect();
                // Every combination of selector values is a key.
                let mut keys: Vec<Vec<&str>> = vec![Vec::new()];
                for (_, values) in &route.selectors {
                    keys = keys
                        .iter()
                        .flat_map(|k| {
                            values.iter().map(move |v| {
                                let mut k = k.clone();
                                k.push(v.as_str());
                                k
                            })
                        })
                        .collect();
                }
                for k in keys {
                    let key = route_key(&k);
                    let idx = *bucket_of.entry((fields.clone(), key)).or_insert_with(|| {
                        pending.push((fields.clone(), Vec::new()));
                        pending.len() - 1
                    });
                    pending[idx].1.push((
                        Slot {
                            rule: ri as u32,
                            program,
                        },
                        req.clone(),
                    ));
                }
            }
        }
        let mut buckets = Vec::with_capacity(pending.len() + 1);
        let mut next_automaton = 0u32;
        let mut automata = Automata::new();
        let mut make_bucket = |slots: Vec<(Slot, Requirement)>| {
            let reqs: Vec<Requirement> = slots.iter().map(|(_, r)| r.clone()).collect();
            let mut decided: Vec<(String, String, u32)> = Vec::new();
            for (slot, _) in &slots {
                if let Some(p) = programs.get(slot.program as usize) {
                    p.for_each_leaf(&mut |id| {
                        if let Some((field, lit)) = leaves.decidable(id) {
                            decided.push((field.to_owned(), lit.to_owned(), id));
                        }
                    });
                }
            }
            let prefilter =
                BucketPrefilter::build(&reqs, &decided, &mut next_automaton, &mut automata);
            for (automaton, leaf) in prefilter.deciders() {
                leaves.add_decider(leaf, automaton);
            }
            Bucket {
                prefilter,
                slots: slots.into_iter().map(|(s, _)| s).collect(),
            }
        };
        let mut index_of: HashMap<Vec<String>, usize> = HashMap::new();
        let mut indexes: Vec<RouteIndex> = Vec::new();
        let mut keyed: Vec<((Vec<String>, String), usize)> = bucket_of.into_iter().collect();
        keyed.sort_by_key(|(_, i)| *i);
        let mut pending: Vec<Option<PendingBucket>> = pending.into_iter().map(Some).collect();
        for ((fields, key), i) in keyed {
            let Some((_, slots)) = pending.get_mut(i).and_then(Option::take) else {
                continue;
            };
            let bucket = buckets.len();
            buckets.push(make_bucket(slots));
            let ix = *index_of.entry(fields.clone()).or_insert_with(|| {
                indexes.push(RouteIndex {
                    fields: fields.iter().map(|f| Sym::new(f)).collect(),
                    buckets: HashMap::new(),
                });
                indexes.len() - 1
            });
            indexes[ix].buckets.insert(key, bucket);
        }
        let unrouted = (!unrouted.is_empty()).then(|| {
            buckets.push(make_bucket(unrouted));
            buckets.len() - 1
        });
        leaves.finish();
        (
            Hunt {
                automata: automata.into_values().collect(),
                rules,
                indexes,
                buckets,
                programs,
                leaves,
                unrouted,
                feeds,
                set_correlations: set.correlations.clone(),
            },
            errors,
        )
    }

    /// Number of route buckets (for diagnostics and tests).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// Evaluates every applicable rule on each event of a batch.
    pub fn scan(&self, events: &[Event]) -> BatchResult {
        let mut out = BatchResult {
            events: events.len() as u64,
            ..BatchResult::default()
        };
        let mut candidates = Vec::new();
        let mut matched: Vec<u32> = Vec::new();
        let mut values: Vec<&str> = Vec::new();
        let mut key = String::new();
        // Reused across batches on this thread: its memo table is as large as the leaf table.
        let mut scratch = SCRATCH.take();
        for event in events {
            matched.clear();
            scratch.next_event(&self.leaves);
            for ix in &self.indexes {
                values.clear();
                for f in &ix.fields {
                    match event.get(*f) {
                        Some(v) => values.push(v),
                        None => break,
                    }
                }
                if values.len() != ix.fields.len() {
                    continue;
                }
                route_key_into(&values, &mut key);
                if let Some(&b) = ix.buckets.get(&key) {
                    self.scan_bucket(b, event, &mut candidates, &mut matched, &mut scratch);
                }
            }
            if let Some(b) = self.unrouted {
                self.scan_bucket(b, event, &mut candidates, &mut matched, &mut scratch);
            }
            if matched.is_empty() {
                continue;
            }
            let ts = event.timestamp();
            let mut shared: Option<Arc<PackedEvent>> = None;
            for &r in &matched {
                let ri = r as usize;
                if self.rules[ri].report {
                    let event = shared.get_or_insert_with(|| Arc::new(PackedEvent::pack(event)));
                    out.hits.push(Hit {
                        rule: r,
                        ts,
                        event: Arc::clone(event),
                    });
                }
                for &(ci, input) in &self.feeds[ri] {
                    let c = &self.set_correlations[ci as usize];
                    out.observations.push(Observation {
                        correlation: ci,
                        input,
                        ts: ts.unwrap_or(0),
                        group: correlate::group_key(c, input as usize, event),
                        value: correlate::value_of(c, input as usize, event),
                    });
                }
            }
        }
        SCRATCH.set(scratch);
        out
    }

    fn scan_bucket(
        &self,
        b: usize,
        event: &Event,
        candidates: &mut Vec<bool>,
        matched: &mut Vec<u32>,
        scratch: &mut Scratch,
    ) {
        let Some(bucket) = self.buckets.get(b) else {
            return;
        };
        bucket.prefilter.candidates(event, candidates, scratch);
        for (slot, &cand) in bucket.slots.iter().zip(candidates.iter()) {
            if cand
                && !matched.contains(&slot.rule)
                && self
                    .programs
                    .get(slot.program as usize)
                    .is_some_and(|p| p.matches(&self.leaves, event, scratch))
            {
                matched.push(slot.rule);
            }
        }
    }

    /// Per bucket: rule variants, and how many of them have no literal requirement (always
    /// evaluated). For diagnostics.
    pub fn bucket_shapes(&self) -> Vec<(usize, usize)> {
        self.buckets
            .iter()
            .map(|b| (b.slots.len(), b.prefilter.always.len()))
            .collect()
    }

    /// Builds every bucket's automata now instead of on first use (for diagnostics).
    pub fn build_prefilters(&self) {
        self.automata.iter().for_each(|a| a.build_now());
    }

    /// Heap bytes of the prefilter automata built so far (for diagnostics).
    pub fn prefilter_memory(&self) -> usize {
        self.automata.iter().map(|a| a.memory_usage()).sum()
    }

    /// Distinct leaf tests across all rules (for diagnostics and tests).
    pub fn leaf_count(&self) -> usize {
        self.leaves.len()
    }

    /// Runs the correlations over every observation of the run.
    pub fn correlate(&self, observations: Vec<Observation>) -> Vec<CorrelationHit> {
        correlate::run(&self.set_correlations, observations)
    }

    pub fn correlations(&self) -> &[saker_sigma::CompiledCorrelation] {
        &self.set_correlations
    }
}

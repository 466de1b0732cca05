//! The stage model: streaming operators (one event in, zero or more out, no state) and aggregates
//! (consume events, emit rows at the end). A pipeline of them is itself an aggregate, which is how
//! `groupBy(function={…})`, `stats([…])` and nested pipelines compose.

use std::sync::Arc;

use saker_event::{Event, Sym};

/// What a streaming operator makes of one event.
pub enum Out {
    Drop,
    One(Event),
    Many(Vec<Event>),
}

impl Out {
    pub fn is_empty(&self) -> bool {
        match self {
            Out::Drop => true,
            Out::One(_) => false,
            Out::Many(v) => v.is_empty(),
        }
    }

    pub fn into_vec(self) -> Vec<Event> {
        match self {
            Out::Drop => Vec::new(),
            Out::One(e) => vec![e],
            Out::Many(v) => v,
        }
    }
}

/// A per-event operator without state: filters, assignments, transforms, `case`, `match`.
pub trait StreamOp: Send + Sync {
    fn run(&self, e: Event) -> Out;
}

/// A factory of aggregate states (one per group when nested in `groupBy`).
pub trait AggSpec: Send + Sync {
    fn start(&self) -> Box<dyn AggState>;
    /// A state for one slice of the input, to be folded into a [`AggSpec::start`] state with
    /// [`AggState::merge`]. It must not apply limits that depend on the events before the slice
    /// (a group limit is applied when the slices are merged).
    fn start_partial(&self) -> Box<dyn AggState> {
        self.start()
    }
    /// The only fields the aggregate's states read, or `None` when unknown (any field). Lets the
    /// engine drop every other field before an event crosses threads.
    fn reads(&self) -> Option<Vec<Sym>> {
        None
    }
    /// `Some(out)` when the aggregate only counts the events added, into field `out` (`count()`
    /// without a field): a `groupBy` then keeps one counter per group instead of one state.
    fn counts_events(&self) -> Option<Sym> {
        None
    }
}

/// One running aggregate.
///
/// `Any` lets [`AggState::merge`] recover the concrete type of a partial state.
pub trait AggState: Send + std::any::Any {
    fn add(&mut self, e: &Event);
    /// Emits the result rows; the state is spent afterwards.
    fn finish(&mut self, out: &mut Vec<Event>);
    /// Whether [`AggState::merge`] is supported: adding events A then B to one state gives the
    /// same output as adding A to it, B to a [`AggSpec::start_partial`] state, and merging.
    fn mergeable(&self) -> bool {
        false
    }
    /// Folds `later`, a partial state of the same spec that saw the events after this one's.
    /// Only called when [`AggState::mergeable`] holds; the default ignores `later`.
    fn merge(&mut self, later: Box<dyn AggState>) {
        let _ = later;
    }
}

/// `later` as the concrete state type `S` (a partial state of the same spec).
pub fn downcast<S: AggState>(later: Box<dyn AggState>) -> Option<Box<S>> {
    let any: Box<dyn std::any::Any> = later;
    any.downcast::<S>().ok()
}

#[derive(Clone)]
pub enum StageSpec {
    Stream(Arc<dyn StreamOp>),
    Agg(Arc<dyn AggSpec>),
}

/// A compiled pipeline.
#[derive(Clone, Default)]
pub struct PipelineSpec {
    pub stages: Vec<StageSpec>,
}

impl PipelineSpec {
    /// Whether any stage aggregates.
    pub fn is_aggregate(&self) -> bool {
        self.stages.iter().any(|s| matches!(s, StageSpec::Agg(_)))
    }

    /// The leading streaming stages (safe to run in parallel) and the rest.
    pub fn split_streaming_prefix(&self) -> (Vec<Arc<dyn StreamOp>>, PipelineSpec) {
        let n = self
            .stages
            .iter()
            .position(|s| matches!(s, StageSpec::Agg(_)))
            .unwrap_or(self.stages.len());
        let prefix = self.stages[..n]
            .iter()
            .filter_map(|s| match s {
                StageSpec::Stream(op) => Some(op.clone()),
                StageSpec::Agg(_) => None,
            })
            .collect();
        (
            prefix,
            PipelineSpec {
                stages: self.stages[n..].to_vec(),
            },
        )
    }

    pub fn instantiate(&self) -> Pipeline {
        Pipeline {
            stages: self
                .stages
                .iter()
                .map(|s| match s {
                    StageSpec::Stream(op) => Inst::Stream(op.clone()),
                    StageSpec::Agg(a) => Inst::Agg(a.start()),
                })
                .collect(),
        }
    }

    /// Only streaming stages, or `None`.
    pub fn streaming_ops(&self) -> Option<Vec<Arc<dyn StreamOp>>> {
        self.stages
            .iter()
            .map(|s| match s {
                StageSpec::Stream(op) => Some(op.clone()),
                StageSpec::Agg(_) => None,
            })
            .collect()
    }
}

impl AggSpec for PipelineSpec {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(PipelineState {
            pipeline: self.instantiate(),
            out: Vec::new(),
        })
    }
}

/// Runs an event through a chain of streaming operators.
pub fn run_chain(ops: &[Arc<dyn StreamOp>], e: Event) -> Out {
    let Some((first, rest)) = ops.split_first() else {
        return Out::One(e);
    };
    match first.run(e) {
        Out::Drop => Out::Drop,
        Out::One(e) => run_chain(rest, e),
        Out::Many(v) => {
            let mut all = Vec::new();
            for e in v {
                match run_chain(rest, e) {
                    Out::Drop => {}
                    Out::One(e) => all.push(e),
                    Out::Many(m) => all.extend(m),
                }
            }
            Out::Many(all)
        }
    }
}

enum Inst {
    Stream(Arc<dyn StreamOp>),
    Agg(Box<dyn AggState>),
}

/// A running pipeline.
pub struct Pipeline {
    stages: Vec<Inst>,
}

impl Pipeline {
    /// Feeds one event; whatever reaches the end is appended to `out`.
    pub fn push(&mut self, e: Event, out: &mut Vec<Event>) {
        push_from(&mut self.stages, e, out);
    }

    /// Folds a partial state of the first stage (an aggregate) into it; see [`AggState::merge`].
    pub fn merge_first(&mut self, partial: Box<dyn AggState>) {
        if let Some(Inst::Agg(a)) = self.stages.first_mut() {
            a.merge(partial);
        }
    }

    /// Ends the input: aggregates emit their rows, which flow through the later stages.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        for i in 0..self.stages.len() {
            let (head, rest) = self.stages.split_at_mut(i + 1);
            if let Some(Inst::Agg(a)) = head.last_mut() {
                let mut rows = Vec::new();
                a.finish(&mut rows);
                for r in rows {
                    push_from(rest, r, out);
                }
            }
        }
    }
}

fn push_from(stages: &mut [Inst], e: Event, out: &mut Vec<Event>) {
    let Some((first, rest)) = stages.split_first_mut() else {
        out.push(e);
        return;
    };
    match first {
        Inst::Agg(a) => a.add(&e),
        Inst::Stream(op) => match op.run(e) {
            Out::Drop => {}
            Out::One(e) => push_from(rest, e, out),
            Out::Many(v) => {
                for e in v {
                    push_from(rest, e, out);
                }
            }
        },
    }
}

struct PipelineState {
    pipeline: Pipeline,
    out: Vec<Event>,
}

impl AggState for PipelineState {
    fn add(&mut self, e: &Event) {
        self.pipeline.push(e.clone(), &mut self.out);
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        self.pipeline.finish(&mut self.out);
        out.append(&mut self.out);
    }
}

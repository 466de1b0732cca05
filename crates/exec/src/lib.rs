//! saker's native engine: runs [`saker_plan::Plan`]s over event streams with LogScale's semantics.
//!
//! * [`predicate`]: filters compiled into fast matchers (shared with the Sigma engine);
//! * [`regex`]: LogScale (JitRex) and Sigma regex dialects on Rust engines;
//! * [`Query`]: a compiled plan; [`Query::start`] gives a [`Run`] to push events through.
//!
//! Output order: aggregates define their own (sort/table/top order, groups in first-seen order);
//! a query without aggregates emits events in input order (files in the order given, lines in file
//! order), streaming, without buffering.

pub mod args;
mod cifind;
pub mod compile;
pub mod error;
pub mod execute;
pub mod expr;
pub mod functions;
pub mod matcher;
pub mod options;
pub mod pipeline;
pub mod predicate;
pub mod prefilter;
pub mod projection;
pub mod regex;
pub mod tables;
pub mod text;
pub mod value;

use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::Plan;

pub use error::ExecError;
pub use execute::execute;
pub use options::Options;
pub use predicate::{CompiledPredicate, EventFilter, FilterCompiler};
pub use prefilter::Prefilter;

use pipeline::{Out, Pipeline, PipelineSpec, StageSpec, StreamOp, run_chain};

/// A compiled query.
#[derive(Clone)]
pub struct Query {
    spec: PipelineSpec,
    prefix: Arc<[Arc<dyn StreamOp>]>,
    rest: PipelineSpec,
    prefilter: Option<Prefilter>,
    /// The fields the stages after the prefix read, when known.
    projection: Option<Arc<[Sym]>>,
    /// Sub-queries (`join`, `defineTable`) to run over the inputs before the main pass.
    pub(crate) tables: tables::SubQueries,
    /// The fields the whole plan reads, when known: the only ones readers need to decode.
    read_fields: Option<Arc<saker_io::FieldSet>>,
}

impl Query {
    /// Compiles `plan`; every function must be supported, every argument valid.
    pub fn compile(plan: &Plan, opts: &Options) -> Result<Query, ExecError> {
        Self::compile_in(plan, &compile::Compiler::new(opts))
    }

    pub(crate) fn compile_in(plan: &Plan, c: &compile::Compiler) -> Result<Query, ExecError> {
        let spec = c.plan(plan)?;
        let (prefix, rest) = spec.split_streaming_prefix();
        let projection = match rest.stages.first() {
            Some(StageSpec::Agg(a)) => a.reads().map(Arc::from),
            _ => None,
        };
        let read_fields =
            projection::fields_read(plan).map(|f| Arc::new(saker_io::FieldSet::new(f)));
        Ok(Query {
            read_fields,
            prefilter: Prefilter::for_plan(plan),
            spec,
            prefix: prefix.into(),
            rest,
            projection,
            tables: c.tables.take(),
        })
    }

    /// Whether the query aggregates (its output is rows, not events).
    pub fn is_aggregate(&self) -> bool {
        self.spec.is_aggregate()
    }

    /// Literals every matching event's raw JSON line must contain (see [`Prefilter`]).
    pub fn prefilter(&self) -> Option<&Prefilter> {
        self.prefilter.as_ref()
    }

    /// The stateless leading stages, safe to run on many threads: feed each event through
    /// [`Query::run_prefix`] in parallel, then the results in input order to [`Run::push_prefixed`].
    pub fn run_prefix(&self, e: Event) -> Out {
        run_chain(&self.prefix, e)
    }

    /// The only fields the stages after [`Query::run_prefix`] read, when the first of them is an
    /// aggregate that says so (`groupBy(k, function=count())` reads `k`). Dropping the other
    /// fields from prefixed events does not change the output.
    pub fn projection(&self) -> Option<&[Sym]> {
        self.projection.as_deref()
    }

    /// The only fields this query reads from input events, when known (see [`projection`]):
    /// readers may leave every other field, and `@rawstring` unless named, off the events.
    pub fn read_fields(&self) -> Option<&Arc<saker_io::FieldSet>> {
        self.read_fields.as_ref()
    }

    /// Starts a run.
    pub fn start(&self) -> Run {
        Run {
            prefix: self.prefix.clone(),
            rest: self.rest.instantiate(),
        }
    }

    /// Runs the query over `events` and returns the output.
    pub fn run_all(&self, events: impl IntoIterator<Item = Event>) -> Vec<Event> {
        if !self.tables.is_empty() {
            // Sub-queries read the same events first (see [`tables`]).
            let events: Vec<Event> = events.into_iter().collect();
            self.tables.fill_from_events(&events);
            return self.run_loaded(events);
        }
        self.run_loaded(events)
    }

    fn run_loaded(&self, events: impl IntoIterator<Item = Event>) -> Vec<Event> {
        let mut run = self.start();
        let mut out = Vec::new();
        for e in events {
            run.push(e, &mut out);
        }
        run.finish(&mut out);
        out
    }
}

/// One execution of a [`Query`].
pub struct Run {
    prefix: Arc<[Arc<dyn StreamOp>]>,
    rest: Pipeline,
}

impl Run {
    /// Feeds an input event; output that is ready is appended to `out`.
    pub fn push(&mut self, e: Event, out: &mut Vec<Event>) {
        match run_chain(&self.prefix, e) {
            Out::Drop => {}
            Out::One(e) => self.rest.push(e, out),
            Out::Many(v) => {
                for e in v {
                    self.rest.push(e, out);
                }
            }
        }
    }

    /// Feeds an event that already went through [`Query::run_prefix`].
    pub fn push_prefixed(&mut self, e: Event, out: &mut Vec<Event>) {
        self.rest.push(e, out);
    }

    /// Ends the input; aggregates emit their rows.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        self.rest.finish(out);
    }
}

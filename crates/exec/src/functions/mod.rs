//! The CQL function library, keyed by canonical name (matched case-insensitively).
//!
//! Each function compiles to a streaming stage, an aggregate or a filter. A name not handled here is
//! an "is not supported yet" error at compile time, before any data is read.

pub mod aggs;
mod arrays;
mod bucket;
mod correlate;
mod filters;
mod format;
mod geohash;
mod geoip;
mod ioc;
mod join;
mod lookup;
mod parse;
mod reduce;
mod sankey;
mod saved;
mod selfjoin;
mod sequence;
mod time;
mod transforms;
mod transpose;
mod unit;

use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::{Arg, ArgValue, Call, Expr};

use crate::args::Args;
use crate::compile::{Compiler, FilterValue, StageValue};
use crate::error::{ExecError, Result};
use crate::expr::{CompiledExpr, ValueFn};
use crate::pipeline::{AggSpec, AggState, Out, StageSpec, StreamOp};
use crate::predicate::EventFilter;

/// A function family: the stage for `name`, or `None` when the family does not define it.
type StageFamily = fn(&Compiler, &Args, &str) -> Result<Option<StageSpec>>;

/// Tried in order after the filter functions; the first family that knows the name compiles it.
const STAGE_FAMILIES: &[StageFamily] = &[
    transforms::stage,
    aggs::stage,
    sequence::stage,
    time::stage,
    arrays::stage,
    parse::stage,
    lookup::stage,
    join::stage,
    selfjoin::stage,
    correlate::stage,
    geoip::stage,
    ioc::stage,
    geohash::stage,
    sankey::stage,
    reduce::stage,
    unit::stage,
    transpose::stage,
];

/// A stage for `call` used as a pipeline stage or as an aggregate in `function=`.
pub fn stage(c: &Compiler, call: &Call) -> Result<StageSpec> {
    if let Some(saved_name) = call.name.strip_prefix('$') {
        return saved::stage(c, call, saved_name);
    }
    let a = Args::new(call, c.opts);
    let name = call.name.to_ascii_lowercase();
    if let Some(f) = filters::filter(c, &a, &name)? {
        let f = if call.negated {
            Arc::new(Negated(f)) as Arc<dyn EventFilter>
        } else {
            f
        };
        return Ok(StageSpec::Stream(Arc::new(FilterStage(f))));
    }
    for family in STAGE_FAMILIES {
        if let Some(s) = family(c, &a, &name)? {
            return Ok(s);
        }
    }
    Err(unsupported(call))
}

pub(crate) fn unsupported(call: &Call) -> ExecError {
    ExecError::Unsupported(format!("function {}()", call.name))
}

/// A filter function (`in`, `cidr`, `test`, …), or `None` when `call` is not one.
pub fn filter(c: &Compiler, call: &Call) -> Result<Option<Arc<dyn EventFilter>>> {
    let a = Args::new(call, c.opts);
    let name = call.name.to_ascii_lowercase();
    if let Some(f) = filters::filter(c, &a, &name)? {
        return Ok(Some(f));
    }
    // Transforms that drop events (`regex`, `match`) also work as filters.
    match stage(
        c,
        &Call {
            negated: false,
            ..call.clone()
        },
    )? {
        StageSpec::Stream(op) => Ok(Some(Arc::new(StageFilter(op)))),
        StageSpec::Agg(_) => Ok(None),
    }
}

/// A function evaluated for its value inside an expression.
pub fn value(c: &Compiler, call: &Call) -> Result<Arc<dyn ValueFn>> {
    let a = Args::new(call, c.opts);
    let name = call.name.to_ascii_lowercase();
    if let Some(f) = filters::filter(c, &a, &name)? {
        let f = if call.negated {
            Arc::new(Negated(f)) as Arc<dyn EventFilter>
        } else {
            f
        };
        return Ok(Arc::new(FilterValue(f)));
    }
    const OUT: &str = "__saker_value";
    let mut call = call.clone();
    call.args.retain(|a| !a.name.eq_ignore_ascii_case("as"));
    call.args.push(Arg {
        name: "as".into(),
        value: ArgValue::Word(OUT.into()),
    });
    match stage(c, &call)? {
        StageSpec::Stream(op) => Ok(Arc::new(StageValue {
            op,
            output: Sym::new(OUT),
        })),
        StageSpec::Agg(_) => Err(ExecError::Invalid(format!(
            "aggregate {}() cannot be used as a value",
            call.name
        ))),
    }
}

struct Negated(Arc<dyn EventFilter>);

impl EventFilter for Negated {
    fn matches(&self, e: &Event) -> bool {
        !self.0.matches(e)
    }
}

struct FilterStage(Arc<dyn EventFilter>);

impl StreamOp for FilterStage {
    fn run(&self, mut e: Event) -> Out {
        if self.0.apply(&mut e) {
            Out::One(e)
        } else {
            Out::Drop
        }
    }
}

/// A dropping transform seen as a filter: `apply` keeps its changes, `matches` discards them.
struct StageFilter(Arc<dyn StreamOp>);

impl EventFilter for StageFilter {
    fn matches(&self, e: &Event) -> bool {
        !self.0.run(e.clone()).is_empty()
    }
    fn apply(&self, e: &mut Event) -> bool {
        match self.0.run(e.clone()) {
            Out::One(x) => {
                *e = x;
                true
            }
            Out::Many(mut v) if !v.is_empty() => {
                *e = v.swap_remove(0);
                true
            }
            _ => false,
        }
    }
}

/// A streaming stage from a closure.
pub(crate) struct FnOp<F>(pub F);

impl<F: Fn(Event) -> Out + Send + Sync> StreamOp for FnOp<F> {
    fn run(&self, e: Event) -> Out {
        (self.0)(e)
    }
}

pub(crate) fn stream(f: impl Fn(Event) -> Out + Send + Sync + 'static) -> StageSpec {
    StageSpec::Stream(Arc::new(FnOp(f)))
}

/// A stage that changes each event and keeps it.
pub(crate) fn map(f: impl Fn(&mut Event) + Send + Sync + 'static) -> StageSpec {
    stream(move |mut e| {
        f(&mut e);
        Out::One(e)
    })
}

/// A filter from a closure.
pub(crate) struct FnFilter<F>(pub F);

impl<F: Fn(&Event) -> bool + Send + Sync> EventFilter for FnFilter<F> {
    fn matches(&self, e: &Event) -> bool {
        (self.0)(e)
    }
}

pub(crate) fn filter_fn(
    f: impl Fn(&Event) -> bool + Send + Sync + 'static,
) -> Arc<dyn EventFilter> {
    Arc::new(FnFilter(f))
}

/// An argument read as an expression: words are fields, strings and numbers literals.
pub(crate) fn arg_expr(c: &Compiler, a: &Args, name: &str) -> Result<Option<CompiledExpr>> {
    let Some(v) = a.raw(name) else {
        return Ok(None);
    };
    value_expr(c, a, v).map(Some)
}

pub(crate) fn value_expr(c: &Compiler, a: &Args, v: &ArgValue) -> Result<CompiledExpr> {
    let e = match v {
        ArgValue::Expr(e) => e.clone(),
        ArgValue::Word(w) => Expr::Field(w.clone()),
        ArgValue::Str(s) => Expr::Str(s.clone()),
        ArgValue::Num(n) => Expr::Num(n.clone()),
        ArgValue::Call(call) => Expr::Call(call.clone()),
        ArgValue::Param(_) => Expr::Str(a.scalar(v).unwrap_or_default()),
        other => return Err(a.err(format!("expected an expression, found {other:?}"))),
    };
    c.expr(&e)
}

/// The output field: `as=`, else the default.
pub(crate) fn out_field(a: &Args, default: &str) -> Sym {
    Sym::new(&a.text("as").unwrap_or_else(|| default.to_owned()))
}

/// The input field: `field=`, else the default.
pub(crate) fn in_field(a: &Args, default: &str) -> Sym {
    Sym::new(&a.text("field").unwrap_or_else(|| default.to_owned()))
}

pub(crate) fn required_field(a: &Args) -> Result<Sym> {
    a.text("field")
        .map(|f| Sym::new(&f))
        .ok_or_else(|| a.err("missing argument `field`"))
}

/// An aggregate whose state is built by a closure; `reads` as [`AggSpec::reads`].
pub(crate) struct FnAgg<F> {
    make: F,
    reads: Option<Vec<Sym>>,
}

impl<S: AggState + 'static, F: Fn() -> S + Send + Sync> AggSpec for FnAgg<F> {
    fn start(&self) -> Box<dyn AggState> {
        Box::new((self.make)())
    }

    fn reads(&self) -> Option<Vec<Sym>> {
        self.reads.clone()
    }
}

/// An aggregate that may read any field.
pub(crate) fn agg<S: AggState + 'static>(
    f: impl Fn() -> S + Send + Sync + 'static,
) -> Arc<dyn AggSpec> {
    Arc::new(FnAgg {
        make: f,
        reads: None,
    })
}

/// An aggregate that reads only `reads`.
pub(crate) fn agg_reading<S: AggState + 'static>(
    reads: Vec<Sym>,
    f: impl Fn() -> S + Send + Sync + 'static,
) -> Arc<dyn AggSpec> {
    Arc::new(FnAgg {
        make: f,
        reads: Some(reads),
    })
}

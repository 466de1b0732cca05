//! Plan → compiled pipeline.

use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::{ArgValue, Call, Expr, Guard, Op, Plan, Predicate};

use crate::error::{ExecError, Result};
use crate::expr::{CallCompiler, CompiledExpr, ValueFn};
use crate::functions;
use crate::matcher::CompiledMatcher;
use crate::options::Options;
use crate::pipeline::{AggSpec, Out, PipelineSpec, StageSpec, StreamOp, run_chain};
use crate::predicate::{CompiledPredicate, EventFilter, FilterCompiler};
use crate::value::Value;

/// Compiles plans, predicates and expressions against one set of [`Options`].
pub struct Compiler<'a> {
    pub opts: &'a Options,
    /// Sub-queries and defined tables met so far (see [`crate::tables`]).
    pub tables: crate::tables::Registry,
    /// Whether the pipeline being compiled has an aggregate before the current stage: rows then
    /// come in that aggregate's order, not as searched events.
    pub(crate) after_aggregate: std::cell::Cell<bool>,
}

impl<'a> Compiler<'a> {
    pub fn new(opts: &'a Options) -> Self {
        Compiler {
            opts,
            tables: Default::default(),
            after_aggregate: std::cell::Cell::new(false),
        }
    }

    pub fn plan(&self, plan: &Plan) -> Result<PipelineSpec> {
        // A nested pipeline (sub-query, case branch) starts from searched events.
        let outer = self.after_aggregate.replace(false);
        let stages = plan
            .ops
            .iter()
            .map(|op| {
                let stage = self.op(op)?;
                if matches!(stage, StageSpec::Agg(_)) {
                    self.after_aggregate.set(true);
                }
                Ok(stage)
            })
            .collect::<Result<_>>();
        self.after_aggregate.set(outer);
        Ok(PipelineSpec { stages: stages? })
    }

    /// Whether an aggregate comes before the stage being compiled.
    pub fn after_aggregate(&self) -> bool {
        self.after_aggregate.get()
    }

    /// A pipeline that must not aggregate (`case` branches, `match` arms, sub-conditions).
    pub fn streaming(&self, plan: &Plan, what: &str) -> Result<Vec<Arc<dyn StreamOp>>> {
        self.plan(plan)?
            .streaming_ops()
            .ok_or_else(|| ExecError::Invalid(format!("{what} cannot contain an aggregate")))
    }

    pub fn predicate(&self, p: &Predicate) -> Result<CompiledPredicate> {
        CompiledPredicate::compile_with(p, self)
    }

    pub fn expr(&self, e: &Expr) -> Result<CompiledExpr> {
        CompiledExpr::compile(e, self)
    }

    fn op(&self, op: &Op) -> Result<StageSpec> {
        Ok(match op {
            // selfJoinFilter() filters by what it sees in the whole stream: it runs as a stage.
            Op::Filter(Predicate::Call(c)) if c.name.eq_ignore_ascii_case("selfJoinFilter") => {
                functions::stage(self, c)?
            }
            Op::Filter(p) => StageSpec::Stream(Arc::new(FilterOp {
                pred: self.predicate(p)?,
            })),
            Op::Assign(list) => StageSpec::Stream(Arc::new(AssignOp {
                assignments: list
                    .iter()
                    .map(|(f, e)| Ok((Sym::new(f), self.expr(e)?)))
                    .collect::<Result<_>>()?,
            })),
            Op::Case(branches) => StageSpec::Stream(Arc::new(CaseOp {
                branches: branches
                    .iter()
                    .map(|b| {
                        let guard = match b.ops.first() {
                            Some(Op::Filter(p)) => {
                                Some(self.predicate(p)?).filter(CompiledPredicate::is_pure)
                            }
                            _ => None,
                        };
                        Ok(CaseBranch {
                            guard,
                            ops: self.streaming(b, "a case branch")?,
                        })
                    })
                    .collect::<Result<_>>()?,
            })),
            Op::Match { field, arms } => {
                let sym = Sym::new(field);
                let arms = arms
                    .iter()
                    .map(|arm| {
                        let guard = match &arm.guard {
                            Guard::Any => ArmGuard::Any,
                            Guard::Matcher(m) => ArmGuard::Matcher(CompiledMatcher::compile(m)?),
                            Guard::Call(c) => {
                                let mut c = c.clone();
                                if c.get("field").is_none() {
                                    c.args.push(saker_plan::Arg {
                                        name: "field".into(),
                                        value: ArgValue::Word(field.clone()),
                                    });
                                }
                                ArmGuard::Filter(self.filter_call(&c)?)
                            }
                        };
                        Ok((guard, self.streaming(&arm.body, "a match arm")?))
                    })
                    .collect::<Result<_>>()?;
                StageSpec::Stream(Arc::new(MatchOp { field: sym, arms }))
            }
            Op::Call(call) => functions::stage(self, call)?,
            Op::Correlate(_) => {
                return Err(ExecError::Unsupported("correlation rules".into()));
            }
        })
    }

    /// A filter function, honouring `negated`.
    pub fn filter_call(&self, call: &Call) -> Result<Arc<dyn EventFilter>> {
        let f = functions::filter(self, call)?.ok_or_else(|| {
            ExecError::Invalid(format!("{}() is not a filter function", call.name))
        })?;
        Ok(if call.negated {
            Arc::new(NotFilter(f))
        } else {
            f
        })
    }

    /// A list of aggregates as `function=` takes it, combined by the stats rule.
    pub fn agg_list(&self, v: &ArgValue) -> Result<Arc<dyn AggSpec>> {
        let mut parts = Vec::new();
        self.collect_aggs(v, &mut parts)?;
        Ok(functions::aggs::stats_of(parts))
    }

    fn collect_aggs(&self, v: &ArgValue, parts: &mut Vec<Arc<dyn AggSpec>>) -> Result<()> {
        match v {
            ArgValue::Array(items) => {
                for i in items {
                    self.collect_aggs(i, parts)?;
                }
            }
            ArgValue::Call(c) => parts.push(self.agg_call(c)?),
            ArgValue::Expr(Expr::Call(c)) => parts.push(self.agg_call(c)?),
            ArgValue::Plan(p) => {
                // A single-call plan is that aggregate; otherwise a composite pipeline.
                if let [Op::Call(c)] = p.ops.as_slice() {
                    parts.push(self.agg_call(c)?);
                } else {
                    parts.push(Arc::new(self.plan(p)?));
                }
            }
            other => {
                return Err(ExecError::Invalid(format!(
                    "expected an aggregate function, found {other:?}"
                )));
            }
        }
        Ok(())
    }

    /// One aggregate call (a function usable in `function=`).
    pub fn agg_call(&self, c: &Call) -> Result<Arc<dyn AggSpec>> {
        match functions::stage(self, c)? {
            StageSpec::Agg(a) => Ok(a),
            StageSpec::Stream(_) => Err(ExecError::Invalid(format!(
                "{}() is not an aggregate function",
                c.name
            ))),
        }
    }
}

impl FilterCompiler for Compiler<'_> {
    fn compile_filter(&self, p: &Predicate) -> Result<Arc<dyn EventFilter>> {
        match p {
            Predicate::Call(c) => self.filter_call(c),
            Predicate::Expr(e) => Ok(Arc::new(ExprFilter(self.expr(e)?))),
            _ => Err(ExecError::Invalid("unexpected predicate".into())),
        }
    }
}

impl CallCompiler for Compiler<'_> {
    fn compile_value_call(&self, call: &Call) -> Result<Arc<dyn ValueFn>> {
        functions::value(self, call)
    }
}

struct NotFilter(Arc<dyn EventFilter>);

impl EventFilter for NotFilter {
    fn matches(&self, e: &Event) -> bool {
        !self.0.matches(e)
    }
}

/// `test(expr)`: passes when the expression is true; null drops the event.
pub struct ExprFilter(pub CompiledExpr);

impl EventFilter for ExprFilter {
    fn matches(&self, e: &Event) -> bool {
        self.0.eval(e).is_some_and(|v| v.truthy())
    }
}

struct FilterOp {
    pred: CompiledPredicate,
}

impl StreamOp for FilterOp {
    fn run(&self, mut e: Event) -> Out {
        if self.pred.apply(&mut e) {
            Out::One(e)
        } else {
            Out::Drop
        }
    }
}

struct AssignOp {
    assignments: Vec<(Sym, CompiledExpr)>,
}

impl StreamOp for AssignOp {
    fn run(&self, mut e: Event) -> Out {
        for (f, x) in &self.assignments {
            if let Some(v) = x.eval(&e) {
                e.set(*f, v.into_text());
            }
        }
        Out::One(e)
    }
}

/// `case { … }`: the first branch that yields output wins; no branch → dropped.
struct CaseOp {
    branches: Vec<CaseBranch>,
}

struct CaseBranch {
    /// The branch's leading filter when it is pure, tested on the borrowed event so that a branch
    /// that cannot match costs no copy of the event (it runs again as the first of `ops`).
    guard: Option<CompiledPredicate>,
    ops: Vec<Arc<dyn StreamOp>>,
}

impl StreamOp for CaseOp {
    fn run(&self, e: Event) -> Out {
        let n = self.branches.len();
        for (i, b) in self.branches.iter().enumerate() {
            if b.guard.as_ref().is_some_and(|g| !g.matches(&e)) {
                continue;
            }
            let out = if i + 1 == n {
                return run_chain(&b.ops, e);
            } else {
                run_chain(&b.ops, e.clone())
            };
            if !out.is_empty() {
                return out;
            }
        }
        Out::Drop
    }
}

enum ArmGuard {
    Any,
    Matcher(CompiledMatcher),
    Filter(Arc<dyn EventFilter>),
}

/// `field match { guard => … }`: the first arm whose guard holds runs; none → dropped.
struct MatchOp {
    field: Sym,
    arms: Vec<(ArmGuard, Vec<Arc<dyn StreamOp>>)>,
}

impl StreamOp for MatchOp {
    fn run(&self, mut e: Event) -> Out {
        for (guard, body) in &self.arms {
            let hit = match guard {
                ArmGuard::Any => true,
                ArmGuard::Matcher(CompiledMatcher::Regex(re)) => match e.get(self.field) {
                    Some(v) => match re.captures(v) {
                        Some(groups) => {
                            for (k, v) in groups {
                                e.set(k, v);
                            }
                            true
                        }
                        None => false,
                    },
                    None => false,
                },
                ArmGuard::Matcher(m) => m.test(e.get(self.field)),
                ArmGuard::Filter(f) => f.apply(&mut e),
            };
            if hit {
                return run_chain(body, e);
            }
        }
        Out::Drop
    }
}

/// Evaluates a value function by running it as a stage on a copy of the event.
pub struct StageValue {
    pub op: Arc<dyn StreamOp>,
    pub output: Sym,
}

impl ValueFn for StageValue {
    fn eval(&self, e: &Event) -> Option<Value> {
        match self.op.run(e.clone()) {
            Out::One(e) => e.get(self.output).map(Value::text),
            Out::Many(v) => v.first().and_then(|e| e.get(self.output)).map(Value::text),
            Out::Drop => None,
        }
    }
}

/// A filter function used as a value: true or false.
pub struct FilterValue(pub Arc<dyn EventFilter>);

impl ValueFn for FilterValue {
    fn eval(&self, e: &Event) -> Option<Value> {
        Some(Value::Bool(self.0.matches(e)))
    }
}

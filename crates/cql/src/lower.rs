//! Lowering the syntax tree to `saker_plan::Plan`.
//!
//! # Plan conventions (stable: the engine and the printer rely on them)
//!
//! Filters
//! * `f = v` → `Predicate::Field { f, Matcher::Equals { v } }`; `f = *x*` (any `*`, quoted or
//!   not) → `Matcher::Glob`; `f = *` (and `**`, `"*"`) → `Matcher::Exists`; `f = ""` → `Equals("")`.
//! * `f != v` → `Predicate::Not(Field { f, <matcher of f = v> })`; so `f != *` is
//!   `Not(Field { f, Exists })`. `Matcher::Absent` is never produced.
//! * `f = /re/flags` → `Matcher::Regex { pattern, flags, dialect: LogScale }` (`\/` unescaped).
//! * `f < 3` (`<=`, `>`, `>=`) → `Matcher::Compare { op, value }`; a non-numeric value is an error.
//! * `f like "a*b"` → `Matcher::Glob("*a*b*")` (no doubled `*`).
//! * Free-text word or string `w` → `Predicate::FreeText(Glob("*w*"))`; a lone `*` →
//!   `Predicate::True`; a bare `/re/` → `Predicate::FreeText(Regex)`.
//! * `and`/juxtaposition → `And`, `or` → `Or`, `not`/`!` → `Not`, with LogScale's precedence
//!   (`not` > `or` > `and`). A chain `a b c` is one `And` of three; parentheses keep nesting
//!   (`a (b c)` is `And[a, And[b, c]]`). A `*` term inside an `And` is dropped.
//! * `a <=> b.c` (correlate link) → `Predicate::Expr(Binary(Link, Field a, Field b.c))`.
//! * Unquoted values have `\x` escapes resolved (`*\\cmd.exe` is the glob `*\cmd.exe`).
//! * `Op::Filter(Predicate::True)` is never emitted: a stage that is only `*` vanishes.
//!
//! Function calls
//! * Names are canonical catalogue spellings (`groupby` → `groupBy`); parameter names are the
//!   catalogue's (`IgnoreCase` → `ignoreCase`); the unnamed argument is bound to the catalogue's
//!   `unnamed` parameter. Unknown functions/parameters keep the spelling as written (and `check`
//!   reports them). Defaults are not filled in: read them from the catalogue.
//! * Saved queries `$name(…)`/`$"pkg:q"(…)` → `Call { name: "$name", … }`.
//! * A stage that is one call of kind `Filter` (`in`, `cidr`, `wildcard`, `test`, …) becomes
//!   `Op::Filter(Predicate::Call(..))` (`!in(…)` → `Op::Filter(Not(Call))`). A stage that is one
//!   call of any other kind becomes `Op::Call`, with `negated: true` for `!regex(…)`,
//!   `!match(…)`, `!join(…)`. A call combined with other filter terms is a `Predicate::Call`
//!   (negation as `Predicate::Not`). `Call::negated` is only set on `Op::Call` and match guards.
//! * `test(e)` → `Predicate::Expr(e)` wherever it appears as a filter.
//! * `f =~ fn(…)` → `fn(…, field=f)`; `f := fn(…)` (a single call) → `fn(…, as=f)`, as an
//!   `Op::Call` (or filter, by the rule above); `f := expr` → `Op::Assign([(f, expr)])`;
//!   `eval(a=e1, b=e2)` → `Op::Assign([(a, e1), (b, e2)])`.
//! * Arguments: `"s"` → `Str`; an unquoted number → `Num`; other words → `Word`; `/re/f` →
//!   `Regex`; `[…]` → `Array`; `{…}` → `Plan`; a call → `Call`; expression-typed parameters
//!   (`ParamKind::Expr`) → `Expr` (also inside arrays, e.g. `coalesce([a, b])`).
//! * Function-typed parameters (`ParamKind::Function`: `groupBy(function=…)`, `bucket`,
//!   `timeChart`, `stats`, …) are always `ArgValue::Array` of `ArgValue::Plan`, one plan per
//!   sub-aggregate: `function=count()` → `[Plan[count]]`, `function=[count(), max(x)]` →
//!   `[Plan[count], Plan[max]]`, `function={ count() | x := _count/2 }` → `[Plan[count, assign]]`,
//!   `function=[]` → `[]`. The list is combined with the stats rule.
//! * `[a(), b()]` as a stage → `Op::Call(stats(function=[Plan[a], Plan[b]]))`; `x := min(y)` in a
//!   function list → `min(y, as=x)`.
//! * `correlate(name: {q} include: [f], …)` → args `name = Plan(q)` and `name.include = Array`.
//! * `?p` / `?{p=d}` → substituted from `CompileOptions::params`, else the declared default,
//!   else `*`; the text is then read as if written unquoted in a filter (`*` means presence, `*`
//!   inside means glob) and as `Str` in arguments and expressions. Never a regex.
//!
//! Statements
//! * `case { c1 ; c2 ; * | … }` → `Op::Case([plan1, plan2, plan3])`; a clause that is `*` or
//!   starts with an empty stage lowers to a plan without that filter (a `*` clause alone is
//!   `Plan::pass()`).
//! * `f match { g => p ; … }` → `Op::Match`: `*`, `true` and an empty guard → `Guard::Any`; a
//!   value/glob/regex → `Guard::Matcher` as for `f = g`; a function → `Guard::Call` with
//!   `field=f` added (negated via `Call::negated`).

use std::collections::BTreeMap;

use saker_diag::{Diagnostic, Kind};
use saker_plan::catalog::{self, FnKind, ParamKind};
use saker_plan::{self as plan, ArgValue, Matcher, Op, Plan, Predicate};

use crate::ast::{self, ExprKind, FilterKind, FilterOp, StageKind, ValueKind};
use crate::codes;

pub fn lower(query: &ast::Query, params: &BTreeMap<String, String>) -> (Plan, Vec<Diagnostic>) {
    let mut l = Lowerer {
        params,
        diags: Vec::new(),
    };
    let plan = l.pipeline(&query.pipeline);
    (plan, l.diags)
}

struct Lowerer<'a> {
    params: &'a BTreeMap<String, String>,
    diags: Vec<Diagnostic>,
}

/// `*s*` without doubling a `*` already there.
pub fn wrap_glob(s: &str) -> String {
    if s.chars().all(|c| c == '*') {
        return "*".into();
    }
    let mut out = String::with_capacity(s.len() + 2);
    if !s.starts_with('*') {
        out.push('*');
    }
    out.push_str(s);
    if !s.ends_with('*') || s.is_empty() {
        out.push('*');
    }
    out
}

/// The matcher of `f = text` for an unquoted or quoted value.
pub fn matcher_for_text(text: &str) -> Matcher {
    if !text.is_empty() && text.chars().all(|c| c == '*') {
        Matcher::Exists
    } else if text.contains('*') {
        Matcher::Glob {
            pattern: text.to_string(),
            case_insensitive: false,
        }
    } else {
        Matcher::Equals {
            value: text.to_string(),
            case_insensitive: false,
        }
    }
}

fn is_number(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    let mut parts = t.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Canonical function name, if known.
pub fn canonical_name(name: &str) -> Option<&'static str> {
    catalog::lookup(name).map(|f| f.name)
}

impl Lowerer<'_> {
    fn param_value(&self, name: &str, default: &Option<String>) -> String {
        self.params
            .get(name)
            .cloned()
            .or_else(|| default.clone())
            .unwrap_or_else(|| "*".to_string())
    }

    fn pipeline(&mut self, p: &ast::Pipeline) -> Plan {
        let mut ops = Vec::new();
        for s in &p.stages {
            if let Some(op) = self.stage(s) {
                ops.push(op);
            }
        }
        Plan::new(ops)
    }

    fn stage(&mut self, s: &ast::Stage) -> Option<Op> {
        match &s.kind {
            StageKind::Empty => None,
            StageKind::Filter(f) => self.filter_stage(f),
            StageKind::Assign { field, value } => Some(self.assign(field, value)),
            StageKind::Case { clauses } => {
                Some(Op::Case(clauses.iter().map(|c| self.pipeline(c)).collect()))
            }
            StageKind::Match { field, arms } => Some(Op::Match {
                field: field.text.clone(),
                arms: arms
                    .iter()
                    .map(|a| plan::MatchArm {
                        guard: self.guard(&field.text, &a.guard),
                        body: self.pipeline(&a.body),
                    })
                    .collect(),
            }),
            StageKind::Stats { items } => Some(Op::Call(plan::Call::new("stats").arg(
                "function",
                ArgValue::Array(items.iter().flat_map(|i| self.function_list(i)).collect()),
            ))),
        }
    }

    fn filter_stage(&mut self, f: &ast::Filter) -> Option<Op> {
        let (call, negated) = match &f.kind {
            FilterKind::Call(c) => (c, false),
            FilterKind::Not(inner) => match &inner.kind {
                FilterKind::Call(c) => (c, true),
                _ => return self.plain_filter(f),
            },
            _ => return self.plain_filter(f),
        };
        Some(self.call_stage(call, negated))
    }

    fn plain_filter(&mut self, f: &ast::Filter) -> Option<Op> {
        match self.predicate(f) {
            Predicate::True => None,
            p => Some(Op::Filter(p)),
        }
    }

    /// A call standing alone as a stage, by the kind rule in the module docs. `negated` is the
    /// `!`/`not` in front of it; `c.negated` the one after `=~`.
    fn call_stage(&mut self, c: &ast::Call, negated: bool) -> Op {
        if c.name.eq_ignore_ascii_case("eval") && !c.saved {
            return Op::Assign(self.eval_assignments(c));
        }
        let kind = (!c.saved)
            .then(|| catalog::lookup(&c.name))
            .flatten()
            .map(|s| s.kind);
        if kind == Some(FnKind::Filter) {
            let p = self.call_predicate(c);
            return Op::Filter(if negated {
                Predicate::Not(Box::new(p))
            } else {
                p
            });
        }
        let mut call = self.call(c);
        call.negated = negated ^ c.negated;
        Op::Call(call)
    }

    fn eval_assignments(&mut self, c: &ast::Call) -> Vec<(String, plan::Expr)> {
        c.args
            .iter()
            .filter_map(|a| {
                let (name, _) = a.name.as_ref()?;
                let e = match &a.value {
                    ast::ArgValue::Expr(e) => self.expr(e),
                    other => match self.arg_value(other, None) {
                        ArgValue::Str(s) => plan::Expr::Str(s),
                        ArgValue::Num(n) => plan::Expr::Num(n),
                        ArgValue::Word(w) => plan::Expr::Field(w),
                        ArgValue::Expr(e) => e,
                        ArgValue::Call(c) => plan::Expr::Call(c),
                        _ => return None,
                    },
                };
                Some((name.clone(), e))
            })
            .collect()
    }

    fn assign(&mut self, field: &ast::Name, value: &ast::Expr) -> Op {
        if let ExprKind::Call(c) = &value.kind {
            let mut c = c.clone();
            if !c.args.iter().any(|a| {
                a.name
                    .as_ref()
                    .is_some_and(|(n, _)| n.eq_ignore_ascii_case("as"))
            }) {
                c.assign = Some(field.clone());
            }
            return self.call_stage(&c, false);
        }
        Op::Assign(vec![(field.text.clone(), self.expr(value))])
    }

    fn guard(&mut self, field: &str, g: &ast::Guard) -> plan::Guard {
        match g {
            ast::Guard::Empty(_) => plan::Guard::Any,
            ast::Guard::Value(v) => match &v.kind {
                ValueKind::Word(w) if w == "*" || w.eq_ignore_ascii_case("true") => {
                    plan::Guard::Any
                }
                ValueKind::Regex { pattern, flags } => plan::Guard::Matcher(Matcher::Regex {
                    pattern: pattern.clone(),
                    flags: flags.clone(),
                    dialect: plan::RegexDialect::LogScale,
                }),
                ValueKind::Word(s) | ValueKind::Str(s) => plan::Guard::Matcher(matcher_for_text(s)),
                ValueKind::Param { name, default } => {
                    plan::Guard::Matcher(matcher_for_text(&self.param_value(name, default)))
                }
            },
            ast::Guard::Call(c) => {
                let mut call = self.call(c);
                if call.get("field").is_none() {
                    call.args.push(plan::Arg {
                        name: "field".into(),
                        value: ArgValue::Word(field.to_string()),
                    });
                }
                call.negated = c.negated;
                plan::Guard::Call(call)
            }
        }
    }

    // ---- predicates ---------------------------------------------------------------------------

    fn predicate(&mut self, f: &ast::Filter) -> Predicate {
        match &f.kind {
            FilterKind::And(items) => {
                let mut out = Vec::new();
                for i in items {
                    match self.predicate(i) {
                        Predicate::True => {}
                        p => out.push(p),
                    }
                }
                match out.len() {
                    0 => Predicate::True,
                    1 => out.pop().unwrap_or(Predicate::True),
                    _ => Predicate::And(out),
                }
            }
            FilterKind::Or(items) => {
                Predicate::Or(items.iter().map(|i| self.predicate(i)).collect())
            }
            FilterKind::Not(inner) => Predicate::Not(Box::new(self.predicate(inner))),
            FilterKind::Paren(inner) => self.predicate(inner),
            FilterKind::Compare { field, op, value } => self.compare(field, *op, value),
            FilterKind::Link { left, right } => Predicate::Expr(plan::Expr::Binary(
                plan::BinaryOp::Link,
                Box::new(plan::Expr::Field(left.text.clone())),
                Box::new(plan::Expr::Field(right.text.clone())),
            )),
            FilterKind::Text(v) => self.free_text(v),
            FilterKind::Call(c) => {
                let kind = (!c.saved)
                    .then(|| catalog::lookup(&c.name))
                    .flatten()
                    .map(|s| s.kind);
                if kind.is_some_and(|k| k != FnKind::Filter)
                    && !c.name.eq_ignore_ascii_case("regex")
                    && !c.name.eq_ignore_ascii_case("match")
                    && !c.name.eq_ignore_ascii_case("join")
                {
                    self.diags.push(
                        Diagnostic::error(
                            Kind::Semantic,
                            codes::MISPLACED_FUNCTION,
                            format!(
                                "`{}` is not a filter function and cannot be combined with other filters",
                                c.name
                            ),
                            c.name_span.clone(),
                        )
                        .with_help("put it in its own pipeline stage, after a `|`"),
                    );
                }
                self.call_predicate(c)
            }
            FilterKind::Error => Predicate::False,
        }
    }

    /// A call used as a predicate (`c.negated`, set by `f =~ !fn()`, becomes `Not`).
    fn call_predicate(&mut self, c: &ast::Call) -> Predicate {
        let p = if c.name.eq_ignore_ascii_case("test") && !c.saved {
            let e = c.args.first().map(|a| match &a.value {
                ast::ArgValue::Expr(e) => self.expr(e),
                other => match self.arg_value(other, None) {
                    ArgValue::Expr(e) => e,
                    ArgValue::Word(w) => plan::Expr::Field(w),
                    ArgValue::Str(s) => plan::Expr::Str(s),
                    ArgValue::Num(n) => plan::Expr::Num(n),
                    ArgValue::Call(c) => plan::Expr::Call(c),
                    _ => plan::Expr::Bool(false),
                },
            });
            Predicate::Expr(e.unwrap_or(plan::Expr::Bool(false)))
        } else {
            let mut call = self.call(c);
            call.negated = false;
            Predicate::Call(call)
        };
        if c.negated {
            Predicate::Not(Box::new(p))
        } else {
            p
        }
    }

    fn value_text(&self, v: &ast::Value) -> Option<String> {
        match &v.kind {
            ValueKind::Word(s) | ValueKind::Str(s) => Some(s.clone()),
            ValueKind::Param { name, default } => Some(self.param_value(name, default)),
            ValueKind::Regex { .. } => None,
        }
    }

    fn compare(&mut self, field: &ast::Name, op: FilterOp, value: &ast::Value) -> Predicate {
        let f = field.text.clone();
        let matcher = match (&value.kind, op) {
            (ValueKind::Regex { pattern, flags }, FilterOp::Eq | FilterOp::Ne) => Matcher::Regex {
                pattern: pattern.clone(),
                flags: flags.clone(),
                dialect: plan::RegexDialect::LogScale,
            },
            (_, FilterOp::Eq | FilterOp::Ne) => {
                matcher_for_text(&self.value_text(value).unwrap_or_default())
            }
            (_, FilterOp::Like) => Matcher::Glob {
                pattern: wrap_glob(&self.value_text(value).unwrap_or_default()),
                case_insensitive: false,
            },
            (_, FilterOp::Lt | FilterOp::Le | FilterOp::Gt | FilterOp::Ge) => {
                let cmp = match op {
                    FilterOp::Lt => plan::CmpOp::Lt,
                    FilterOp::Le => plan::CmpOp::Le,
                    FilterOp::Gt => plan::CmpOp::Gt,
                    _ => plan::CmpOp::Ge,
                };
                let text = self.value_text(value).unwrap_or_default();
                match text.trim().parse::<f64>() {
                    Ok(n) if is_number(text.trim()) => Matcher::Compare { op: cmp, value: n },
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                Kind::Semantic,
                                codes::NOT_A_NUMBER,
                                format!("`{}` compares numbers, but `{text}` is not a number", op.as_str()),
                                value.span.clone(),
                            )
                            .with_help("arithmetic is not evaluated in filters; use `test(…)` for expressions"),
                        );
                        return Predicate::False;
                    }
                }
            }
        };
        let p = Predicate::Field { field: f, matcher };
        if op == FilterOp::Ne {
            Predicate::Not(Box::new(p))
        } else {
            p
        }
    }

    fn free_text(&mut self, v: &ast::Value) -> Predicate {
        match &v.kind {
            ValueKind::Regex { pattern, flags } => Predicate::FreeText(Matcher::Regex {
                pattern: pattern.clone(),
                flags: flags.clone(),
                dialect: plan::RegexDialect::LogScale,
            }),
            _ => {
                let text = self.value_text(v).unwrap_or_default();
                if matches!(v.kind, ValueKind::Word(_) | ValueKind::Param { .. })
                    && !text.is_empty()
                    && text.chars().all(|c| c == '*')
                {
                    return Predicate::True;
                }
                Predicate::FreeText(Matcher::Glob {
                    pattern: wrap_glob(&text),
                    case_insensitive: false,
                })
            }
        }
    }

    // ---- calls and arguments ------------------------------------------------------------------

    pub(crate) fn call(&mut self, c: &ast::Call) -> plan::Call {
        let spec = if c.saved {
            None
        } else {
            catalog::lookup(&c.name)
        };
        let name = match (c.saved, spec) {
            (true, _) => format!("${}", c.name),
            (false, Some(s)) => s.name.to_string(),
            (false, None) => c.name.clone(),
        };
        let mut out = plan::Call::new(name);
        for a in &c.args {
            if let ast::ArgValue::NamedQuery { query, options } = &a.value {
                let qname = a.name.as_ref().map_or(String::new(), |(n, _)| n.clone());
                out.args.push(plan::Arg {
                    name: qname.clone(),
                    value: ArgValue::Plan(self.pipeline(query)),
                });
                for (k, _, v) in options {
                    let value = self.arg_value(v, None);
                    out.args.push(plan::Arg {
                        name: format!("{qname}.{k}"),
                        value,
                    });
                }
                continue;
            }
            let pname = match &a.name {
                Some((n, _)) => spec
                    .and_then(|s| s.param(n))
                    .map_or_else(|| n.clone(), |p| p.name.to_string()),
                None => spec
                    .and_then(|s| s.unnamed)
                    .map_or_else(|| "_".to_string(), str::to_string),
            };
            let kind = spec.and_then(|s| s.param(&pname)).map(|p| p.kind);
            let value = self.arg_value(&a.value, kind);
            out.args.push(plan::Arg { name: pname, value });
        }
        if let Some(r) = &c.receiver {
            out.args.push(plan::Arg {
                name: "field".into(),
                value: ArgValue::Word(r.text.clone()),
            });
        }
        if let Some(a) = &c.assign {
            out.args.push(plan::Arg {
                name: "as".into(),
                value: ArgValue::Word(a.text.clone()),
            });
        }
        out
    }

    /// One entry of a function list → the plans it contributes.
    fn function_list(&mut self, v: &ast::ArgValue) -> Vec<ArgValue> {
        match v {
            ast::ArgValue::Array(items, _) => {
                items.iter().flat_map(|i| self.function_list(i)).collect()
            }
            ast::ArgValue::Call(c) => {
                vec![ArgValue::Plan(Plan::new(vec![self.call_stage(c, false)]))]
            }
            ast::ArgValue::Query(p) => vec![ArgValue::Plan(self.pipeline(p))],
            other => vec![self.arg_value(other, None)],
        }
    }

    fn arg_value(&mut self, v: &ast::ArgValue, kind: Option<ParamKind>) -> ArgValue {
        if kind == Some(ParamKind::Function) {
            return match v {
                ast::ArgValue::Array(items, _) => {
                    ArgValue::Array(items.iter().flat_map(|i| self.function_list(i)).collect())
                }
                other => ArgValue::Array(self.function_list(other)),
            };
        }
        match v {
            ast::ArgValue::Value(val) => match &val.kind {
                ValueKind::Word(w) if is_number(w) => ArgValue::Num(w.clone()),
                ValueKind::Word(w) => ArgValue::Word(w.clone()),
                ValueKind::Str(s) => ArgValue::Str(s.clone()),
                ValueKind::Regex { pattern, flags } => ArgValue::Regex {
                    pattern: pattern.clone(),
                    flags: flags.clone(),
                },
                ValueKind::Param { name, default } => {
                    ArgValue::Str(self.param_value(name, default))
                }
            },
            ast::ArgValue::Array(items, _) => {
                ArgValue::Array(items.iter().map(|i| self.arg_value(i, kind)).collect())
            }
            ast::ArgValue::Query(p) => ArgValue::Plan(self.pipeline(p)),
            ast::ArgValue::Call(c) => {
                let mut call = self.call(c);
                call.negated = c.negated;
                ArgValue::Call(call)
            }
            ast::ArgValue::Expr(e) => ArgValue::Expr(self.expr(e)),
            ast::ArgValue::NamedQuery { query, .. } => ArgValue::Plan(self.pipeline(query)),
        }
    }

    // ---- expressions --------------------------------------------------------------------------

    fn expr(&mut self, e: &ast::Expr) -> plan::Expr {
        match &e.kind {
            ExprKind::Num(n) => plan::Expr::Num(n.clone()),
            ExprKind::Str(s) => plan::Expr::Str(s.clone()),
            ExprKind::Bool(b) => plan::Expr::Bool(*b),
            ExprKind::Field(n) => plan::Expr::Field(n.text.clone()),
            ExprKind::Param { name, default } => plan::Expr::Str(self.param_value(name, default)),
            ExprKind::Unary(op, inner) => plan::Expr::Unary(
                match op {
                    ast::UnaryOp::Neg => plan::UnaryOp::Neg,
                    ast::UnaryOp::Not => plan::UnaryOp::Not,
                },
                Box::new(self.expr(inner)),
            ),
            ExprKind::Binary(op, l, r) => plan::Expr::Binary(
                match op {
                    ast::BinOp::Add => plan::BinaryOp::Add,
                    ast::BinOp::Sub => plan::BinaryOp::Sub,
                    ast::BinOp::Mul => plan::BinaryOp::Mul,
                    ast::BinOp::Div => plan::BinaryOp::Div,
                    ast::BinOp::Rem => plan::BinaryOp::Rem,
                    ast::BinOp::Eq => plan::BinaryOp::Eq,
                    ast::BinOp::Ne => plan::BinaryOp::Ne,
                    ast::BinOp::Lt => plan::BinaryOp::Lt,
                    ast::BinOp::Le => plan::BinaryOp::Le,
                    ast::BinOp::Gt => plan::BinaryOp::Gt,
                    ast::BinOp::Ge => plan::BinaryOp::Ge,
                    ast::BinOp::Link => plan::BinaryOp::Link,
                },
                Box::new(self.expr(l)),
                Box::new(self.expr(r)),
            ),
            ExprKind::Call(c) => {
                let mut call = self.call(c);
                call.negated = c.negated;
                plan::Expr::Call(call)
            }
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Error => plan::Expr::Bool(false),
        }
    }
}

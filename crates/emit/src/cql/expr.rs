//! CQL text for the plan's function calls and expressions (`test(a == b)`, `in(…)`, …).

use saker_plan::{ArgValue, BinaryOp, Call, Expr, Op, Plan, UnaryOp};

use super::syntax::{self, Arg, FnCall};
use crate::Refusal;
use crate::cond::Cond;

/// A plan call as a CQL call; the first argument of the catalog is not named back.
pub fn call(c: &Call) -> Result<FnCall, Refusal> {
    let mut args = Vec::with_capacity(c.args.len());
    for a in &c.args {
        args.push((Some(a.name.clone()), arg(&a.value)?));
    }
    Ok(FnCall {
        name: c.name.clone(),
        negated: c.negated,
        args,
    })
}

fn arg(v: &ArgValue) -> Result<Arg, Refusal> {
    Ok(match v {
        ArgValue::Str(s) => Arg::Str(s.clone()),
        ArgValue::Word(w) => Arg::Word(
            if syntax::is_bare_field(w) || matches!(w.as_str(), "true" | "false") {
                w.clone()
            } else {
                syntax::quote(w)
            },
        ),
        ArgValue::Num(n) => Arg::Word(n.clone()),
        ArgValue::Regex { pattern, flags } => Arg::Regex {
            body: pattern.replace('/', "\\/"),
            flags: flags.clone(),
        },
        ArgValue::Array(items) => Arg::Array(items.iter().map(arg).collect::<Result<_, _>>()?),
        ArgValue::Plan(p) => Arg::Raw(format!("{{ {} }}", inline_plan(p)?)),
        ArgValue::Call(c) => Arg::Raw(syntax::print_call(&call(c)?)),
        ArgValue::Expr(e) => Arg::Raw(expr(e)?),
        ArgValue::Param(p) => Arg::Raw(format!("?{p}")),
    })
}

/// A nested pipeline of filters and calls on one line.
fn inline_plan(p: &Plan) -> Result<String, Refusal> {
    let mut stages = Vec::with_capacity(p.ops.len());
    for op in &p.ops {
        stages.push(match op {
            Op::Filter(pred) => syntax::print_inline(&super::filter(&Cond::from_predicate(pred))?),
            Op::Call(c) => syntax::print_call(&call(c)?),
            _ => {
                return Err(Refusal::new(
                    "a nested pipeline with assignments or branches has no conversion",
                ));
            }
        });
    }
    Ok(stages.join(" | "))
}

/// An expression in CQL syntax, fully parenthesised below the top.
pub fn expr(e: &Expr) -> Result<String, Refusal> {
    Ok(match e {
        Expr::Str(s) => syntax::quote(s),
        Expr::Num(n) => n.clone(),
        Expr::Bool(b) => b.to_string(),
        Expr::Field(f) => {
            if !syntax::is_expr_identifier(f) {
                return Err(Refusal::new(format!(
                    "field `{f}` cannot be named in a CQL expression"
                )));
            }
            f.clone()
        }
        Expr::Unary(UnaryOp::Neg, inner) => format!("-{}", operand(inner)?),
        Expr::Unary(UnaryOp::Not, inner) => format!("!{}", operand(inner)?),
        Expr::Binary(op, a, b) => format!("{} {} {}", operand(a)?, binary(*op), operand(b)?),
        Expr::Call(c) => syntax::print_call(&call(c)?),
    })
}

fn operand(e: &Expr) -> Result<String, Refusal> {
    let s = expr(e)?;
    Ok(match e {
        Expr::Binary(..) => format!("({s})"),
        _ => s,
    })
}

fn binary(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Rem => "%",
        BinaryOp::Eq => "==",
        BinaryOp::Ne => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::Link => "<=>",
    }
}

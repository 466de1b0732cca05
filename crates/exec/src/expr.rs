//! Expression evaluation (`:=`, `eval`, `test`, `if`, …).
//!
//! LogScale rules (<https://library.humio.com/data-analysis/syntax-expressions.html>): an absent field
//! is null; arithmetic and comparisons on null are null; arithmetic on non-numbers is null (`+` never
//! concatenates); division by zero is null; `==`/`!=` compare numerically when both sides are numbers,
//! else as text.

use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::{BinaryOp, Expr, UnaryOp};

use crate::error::{ExecError, Result};
use crate::value::Value;

/// A function evaluated for its value inside an expression.
pub trait ValueFn: Send + Sync {
    fn eval(&self, e: &Event) -> Option<Value>;
}

/// Compiles function calls found inside expressions.
pub trait CallCompiler {
    fn compile_value_call(&self, call: &saker_plan::Call) -> Result<Arc<dyn ValueFn>>;
}

#[derive(Clone)]
pub enum CompiledExpr {
    Const(Value),
    Field(Sym),
    Unary(UnaryOp, Box<CompiledExpr>),
    Binary(BinaryOp, Box<CompiledExpr>, Box<CompiledExpr>),
    Call(Arc<dyn ValueFn>),
}

impl CompiledExpr {
    pub fn compile(e: &Expr, calls: &dyn CallCompiler) -> Result<Self> {
        Ok(match e {
            Expr::Str(s) => CompiledExpr::Const(Value::text(s.as_str())),
            Expr::Num(n) => CompiledExpr::Const(Value::text(n.as_str())),
            Expr::Bool(b) => CompiledExpr::Const(Value::Bool(*b)),
            Expr::Field(f) => CompiledExpr::Field(Sym::new(f)),
            Expr::Unary(op, inner) => {
                CompiledExpr::Unary(*op, Box::new(Self::compile(inner, calls)?))
            }
            Expr::Binary(BinaryOp::Link, _, _) => {
                return Err(ExecError::Unsupported(
                    "the `<=>` link operator outside correlate()".into(),
                ));
            }
            Expr::Binary(op, a, b) => CompiledExpr::Binary(
                *op,
                Box::new(Self::compile(a, calls)?),
                Box::new(Self::compile(b, calls)?),
            ),
            Expr::Call(c) => CompiledExpr::Call(calls.compile_value_call(c)?),
        })
    }

    /// The value, or `None` for null.
    pub fn eval(&self, e: &Event) -> Option<Value> {
        match self {
            CompiledExpr::Const(v) => Some(v.clone()),
            CompiledExpr::Field(f) => e.get(*f).map(Value::text),
            CompiledExpr::Unary(UnaryOp::Neg, x) => Some(Value::Num(-x.eval(e)?.as_num()?)),
            CompiledExpr::Unary(UnaryOp::Not, x) => Some(Value::Bool(!x.eval(e)?.truthy())),
            CompiledExpr::Binary(op, a, b) => {
                let a = a.eval(e)?;
                let b = b.eval(e)?;
                binary(*op, &a, &b)
            }
            CompiledExpr::Call(f) => f.eval(e),
        }
    }

    /// The field this expression reads directly, if it is a bare field reference.
    pub fn as_field(&self) -> Option<Sym> {
        match self {
            CompiledExpr::Field(s) => Some(*s),
            _ => None,
        }
    }
}

fn binary(op: BinaryOp, a: &Value, b: &Value) -> Option<Value> {
    use BinaryOp::*;
    match op {
        Add | Sub | Mul | Div | Rem => {
            let (x, y) = (a.as_num()?, b.as_num()?);
            let r = match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                Div if y == 0.0 => return None,
                Div => x / y,
                Rem if y == 0.0 => return None,
                _ => x % y,
            };
            r.is_finite().then_some(Value::Num(r))
        }
        Eq | Ne => {
            let same = match (a.as_num(), b.as_num()) {
                (Some(x), Some(y)) => x == y,
                _ => a.to_text() == b.to_text(),
            };
            Some(Value::Bool(same == (op == Eq)))
        }
        Lt | Le | Gt | Ge => {
            let (x, y) = (a.as_num()?, b.as_num()?);
            Some(Value::Bool(match op {
                Lt => x < y,
                Le => x <= y,
                Gt => x > y,
                _ => x >= y,
            }))
        }
        Link => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoCalls;
    impl CallCompiler for NoCalls {
        fn compile_value_call(&self, c: &saker_plan::Call) -> Result<Arc<dyn ValueFn>> {
            Err(ExecError::Unsupported(c.name.clone()))
        }
    }

    fn eval(e: &Expr, ev: &Event) -> Option<String> {
        CompiledExpr::compile(e, &NoCalls)
            .unwrap()
            .eval(ev)
            .map(|v| v.into_text().to_string())
    }

    fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    fn f(n: &str) -> Expr {
        Expr::Field(n.into())
    }

    #[test]
    fn arithmetic_and_null_propagation() {
        // https://library.humio.com/data-analysis/functions-eval.html
        let ev: Event = [("a", "10"), ("b", "4"), ("t", "x")].into_iter().collect();
        assert_eq!(
            eval(&bin(BinaryOp::Div, f("a"), f("b")), &ev).as_deref(),
            Some("2.5")
        );
        assert_eq!(
            eval(&bin(BinaryOp::Add, f("a"), f("b")), &ev).as_deref(),
            Some("14")
        );
        assert_eq!(eval(&bin(BinaryOp::Add, f("a"), f("zz")), &ev), None);
        assert_eq!(
            eval(&bin(BinaryOp::Add, f("a"), f("t")), &ev),
            None,
            "+ never concatenates"
        );
        assert_eq!(
            eval(&bin(BinaryOp::Div, f("a"), Expr::Num("0".into())), &ev),
            None
        );
        assert_eq!(eval(&Expr::Num("7.0".into()), &ev).as_deref(), Some("7.0"));
        assert_eq!(
            eval(
                &Expr::Unary(UnaryOp::Neg, Box::new(Expr::Num("3.5".into()))),
                &ev
            )
            .as_deref(),
            Some("-3.5")
        );
    }

    #[test]
    fn comparisons() {
        let ev: Event = [("a", "10"), ("s", "abc")].into_iter().collect();
        let t = |e: Expr| eval(&e, &ev);
        assert_eq!(
            t(bin(BinaryOp::Eq, f("a"), Expr::Num("10.0".into()))).as_deref(),
            Some("true")
        );
        assert_eq!(
            t(bin(BinaryOp::Eq, f("s"), Expr::Str("abc".into()))).as_deref(),
            Some("true")
        );
        assert_eq!(
            t(bin(BinaryOp::Ne, f("s"), Expr::Str("x".into()))).as_deref(),
            Some("true")
        );
        assert_eq!(t(bin(BinaryOp::Lt, f("s"), Expr::Num("1".into()))), None);
        assert_eq!(
            t(bin(BinaryOp::Gt, f("a"), Expr::Num("9".into()))).as_deref(),
            Some("true")
        );
        assert_eq!(t(bin(BinaryOp::Gt, f("zz"), Expr::Num("9".into()))), None);
    }
}

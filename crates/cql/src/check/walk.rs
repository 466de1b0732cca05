//! Visiting every call, filter and expression of a query.

use crate::ast::*;

/// Callbacks for [`walk_pipeline`]; every method has a no-op default.
pub trait Visitor {
    fn call(&mut self, _c: &Call) {}
    fn value(&mut self, _v: &Value) {}
    fn expr(&mut self, _e: &Expr) {}
}

pub fn walk_pipeline(p: &Pipeline, v: &mut impl Visitor) {
    for s in &p.stages {
        walk_stage(s, v);
    }
}

pub fn walk_stage(s: &Stage, v: &mut impl Visitor) {
    match &s.kind {
        StageKind::Empty => {}
        StageKind::Filter(f) => walk_filter(f, v),
        StageKind::Assign { value, .. } => walk_expr(value, v),
        StageKind::Case { clauses } => clauses.iter().for_each(|c| walk_pipeline(c, v)),
        StageKind::Match { arms, .. } => {
            for a in arms {
                match &a.guard {
                    Guard::Call(c) => walk_call(c, v),
                    Guard::Value(val) => v.value(val),
                    Guard::Empty(_) => {}
                }
                walk_pipeline(&a.body, v);
            }
        }
        StageKind::Stats { items } => items.iter().for_each(|i| walk_arg(i, v)),
    }
}

pub fn walk_filter(f: &Filter, v: &mut impl Visitor) {
    match &f.kind {
        FilterKind::And(items) | FilterKind::Or(items) => {
            items.iter().for_each(|i| walk_filter(i, v))
        }
        FilterKind::Not(inner) | FilterKind::Paren(inner) => walk_filter(inner, v),
        FilterKind::Compare { value, .. } => v.value(value),
        FilterKind::Text(value) => v.value(value),
        FilterKind::Call(c) => walk_call(c, v),
        FilterKind::Link { .. } | FilterKind::Error => {}
    }
}

pub fn walk_call(c: &Call, v: &mut impl Visitor) {
    v.call(c);
    for a in &c.args {
        walk_arg(&a.value, v);
    }
}

pub fn walk_arg(a: &ArgValue, v: &mut impl Visitor) {
    match a {
        ArgValue::Value(val) => v.value(val),
        ArgValue::Array(items, _) => items.iter().for_each(|i| walk_arg(i, v)),
        ArgValue::Query(p) => walk_pipeline(p, v),
        ArgValue::Call(c) => walk_call(c, v),
        ArgValue::Expr(e) => walk_expr(e, v),
        ArgValue::NamedQuery { query, options } => {
            walk_pipeline(query, v);
            options.iter().for_each(|(_, _, o)| walk_arg(o, v));
        }
    }
}

pub fn walk_expr(e: &Expr, v: &mut impl Visitor) {
    v.expr(e);
    match &e.kind {
        ExprKind::Unary(_, inner) | ExprKind::Paren(inner) => walk_expr(inner, v),
        ExprKind::Binary(_, l, r) => {
            walk_expr(l, v);
            walk_expr(r, v);
        }
        ExprKind::Call(c) => walk_call(c, v),
        _ => {}
    }
}

//! Whether a target maps every field a rule tests: a field the target does not know would make
//! a converted query that silently never matches, so such a rule is refused with the field named.

use std::collections::BTreeSet;

use saker_plan::{Expr, Op, Predicate};

use crate::builtin::Target;
use crate::load::CompiledRule;

/// Checks that `target` has a mapping for the rule's log source and every field its plan tests;
/// the error names the log source or the unmapped fields.
pub fn check_mapped(rule: &CompiledRule, target: Target) -> Result<(), String> {
    let ls = &rule.meta.logsource;
    let category = ls.category.as_deref().unwrap_or("-");
    let Some(variants) = target.variants(ls) else {
        return Err(format!(
            "log source (product {}, category {category}, service {}) has no {} event type mapping",
            ls.product.as_deref().unwrap_or("-"),
            ls.service.as_deref().unwrap_or("-"),
            target.display_name(),
        ));
    };
    let known: BTreeSet<&str> = variants.iter().flat_map(|v| v.target_fields()).collect();
    let mut tested = BTreeSet::new();
    for op in &rule.plan.ops {
        if let Op::Filter(p) = op {
            predicate_fields(p, &mut tested);
        }
    }
    let unknown: Vec<String> = tested
        .into_iter()
        .filter(|f| !known.contains(f.as_str()))
        .map(|f| format!("`{f}`"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(format!(
        "no {} field for {} {} in category {category}",
        target.display_name(),
        if unknown.len() == 1 {
            "field"
        } else {
            "fields"
        },
        unknown.join(", "),
    ))
}

/// The fields a predicate tests (field tests and fields in expressions).
pub fn predicate_fields(p: &Predicate, out: &mut BTreeSet<String>) {
    match p {
        Predicate::And(v) | Predicate::Or(v) => v.iter().for_each(|p| predicate_fields(p, out)),
        Predicate::Not(p) => predicate_fields(p, out),
        Predicate::Field { field, .. } => {
            out.insert(field.clone());
        }
        Predicate::Expr(e) => expr_fields(e, out),
        Predicate::True | Predicate::False | Predicate::FreeText(_) | Predicate::Call(_) => {}
    }
}

fn expr_fields(e: &Expr, out: &mut BTreeSet<String>) {
    match e {
        Expr::Field(f) => {
            out.insert(f.clone());
        }
        Expr::Unary(_, a) => expr_fields(a, out),
        Expr::Binary(_, a, b) => {
            expr_fields(a, out);
            expr_fields(b, out);
        }
        _ => {}
    }
}

//! Filter functions: `in`, `cidr`, `wildcard`, `test`, `text:*` predicates, array predicates.

use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::{ArgValue, Plan};

use super::{arg_expr, filter_fn};
use crate::args::Args;
use crate::compile::{Compiler, ExprFilter};
use crate::error::Result;
use crate::matcher::{AnyOf, Cidr};
use crate::pipeline::{StreamOp, run_chain};
use crate::predicate::EventFilter;
use crate::regex::CompiledRegex;
use crate::text::{Glob, TextTest};

pub(super) fn filter(c: &Compiler, a: &Args, name: &str) -> Result<Option<Arc<dyn EventFilter>>> {
    Ok(Some(match name {
        "in" => {
            let field = Sym::new(&a.required_text("field")?);
            let values = a.list("values");
            let m = AnyOf::new(&values, true, a.bool_or("ignoreCase", false)?);
            filter_fn(move |e| e.get(field).is_some_and(|v| m.is_match(v)))
        }
        "cidr" => {
            let field = Sym::new(&a.required_text("field")?);
            a.reject(&["file", "column"])?;
            let m = Cidr::new(&a.list("subnet"))?;
            let negate = a.bool_or("negate", false)?;
            filter_fn(move |e| e.get(field).is_some_and(|v| m.contains(v) != negate))
        }
        "wildcard" => wildcard(a)?,
        "test" => {
            let e = arg_expr(c, a, "expression")?.ok_or_else(|| a.err("missing expression"))?;
            Arc::new(ExprFilter(e))
        }
        "text:contains" | "text:startswith" | "text:endswith" => {
            let s = arg_expr(c, a, "string")?.ok_or_else(|| a.err("missing `string`"))?;
            let sub = arg_expr(c, a, "substring")?.ok_or_else(|| a.err("missing `substring`"))?;
            let kind = name.to_owned();
            filter_fn(move |e| {
                let (Some(s), Some(sub)) = (s.eval(e), sub.eval(e)) else {
                    return false;
                };
                let (s, sub) = (s.into_text(), sub.into_text());
                match kind.as_str() {
                    "text:contains" => s.contains(sub.as_str()),
                    "text:startswith" => s.starts_with(sub.as_str()),
                    _ => s.ends_with(sub.as_str()),
                }
            })
        }
        "array:contains" => {
            let base = array_base(&a.required_text("array")?);
            let value = a.required_text("value")?;
            filter_fn(move |e| array_values(e, &base).any(|v| v == value))
        }
        "array:regex" => {
            let base = array_base(&a.required_text("array")?);
            let (p, f) = a
                .regex("regex", "")
                .ok_or_else(|| a.err("missing `regex`"))?;
            let re = CompiledRegex::logscale(&p, &f)?;
            filter_fn(move |e| array_values(e, &base).any(|v| re.is_match(v)))
        }
        "array:exists" => {
            let array = a.required_text("array")?;
            let base = array_base(&array);
            let var = Sym::new(&a.text("var").unwrap_or_else(|| base.clone()));
            let cond = condition(c, a, "condition")?;
            filter_fn(move |e| {
                array_values(e, &base).any(|v| {
                    let mut x = e.clone();
                    x.set(var, v);
                    !run_chain(&cond, x).is_empty()
                })
            })
        }
        _ => return Ok(None),
    }))
}

/// A `{ … }` or `test(…)` condition as a streaming chain.
pub(super) fn condition(c: &Compiler, a: &Args, name: &str) -> Result<Vec<Arc<dyn StreamOp>>> {
    match a.raw(name) {
        Some(ArgValue::Plan(p)) => c.streaming(p, "a condition"),
        Some(ArgValue::Array(items)) if items.len() == 1 => match &items[0] {
            ArgValue::Plan(p) => c.streaming(p, "a condition"),
            _ => Err(a.err(format!("`{name}` must be a query"))),
        },
        Some(ArgValue::Call(call)) => c.streaming(
            &Plan::new(vec![saker_plan::Op::Filter(
                if call.name.eq_ignore_ascii_case("test") {
                    match call.args.first().map(|a| &a.value) {
                        Some(ArgValue::Expr(e)) => saker_plan::Predicate::Expr(e.clone()),
                        _ => saker_plan::Predicate::Call(call.clone()),
                    }
                } else {
                    saker_plan::Predicate::Call(call.clone())
                },
            )]),
            "a condition",
        ),
        Some(ArgValue::Expr(e)) => c.streaming(
            &Plan::new(vec![saker_plan::Op::Filter(saker_plan::Predicate::Expr(
                e.clone(),
            ))]),
            "a condition",
        ),
        _ => Err(a.err(format!("missing `{name}`"))),
    }
}

fn wildcard(a: &Args) -> Result<Arc<dyn EventFilter>> {
    let pattern = a.required_text("pattern")?;
    let ci = a.bool_or("ignoreCase", false)?;
    let everything = a.bool_or("includeEverythingOnAsterisk", false)?;
    let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    if fields.is_empty() {
        // Without field: unanchored over the original event, like free text.
        let g = TextTest::glob(&format!("*{pattern}*"), ci);
        let excluded = [
            Sym::timestamp(),
            Sym::new(saker_event::names::ID),
            Sym::new(saker_event::names::INGEST_TIMESTAMP),
        ];
        return Ok(filter_fn(move |e| {
            e.iter()
                .any(|(k, v)| !excluded.contains(&k) && !k.is_tag() && g.is_match(v))
        }));
    }
    if everything && pattern.chars().all(|c| c == '*') {
        return Ok(filter_fn(|_| true));
    }
    let g = Glob::new(&pattern, ci);
    Ok(filter_fn(move |e| {
        fields
            .iter()
            .any(|f| e.get(*f).is_some_and(|v| g.is_match(v)))
    }))
}

/// `a[]` → `a`.
pub(crate) fn array_base(array: &str) -> String {
    array.strip_suffix("[]").unwrap_or(array).to_owned()
}

/// The elements `base[0]`, `base[1]`, … up to the first gap.
pub(crate) fn array_values<'e>(e: &'e Event, base: &str) -> impl Iterator<Item = &'e str> {
    let base = base.to_owned();
    (0..).map_while(move |i| {
        let name = format!("{base}[{i}]");
        Sym::lookup(&name).and_then(|s| e.get(s))
    })
}

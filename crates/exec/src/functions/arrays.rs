//! Array functions over flattened `a[0]`, `a[1]`, … fields.

use saker_event::{Event, Sym};
use saker_plan::ArgValue;

use super::filters::{array_base, array_values};
use super::{map, out_field, value_expr};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{Out, StageSpec, run_chain};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    Ok(Some(match name {
        "concatarray" => {
            let base = array_base(&a.required_text("field")?);
            let from = a.num_or("from", 0.0)?.max(0.0) as usize;
            let to = match a.text("to") {
                Some(_) => Some(a.num_or("to", 0.0)?.max(0.0) as usize),
                None => None,
            };
            let sep = a.text_or("separator", "");
            let prefix = a.text_or("prefix", "");
            let suffix = a.text_or("suffix", "");
            let out = out_field(a, "_concatArray");
            map(move |e| {
                let vals: Vec<&str> = array_values(e, &base).collect();
                if vals.is_empty() {
                    return;
                }
                let end = to.map_or(vals.len(), |t| (t + 1).min(vals.len()));
                if from >= end {
                    return;
                }
                let s = format!("{prefix}{}{suffix}", vals[from..end].join(&sep));
                e.set(out, s);
            })
        }
        "array:drop" => {
            let base = array_base(&a.required_text("array")?);
            map(move |e| e.retain(|f, _| element_rest(f.as_str(), &base).is_none()))
        }
        "array:rename" => {
            let base = array_base(&a.required_text("array")?);
            let to = array_base(&a.required_text("asArray")?);
            map(move |e| {
                let moved: Vec<(Sym, String, String)> = e
                    .iter()
                    .filter_map(|(f, v)| {
                        element_rest(f.as_str(), &base)
                            .map(|rest| (f, format!("{to}{rest}"), v.to_owned()))
                    })
                    .collect();
                for (old, _, _) in &moved {
                    e.remove(*old);
                }
                for (_, new, v) in moved {
                    e.set(Sym::new(&new), v);
                }
            })
        }
        "array:length" => {
            let base = array_base(&a.required_text("array")?);
            let out = out_field(a, "_length");
            map(move |e| {
                let n = array_values(e, &base).count();
                e.set(out, compact_str::format_compact!("{n}"));
            })
        }
        "array:append" => {
            let base = array_base(&a.required_text("array")?);
            let values = match a.raw("values") {
                Some(ArgValue::Array(items)) => items
                    .iter()
                    .map(|v| value_expr(c, a, v))
                    .collect::<Result<Vec<_>>>()?,
                Some(v) => vec![value_expr(c, a, v)?],
                None => return Err(a.err("missing `values`")),
            };
            map(move |e| {
                let start = array_values(e, &base).count();
                let new: Vec<_> = values.iter().filter_map(|x| x.eval(e)).collect();
                for (n, v) in (start..).zip(new) {
                    e.set(Sym::new(&format!("{base}[{n}]")), v.into_text());
                }
            })
        }
        "array:dedup" => {
            let base = array_base(&a.required_text("array")?);
            let out = a.text("asArray").map_or(base.clone(), |s| array_base(&s));
            map(move |e| {
                let vals: Vec<String> = array_values(e, &base).map(str::to_owned).collect();
                let mut seen = Vec::new();
                for v in vals {
                    if !seen.contains(&v) {
                        seen.push(v);
                    }
                }
                clear_array(e, &out);
                for (i, v) in seen.into_iter().enumerate() {
                    e.set(Sym::new(&format!("{out}[{i}]")), v);
                }
            })
        }
        "array:filter" | "array:eval" => {
            let base = array_base(&a.required_text("array")?);
            let var = Sym::new(&a.text("var").unwrap_or_else(|| base.clone()));
            let body = match a.raw("function") {
                Some(ArgValue::Plan(p)) => c.streaming(p, "an array function")?,
                Some(ArgValue::Array(items)) if items.len() == 1 => match &items[0] {
                    ArgValue::Plan(p) => c.streaming(p, "an array function")?,
                    _ => return Err(a.err("`function` must be a query")),
                },
                _ => return Err(a.err("missing `function`")),
            };
            let out = array_base(&a.text("asArray").unwrap_or_else(|| base.clone()));
            let filter = name == "array:filter";
            super::stream(move |mut e| {
                let vals: Vec<String> = array_values(&e, &base).map(str::to_owned).collect();
                let mut results = Vec::new();
                for v in &vals {
                    let mut x = e.clone();
                    x.set(var, v.as_str());
                    let before: Vec<Sym> = x.iter().map(|(k, _)| k).collect();
                    match run_chain(&body, x) {
                        Out::One(r) => {
                            if filter {
                                results.push(v.clone());
                            } else if let Some(val) = new_value(&r, &before, var) {
                                results.push(val);
                            }
                        }
                        Out::Many(rs) if !rs.is_empty() => {
                            if filter {
                                results.push(v.clone());
                            } else if let Some(val) = new_value(&rs[0], &before, var) {
                                results.push(val);
                            }
                        }
                        _ => {}
                    }
                }
                if out == base {
                    clear_array(&mut e, &out);
                }
                for (i, v) in results.into_iter().enumerate() {
                    e.set(Sym::new(&format!("{out}[{i}]")), v);
                }
                Out::One(e)
            })
        }
        _ => return Ok(None),
    }))
}

/// The value the function body computed: the first field it created (or the variable if
/// changed).
fn new_value(r: &Event, before: &[Sym], var: Sym) -> Option<String> {
    r.iter()
        .find(|(k, _)| !before.contains(k))
        .map(|(_, v)| v.to_owned())
        .or_else(|| r.get(var).map(str::to_owned))
}

fn clear_array(e: &mut Event, base: &str) {
    let prefix = format!("{base}[");
    e.retain(|k, _| !k.as_str().starts_with(&prefix));
}

/// For a field of array `base` (`base[3]`, `base[3].x`), the part from the `[` on.
fn element_rest<'f>(field: &'f str, base: &str) -> Option<&'f str> {
    let rest = field.strip_prefix(base)?;
    let digits = rest.strip_prefix('[')?;
    digits
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some(rest)
}

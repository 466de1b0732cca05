//! `join()` and `defineTable()`: sub-queries over the same inputs, run in a pre-pass
//! ([`crate::tables`]).
//! <https://library.humio.com/data-analysis/functions-join.html>
//! <https://library.humio.com/data-analysis/functions-definetable.html>

use std::collections::HashMap;
use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::{ArgValue, Plan};

use super::stream;
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{Out, StageSpec};
use crate::tables::{Deferred, DefinedTable};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    Ok(Some(match name {
        "join" => join(c, a)?,
        "definetable" => define_table(c, a)?,
        _ => return Ok(None),
    }))
}

fn sub_plan<'a>(a: &'a Args) -> Result<&'a Plan> {
    match a.raw("query") {
        Some(ArgValue::Plan(p)) => Ok(p),
        Some(_) => Err(a.err("`query` must be a query in braces: query={ … }")),
        None => Err(a.err("missing `query`")),
    }
}

/// Sub-query rows by join key; each row keeps only the `include` fields.
type JoinIndex = HashMap<Vec<String>, Vec<Vec<(Sym, String)>>>;

/// `join(query, field, key=field, include, mode=inner|left, max=1, limit=100000)`.
///
/// * `field` (one or several) names the keys in the main events, `key` the same keys in the
///   sub-query rows (default: `field`). An event lacking a key field matches nothing.
/// * `mode=inner` drops events without a matching row, `mode=left` keeps them unchanged;
///   `!join(…)` keeps only them.
/// * `include` fields are copied from the matching row; a row lacking one gives `""`. Without
///   `include` the join only filters.
/// * `max`: up to `max` rows per key are joined, one output event each, in the sub-query's output
///   order (which rows LogScale picks is not documented).
/// * `limit`: the sub-query's rows beyond `limit` are ignored.
/// * `start`, `end`, `repo`, `view`, `live` are accepted and ignored: the sub-query reads the same
///   inputs as the main query.
fn join(c: &Compiler, a: &Args) -> Result<StageSpec> {
    let plan = sub_plan(a)?;
    let fields = a.list("field");
    if fields.is_empty() {
        return Err(a.err("missing `field`"));
    }
    let keys = match a.list("key") {
        k if k.is_empty() => fields.clone(),
        k if k.len() == fields.len() => k,
        _ => return Err(a.err("`key` must name as many fields as `field`")),
    };
    let include: Vec<Sym> = a.list("include").iter().map(|f| Sym::new(f)).collect();
    let left = match a.text_or("mode", "inner").to_ascii_lowercase().as_str() {
        "inner" => false,
        "left" => true,
        m => return Err(a.err(format!("unknown mode `{m}` (inner or left)"))),
    };
    let max = a.limit_or("max", 1, usize::MAX)?.max(1);
    let limit = a.limit_or("limit", 100_000, usize::MAX)?;
    let negated = a.call.negated;
    let fields: Vec<Sym> = fields.iter().map(|f| Sym::new(f)).collect();
    let keys: Vec<Sym> = keys.iter().map(|f| Sym::new(f)).collect();

    let build_include = include.clone();
    let index = Deferred::new(JoinIndex::new(), move |rows: Vec<Event>| {
        let mut index = JoinIndex::new();
        for row in rows.iter().take(limit) {
            let Some(key) = key_of(row, &keys) else {
                continue;
            };
            let hits = index.entry(key).or_default();
            if hits.len() < max {
                hits.push(
                    build_include
                        .iter()
                        .map(|f| (*f, row.get(*f).unwrap_or("").to_owned()))
                        .collect(),
                );
            }
        }
        index
    });
    c.tables.add(c, plan, index.clone())?;

    Ok(stream(move |mut e| {
        let index = index.get();
        let hits = key_of(&e, &fields).and_then(|k| index.get(&k));
        match hits {
            None if negated || left => Out::One(e),
            None => Out::Drop,
            Some(_) if negated => Out::Drop,
            Some(rows) if rows.len() == 1 => {
                for (k, v) in &rows[0] {
                    e.set(*k, v.as_str());
                }
                Out::One(e)
            }
            Some(rows) => Out::Many(
                rows.iter()
                    .map(|row| {
                        let mut x = e.clone();
                        for (k, v) in row {
                            x.set(*k, v.as_str());
                        }
                        x
                    })
                    .collect(),
            ),
        }
    }))
}

fn key_of(e: &Event, fields: &[Sym]) -> Option<Vec<String>> {
    fields
        .iter()
        .map(|f| e.get(*f).map(str::to_owned))
        .collect()
}

/// `defineTable(query, name, include)`: declares the ad-hoc table `name` that `match(table=name)`
/// (or `file=name`) and `readFile(name)` read. The table holds the sub-query's rows, reduced to
/// the `include` fields (`*` or none: every field). It is a preamble: the main stream passes
/// through unchanged.
fn define_table(c: &Compiler, a: &Args) -> Result<StageSpec> {
    let plan = sub_plan(a)?;
    let name = a.required_text("name")?;
    let include: Vec<Sym> = a
        .list("include")
        .iter()
        .filter(|f| f.as_str() != "*")
        .map(|f| Sym::new(f))
        .collect();
    let table = Arc::new(DefinedTable::default());
    let sink = if include.is_empty() {
        table.clone() as Arc<dyn crate::tables::TableSink>
    } else {
        Arc::new(Projected {
            include,
            table: table.clone(),
        })
    };
    c.tables.add(c, plan, sink)?;
    c.tables.define(&name, table);
    Ok(stream(Out::One))
}

/// Keeps only the `include` fields of each row.
struct Projected {
    include: Vec<Sym>,
    table: Arc<DefinedTable>,
}

impl crate::tables::TableSink for Projected {
    fn fill(&self, mut rows: Vec<Event>) {
        for r in &mut rows {
            r.retain(|k, _| self.include.contains(&k));
        }
        crate::tables::TableSink::fill(&*self.table, rows);
    }
}

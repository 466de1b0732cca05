//! Lookup files: `match()` and `readFile()`. Tables come from [`crate::Options::tables`] or from
//! CSV/JSON files in [`crate::Options::files_dir`], read once at compile time.
//! <https://library.humio.com/data-analysis/functions-match.html>

use std::collections::HashMap;
use std::sync::Arc;

use saker_event::{Event, Sym};

use super::parse::Emit;
use super::{agg, stream};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::{ExecError, Result};
use crate::matcher::Cidr;
use crate::pipeline::{AggState, Out, StageSpec};
use crate::tables::{Deferred, DefinedTable};
use crate::text::Glob;

pub(super) type Row = Vec<(String, String)>;

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    Ok(Some(match name {
        "readfile" => {
            let files = a.list("file");
            if files.is_empty() {
                return Err(a.err("missing `file`"));
            }
            let include = a.list("include");
            let limit = a.limit_or("limit", usize::MAX, usize::MAX)?;
            if let [f] = files.as_slice()
                && let Some(table) = c.tables.defined(f)
            {
                // A defineTable() table: its rows exist once the pre-pass has run.
                let include: Vec<Sym> = include.iter().map(|f| Sym::new(f)).collect();
                return Ok(Some(StageSpec::Agg(agg(move || DefinedRows {
                    table: table.clone(),
                    include: include.clone(),
                    limit,
                }))));
            }
            let mut rows = Vec::new();
            for f in &files {
                for r in load(c, f)? {
                    let mut e = Event::new();
                    for (k, v) in r {
                        if include.is_empty() || include.contains(&k) {
                            e.set(Sym::new(&k), v);
                        }
                    }
                    rows.push(e);
                }
            }
            rows.truncate(limit);
            StageSpec::Agg(agg(move || Emit { rows: rows.clone() }))
        }
        "match" => lookup(c, a)?,
        _ => return Ok(None),
    }))
}

fn lookup(c: &Compiler, a: &Args) -> Result<StageSpec> {
    let file = a
        .text("file")
        .or_else(|| a.text("table"))
        .ok_or_else(|| a.err("missing `file`"))?;
    let field_name = a.required_text("field")?;
    let field = Sym::new(&field_name);
    let column = a.text("column").unwrap_or(field_name);
    let include = a.list("include");
    let strict = a.bool_or("strict", true)?;
    let ci = a.bool_or("ignoreCase", false)?;
    let nrows = a.limit_or("nrows", 1, 10_000)?.max(1);
    let mode = a.text_or("mode", "string").to_ascii_lowercase();
    let negated = a.call.negated;
    if !matches!(mode.as_str(), "string" | "glob" | "cidr") {
        return Err(a.err(format!("unknown mode `{mode}`")));
    }
    let source = match c.tables.defined(&file) {
        Some(defined) => {
            // A defineTable() table: indexed when the pre-pass fills it.
            let deferred = Deferred::new(Table::new(Vec::new(), &column, &include, &mode, ci), {
                let (column, include, mode) = (column.clone(), include.clone(), mode.clone());
                move |rows: Vec<Event>| {
                    let rows = rows
                        .iter()
                        .map(|r| {
                            r.iter()
                                .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
                                .collect()
                        })
                        .collect();
                    Table::new(rows, &column, &include, &mode, ci)
                }
            });
            defined.subscribe(deferred.clone());
            Source::Deferred(deferred)
        }
        None => Source::Static(Arc::new(Table::new(
            load(c, &file)?,
            &column,
            &include,
            &mode,
            ci,
        ))),
    };
    Ok(stream(move |mut e| {
        let table = source.get();
        let hits = e
            .get(field)
            .map(|v| table.find(v, nrows))
            .unwrap_or_default();
        if negated {
            return if hits.is_empty() {
                Out::One(e)
            } else {
                Out::Drop
            };
        }
        if hits.is_empty() {
            return if strict { Out::Drop } else { Out::One(e) };
        }
        if hits.len() == 1 {
            for (k, v) in &table.rows[hits[0]] {
                e.set(*k, v.as_str());
            }
            return Out::One(e);
        }
        Out::Many(
            hits.iter()
                .map(|&i| {
                    let mut x = e.clone();
                    for (k, v) in &table.rows[i] {
                        x.set(*k, v.as_str());
                    }
                    x
                })
                .collect(),
        )
    }))
}

/// A lookup table known at compile time, or built from a defined table by the pre-pass.
enum Source {
    Static(Arc<Table>),
    Deferred(Arc<Deferred<Table>>),
}

impl Source {
    fn get(&self) -> Arc<Table> {
        match self {
            Source::Static(t) => t.clone(),
            Source::Deferred(d) => d.get(),
        }
    }
}

/// `readFile(name)` of a defineTable() table: its rows, read when the aggregate finishes.
struct DefinedRows {
    table: Arc<DefinedTable>,
    include: Vec<Sym>,
    limit: usize,
}

impl AggState for DefinedRows {
    fn add(&mut self, _e: &Event) {}
    fn finish(&mut self, out: &mut Vec<Event>) {
        for r in self.table.rows().iter().take(self.limit) {
            let mut r = r.clone();
            if !self.include.is_empty() {
                r.retain(|k, _| self.include.contains(&k));
            }
            out.push(r);
        }
    }
}

struct Table {
    keys: Vec<String>,
    /// Output columns per row (`include`, else every column but the key).
    rows: Vec<Vec<(Sym, String)>>,
    exact: HashMap<String, Vec<usize>>,
    globs: Vec<(Glob, usize)>,
    mode: String,
    ci: bool,
}

impl Table {
    fn new(rows: Vec<Row>, column: &str, include: &[String], mode: &str, ci: bool) -> Self {
        let mut t = Table {
            keys: Vec::new(),
            rows: Vec::new(),
            exact: HashMap::new(),
            globs: Vec::new(),
            mode: mode.to_owned(),
            ci,
        };
        for r in rows {
            let Some(key) = r.iter().find(|(k, _)| k == column).map(|(_, v)| v.clone()) else {
                continue;
            };
            let i = t.rows.len();
            t.rows.push(
                r.iter()
                    .filter(|(k, _)| {
                        if include.is_empty() {
                            k != column
                        } else {
                            include.contains(k)
                        }
                    })
                    .map(|(k, v)| (Sym::new(k), v.clone()))
                    .collect(),
            );
            match mode {
                "glob" => t.globs.push((Glob::new(&key, ci), i)),
                "cidr" => {}
                _ => t
                    .exact
                    .entry(if ci { key.to_lowercase() } else { key.clone() })
                    .or_default()
                    .push(i),
            }
            t.keys.push(key);
        }
        t
    }

    /// Matching row indices: in string mode the last matching rows win (`nrows` of them).
    fn find(&self, v: &str, nrows: usize) -> Vec<usize> {
        match self.mode.as_str() {
            "glob" => self
                .globs
                .iter()
                .filter(|(g, _)| g.is_match(v))
                .map(|(_, i)| *i)
                .take(nrows)
                .collect(),
            "cidr" => {
                let best = self
                    .keys
                    .iter()
                    .enumerate()
                    .filter_map(|(i, k)| Cidr::best_prefix(k, v).map(|p| (p, i)))
                    .max_by_key(|(p, i)| (*p, std::cmp::Reverse(*i)));
                best.map(|(_, i)| vec![i]).unwrap_or_default()
            }
            _ => {
                let key = if self.ci {
                    v.to_lowercase()
                } else {
                    v.to_owned()
                };
                match self.exact.get(&key) {
                    Some(ids) => {
                        let skip = ids.len().saturating_sub(nrows);
                        ids[skip..].to_vec()
                    }
                    None => Vec::new(),
                }
            }
        }
    }
}

/// Rows of a lookup table, from the inline tables or a CSV/JSON file.
fn load(c: &Compiler, name: &str) -> Result<Vec<Row>> {
    if let Some(rows) = c.opts.tables.get(name) {
        return Ok(rows.clone());
    }
    load_path(&c.opts.files_dir.join(name), "lookup file")
}

/// Rows of a CSV or JSON table file (JSON when the name ends in `.json`); `what` names the file
/// in errors.
pub(super) fn load_path(path: &std::path::Path, what: &str) -> Result<Vec<Row>> {
    let fail = |m: String| ExecError::Runtime(format!("{what} {}: {m}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let json = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("json"));
    if json {
        parse_json_table(&text).map_err(fail)
    } else {
        parse_csv(&text).map_err(fail)
    }
}

fn parse_json_table(text: &str) -> Result<Vec<Row>, String> {
    let to_row = |v: &serde_json::Value| -> Row {
        let mut flat = Vec::new();
        super::parse::flatten(v, String::new(), &mut flat);
        flat.into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => Ok(items.iter().map(to_row).collect()),
        Ok(v @ serde_json::Value::Object(_)) => Ok(vec![to_row(&v)]),
        Ok(_) => Err("expected an array of objects".into()),
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .map(|v| to_row(&v))
                    .map_err(|e| e.to_string())
            })
            .collect(),
    }
}

/// A small RFC 4180 reader: header row, `"` quoting with `""` escapes.
fn parse_csv(text: &str) -> Result<Vec<Row>, String> {
    let mut records = Vec::new();
    let mut field = String::new();
    let mut record = Vec::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => record.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            '\r' if !quoted => {}
            c => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let mut it = records
        .into_iter()
        .filter(|r| !(r.len() == 1 && r[0].is_empty()));
    let header: Vec<String> = it
        .next()
        .ok_or("empty file")?
        .into_iter()
        .map(|h| h.trim().to_owned())
        .collect();
    Ok(it
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let rows = parse_csv("a,b\n1,\"x,\"\"y\"\"\"\n2,z\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1], ("b".to_owned(), "x,\"y\"".to_owned()));
    }
}

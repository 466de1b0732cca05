//! `transpose(pivot, header, column="column", limit=5)`: one row per field of the input rows.
//!
//! <https://library.humio.com/data-analysis/functions-transpose.html>: `groupBy(loglevel) |
//! transpose()` turns rows `{loglevel: ERROR, _count: 2}`, `{WARN, 400}`, `{INFO, 200}` into
//! `{column: _count, row[1]: 2, row[2]: 400, row[3]: 200}` and `{column: loglevel, row[1]: ERROR,
//! …}` (fields in name order). With `header=loglevel` the cells are named by that field's value
//! in each input row (`ERROR`, `WARN`, `INFO`) and the field itself is not a row; `column=` names
//! the field holding the field names; `pivot=f` is `header=f` and `column=f` at once. At most
//! `limit` input rows are transposed.

use saker_event::{Event, Sym};

use super::agg;
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{AggState, StageSpec};

const MAX_ROWS: usize = 1000;

pub(super) fn stage(_c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    if name != "transpose" {
        return Ok(None);
    }
    let pivot = a.text("pivot");
    let header = a.text("header").or_else(|| pivot.clone());
    let header = header.map(|f| Sym::new(&f));
    let column = Sym::new(
        &a.text("column")
            .or(pivot)
            .unwrap_or_else(|| "column".to_owned()),
    );
    let limit = a.limit_or("limit", 5, MAX_ROWS)?.max(1);
    Ok(Some(StageSpec::Agg(agg(move || Transpose {
        header,
        column,
        limit,
        rows: Vec::new(),
    }))))
}

struct Transpose {
    header: Option<Sym>,
    column: Sym,
    limit: usize,
    rows: Vec<Event>,
}

impl AggState for Transpose {
    fn add(&mut self, e: &Event) {
        if self.rows.len() < self.limit {
            self.rows.push(e.clone());
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let names: Vec<String> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| match self.header.and_then(|h| row.get(h)) {
                Some(name) => name.to_owned(),
                None => format!("row[{}]", i + 1),
            })
            .collect();
        let mut fields: Vec<Sym> = Vec::new();
        for row in &self.rows {
            for (f, _) in row.iter() {
                if Some(f) != self.header && !fields.contains(&f) {
                    fields.push(f);
                }
            }
        }
        fields.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        for f in fields {
            let mut e = Event::new();
            e.set(self.column, f.as_str());
            for (row, name) in self.rows.iter().zip(&names) {
                if let Some(v) = row.get(f) {
                    e.set_by_name(name, v);
                }
            }
            out.push(e);
        }
    }
}

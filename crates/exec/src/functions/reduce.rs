//! `array:reduceAll`, `array:reduceRow`, `array:reduceColumn`: an aggregate run over array
//! elements, each element seen as an event whose only field is `var`.
//!
//! * reduceAll: over every element of every event, one result ("similar to `split(array) |
//!   function(array)`", <https://library.humio.com/data-analysis/functions-array-reduceall.html>).
//! * reduceRow: per event over its own elements; the result's fields are added as `<as>.<field>`
//!   (`_reduceRow._avg`).
//! * reduceColumn: per index over all events; the n-th result row of column i becomes
//!   `<as>[i].<field>` in the n-th output event (`maxTimes[0].time`).

use std::sync::Arc;

use saker_event::{Event, Sym};

use super::filters::{array_base, array_values};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{AggSpec, AggState, Out, StageSpec};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    let kind = match name {
        "array:reduceall" => Kind::All,
        "array:reducerow" => Kind::Row,
        "array:reducecolumn" => Kind::Column,
        _ => return Ok(None),
    };
    let base = array_base(&a.required_text("array")?);
    let var = Sym::new(&a.required_text("var")?);
    let function = c.agg_list(
        a.raw("function")
            .ok_or_else(|| a.err("missing argument `function`"))?,
    )?;
    Ok(Some(match kind {
        Kind::All => StageSpec::Agg(Arc::new(ReduceAll {
            base,
            var,
            function,
        })),
        Kind::Row => {
            let out = a.text_or("as", "_reduceRow");
            super::stream(move |mut e| {
                let mut state = function.start();
                for v in array_values(&e, &base)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
                {
                    state.add(&element(var, &v));
                }
                let mut rows = Vec::new();
                state.finish(&mut rows);
                if let Some(row) = rows.first() {
                    for (k, v) in row.iter() {
                        e.set(Sym::new(&format!("{out}.{}", k.as_str())), v);
                    }
                }
                Out::One(e)
            })
        }
        Kind::Column => StageSpec::Agg(Arc::new(ReduceColumn {
            base,
            var,
            function,
            out: a.text_or("as", "_reduceColumn"),
        })),
    }))
}

enum Kind {
    All,
    Row,
    Column,
}

fn element(var: Sym, v: &str) -> Event {
    let mut e = Event::with_capacity(1);
    e.set(var, v);
    e
}

struct ReduceAll {
    base: String,
    var: Sym,
    function: Arc<dyn AggSpec>,
}

impl AggSpec for ReduceAll {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(ReduceAllState {
            base: self.base.clone(),
            var: self.var,
            state: self.function.start(),
        })
    }
}

struct ReduceAllState {
    base: String,
    var: Sym,
    state: Box<dyn AggState>,
}

impl AggState for ReduceAllState {
    fn add(&mut self, e: &Event) {
        for v in array_values(e, &self.base) {
            self.state.add(&element(self.var, v));
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        self.state.finish(out);
    }
}

struct ReduceColumn {
    base: String,
    var: Sym,
    function: Arc<dyn AggSpec>,
    out: String,
}

impl AggSpec for ReduceColumn {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(ReduceColumnState {
            base: self.base.clone(),
            var: self.var,
            function: self.function.clone(),
            out: self.out.clone(),
            columns: Vec::new(),
        })
    }
}

struct ReduceColumnState {
    base: String,
    var: Sym,
    function: Arc<dyn AggSpec>,
    out: String,
    columns: Vec<Box<dyn AggState>>,
}

impl AggState for ReduceColumnState {
    fn add(&mut self, e: &Event) {
        for (i, v) in array_values(e, &self.base).enumerate() {
            if i == self.columns.len() {
                self.columns.push(self.function.start());
            }
            self.columns[i].add(&element(self.var, v));
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let mut events: Vec<Event> = Vec::new();
        for (i, column) in self.columns.iter_mut().enumerate() {
            let mut rows = Vec::new();
            column.finish(&mut rows);
            for (n, row) in rows.iter().enumerate() {
                if n == events.len() {
                    events.push(Event::new());
                }
                for (k, v) in row.iter() {
                    let name = format!("{}[{i}].{}", self.out, k.as_str());
                    events[n].set(Sym::new(&name), v);
                }
            }
        }
        out.append(&mut events);
    }
}

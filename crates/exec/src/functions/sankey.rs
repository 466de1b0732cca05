//! `sankey(source, target, weight=count(as=_count))`: the edges of a Sankey diagram.
//!
//! The widget reads fields named `source`, `target` and `weight`
//! (<https://library.humio.com/data-analysis/widgets-sankey-input.html>), and the page gives the
//! hand-written equivalent `rename(class, as=source) | rename(thread, as=target) |
//! groupBy([source, target], function=count(as=weight))`: one row per (source, target) pair, the
//! weight aggregate's output renamed to `weight`.

use std::sync::Arc;

use saker_event::{Event, Sym};

use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{AggSpec, AggState, StageSpec};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    if name != "sankey" {
        return Ok(None);
    }
    let field = |p: &str| {
        a.text(p)
            .map(|f| Sym::new(&f))
            .ok_or_else(|| a.err(format!("missing argument `{p}`")))
    };
    let (source, target) = (field("source")?, field("target")?);
    let weight = match a.raw("weight") {
        Some(v) => c.agg_list(v)?,
        None => super::aggs::count_spec("_count"),
    };
    let groups: Arc<dyn AggSpec> = Arc::new(super::aggs::GroupBy {
        keys: vec![source, target],
        function: weight,
        limit: 20_000,
    });
    Ok(Some(StageSpec::Agg(Arc::new(Sankey {
        groups,
        source,
        target,
    }))))
}

struct Sankey {
    groups: Arc<dyn AggSpec>,
    source: Sym,
    target: Sym,
}

impl AggSpec for Sankey {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(SankeyState {
            groups: self.groups.start(),
            source: self.source,
            target: self.target,
        })
    }

    fn reads(&self) -> Option<Vec<Sym>> {
        self.groups.reads()
    }
}

struct SankeyState {
    groups: Box<dyn AggState>,
    source: Sym,
    target: Sym,
}

impl AggState for SankeyState {
    fn add(&mut self, e: &Event) {
        self.groups.add(e);
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let mut rows = Vec::new();
        self.groups.finish(&mut rows);
        for row in rows {
            let mut edge = Event::with_capacity(3);
            let mut weight = None;
            for (k, v) in row.iter() {
                if k == self.source {
                    edge.set(Sym::new("source"), v);
                } else if k == self.target {
                    edge.set(Sym::new("target"), v);
                } else if weight.is_none() {
                    weight = Some(v.to_owned());
                }
            }
            // A self-loop (source and target the same field) keeps one key for both ends.
            if self.source == self.target
                && let Some(v) = edge.get(Sym::new("source")).map(str::to_owned)
            {
                edge.set(Sym::new("target"), v);
            }
            if let Some(w) = weight {
                edge.set(Sym::new("weight"), w);
            }
            out.push(edge);
        }
    }
}

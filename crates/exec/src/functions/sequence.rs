//! Sequence functions over an ordered result set: `neighbor`, `accumulate`, `slidingWindow`,
//! `slidingTimeWindow`, `partition`, `session`. They buffer the (already aggregated, so bounded)
//! events they see.

use std::sync::Arc;

use saker_event::{Event, Sym};

use super::filters::condition;
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{AggSpec, AggState, StageSpec, StreamOp, run_chain};

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    let kind = match name {
        "neighbor" => {
            let include: Vec<Sym> = a.list("include").iter().map(|f| Sym::new(f)).collect();
            let prefix = a.text("prefix");
            let succeeding = a
                .text_or("direction", "preceding")
                .eq_ignore_ascii_case("succeeding");
            let distance = a.num_or("distance", 1.0)?.max(1.0) as usize;
            Kind::Neighbor {
                include: include
                    .into_iter()
                    .map(|f| {
                        let name = match &prefix {
                            Some(p) => format!("{p}.{}", f.as_str()),
                            None => f.as_str().to_owned(),
                        };
                        (f, Sym::new(&name))
                    })
                    .collect(),
                succeeding,
                distance,
            }
        }
        "accumulate" => Kind::Accumulate(function(c, a)?),
        "slidingwindow" => Kind::Window {
            function: function(c, a)?,
            events: a.num_or("events", 1.0)?.max(1.0) as usize,
        },
        "slidingtimewindow" => {
            let span = a.required_text("span")?;
            Kind::TimeWindow {
                function: function(c, a)?,
                span_ms: super::time::parse_duration_ms(&span)
                    .ok_or_else(|| a.err(format!("invalid span `{span}`")))?,
            }
        }
        "partition" => Kind::Partition {
            function: function(c, a)?,
            condition: condition(c, a, "condition")?,
            after: a.text_or("split", "before").eq_ignore_ascii_case("after"),
        },
        "session" => {
            let pause = a.text_or("maxpause", "15m");
            Kind::Session {
                function: function(c, a)?,
                max_pause_ms: super::time::parse_duration_ms(&pause)
                    .ok_or_else(|| a.err(format!("invalid maxpause `{pause}`")))?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(StageSpec::Agg(Arc::new(Sequence(Arc::new(kind))))))
}

fn function(c: &Compiler, a: &Args) -> Result<Arc<dyn AggSpec>> {
    match a.raw("function") {
        Some(v) => c.agg_list(v),
        None => Ok(super::aggs::count_spec("_count")),
    }
}

enum Kind {
    Neighbor {
        include: Vec<(Sym, Sym)>,
        succeeding: bool,
        distance: usize,
    },
    Accumulate(Arc<dyn AggSpec>),
    Window {
        function: Arc<dyn AggSpec>,
        events: usize,
    },
    TimeWindow {
        function: Arc<dyn AggSpec>,
        span_ms: i64,
    },
    Partition {
        function: Arc<dyn AggSpec>,
        condition: Vec<Arc<dyn StreamOp>>,
        after: bool,
    },
    Session {
        function: Arc<dyn AggSpec>,
        max_pause_ms: i64,
    },
}

struct Sequence(Arc<Kind>);

impl AggSpec for Sequence {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(SequenceState {
            kind: self.0.clone(),
            events: Vec::new(),
        })
    }
}

struct SequenceState {
    kind: Arc<Kind>,
    events: Vec<Event>,
}

/// Runs `f` over `events` and merges its (first) row into `target`.
fn merge_result(f: &Arc<dyn AggSpec>, events: &[Event], target: &mut Event) {
    let mut s = f.start();
    for e in events {
        s.add(e);
    }
    let mut rows = Vec::new();
    s.finish(&mut rows);
    if let Some(r) = rows.first() {
        for (k, v) in r.iter() {
            target.set(k, v);
        }
    }
}

fn run_all(f: &Arc<dyn AggSpec>, events: &[Event], out: &mut Vec<Event>) {
    let mut s = f.start();
    for e in events {
        s.add(e);
    }
    s.finish(out);
}

impl AggState for SequenceState {
    fn add(&mut self, e: &Event) {
        self.events.push(e.clone());
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        let events = std::mem::take(&mut self.events);
        match self.kind.as_ref() {
            Kind::Neighbor {
                include,
                succeeding,
                distance,
            } => {
                for (i, e) in events.iter().enumerate() {
                    let j = if *succeeding {
                        i.checked_add(*distance).filter(|j| *j < events.len())
                    } else {
                        i.checked_sub(*distance)
                    };
                    let mut x = e.clone();
                    if let Some(n) = j.and_then(|j| events.get(j)) {
                        for (f, name) in include {
                            if let Some(v) = n.get(*f) {
                                x.set(*name, v);
                            }
                        }
                    }
                    out.push(x);
                }
            }
            Kind::Accumulate(f) => {
                for i in 0..events.len() {
                    let mut x = events[i].clone();
                    merge_result(f, &events[..=i], &mut x);
                    out.push(x);
                }
            }
            Kind::Window {
                function,
                events: n,
            } => {
                for i in 0..events.len() {
                    let lo = (i + 1).saturating_sub(*n);
                    let mut x = events[i].clone();
                    merge_result(function, &events[lo..=i], &mut x);
                    out.push(x);
                }
            }
            Kind::TimeWindow { function, span_ms } => {
                for i in 0..events.len() {
                    let t = events[i].timestamp().unwrap_or(0);
                    let lo = events[..=i]
                        .iter()
                        .position(|e| e.timestamp().unwrap_or(0) > t - span_ms)
                        .unwrap_or(i);
                    let mut x = events[i].clone();
                    merge_result(function, &events[lo..=i], &mut x);
                    out.push(x);
                }
            }
            Kind::Partition {
                function,
                condition,
                after,
            } => {
                let mut start = 0;
                for i in 0..events.len() {
                    let hit = !run_chain(condition, events[i].clone()).is_empty();
                    if hit {
                        let cut = if *after { i + 1 } else { i };
                        if cut > start {
                            run_all(function, &events[start..cut], out);
                        }
                        start = cut;
                    }
                }
                if start < events.len() {
                    run_all(function, &events[start..], out);
                }
            }
            Kind::Session {
                function,
                max_pause_ms,
            } => {
                let mut sorted = events;
                if sorted.iter().all(|e| e.timestamp().is_some()) {
                    sorted.sort_by_key(|e| e.timestamp().unwrap_or(0));
                }
                let mut start = 0;
                for i in 1..=sorted.len() {
                    let gap = i < sorted.len()
                        && sorted[i].timestamp().unwrap_or(0)
                            - sorted[i - 1].timestamp().unwrap_or(0)
                            > *max_pause_ms;
                    if i == sorted.len() || gap {
                        run_all(function, &sorted[start..i], out);
                        start = i;
                    }
                }
            }
        }
    }
}

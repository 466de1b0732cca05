//! `bucket()` and `timeChart()`: a `groupBy` over `_bucket` (the bucket's start, in ms) and the
//! series fields.
//!
//! The span is `span=` when given. Otherwise LogScale splits the search interval into `buckets`
//! buckets (<https://library.humio.com/data-analysis/functions-timechart.html>: "The time span is
//! defined by splitting the query time interval into this many buckets", never shorter than
//! `minSpan`). Offline, the search interval is `--start`/`--end`; a bound not given is taken from
//! the events themselves, which means holding them until the last one is read.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use saker_event::{Event, Sym, parse_number};

use super::aggs::{GroupBy, count_spec};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::functions::time::{parse_duration_ms, parse_zone};
use crate::pipeline::{AggSpec, AggState, downcast};

/// The number of buckets LogScale aims for when neither `span` nor `buckets` is given.
const DEFAULT_BUCKETS: i64 = 100;
/// Default for `limit`: the number of series kept (the top ones by aggregate value).
const DEFAULT_SERIES_LIMIT: usize = 10;
const MAX_SERIES_LIMIT: usize = 500;

pub(super) fn bucket(c: &Compiler, a: &Args, name: &str) -> Result<Arc<dyn AggSpec>> {
    a.reject(&["unit"])?;
    let duration = |param: &str| -> Result<Option<i64>> {
        match a.text(param).as_deref() {
            None | Some("auto") => Ok(None),
            Some(s) => parse_duration_ms(s)
                .filter(|ms| *ms > 0)
                .map(Some)
                .ok_or_else(|| {
                    a.err(format!(
                        "invalid {param} `{s}`: expected a span like 15m, 1h, 2days"
                    ))
                }),
        }
    };
    let span = match duration("span")? {
        Some(ms) => Span::Fixed(ms),
        None => Span::Auto(AutoSpan {
            buckets: a
                .num_or("buckets", DEFAULT_BUCKETS as f64)?
                .clamp(1.0, 1500.0) as i64,
            min_span: duration("minSpan")?.unwrap_or(1),
            start: c.opts.start_ms,
            end: c.opts.end_ms,
        }),
    };
    let series_param = if name == "timechart" {
        "series"
    } else {
        "field"
    };
    let series: Vec<Sym> = a.list(series_param).iter().map(|f| Sym::new(f)).collect();
    let mut keys = vec![Sym::new("_bucket")];
    keys.extend(series.iter().copied());
    let function = match a.raw("function") {
        Some(v) => c.agg_list(v)?,
        None => count_spec("_count"),
    };
    let inner: Arc<dyn AggSpec> = Arc::new(GroupBy {
        keys,
        function,
        limit: 1_000_000,
    });
    let series_limit = a.limit_or("limit", DEFAULT_SERIES_LIMIT, MAX_SERIES_LIMIT)?;
    let zone = match a.text("timezone") {
        Some(t) => Some(parse_zone(&t).map_err(|m| a.err(m))?),
        None => None,
    };
    Ok(Arc::new(Bucketed {
        span,
        zone,
        inner,
        series,
        series_limit,
    }))
}

#[derive(Clone, Copy)]
enum Span {
    Fixed(i64),
    Auto(AutoSpan),
}

#[derive(Clone, Copy)]
struct AutoSpan {
    buckets: i64,
    min_span: i64,
    start: Option<i64>,
    end: Option<i64>,
}

impl AutoSpan {
    /// The grid once the interval is known (`--start`/`--end` where given, else the events'
    /// range): buckets start at the interval's start, and the last may reach past its end.
    fn resolve(&self, first: i64, last: i64) -> Grid {
        let lo = self.start.unwrap_or(first);
        let hi = self.end.unwrap_or(last.saturating_add(1));
        let span = (hi.saturating_sub(lo).max(1) as u64).div_ceil(self.buckets as u64) as i64;
        Grid {
            origin: lo,
            span: span.max(self.min_span).max(1),
            zone: None,
        }
    }

    fn known(&self) -> Option<Grid> {
        match (self.start, self.end) {
            (Some(lo), Some(hi)) if hi > lo => Some(self.resolve(lo, hi - 1)),
            _ => None,
        }
    }
}

/// Buckets of `span` ms from `origin`. A fixed `span=` is aligned to the epoch (origin 0) on the
/// clock of `timezone=` (so `span=1d` buckets start at local midnight).
#[derive(Clone, Debug, PartialEq)]
struct Grid {
    origin: i64,
    span: i64,
    zone: Option<TimeZone>,
}

impl Grid {
    fn start_of(&self, ts: i64) -> i64 {
        let shift = match (&self.zone, Timestamp::from_millisecond(ts)) {
            (Some(zone), Ok(t)) => i64::from(zone.to_offset(t).seconds()) * 1000,
            _ => 0,
        };
        let local = ts + shift;
        self.origin + (local - self.origin).div_euclid(self.span) * self.span - shift
    }
}

struct Bucketed {
    span: Span,
    zone: Option<TimeZone>,
    inner: Arc<dyn AggSpec>,
    series: Vec<Sym>,
    series_limit: usize,
}

impl Bucketed {
    fn state(&self, partial: bool) -> BucketedState {
        let span = match self.span {
            Span::Fixed(ms) => Some(Grid {
                origin: 0,
                span: ms,
                zone: self.zone.clone(),
            }),
            Span::Auto(auto) => auto.known(),
        };
        let inner = if partial {
            self.inner.start_partial()
        } else {
            self.inner.start()
        };
        BucketedState {
            span,
            auto: match self.span {
                Span::Auto(auto) => auto,
                Span::Fixed(_) => AutoSpan {
                    buckets: 1,
                    min_span: 1,
                    start: None,
                    end: None,
                },
            },
            held: Vec::new(),
            inner,
            sym: Sym::new("_bucket"),
            series: self.series.clone(),
            series_limit: self.series_limit,
        }
    }
}

impl AggSpec for Bucketed {
    fn start(&self) -> Box<dyn AggState> {
        Box::new(self.state(false))
    }

    fn start_partial(&self) -> Box<dyn AggState> {
        Box::new(self.state(true))
    }
}

struct BucketedState {
    /// `None` until the interval is known (auto span without `--start` and `--end`).
    span: Option<Grid>,
    auto: AutoSpan,
    /// Events (with their timestamps) waiting for the span.
    held: Vec<(i64, Event)>,
    inner: Box<dyn AggState>,
    sym: Sym,
    series: Vec<Sym>,
    series_limit: usize,
}

impl BucketedState {
    /// Keeps the `series_limit` series with the highest aggregate values (summed over buckets);
    /// LogScale drops the others (with a warning in its UI).
    fn keep_top_series(&self, rows: &mut Vec<Event>) {
        if self.series.is_empty() {
            return;
        }
        let key = |e: &Event| -> Vec<Option<String>> {
            self.series
                .iter()
                .map(|s| e.get(*s).map(str::to_owned))
                .collect()
        };
        let mut totals: HashMap<Vec<Option<String>>, (usize, f64)> = HashMap::new();
        for e in rows.iter() {
            let value: f64 = e
                .iter()
                .filter(|(k, _)| *k != self.sym && !self.series.contains(k))
                .filter_map(|(_, v)| parse_number(v))
                .sum();
            let next = totals.len();
            totals.entry(key(e)).or_insert((next, 0.0)).1 += value;
        }
        if totals.len() <= self.series_limit {
            return;
        }
        let mut ranked: Vec<_> = totals.into_iter().collect();
        ranked.sort_by(|(_, (ia, va)), (_, (ib, vb))| vb.total_cmp(va).then(ia.cmp(ib)));
        ranked.truncate(self.series_limit);
        let kept: HashMap<_, _> = ranked.into_iter().collect();
        rows.retain(|e| kept.contains_key(&key(e)));
    }
}

fn with_bucket(e: &Event, sym: Sym, start: i64) -> Event {
    let mut x = e.clone();
    x.set(sym, compact_str::format_compact!("{start}"));
    x
}

impl AggState for BucketedState {
    fn add(&mut self, e: &Event) {
        let Some(ts) = e.timestamp() else {
            return;
        };
        match &self.span {
            Some(grid) => self.inner.add(&with_bucket(e, self.sym, grid.start_of(ts))),
            None => self.held.push((ts, e.clone())),
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        if self.span.is_none() {
            let first = self.held.iter().map(|(ts, _)| *ts).min().unwrap_or(0);
            let last = self.held.iter().map(|(ts, _)| *ts).max().unwrap_or(0);
            let grid = self.auto.resolve(first, last);
            for (ts, e) in std::mem::take(&mut self.held) {
                self.inner
                    .add(&with_bucket(&e, self.sym, grid.start_of(ts)));
            }
        }
        let mut rows = Vec::new();
        self.inner.finish(&mut rows);
        self.keep_top_series(&mut rows);
        out.append(&mut rows);
    }

    fn mergeable(&self) -> bool {
        self.span.is_some() && self.inner.mergeable()
    }

    fn merge(&mut self, later: Box<dyn AggState>) {
        if let Some(later) = downcast::<BucketedState>(later) {
            self.inner.merge(later.inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_span_starts_at_midnight_on_the_given_clock() {
        let day = 86_400_000;
        let zone = parse_zone("+02:00").ok();
        let grid = Grid {
            origin: 0,
            span: day,
            zone,
        };
        // 2023-11-14T23:30:00+02:00 = 21:30Z: the local day began at 2023-11-13T22:00Z.
        let ts = 1_699_997_400_000;
        assert_eq!(grid.start_of(ts), 1_699_912_800_000);
        let utc = Grid { zone: None, ..grid };
        assert_eq!(utc.start_of(ts), 1_699_920_000_000);
    }

    #[test]
    fn auto_span_splits_the_interval_into_buckets_and_respects_min_span() {
        let auto = AutoSpan {
            buckets: 10,
            min_span: 1,
            start: None,
            end: None,
        };
        // 5 ..= 1004 ms → 1000 ms in 10 buckets from 5.
        let grid = auto.resolve(5, 1004);
        assert_eq!((grid.origin, grid.span), (5, 100));
        assert_eq!(
            (grid.start_of(5), grid.start_of(104), grid.start_of(1004)),
            (5, 5, 905)
        );
        // 1001 ms do not fit 10 buckets of 100: the span rounds up.
        assert_eq!(auto.resolve(0, 1000).span, 101);
        let given = AutoSpan {
            start: Some(0),
            end: Some(60_000),
            ..auto
        };
        assert_eq!(given.known().map(|g| (g.origin, g.span)), Some((0, 6_000)));
        let floor = AutoSpan {
            min_span: 3_600_000,
            ..given
        };
        assert_eq!(floor.known().map(|g| g.span), Some(3_600_000));
    }
}

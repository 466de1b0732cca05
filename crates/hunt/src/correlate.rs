//! Sigma correlation rules over the matches of their input rules.
//!
//! Matches of input rules are kept as compact [`Observation`]s (time, group key, value), sorted by
//! time once all inputs are read, then run through a sliding window per group. Window state is
//! bounded: entries older than the timespan are evicted as time advances, and a group's state is
//! cleared when it fires. An entry at exactly `timespan` before the newest one is still inside.

use std::collections::{HashMap, HashSet, VecDeque};

use saker_event::Event;
use saker_plan::CmpOp;
use saker_sigma::{CompiledCorrelation, CorrelationInput, CorrelationType};

/// One match of an input of a correlation.
#[derive(Clone, Debug)]
pub struct Observation {
    pub correlation: u32,
    /// Position of the input in the correlation's `rules:` list.
    pub input: u32,
    pub ts: i64,
    /// Group-by values joined by `\u{1f}`.
    pub group: String,
    /// The aggregated field's value (value_* types).
    pub value: Option<String>,
}

/// A correlation that fired.
#[derive(Clone, Debug)]
pub struct CorrelationHit {
    pub correlation: usize,
    /// Time of the observation that completed the condition.
    pub ts: i64,
    /// Time of the oldest observation in the window.
    pub window_start: i64,
    /// `(group-by field, value)`.
    pub group: Vec<(String, String)>,
    /// The count or aggregate the condition was tested on.
    pub value: f64,
}

/// Where a rule's matches go: `(correlation, input position)`.
pub type Feeds = Vec<(u32, u32)>;

pub const GROUP_SEPARATOR: char = '\u{1f}';

/// The group key of an event for one input of a correlation (aliases resolved by the name the
/// correlation uses for that input).
pub fn group_key(c: &CompiledCorrelation, input: usize, event: &Event) -> String {
    let reference = c.rule.rules.get(input).map(String::as_str).unwrap_or("");
    let mut key = String::new();
    for (i, g) in c.rule.group_by.iter().enumerate() {
        if i > 0 {
            key.push(GROUP_SEPARATOR);
        }
        let field = resolve_alias(c, g, reference);
        key.push_str(event.get_by_name(field).unwrap_or(""));
    }
    key
}

fn resolve_alias<'a>(c: &'a CompiledCorrelation, name: &'a str, reference: &str) -> &'a str {
    c.rule
        .aliases
        .iter()
        .find(|(alias, _)| alias == name)
        .and_then(|(_, per_rule)| per_rule.iter().find(|(r, _)| r == reference))
        .map_or(name, |(_, f)| f.as_str())
}

/// The value of the aggregated field, for value_* correlations.
pub fn value_of(c: &CompiledCorrelation, input: usize, event: &Event) -> Option<String> {
    let field = c.rule.field.as_deref()?;
    let reference = c.rule.rules.get(input).map(String::as_str).unwrap_or("");
    event
        .get_by_name(resolve_alias(c, field, reference))
        .map(str::to_owned)
}

fn holds(cond: &[(CmpOp, f64)], v: f64) -> bool {
    cond.iter().all(|(op, t)| match op {
        CmpOp::Lt => v < *t,
        CmpOp::Le => v <= *t,
        CmpOp::Gt => v > *t,
        CmpOp::Ge => v >= *t,
        CmpOp::Eq => v == *t,
        CmpOp::Ne => v != *t,
    })
}

#[derive(Default)]
struct GroupState {
    /// (time, input, value) inside the window, oldest first.
    entries: VecDeque<(i64, u32, Option<String>)>,
    /// temporal_ordered: for each prefix length k, the latest start time of an in-order chain
    /// that has completed inputs 0..=k.
    chain: Vec<Option<i64>>,
}

/// Runs every correlation over the observations (in any order; they are sorted here by time,
/// stably, so equal times keep input order).
pub fn run(
    correlations: &[CompiledCorrelation],
    mut observations: Vec<Observation>,
) -> Vec<CorrelationHit> {
    observations.sort_by_key(|o| o.ts);
    let mut by_corr: Vec<Vec<Observation>> = vec![Vec::new(); correlations.len()];
    for o in observations {
        if let Some(v) = by_corr.get_mut(o.correlation as usize) {
            v.push(o);
        }
    }
    let mut hits = Vec::new();
    // Correlations are in dependency order: outputs feed later ones.
    for (ci, c) in correlations.iter().enumerate() {
        let mut obs = std::mem::take(&mut by_corr[ci]);
        obs.sort_by_key(|o| o.ts);
        let fired = run_one(ci, c, &obs);
        for h in &fired {
            for (di, d) in correlations.iter().enumerate().skip(ci + 1) {
                for (input, inp) in d.inputs.iter().enumerate() {
                    if *inp == CorrelationInput::Correlation(ci) {
                        let event: Event = h
                            .group
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        by_corr[di].push(Observation {
                            correlation: di as u32,
                            input: input as u32,
                            ts: h.ts,
                            group: group_key(d, input, &event),
                            value: value_of(d, input, &event),
                        });
                    }
                }
            }
        }
        hits.extend(fired);
    }
    hits
}

fn run_one(ci: usize, c: &CompiledCorrelation, obs: &[Observation]) -> Vec<CorrelationHit> {
    let span = c.rule.timespan_ms;
    let inputs = c.rule.rules.len();
    let mut groups: HashMap<&str, GroupState> = HashMap::new();
    let mut out = Vec::new();
    for o in obs {
        let st = groups.entry(o.group.as_str()).or_default();
        // Evict what fell out of the window.
        while st.entries.front().is_some_and(|(t, _, _)| o.ts - *t > span) {
            st.entries.pop_front();
        }
        let fired = match c.rule.kind {
            CorrelationType::TemporalOrdered => {
                if st.chain.len() != inputs {
                    st.chain = vec![None; inputs];
                }
                for slot in st.chain.iter_mut() {
                    if slot.is_some_and(|s| o.ts - s > span) {
                        *slot = None;
                    }
                }
                let i = o.input as usize;
                let start = if i == 0 {
                    Some(o.ts)
                } else {
                    st.chain.get(i - 1).copied().flatten()
                };
                if let (Some(s), Some(slot)) = (start, st.chain.get_mut(i)) {
                    *slot = Some(slot.map_or(s, |old| old.max(s)));
                }
                st.chain
                    .last()
                    .copied()
                    .flatten()
                    .map(|s| (s, inputs as f64))
            }
            _ => {
                st.entries.push_back((o.ts, o.input, o.value.clone()));
                aggregate(c, &st.entries, inputs).and_then(|v| {
                    let ok = if c.rule.condition.is_empty() {
                        v >= inputs as f64
                    } else {
                        holds(&c.rule.condition, v)
                    };
                    ok.then(|| (st.entries.front().map_or(o.ts, |e| e.0), v))
                })
            }
        };
        if let Some((window_start, value)) = fired {
            let values: Vec<&str> = if c.rule.group_by.is_empty() {
                Vec::new()
            } else {
                o.group.split(GROUP_SEPARATOR).collect()
            };
            out.push(CorrelationHit {
                correlation: ci,
                ts: o.ts,
                window_start,
                group: c
                    .rule
                    .group_by
                    .iter()
                    .cloned()
                    .zip(values.into_iter().map(str::to_owned))
                    .collect(),
                value,
            });
            *st = GroupState::default();
        }
    }
    out
}

/// The value the condition is tested on, for the current window.
fn aggregate(
    c: &CompiledCorrelation,
    entries: &VecDeque<(i64, u32, Option<String>)>,
    inputs: usize,
) -> Option<f64> {
    let numbers = || {
        entries
            .iter()
            .filter_map(|(_, _, v)| v.as_deref().and_then(saker_event::parse_number))
            .collect::<Vec<f64>>()
    };
    Some(match c.rule.kind {
        CorrelationType::EventCount => entries.len() as f64,
        CorrelationType::ValueCount => entries
            .iter()
            .filter_map(|(_, _, v)| v.as_deref())
            .collect::<HashSet<_>>()
            .len() as f64,
        CorrelationType::Temporal => {
            let distinct = entries
                .iter()
                .map(|(_, i, _)| *i)
                .collect::<HashSet<_>>()
                .len();
            let _ = inputs;
            distinct as f64
        }
        CorrelationType::TemporalOrdered => return None,
        CorrelationType::ValueSum => numbers().iter().sum(),
        CorrelationType::ValueAvg => {
            let n = numbers();
            if n.is_empty() {
                return None;
            }
            n.iter().sum::<f64>() / n.len() as f64
        }
        CorrelationType::ValueMedian => percentile(numbers(), 50.0)?,
        CorrelationType::ValuePercentile => {
            percentile(numbers(), c.rule.percentile.unwrap_or(50.0))?
        }
    })
}

/// Linear interpolation between closest ranks.
fn percentile(mut v: Vec<f64>, p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (a, b) = (v.get(lo)?, v.get(hi)?);
    Some(a + (b - a) * (rank - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        assert_eq!(percentile(vec![1.0, 2.0, 3.0, 4.0], 50.0), Some(2.5));
        assert_eq!(percentile(vec![5.0], 90.0), Some(5.0));
        assert_eq!(percentile(vec![], 50.0), None);
        assert_eq!(percentile(vec![10.0, 0.0], 100.0), Some(10.0));
    }

    #[test]
    fn conditions_combine() {
        assert!(holds(&[(CmpOp::Ge, 3.0), (CmpOp::Le, 5.0)], 4.0));
        assert!(!holds(&[(CmpOp::Ge, 3.0), (CmpOp::Le, 5.0)], 6.0));
        assert!(holds(&[], 0.0));
    }
}

//! Sigma correlation rules as LogScale aggregations.
//!
//! * `event_count`, `value_count`, `value_sum`, `value_avg`, `value_percentile`, `value_median`:
//!   the referenced rules' filters joined with `or`, then `bucket(span=…, field=[group-by],
//!   function=…)` and a filter on the aggregate (caveat: fixed buckets, not a sliding window).
//! * `temporal` / `temporal_ordered`: `correlate()` with one query per rule, linked on the
//!   group-by fields (`k <=> first.k`), `within=` the timespan, `sequence=` the ordering
//!   (https://library.humio.com/data-analysis/functions-correlate.html).

use saker_plan::{CmpOp, Correlation, CorrelationCondition, CorrelationKind};

use super::syntax::{self, Filter};
use crate::cond::Cond;
use crate::{Caveat, Caveats, Refusal};

pub fn print(c: &Correlation, caveats: &mut Caveats) -> Result<String, Refusal> {
    if c.rules.is_empty() {
        return Err(Refusal::new("the correlation references no rules"));
    }
    if c.timespan_ms <= 0 {
        return Err(Refusal::new("the correlation has no positive timespan"));
    }
    for g in &c.group_by {
        if !syntax::is_expr_identifier(g) {
            return Err(Refusal::new(format!(
                "group-by field `{g}` cannot be named in a CQL aggregate"
            )));
        }
    }
    match &c.kind {
        CorrelationKind::Temporal => temporal(c, false),
        CorrelationKind::TemporalOrdered => temporal(c, true),
        kind => aggregate(c, kind, caveats),
    }
}

fn rule_filter(plan: &saker_plan::Plan) -> Result<Filter, Refusal> {
    super::filter(&Cond::from_filter_plan(plan)?)
}

fn aggregate(
    c: &Correlation,
    kind: &CorrelationKind,
    caveats: &mut Caveats,
) -> Result<String, Refusal> {
    let Some(cond) = &c.condition else {
        return Err(Refusal::new("the correlation has no condition"));
    };
    let (function, output) = match kind {
        CorrelationKind::EventCount => ("count()".to_string(), "_count".to_string()),
        CorrelationKind::ValueCount { field } => (
            format!("count({}, distinct=true)", value_field(field)?),
            "_count".into(),
        ),
        CorrelationKind::ValueSum { field } => {
            (format!("sum({})", value_field(field)?), "_sum".into())
        }
        CorrelationKind::ValueAvg { field } => {
            (format!("avg({})", value_field(field)?), "_avg".into())
        }
        CorrelationKind::ValueMedian { field } => {
            caveats.add(Caveat::ApproximatePercentile);
            (
                format!("percentile({}, percentiles=[50])", value_field(field)?),
                "_50".into(),
            )
        }
        CorrelationKind::ValuePercentile { field, percentile } => {
            if !(0.0..=100.0).contains(percentile) {
                return Err(Refusal::new(format!(
                    "percentile {percentile} is outside 0–100"
                )));
            }
            let p = saker_event::format_number(*percentile).to_string();
            caveats.add(Caveat::ApproximatePercentile);
            (
                format!("percentile({}, percentiles=[{p}])", value_field(field)?),
                format!("_{p}"),
            )
        }
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => {
            return Err(Refusal::new("temporal correlations are not aggregations"));
        }
    };
    caveats.add(Caveat::FixedTimeBuckets);
    let rules: Vec<Filter> = c
        .rules
        .iter()
        .map(|(_, p)| rule_filter(p))
        .collect::<Result<_, _>>()?;
    let selection = if rules.len() == 1 {
        rules.into_iter().next().unwrap_or(Filter::All)
    } else {
        Filter::Or(rules)
    };
    let mut stages = vec![syntax::print_query(&selection)];
    let mut bucket = format!("bucket(span={}", span(c.timespan_ms));
    if !c.group_by.is_empty() {
        bucket.push_str(&format!(", field=[{}]", c.group_by.join(", ")));
    }
    bucket.push_str(&format!(", function={function})"));
    stages.push(bucket);
    stages.extend(condition(&output, cond));
    Ok(stages.join("\n| "))
}

fn value_field(f: &str) -> Result<String, Refusal> {
    if syntax::is_expr_identifier(f) {
        Ok(f.to_string())
    } else {
        Err(Refusal::new(format!(
            "aggregated field `{f}` cannot be named in a CQL aggregate"
        )))
    }
}

fn condition(output: &str, c: &CorrelationCondition) -> Vec<String> {
    let mut out = vec![bound(output, c.op, c.value)];
    if let Some((op, v)) = c.and {
        out.push(bound(output, op, v));
    }
    out
}

fn bound(output: &str, op: CmpOp, v: f64) -> String {
    let n = saker_event::format_number(v);
    match op {
        CmpOp::Lt => format!("{output} < {n}"),
        CmpOp::Le => format!("{output} <= {n}"),
        CmpOp::Gt => format!("{output} > {n}"),
        CmpOp::Ge => format!("{output} >= {n}"),
        CmpOp::Eq => format!("test({output} == {n})"),
        CmpOp::Ne => format!("test({output} != {n})"),
    }
}

fn temporal(c: &Correlation, ordered: bool) -> Result<String, Refusal> {
    if c.rules.len() < 2 {
        return Err(Refusal::new(
            "a temporal correlation needs at least two rules",
        ));
    }
    if let Some(cond) = &c.condition {
        let all = c.rules.len() as f64;
        let requires_all = cond.and.is_none()
            && match cond.op {
                CmpOp::Ge | CmpOp::Eq => cond.value == all,
                CmpOp::Gt => cond.value == all - 1.0,
                _ => false,
            };
        if !requires_all {
            return Err(Refusal::new(
                "a temporal condition other than \"all rules\" has no correlate() form",
            ));
        }
    }
    let names = query_names(&c.rules);
    let first = &names[0];
    let mut queries = Vec::with_capacity(c.rules.len());
    for (i, ((_, plan), name)) in c.rules.iter().zip(&names).enumerate() {
        let mut body = syntax::print_query(&rule_filter(plan)?).replace("\n| ", " | ");
        if i > 0 {
            for g in &c.group_by {
                body.push_str(&format!(" | {g} <=> {first}.{g}"));
            }
        }
        queries.push(format!("    {name}: {{\n        {body}\n    }}"));
    }
    Ok(format!(
        "correlate(\n{},\n    within={},\n    sequence={}\n)",
        queries.join(",\n"),
        span(c.timespan_ms),
        ordered
    ))
}

/// Query names must be identifiers and unique.
fn query_names(rules: &[(String, saker_plan::Plan)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(rules.len());
    for (i, (name, _)) in rules.iter().enumerate() {
        let mut n: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if n.is_empty() || n.starts_with(|c: char| c.is_ascii_digit()) {
            n = format!("r{n}");
        }
        if out.contains(&n) {
            n = format!("{n}_{i}");
        }
        out.push(n);
    }
    out
}

/// A LogScale time span: the largest unit that divides the length.
pub fn span(ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1000, "s"),
    ];
    for (unit, name) in UNITS {
        if ms % unit == 0 {
            return format!("{}{name}", ms / unit);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_the_largest_unit() {
        assert_eq!(span(300_000), "5m");
        assert_eq!(span(86_400_000), "1d");
        assert_eq!(span(90_000), "90s");
        assert_eq!(span(1500), "1500ms");
        assert_eq!(span(7_200_000), "2h");
    }
}

//! The Sigma document model (detection rules, correlation rules, filters) read from YAML nodes.

use std::ops::Range;

use saker_diag::{Diagnostic, Kind};

use crate::codes;
use crate::condition::{self, Cond};
use crate::modifier::Modifier;
use crate::yaml::{Node, Value};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Logsource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

impl Logsource {
    fn read(node: Option<&Node>) -> Self {
        let get = |k: &str| {
            node.and_then(|n| n.get(k))
                .and_then(Node::as_scalar_text)
                .map(|s| s.to_ascii_lowercase())
        };
        Logsource {
            product: get("product"),
            category: get("category"),
            service: get("service"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Self::Informational,
            "low" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Informational => "informational",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// What every Sigma document carries.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub id: Option<String>,
    /// `name:` — how correlations and filters may refer to the rule.
    pub name: Option<String>,
    pub title: String,
    pub level: Option<Level>,
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub logsource: Logsource,
    pub span: Range<usize>,
}

impl Meta {
    /// The identifier shown in output: the id, else the name, else the title.
    pub fn key(&self) -> &str {
        self.id
            .as_deref()
            .or(self.name.as_deref())
            .unwrap_or(&self.title)
    }

    pub fn is_named(&self, reference: &str) -> bool {
        self.id.as_deref() == Some(reference) || self.name.as_deref() == Some(reference)
    }
}

/// A value as written in the rule, before modifiers.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    /// A YAML string: wildcards and escapes apply.
    Str(String),
    /// A number or boolean: compared as its text, no wildcards.
    Literal(String),
    Null,
}

/// `field|mod|mod: values` (field is `None` for keyword searches).
#[derive(Clone, Debug)]
pub struct Item {
    pub field: Option<String>,
    pub modifiers: Vec<Modifier>,
    pub values: Vec<RawValue>,
    pub span: Range<usize>,
}

/// A named search: OR over groups, each group an AND of items.
#[derive(Clone, Debug)]
pub struct Search {
    pub name: String,
    pub groups: Vec<Vec<Item>>,
    pub span: Range<usize>,
}

#[derive(Clone, Debug)]
pub struct Detection {
    pub searches: Vec<Search>,
    /// Several conditions are alternatives (OR).
    pub conditions: Vec<Cond>,
    pub condition_span: Range<usize>,
}

#[derive(Clone, Debug)]
pub struct DetectionRule {
    pub meta: Meta,
    pub detection: Detection,
}

#[derive(Clone, Debug)]
pub struct FilterRule {
    pub meta: Meta,
    /// Ids or names of the rules the filter applies to.
    pub rules: Vec<String>,
    pub detection: Detection,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    ValueSum,
    ValueAvg,
    ValuePercentile,
    ValueMedian,
}

#[derive(Clone, Debug)]
pub struct CorrelationRule {
    pub meta: Meta,
    pub kind: CorrelationType,
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    pub timespan_ms: i64,
    /// Comparisons on the aggregated value (`gte: 10`); empty for temporal without a condition.
    pub condition: Vec<(saker_plan::CmpOp, f64)>,
    /// The field aggregated by value_* correlations.
    pub field: Option<String>,
    pub percentile: Option<f64>,
    /// alias → (rule reference → field name in that rule's events).
    pub aliases: Vec<(String, Vec<(String, String)>)>,
    /// Whether the referenced rules also report their own matches.
    pub generate: bool,
}

#[derive(Clone, Debug)]
pub enum Document {
    Rule(DetectionRule),
    Correlation(CorrelationRule),
    Filter(FilterRule),
}

impl Document {
    pub fn meta(&self) -> &Meta {
        match self {
            Document::Rule(r) => &r.meta,
            Document::Correlation(c) => &c.meta,
            Document::Filter(f) => &f.meta,
        }
    }
}

fn err(code: &'static str, msg: impl Into<String>, span: Range<usize>) -> Diagnostic {
    Diagnostic::error(Kind::Semantic, code, msg, span)
}

/// Reads one YAML document as a Sigma document.
pub fn read_document(doc: &Node) -> Result<Document, Diagnostic> {
    if doc.as_map().is_none() {
        return Err(err(
            codes::STRUCTURE,
            format!("a Sigma document is a mapping, found a {}", doc.kind_name()),
            doc.span.clone(),
        ));
    }
    let meta = read_meta(doc)?;
    if let Some(c) = doc.get("correlation") {
        return read_correlation(meta, c).map(Document::Correlation);
    }
    if let Some(f) = doc.get("filter") {
        let rules = f
            .get("rules")
            .and_then(Node::as_str_list)
            .unwrap_or_default();
        if rules.is_empty() {
            return Err(err(
                codes::STRUCTURE,
                "a filter needs `rules:`, the ids or names of the rules it applies to",
                f.span.clone(),
            ));
        }
        let detection = read_detection(f, &["rules"])?;
        return Ok(Document::Filter(FilterRule {
            meta,
            rules,
            detection,
        }));
    }
    let Some(det) = doc.get("detection") else {
        return Err(err(
            codes::STRUCTURE,
            "missing `detection:` (or `correlation:` / `filter:`)",
            doc.span.start..doc.span.start,
        ));
    };
    let detection = read_detection(det, &[])?;
    Ok(Document::Rule(DetectionRule { meta, detection }))
}

fn read_meta(doc: &Node) -> Result<Meta, Diagnostic> {
    let text = |k: &str| doc.get(k).and_then(Node::as_scalar_text);
    let Some(title) = text("title") else {
        return Err(err(
            codes::STRUCTURE,
            "missing `title:`",
            doc.span.start..doc.span.start,
        ));
    };
    let level = match doc.get("level") {
        None => None,
        Some(n) => {
            let s = n.as_scalar_text().unwrap_or_default();
            Some(Level::parse(&s).ok_or_else(|| {
                err(
                    codes::STRUCTURE,
                    format!("unknown level `{s}` (informational, low, medium, high or critical)"),
                    n.span.clone(),
                )
            })?)
        }
    };
    Ok(Meta {
        id: text("id"),
        name: text("name"),
        title,
        level,
        status: text("status"),
        tags: doc
            .get("tags")
            .and_then(Node::as_str_list)
            .unwrap_or_default(),
        logsource: Logsource::read(doc.get("logsource")),
        span: doc.span.clone(),
    })
}

/// Reads a `detection:` (or `filter:`) block; `skip` names keys that are not searches.
pub fn read_detection(det: &Node, skip: &[&str]) -> Result<Detection, Diagnostic> {
    let Some(entries) = det.as_map() else {
        return Err(err(
            codes::STRUCTURE,
            format!("`detection` must be a mapping, found a {}", det.kind_name()),
            det.span.clone(),
        ));
    };
    let mut searches = Vec::new();
    let mut condition = None;
    for (k, v) in entries {
        let name = k.as_scalar_text().unwrap_or_default();
        if name == "condition" {
            condition = Some(v);
        } else if name == "timeframe" {
            return Err(err(
                codes::UNSUPPORTED,
                "`timeframe` belongs to legacy aggregations; write a correlation rule instead",
                k.span.clone(),
            ));
        } else if !skip.contains(&name.as_str()) {
            searches.push(read_search(name, v)?);
        }
    }
    let Some(cond) = condition else {
        return Err(err(
            codes::STRUCTURE,
            "missing `condition:`",
            det.span.start..det.span.start,
        ));
    };
    let texts: Vec<(String, Range<usize>)> = match &cond.value {
        Value::Seq(items) => items
            .iter()
            .map(|n| (n.as_scalar_text().unwrap_or_default(), n.span.clone()))
            .collect(),
        _ => vec![(cond.as_scalar_text().unwrap_or_default(), cond.span.clone())],
    };
    let mut conditions = Vec::new();
    for (text, span) in texts {
        let c = condition::parse(&text).map_err(|e| {
            let at = span.start + e.offset.min(text.len());
            err(codes::CONDITION, e.message, at..at + e.len.max(1))
        })?;
        conditions.push(c);
    }
    let detection = Detection {
        searches,
        conditions,
        condition_span: cond.span.clone(),
    };
    check_references(&detection)?;
    Ok(detection)
}

fn check_references(det: &Detection) -> Result<(), Diagnostic> {
    for c in &det.conditions {
        let mut missing = None;
        c.visit_idents(&mut |name| {
            if missing.is_none() && !det.searches.iter().any(|s| s.name == name) {
                missing = Some(name.to_owned());
            }
        });
        if let Some(name) = missing {
            return Err(err(
                codes::UNDEFINED,
                format!("the condition names `{name}`, which is not defined in the detection"),
                det.condition_span.clone(),
            ));
        }
        let mut empty_pattern = None;
        c.visit_patterns(&mut |pattern| {
            if pattern != "them"
                && empty_pattern.is_none()
                && !det
                    .searches
                    .iter()
                    .any(|s| condition::glob_match(pattern, &s.name))
            {
                empty_pattern = Some(pattern.to_owned());
            }
        });
        if let Some(p) = empty_pattern {
            return Err(err(
                codes::UNDEFINED,
                format!("`{p}` in the condition matches no search of the detection"),
                det.condition_span.clone(),
            ));
        }
    }
    Ok(())
}

fn read_search(name: String, node: &Node) -> Result<Search, Diagnostic> {
    let groups = match &node.value {
        Value::Map(_) => vec![read_map(node)?],
        Value::Seq(items) => {
            let mut groups = Vec::new();
            let mut keywords = Vec::new();
            for it in items {
                match &it.value {
                    Value::Map(_) => groups.push(read_map(it)?),
                    Value::Seq(_) => {
                        return Err(err(
                            codes::STRUCTURE,
                            "a nested list is not a valid search",
                            it.span.clone(),
                        ));
                    }
                    _ => keywords.push(raw_value(it)),
                }
            }
            if !keywords.is_empty() {
                groups.push(vec![Item {
                    field: None,
                    modifiers: Vec::new(),
                    values: keywords,
                    span: node.span.clone(),
                }]);
            }
            groups
        }
        _ => vec![vec![Item {
            field: None,
            modifiers: Vec::new(),
            values: vec![raw_value(node)],
            span: node.span.clone(),
        }]],
    };
    Ok(Search {
        name,
        groups,
        span: node.span.clone(),
    })
}

fn raw_value(n: &Node) -> RawValue {
    match &n.value {
        Value::Str(s) => RawValue::Str(s.clone()),
        Value::Number(s) => RawValue::Literal(s.clone()),
        Value::Bool(b) => RawValue::Literal(b.to_string()),
        Value::Null | Value::Seq(_) | Value::Map(_) => RawValue::Null,
    }
}

fn read_map(node: &Node) -> Result<Vec<Item>, Diagnostic> {
    let mut items = Vec::new();
    for (k, v) in node.as_map().unwrap_or_default() {
        let key = k.as_scalar_text().unwrap_or_default();
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let mut modifiers = Vec::new();
        for m in parts {
            let Some(parsed) = Modifier::parse(m) else {
                return Err(err(
                    codes::MODIFIER,
                    format!("unknown modifier `{m}`"),
                    k.span.clone(),
                )
                .with_help(
                    "modifiers: contains startswith endswith all base64 base64offset utf16le \
                     utf16be utf16 wide windash re i m s cidr exists expand fieldref gt gte lt \
                     lte cased neq",
                ));
            };
            modifiers.push(parsed);
        }
        let values = match &v.value {
            Value::Seq(items) => {
                if let Some(bad) = items
                    .iter()
                    .find(|i| i.as_map().is_some() || i.as_seq().is_some())
                {
                    return Err(err(
                        codes::STRUCTURE,
                        format!(
                            "a value of `{key}` is a {}, expected a scalar",
                            bad.kind_name()
                        ),
                        bad.span.clone(),
                    ));
                }
                items.iter().map(raw_value).collect()
            }
            Value::Map(_) => {
                return Err(err(
                    codes::STRUCTURE,
                    format!("the value of `{key}` is a mapping, expected a scalar or a list"),
                    v.span.clone(),
                ));
            }
            _ => vec![raw_value(v)],
        };
        items.push(Item {
            field: (!field.is_empty()).then(|| field.to_owned()),
            modifiers,
            values,
            span: k.span.start..v.span.end.max(k.span.end),
        });
    }
    Ok(items)
}

fn read_correlation(meta: Meta, c: &Node) -> Result<CorrelationRule, Diagnostic> {
    let kind_text = c
        .get("type")
        .and_then(Node::as_scalar_text)
        .ok_or_else(|| {
            err(
                codes::STRUCTURE,
                "correlation without `type:`",
                c.span.clone(),
            )
        })?;
    let kind = match kind_text.as_str() {
        "event_count" => CorrelationType::EventCount,
        "value_count" => CorrelationType::ValueCount,
        "temporal" => CorrelationType::Temporal,
        "temporal_ordered" => CorrelationType::TemporalOrdered,
        "value_sum" => CorrelationType::ValueSum,
        "value_avg" => CorrelationType::ValueAvg,
        "value_percentile" => CorrelationType::ValuePercentile,
        "value_median" => CorrelationType::ValueMedian,
        other => {
            return Err(err(
                codes::CORRELATION,
                format!("unknown correlation type `{other}`"),
                c.get("type").map_or(c.span.clone(), |n| n.span.clone()),
            ));
        }
    };
    let rules = c
        .get("rules")
        .and_then(Node::as_str_list)
        .unwrap_or_default();
    if rules.is_empty() {
        return Err(err(
            codes::CORRELATION,
            "a correlation needs `rules:`",
            c.span.clone(),
        ));
    }
    let group_by = c
        .get("group-by")
        .and_then(Node::as_str_list)
        .unwrap_or_default();
    let ts_node = c
        .get("timespan")
        .or_else(|| c.get("timeframe"))
        .ok_or_else(|| {
            err(
                codes::CORRELATION,
                "a correlation needs `timespan:`",
                c.span.clone(),
            )
        })?;
    let ts_text = ts_node.as_scalar_text().unwrap_or_default();
    let timespan_ms = parse_timespan(&ts_text).ok_or_else(|| {
        err(
            codes::CORRELATION,
            format!("invalid timespan `{ts_text}` (a number followed by s, m, h, d or w)"),
            ts_node.span.clone(),
        )
    })?;
    let mut condition = Vec::new();
    let mut field = None;
    let mut percentile = None;
    if let Some(cond) = c.get("condition") {
        let Some(entries) = cond.as_map() else {
            return Err(err(
                codes::CORRELATION,
                "the correlation condition is a mapping such as `gte: 10`",
                cond.span.clone(),
            ));
        };
        for (k, v) in entries {
            let key = k.as_scalar_text().unwrap_or_default();
            let op = match key.as_str() {
                "gt" => saker_plan::CmpOp::Gt,
                "gte" => saker_plan::CmpOp::Ge,
                "lt" => saker_plan::CmpOp::Lt,
                "lte" => saker_plan::CmpOp::Le,
                "eq" => saker_plan::CmpOp::Eq,
                "neq" => saker_plan::CmpOp::Ne,
                "field" => {
                    field = v.as_scalar_text();
                    continue;
                }
                "percentile" => {
                    percentile = v.as_scalar_text().and_then(|t| t.parse().ok());
                    continue;
                }
                other => {
                    return Err(err(
                        codes::CORRELATION,
                        format!(
                            "unknown correlation condition `{other}` (gt gte lt lte eq neq field)"
                        ),
                        k.span.clone(),
                    ));
                }
            };
            let num = v
                .as_scalar_text()
                .and_then(|t| t.trim().parse::<f64>().ok())
                .ok_or_else(|| err(codes::CORRELATION, "expected a number", v.span.clone()))?;
            condition.push((op, num));
        }
    }
    let needs_field = matches!(
        kind,
        CorrelationType::ValueCount
            | CorrelationType::ValueSum
            | CorrelationType::ValueAvg
            | CorrelationType::ValuePercentile
            | CorrelationType::ValueMedian
    );
    if needs_field && field.is_none() {
        return Err(err(
            codes::CORRELATION,
            format!("a {kind_text} correlation needs `condition: field:`"),
            c.span.clone(),
        ));
    }
    if kind == CorrelationType::ValuePercentile && percentile.is_none() {
        percentile = c
            .get("percentile")
            .and_then(Node::as_scalar_text)
            .and_then(|t| t.parse().ok());
        if percentile.is_none() {
            return Err(err(
                codes::CORRELATION,
                "a value_percentile correlation needs `percentile:`",
                c.span.clone(),
            ));
        }
    }
    if condition.is_empty()
        && !matches!(
            kind,
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
        )
    {
        return Err(err(
            codes::CORRELATION,
            format!("a {kind_text} correlation needs a condition such as `gte: 10`"),
            c.span.clone(),
        ));
    }
    let mut aliases = Vec::new();
    if let Some(a) = c.get("aliases").and_then(Node::as_map) {
        for (alias, map) in a {
            let per_rule = map
                .as_map()
                .unwrap_or_default()
                .iter()
                .filter_map(|(r, f)| Some((r.as_scalar_text()?, f.as_scalar_text()?)))
                .collect();
            aliases.push((alias.as_scalar_text().unwrap_or_default(), per_rule));
        }
    }
    let generate = c
        .get("generate")
        .is_some_and(|g| g.value == Value::Bool(true));
    Ok(CorrelationRule {
        meta,
        kind,
        rules,
        group_by,
        timespan_ms,
        condition,
        field,
        percentile,
        aliases,
        generate,
    })
}

/// `30s`, `5m`, `1h`, `2d`, `1w` → milliseconds.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let t = text.trim();
    let unit = t.chars().last()?;
    let num: i64 = t[..t.len() - unit.len_utf8()].trim().parse().ok()?;
    let mult = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    (num > 0).then_some(num * mult)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    fn doc(text: &str) -> Result<Document, Diagnostic> {
        read_document(&parse_documents(text).unwrap()[0])
    }

    #[test]
    fn reads_a_detection_rule() {
        let d = doc(
            "title: t\nid: x\nlevel: high\ntags: [attack.t1]\nlogsource: {product: windows, category: process_creation}\n\
             detection:\n  sel:\n    Image|endswith: '\\a.exe'\n    CommandLine|contains|all: [' -x', ' -y']\n  kw:\n    - foo\n    - 7\n  condition: sel and not kw\n",
        )
        .unwrap();
        let Document::Rule(r) = d else { panic!() };
        assert_eq!(r.meta.level, Some(Level::High));
        assert_eq!(
            r.meta.logsource.category.as_deref(),
            Some("process_creation")
        );
        let sel = &r.detection.searches[0];
        assert_eq!(sel.groups[0].len(), 2);
        assert_eq!(
            sel.groups[0][1].modifiers,
            vec![Modifier::Contains, Modifier::All]
        );
        let kw = &r.detection.searches[1];
        assert_eq!(kw.groups[0][0].field, None);
        assert_eq!(kw.groups[0][0].values[1], RawValue::Literal("7".into()));
    }

    #[test]
    fn unknown_modifier_points_at_the_key() {
        let text = "title: t\ndetection:\n  sel:\n    a|bogus: 1\n  condition: sel\n";
        let e = doc(text).unwrap_err();
        assert_eq!(e.code, codes::MODIFIER);
        assert_eq!(&text[e.span.clone()], "a|bogus");
    }

    #[test]
    fn undefined_search_in_condition() {
        let e = doc("title: t\ndetection:\n  sel:\n    a: 1\n  condition: sel and other\n")
            .unwrap_err();
        assert_eq!(e.code, codes::UNDEFINED);
        assert!(e.message.contains("other"));
    }

    #[test]
    fn reads_a_correlation() {
        let d = doc(
            "title: c\ncorrelation:\n  type: value_count\n  rules: [a, b]\n  group-by: [User]\n  timespan: 5m\n  condition:\n    gte: 3\n    field: Host\n",
        )
        .unwrap();
        let Document::Correlation(c) = d else {
            panic!()
        };
        assert_eq!(c.kind, CorrelationType::ValueCount);
        assert_eq!(c.timespan_ms, 300_000);
        assert_eq!(c.field.as_deref(), Some("Host"));
        assert_eq!(c.condition, vec![(saker_plan::CmpOp::Ge, 3.0)]);
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s"), Some(30_000));
        assert_eq!(parse_timespan("1h"), Some(3_600_000));
        assert_eq!(parse_timespan("2d"), Some(172_800_000));
        assert_eq!(parse_timespan("5x"), None);
        assert_eq!(parse_timespan("m"), None);
    }
}

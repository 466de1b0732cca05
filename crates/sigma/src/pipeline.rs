//! pySigma processing pipelines read from YAML: the common transformations
//! (`field_name_mapping`, `field_name_prefix_mapping`, `add_condition`, `drop_detection_item`,
//! `change_logsource`) with `logsource` rule conditions. Other transformations are refused by name.

use saker_diag::{Diagnostic, Kind};

use crate::codes;
use crate::rule::{DetectionRule, Item, Logsource, RawValue, Search};
use crate::yaml::{self, Node, Value};

#[derive(Clone, Debug, Default)]
pub struct Pipeline {
    pub name: String,
    pub priority: i64,
    pub items: Vec<PipelineItem>,
}

#[derive(Clone, Debug)]
pub struct PipelineItem {
    pub transformation: Transformation,
    /// The item applies when these log source conditions hold (all, or any with `rule_cond_op: or`).
    pub logsource_conditions: Vec<Logsource>,
    pub any_condition: bool,
    /// Only detection items on these fields (empty: all fields).
    pub include_fields: Vec<String>,
    pub exclude_fields: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Transformation {
    FieldNameMapping(Vec<(String, Vec<String>)>),
    FieldNamePrefixMapping(Vec<(String, String)>),
    AddCondition(Vec<(String, Vec<RawValue>)>),
    DropDetectionItem,
    ChangeLogsource(Logsource),
}

fn perr(msg: impl Into<String>, span: std::ops::Range<usize>) -> Diagnostic {
    Diagnostic::error(Kind::Semantic, codes::PIPELINE, msg, span)
}

const SUPPORTED: &str = "field_name_mapping, field_name_prefix_mapping, add_condition, drop_detection_item, change_logsource";

impl Pipeline {
    pub fn parse(text: &str) -> Result<Self, Diagnostic> {
        let docs = yaml::parse_documents(text)
            .map_err(|e| Diagnostic::error(Kind::Syntax, codes::YAML, e.message, e.span))?;
        let Some(doc) = docs.first() else {
            return Err(perr("empty pipeline file", 0..0));
        };
        let mut p = Pipeline {
            name: doc
                .get("name")
                .and_then(Node::as_scalar_text)
                .unwrap_or_default(),
            priority: doc
                .get("priority")
                .and_then(Node::as_scalar_text)
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
            items: Vec::new(),
        };
        if doc.get("postprocessing").is_some() || doc.get("finalizers").is_some() {
            return Err(perr(
                "pipeline postprocessing/finalizers produce query text and do not apply to rule execution",
                doc.span.clone(),
            ));
        }
        for t in doc
            .get("transformations")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            p.items.push(parse_item(t)?);
        }
        Ok(p)
    }

    /// Applies the pipeline to a rule in place.
    pub fn apply(&self, rule: &mut DetectionRule) {
        for item in &self.items {
            if !item.applies_to(&rule.meta.logsource) {
                continue;
            }
            match &item.transformation {
                Transformation::FieldNameMapping(map) => {
                    for_each_item(rule, |it| {
                        if item.field_selected(it) {
                            rename(it, |f| {
                                map.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone())
                            });
                        }
                    });
                }
                Transformation::FieldNamePrefixMapping(map) => {
                    for_each_item(rule, |it| {
                        if item.field_selected(it) {
                            rename(it, |f| {
                                map.iter()
                                    .find(|(k, _)| f.starts_with(k.as_str()))
                                    .map(|(k, v)| vec![format!("{v}{}", &f[k.len()..])])
                            });
                        }
                    });
                }
                Transformation::DropDetectionItem => {
                    for s in &mut rule.detection.searches {
                        for g in &mut s.groups {
                            g.retain(|it| !item.field_selected(it) || it.field.is_none());
                        }
                    }
                }
                Transformation::AddCondition(conds) => {
                    let name = format!("_pipeline_condition_{}", rule.detection.searches.len());
                    let items = conds
                        .iter()
                        .map(|(f, vals)| Item {
                            field: Some(f.clone()),
                            modifiers: Vec::new(),
                            values: vals.clone(),
                            span: 0..0,
                        })
                        .collect();
                    rule.detection.searches.push(Search {
                        name: name.clone(),
                        groups: vec![items],
                        span: 0..0,
                    });
                    let added = crate::condition::Cond::Ident(name);
                    for c in &mut rule.detection.conditions {
                        *c = crate::condition::Cond::And(vec![added.clone(), c.clone()]);
                    }
                }
                Transformation::ChangeLogsource(ls) => {
                    let target = &mut rule.meta.logsource;
                    if ls.product.is_some() {
                        target.product = ls.product.clone();
                    }
                    if ls.category.is_some() {
                        target.category = ls.category.clone();
                    }
                    if ls.service.is_some() {
                        target.service = ls.service.clone();
                    }
                }
            }
        }
    }
}

/// A pipeline rename to several names is kept as alternatives joined by `|`-free encoding:
/// the item's field becomes the first name and extra names are handled by [`alternatives`].
fn rename(it: &mut Item, f: impl Fn(&str) -> Option<Vec<String>>) {
    let Some(field) = it.field.clone() else {
        return;
    };
    let mut names = Vec::new();
    for alt in alternatives(&field) {
        match f(&alt) {
            Some(new) => names.extend(new),
            None => names.push(alt),
        }
    }
    it.field = Some(names.join(ALT_SEPARATOR));
}

/// Separates alternative field names produced by a one-to-many field mapping.
pub const ALT_SEPARATOR: &str = "\u{0}";

/// The field names an item's field stands for after pipeline mappings.
pub fn alternatives(field: &str) -> Vec<String> {
    field.split(ALT_SEPARATOR).map(str::to_owned).collect()
}

fn for_each_item(rule: &mut DetectionRule, mut f: impl FnMut(&mut Item)) {
    for s in &mut rule.detection.searches {
        for g in &mut s.groups {
            g.iter_mut().for_each(&mut f);
        }
    }
}

impl PipelineItem {
    fn applies_to(&self, ls: &Logsource) -> bool {
        if self.logsource_conditions.is_empty() {
            return true;
        }
        let one = |c: &Logsource| {
            let ok = |want: &Option<String>, have: &Option<String>| {
                want.as_ref()
                    .is_none_or(|w| have.as_deref() == Some(w.as_str()))
            };
            ok(&c.product, &ls.product)
                && ok(&c.category, &ls.category)
                && ok(&c.service, &ls.service)
        };
        if self.any_condition {
            self.logsource_conditions.iter().any(one)
        } else {
            self.logsource_conditions.iter().all(one)
        }
    }

    fn field_selected(&self, it: &Item) -> bool {
        let Some(f) = it.field.as_deref() else {
            return false;
        };
        let names = alternatives(f);
        (self.include_fields.is_empty() || names.iter().any(|n| self.include_fields.contains(n)))
            && !names.iter().any(|n| self.exclude_fields.contains(n))
    }
}

fn str_map(n: Option<&Node>) -> Vec<(String, Vec<String>)> {
    n.and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| Some((k.as_scalar_text()?, v.as_str_list()?)))
        .collect()
}

fn parse_item(t: &Node) -> Result<PipelineItem, Diagnostic> {
    let kind = t
        .get("type")
        .and_then(Node::as_scalar_text)
        .unwrap_or_default();
    let transformation = match kind.as_str() {
        "field_name_mapping" => Transformation::FieldNameMapping(str_map(t.get("mapping"))),
        "field_name_prefix_mapping" => Transformation::FieldNamePrefixMapping(
            str_map(t.get("mapping"))
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.into_iter().next()?)))
                .collect(),
        ),
        "add_condition" => {
            let conds = t
                .get("conditions")
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .filter_map(|(k, v)| {
                    let vals = match &v.value {
                        Value::Seq(items) => items.iter().filter_map(scalar).collect(),
                        _ => vec![scalar(v)?],
                    };
                    Some((k.as_scalar_text()?, vals))
                })
                .collect();
            Transformation::AddCondition(conds)
        }
        "drop_detection_item" => Transformation::DropDetectionItem,
        "change_logsource" => Transformation::ChangeLogsource(Logsource {
            product: t.get("product").and_then(Node::as_scalar_text),
            category: t.get("category").and_then(Node::as_scalar_text),
            service: t.get("service").and_then(Node::as_scalar_text),
        }),
        "" => return Err(perr("transformation without `type:`", t.span.clone())),
        other => {
            return Err(perr(
                format!("unsupported pipeline transformation `{other}` (supported: {SUPPORTED})"),
                t.get("type").map_or(t.span.clone(), |n| n.span.clone()),
            ));
        }
    };
    let mut logsource_conditions = Vec::new();
    for c in t
        .get("rule_conditions")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let ctype = c
            .get("type")
            .and_then(Node::as_scalar_text)
            .unwrap_or_default();
        if ctype != "logsource" {
            return Err(perr(
                format!("unsupported rule condition `{ctype}` (supported: logsource)"),
                c.span.clone(),
            ));
        }
        let g = |k: &str| {
            c.get(k)
                .and_then(Node::as_scalar_text)
                .map(|s| s.to_ascii_lowercase())
        };
        logsource_conditions.push(Logsource {
            product: g("product"),
            category: g("category"),
            service: g("service"),
        });
    }
    let mut include_fields = Vec::new();
    let mut exclude_fields = Vec::new();
    for c in t
        .get("field_name_conditions")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let ctype = c
            .get("type")
            .and_then(Node::as_scalar_text)
            .unwrap_or_default();
        let fields = c
            .get("fields")
            .and_then(Node::as_str_list)
            .unwrap_or_default();
        if c.get("type_").is_some()
            || c.get("match_type")
                .and_then(Node::as_scalar_text)
                .is_some_and(|m| m != "plain")
        {
            return Err(perr(
                "only plain field name conditions are supported",
                c.span.clone(),
            ));
        }
        match ctype.as_str() {
            "include_fields" => include_fields.extend(fields),
            "exclude_fields" => exclude_fields.extend(fields),
            other => {
                return Err(perr(
                    format!(
                        "unsupported field name condition `{other}` (supported: include_fields, exclude_fields)"
                    ),
                    c.span.clone(),
                ));
            }
        }
    }
    if t.get("detection_item_conditions").is_some() {
        return Err(perr(
            "detection_item_conditions are not supported",
            t.span.clone(),
        ));
    }
    let any_condition = t
        .get("rule_cond_op")
        .and_then(Node::as_scalar_text)
        .is_some_and(|o| o == "or");
    Ok(PipelineItem {
        transformation,
        logsource_conditions,
        any_condition,
        include_fields,
        exclude_fields,
    })
}

fn scalar(n: &Node) -> Option<RawValue> {
    match &n.value {
        Value::Str(s) => Some(RawValue::Str(s.clone())),
        Value::Number(s) => Some(RawValue::Literal(s.clone())),
        Value::Bool(b) => Some(RawValue::Literal(b.to_string())),
        Value::Null => Some(RawValue::Null),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{Document, read_document};

    fn rule(text: &str) -> DetectionRule {
        match read_document(&yaml::parse_documents(text).unwrap()[0]).unwrap() {
            Document::Rule(r) => r,
            _ => panic!(),
        }
    }

    const RULE: &str = "title: t\nlogsource: {product: windows, category: process_creation}\n\
        detection:\n  sel:\n    Image: a\n    CommandLine: b\n  condition: sel\n";

    #[test]
    fn mapping_prefix_and_conditions() {
        let p = Pipeline::parse(
            "name: test\ntransformations:\n\
             - type: field_name_mapping\n  mapping:\n    Image: [process.executable, process.name]\n  rule_conditions:\n  - type: logsource\n    category: process_creation\n\
             - type: field_name_prefix_mapping\n  mapping:\n    Command: cmd.\n\
             - type: add_condition\n  conditions:\n    event.type: start\n\
             - type: change_logsource\n  category: process\n",
        )
        .unwrap();
        let mut r = rule(RULE);
        p.apply(&mut r);
        let items = &r.detection.searches[0].groups[0];
        assert_eq!(
            alternatives(items[0].field.as_deref().unwrap()),
            vec!["process.executable", "process.name"]
        );
        assert_eq!(items[1].field.as_deref(), Some("cmd.Line"));
        assert_eq!(r.detection.searches.len(), 2);
        assert_eq!(r.meta.logsource.category.as_deref(), Some("process"));
    }

    #[test]
    fn drop_detection_item_by_field() {
        let p = Pipeline::parse(
            "transformations:\n- type: drop_detection_item\n  field_name_conditions:\n  - type: include_fields\n    fields: [CommandLine]\n",
        )
        .unwrap();
        let mut r = rule(RULE);
        p.apply(&mut r);
        assert_eq!(r.detection.searches[0].groups[0].len(), 1);
    }

    #[test]
    fn other_transformations_are_refused_by_name() {
        let e =
            Pipeline::parse("transformations:\n- type: replace_string\n  regex: x\n").unwrap_err();
        assert!(e.message.contains("replace_string"), "{}", e.message);
        assert_eq!(e.code, codes::PIPELINE);
    }

    #[test]
    fn conditions_limit_where_items_apply() {
        let p = Pipeline::parse(
            "transformations:\n- type: field_name_mapping\n  mapping: {Image: X}\n  rule_conditions:\n  - type: logsource\n    category: file_event\n",
        )
        .unwrap();
        let mut r = rule(RULE);
        p.apply(&mut r);
        assert_eq!(
            r.detection.searches[0].groups[0][0].field.as_deref(),
            Some("Image")
        );
    }
}

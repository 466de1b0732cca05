//! A YAML document tree that keeps the byte span of every node, read with `serde-saphyr`
//! (memory-safe, duplicate keys are an error).

use std::fmt;
use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML node and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// An integer or float; the text is the scalar as written (`4688`, `1.10`).
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar as text, for the places where Sigma reads numbers and booleans as strings.
    pub fn as_scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) | Value::Number(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A string, or each string of a list (`tags`, `rules`, `group-by`).
    pub fn as_str_list(&self) -> Option<Vec<String>> {
        match &self.value {
            Value::Seq(items) => items.iter().map(Node::as_scalar_text).collect(),
            Value::Null => Some(Vec::new()),
            _ => self.as_scalar_text().map(|s| vec![s]),
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }
}

/// Deserialised without spans; [`Spanned`] wrappers add them (see [`SpannedNode`]).
struct RawValue(Value);

struct SpannedNode(Node);

fn span_of<T>(s: &Spanned<T>) -> Range<usize> {
    let span = s.referenced.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => start as usize..(start + len) as usize,
        _ => 0..0,
    }
}

impl<'de> Deserialize<'de> for SpannedNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: Spanned<RawValue> = Spanned::deserialize(d)?;
        let span = span_of(&s);
        Ok(SpannedNode(Node {
            value: s.value.0,
            span,
        }))
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(RawValue)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(SpannedNode(n)) = seq.next_element()? {
            items.push(n);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(SpannedNode(k)) = map.next_key()? {
            let SpannedNode(v) = map.next_value()?;
            entries.push((k, v));
        }
        Ok(Value::Map(entries))
    }
}

/// A YAML syntax error (including duplicate keys) with its location.
#[derive(Clone, Debug)]
pub struct YamlError {
    pub message: String,
    pub span: Range<usize>,
}

/// Parses every document of a (multi-document) YAML text.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let docs: Vec<SpannedNode> = serde_saphyr::from_multiple(text).map_err(|e| {
        let span = e
            .location()
            .and_then(|l| {
                let s = l.span();
                Some(s.byte_offset()? as usize..(s.byte_offset()? + s.byte_len()?) as usize)
            })
            .unwrap_or(0..0);
        YamlError {
            message: e.without_snippet().to_string(),
            span,
        }
    })?;
    let mut out: Vec<Node> = docs.into_iter().map(|SpannedNode(n)| n).collect();
    // A number's text is taken from the source so `1.10` is not read back as `1.1`.
    for doc in &mut out {
        restore_number_text(doc, text);
    }
    Ok(out)
}

fn restore_number_text(node: &mut Node, text: &str) {
    match &mut node.value {
        Value::Number(s) => {
            if let Some(raw) = text.get(node.span.clone()) {
                let raw = raw.trim();
                if !raw.is_empty() && raw.parse::<f64>().is_ok() {
                    *s = raw.to_owned();
                }
            }
        }
        // YAML 1.1 spellings (`y`, `yes`, `on`) are text to Sigma; only true/false are booleans.
        Value::Bool(_) => {
            if let Some(raw) = text.get(node.span.clone()) {
                let raw = raw.trim();
                if !raw.eq_ignore_ascii_case("true")
                    && !raw.eq_ignore_ascii_case("false")
                    && !raw.is_empty()
                {
                    node.value = Value::Str(raw.trim_matches(|c| c == '\'' || c == '"').to_owned());
                }
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|n| restore_number_text(n, text)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            restore_number_text(k, text);
            restore_number_text(v, text);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_the_source() {
        let text = "title: x\ndetection:\n  sel:\n    EventID: 4688\n";
        let docs = parse_documents(text).unwrap();
        let det = docs[0].get("detection").unwrap();
        let eid = det.get("sel").unwrap().get("EventID").unwrap();
        assert_eq!(eid.value, Value::Number("4688".into()));
        assert_eq!(&text[eid.span.clone()], "4688");
        let title = docs[0].get("title").unwrap();
        assert_eq!(&text[title.span.clone()], "x");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let text = "detection:\n  sel:\n    a: 1\n  sel:\n    b: 2\n";
        let err = parse_documents(text).unwrap_err();
        assert!(
            err.message.to_lowercase().contains("duplicate"),
            "{}",
            err.message
        );
    }

    #[test]
    fn multiple_documents() {
        let docs = parse_documents("a: 1\n---\nb: [x, null, true]\n").unwrap();
        assert_eq!(docs.len(), 2);
        let b = docs[1].get("b").unwrap().as_seq().unwrap();
        assert_eq!(b[1].value, Value::Null);
        assert_eq!(b[2].value, Value::Bool(true));
    }

    #[test]
    fn only_true_and_false_are_booleans() {
        let docs = parse_documents("a: y\nb: true\nc: 'yes'\n").unwrap();
        assert_eq!(docs[0].get("a").unwrap().value, Value::Str("y".into()));
        assert_eq!(docs[0].get("b").unwrap().value, Value::Bool(true));
        assert_eq!(docs[0].get("c").unwrap().value, Value::Str("yes".into()));
    }

    #[test]
    fn float_text_is_kept() {
        let docs = parse_documents("v: 1.10\n").unwrap();
        assert_eq!(
            docs[0].get("v").unwrap().value,
            Value::Number("1.10".into())
        );
    }
}

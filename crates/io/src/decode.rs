//! JSON text → flat [`Event`]: parsing with sonic-rs (numbers kept as written) and flattening.

use std::borrow::Cow;

use saker_event::Event;
use sonic_rs::{JsonContainerTrait, JsonValueTrait, Object, Value};

use crate::format::Profile;
use crate::profile;
use crate::symcache::EventBuilder;

/// Deepest nesting accepted; deeper records are reported as malformed (sonic-rs stops at 255 too).
pub(crate) const MAX_DEPTH: usize = 250;

/// Longest reason text kept from a parser error message.
const MAX_REASON: usize = 200;

/// Parses one JSON value, keeping each number's text as written.
pub(crate) fn parse_json(text: &str) -> Result<Value, String> {
    let mut de = sonic_rs::Deserializer::from_str(text).use_rawnumber();
    let value: Value = de
        .deserialize()
        .map_err(|e| short_reason(&format!("invalid JSON: {e}")))?;
    de.end()
        .map_err(|e| short_reason(&format!("invalid JSON after the value: {e}")))?;
    Ok(value)
}

pub(crate) fn short_reason(s: &str) -> String {
    let first_line = s.lines().next().unwrap_or("");
    if first_line.len() <= MAX_REASON {
        return first_line.to_owned();
    }
    let mut end = MAX_REASON;
    while !first_line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &first_line[..end])
}

/// The text of a scalar: strings as is, numbers as written, `true`/`false`, `null`.
/// `None` for objects and arrays.
pub(crate) fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    if let Some(s) = v.as_str() {
        return Some(Cow::Borrowed(s));
    }
    if v.is_number() {
        return v
            .as_raw_number()
            .map(|n| Cow::Owned(n.as_str().to_owned()))
            .or_else(|| v.as_number().map(|n| Cow::Owned(n.to_string())));
    }
    if let Some(b) = v.as_bool() {
        return Some(Cow::Borrowed(if b { "true" } else { "false" }));
    }
    if v.is_null() {
        return Some(Cow::Borrowed("null"));
    }
    None
}

/// A short name of a JSON value's kind, for messages.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    if v.is_object() {
        "an object"
    } else if v.is_array() {
        "an array"
    } else if v.is_str() {
        "a string"
    } else if v.is_number() {
        "a number"
    } else if v.is_boolean() {
        "a boolean"
    } else {
        "null"
    }
}

/// An empty pair buffer with its capacity, its borrow re-tied to a new line.
// The filter_map is the point: collecting an empty iterator in place keeps the allocation.
#[allow(clippy::unnecessary_filter_map)]
fn reuse_pairs<'a, 'b>(
    mut v: Vec<(crate::flat::Str<'a>, crate::flat::Str<'a>)>,
) -> Vec<(crate::flat::Str<'b>, crate::flat::Str<'b>)> {
    v.clear();
    // Collecting an empty vector in place keeps its allocation.
    v.into_iter().filter_map(|_| None).collect()
}

/// Flattens JSON into an [`EventBuilder`], naming fields `a.b.c`, `a[0]`, `a[1].b`, `a[0][1]`.
pub(crate) struct Flattener {
    pub(crate) builder: EventBuilder,
    path: String,
    /// Reused by the flat fast path.
    pairs: Vec<(crate::flat::Str<'static>, crate::flat::Str<'static>)>,
    /// Scratch space of the flat fast path.
    marks: Vec<u64>,
    /// The projection, when the flat path may leave the fields outside it out of its pairs: no
    /// derived field (`@…`, `#…`) is wanted, whose sources (the time and tag fields) are
    /// looked for among all pairs.
    flat_keep: Option<std::sync::Arc<crate::FieldSet>>,
}

impl Flattener {
    pub(crate) fn new() -> Self {
        Flattener {
            builder: EventBuilder::acquire(),
            path: String::with_capacity(128),
            pairs: Vec::new(),
            marks: Vec::new(),
            flat_keep: None,
        }
    }

    /// A flattener that produces only `fields` (see [`crate::ReadOptions::fields`]).
    pub(crate) fn with_fields(fields: Option<std::sync::Arc<crate::FieldSet>>) -> Self {
        let mut f = Flattener::new();
        f.flat_keep = fields
            .clone()
            .filter(|set| set.iter().all(|n| !n.starts_with(['@', '#'])));
        f.builder.set_fields(fields);
        f
    }

    /// Gives the thread's name cache back; call when done with a batch of records.
    pub(crate) fn release(self) {
        self.builder.release();
    }

    /// Decodes one record's JSON text into an event, normalised by `profile` (detected from the
    /// record when `None`). `raw` becomes `@rawstring`.
    pub(crate) fn decode_record(
        &mut self,
        raw: &str,
        value: &Value,
        profile: Option<Profile>,
    ) -> Result<Event, String> {
        let Some(obj) = value.as_object() else {
            return Err(format!(
                "expected a JSON object, found {}",
                kind_name(value)
            ));
        };
        let profile = profile.unwrap_or_else(|| profile::detect(obj));
        self.builder.begin(obj.len() + 4);
        profile::normalise(self, profile, obj)?;
        self.push_rawstring(raw);
        Ok(self.builder.finish())
    }

    fn push_rawstring(&mut self, raw: &str) {
        if self.builder.wants(saker_event::names::RAWSTRING)
            && !self.builder.has(saker_event::names::RAWSTRING)
        {
            self.builder.push(saker_event::names::RAWSTRING, raw);
        }
    }

    /// Parses and decodes one record.
    pub(crate) fn decode_text(
        &mut self,
        raw: &str,
        profile: Option<Profile>,
    ) -> Result<Event, String> {
        if let Some(p @ (Profile::Falcon | Profile::Generic)) = profile {
            // The buffer outlives one line only while empty, so its borrow can be re-tied to `raw`.
            let mut pairs = reuse_pairs(std::mem::take(&mut self.pairs));
            let keep = self.flat_keep.as_deref();
            let flat = crate::flat::scan_flat(raw, &mut pairs, keep, &mut self.marks).is_some();
            if flat {
                let capacity = self.builder.fields_len().unwrap_or(pairs.len()) + 4;
                self.builder.begin(capacity);
                profile::normalise_flat(&mut self.builder, p, &mut pairs);
                self.push_rawstring(raw);
            }
            self.pairs = reuse_pairs(pairs);
            if flat {
                return Ok(self.builder.finish());
            }
        }
        let value = parse_json(raw)?;
        self.decode_record(raw, &value, profile)
    }

    /// Flattens each member of `obj` under the current path prefix (top level when empty).
    pub(crate) fn members(&mut self, obj: &Object, depth: usize) -> Result<(), String> {
        for (k, v) in obj.iter() {
            self.member(k, v, depth)?;
        }
        Ok(())
    }

    /// Flattens `v` under `<current path>.key` (or `key` at top level).
    pub(crate) fn member(&mut self, key: &str, v: &Value, depth: usize) -> Result<(), String> {
        let mark = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        let r = self.value(v, depth);
        self.path.truncate(mark);
        r
    }

    /// Flattens `v` under the name `name` at top level, whatever the current path.
    pub(crate) fn named(&mut self, name: &str, v: &Value, depth: usize) -> Result<(), String> {
        let saved = std::mem::take(&mut self.path);
        self.path.push_str(name);
        let r = self.value(v, depth);
        self.path = saved;
        r
    }

    fn value(&mut self, v: &Value, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        if let Some(obj) = v.as_object() {
            return self.members(obj, depth + 1);
        }
        if let Some(arr) = v.as_array() {
            let mark = self.path.len();
            for (i, item) in arr.iter().enumerate() {
                use std::fmt::Write;
                let _ = write!(self.path, "[{i}]");
                let r = self.value(item, depth + 1);
                self.path.truncate(mark);
                r?;
            }
            return Ok(());
        }
        if let Some(text) = scalar_text(v) {
            self.builder.push(&self.path, &text);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(raw: &str) -> Event {
        let mut f = Flattener::new();
        let e = f.decode_text(raw, Some(Profile::Generic));
        f.release();
        match e {
            Ok(e) => e,
            Err(r) => panic!("decode failed: {r}"),
        }
    }

    fn pairs(e: &Event) -> Vec<(String, String)> {
        e.iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn flattening_rules() {
        let raw =
            r#"{"a":{"b":{"c":"x"}},"u":[{"n":"a"},{"n":"b"}],"m":[[1,2],[3]],"e":[],"o":{}}"#;
        let e = decode(raw);
        let got = pairs(&e);
        let want: Vec<(String, String)> = [
            ("a.b.c", "x"),
            ("u[0].n", "a"),
            ("u[1].n", "b"),
            ("m[0][0]", "1"),
            ("m[0][1]", "2"),
            ("m[1][0]", "3"),
            ("@rawstring", raw),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn scalars_keep_their_text() {
        let e = decode(r#"{"f":7.0,"g":1e3,"i":-12,"t":true,"n":null,"s":"a\"b\\c\u00e9"}"#);
        assert_eq!(e.get_by_name("f"), Some("7.0"));
        assert_eq!(e.get_by_name("g"), Some("1e3"));
        assert_eq!(e.get_by_name("i"), Some("-12"));
        assert_eq!(e.get_by_name("t"), Some("true"));
        assert_eq!(e.get_by_name("n"), Some("null"));
        assert_eq!(e.get_by_name("s"), Some("a\"b\\cé"));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let e = decode(r#"{"a":"1","a":"2","a.b":"x","a":{"b":"y"}}"#);
        assert_eq!(e.get_by_name("a"), Some("2"));
        assert_eq!(e.get_by_name("a.b"), Some("y"));
    }

    #[test]
    fn non_objects_and_bad_json_are_errors() {
        let mut f = Flattener::new();
        assert!(f.decode_text("[1,2]", None).is_err());
        assert!(f.decode_text("\"x\"", None).is_err());
        assert!(f.decode_text("{\"a\":", None).is_err());
        assert!(f.decode_text("{\"a\":1} x", None).is_err());
        f.release();
    }

    #[test]
    fn deep_nesting_is_reported_not_overflowing() {
        let deep = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        let mut f = Flattener::new();
        let r = f.decode_text(&deep, None);
        f.release();
        assert!(r.is_err());
        let arr = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        let mut f = Flattener::new();
        let r = f.decode_text(&arr, None);
        f.release();
        assert!(r.is_err());
    }

    #[test]
    fn flat_fast_path_matches_the_general_path() {
        let sample = include_str!("../../../examples/falcon/fdr_sample.ndjson");
        let extra = [
            r#"{"a":"x\\y\"z","n":7.0,"b":false,"z":null,"@timestamp":"2022-11-09T19:17:43Z","dup":"1","dup":"2"}"#,
            r#"{"@rawstring":"kept","time":"1604855116.849"}"#,
        ];
        let mut f = Flattener::new();
        for profile in [Profile::Falcon, Profile::Generic] {
            for line in sample.lines().chain(extra) {
                let fast = f.decode_text(line, Some(profile));
                let general =
                    parse_json(line).and_then(|v| f.decode_record(line, &v, Some(profile)));
                assert_eq!(fast, general, "{line}");
            }
        }
        f.release();
    }

    #[test]
    fn agrees_with_serde_json_on_values() {
        let raw = r#"{"x":"y","n":{"k":[1,"2",{"z":false}]},"esc":"tab\there"}"#;
        let e = decode(raw);
        let oracle: serde_json::Value = serde_json::from_str(raw).unwrap_or_default();
        assert_eq!(e.get_by_name("x"), oracle["x"].as_str());
        assert_eq!(e.get_by_name("esc"), oracle["esc"].as_str());
        assert_eq!(e.get_by_name("n.k[1]"), oracle["n"]["k"][1].as_str());
        assert_eq!(e.get_by_name("n.k[2].z"), Some("false"));
    }
}

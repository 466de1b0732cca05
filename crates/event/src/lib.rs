//! The event model: a flat record of field name → string value, with LogScale's conventions.
//!
//! * Values are text. Numbers, booleans and timestamps are read from the text where a context needs
//!   them ([`Event::number`]).
//! * Nested input is flattened before it gets here: `a.b.c`, `a[0]`, `a[1].b` (see [`path`]).
//! * `@rawstring` holds the original record text, `@timestamp` milliseconds since the epoch (as text),
//!   and tag fields start with `#`.
//! * Field names are interned process-wide ([`Sym`]), so a lookup is an integer compare and a plan
//!   resolves its field names once.

pub mod path;
mod sym;

pub use compact_str::CompactString as Text;
pub use sym::Sym;

/// Well-known metadata field names.
pub mod names {
    pub const RAWSTRING: &str = "@rawstring";
    pub const TIMESTAMP: &str = "@timestamp";
    pub const TIMEZONE: &str = "@timezone";
    pub const ID: &str = "@id";
    pub const INGEST_TIMESTAMP: &str = "@ingesttimestamp";
}

/// One event: an ordered list of `(field, value)` pairs, each field at most once.
///
/// Insertion order is kept, so output follows the order fields were read or assigned.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Event {
    fields: Vec<(Sym, Text)>,
}

impl Event {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        Self {
            fields: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value of `field`, if present (present-but-empty is `Some("")`).
    #[inline]
    pub fn get(&self, field: Sym) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.as_str())
    }

    /// Lookup by name; interns the name, so prefer [`Event::get`] on hot paths.
    pub fn get_by_name(&self, field: &str) -> Option<&str> {
        Sym::lookup(field).and_then(|s| self.get(s))
    }

    pub fn contains(&self, field: Sym) -> bool {
        self.fields.iter().any(|(k, _)| *k == field)
    }

    /// The value of `field` read as a number (`"7"`, `"-1.5e3"`, `" 42 "`); `None` when absent or not numeric.
    pub fn number(&self, field: Sym) -> Option<f64> {
        self.get(field).and_then(parse_number)
    }

    /// Sets `field`, overwriting an existing value in place (keeping its position).
    pub fn set(&mut self, field: Sym, value: impl Into<Text>) {
        let value = value.into();
        match self.fields.iter_mut().find(|(k, _)| *k == field) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((field, value)),
        }
    }

    /// Appends without checking for an existing field; the caller guarantees uniqueness
    /// (readers that produce each flattened name once use this to avoid a quadratic scan).
    pub fn push_unchecked(&mut self, field: Sym, value: impl Into<Text>) {
        self.fields.push((field, value.into()));
    }

    pub fn set_by_name(&mut self, field: &str, value: impl Into<Text>) {
        self.set(Sym::new(field), value);
    }

    /// Removes `field`, returning its value.
    pub fn remove(&mut self, field: Sym) -> Option<Text> {
        let i = self.fields.iter().position(|(k, _)| *k == field)?;
        Some(self.fields.remove(i).1)
    }

    /// Renames `from` to `to`, overwriting `to` if it exists. No-op when `from` is absent.
    pub fn rename(&mut self, from: Sym, to: Sym) {
        if from == to {
            return;
        }
        if let Some(v) = self.remove(from) {
            self.set(to, v);
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(Sym, &str) -> bool) {
        self.fields.retain(|(k, v)| keep(*k, v.as_str()));
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Sym, &str)> + '_ {
        self.fields.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// `@timestamp` in milliseconds, when present and numeric.
    pub fn timestamp(&self) -> Option<i64> {
        let v = self.get(Sym::timestamp())?;
        v.trim()
            .parse::<i64>()
            .ok()
            .or_else(|| parse_number(v).map(|f| f as i64))
    }

    /// `@rawstring`, when present.
    pub fn rawstring(&self) -> Option<&str> {
        self.get(Sym::rawstring())
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish()
    }
}

impl<K: AsRef<str>, V: Into<Text>> FromIterator<(K, V)> for Event {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut e = Event::new();
        for (k, v) in iter {
            e.set(Sym::new(k.as_ref()), v);
        }
        e
    }
}

/// Reads text as a number the way LogScale does where a number is needed: surrounding
/// whitespace is ignored; integers, decimals and exponents are accepted; `NaN`/`inf` are not.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let first = t.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Formats a computed number as LogScale prints it: integral values without a fraction,
/// others as the shortest decimal that round-trips.
pub fn format_number(v: f64) -> Text {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e18 {
        let mut buf = itoa_like(v as i64);
        if buf == "-0" {
            buf = Text::const_new("0");
        }
        buf
    } else {
        Text::from(format!("{v}"))
    }
}

fn itoa_like(i: i64) -> Text {
    compact_str::format_compact!("{i}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_overwrites_in_place_and_keeps_order() {
        let mut e: Event = [("a", "1"), ("b", "2")].into_iter().collect();
        e.set(Sym::new("a"), "3");
        let pairs: Vec<_> = e.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(pairs, vec![("a", "3"), ("b", "2")]);
    }

    #[test]
    fn absent_differs_from_empty() {
        let e: Event = [("a", "")].into_iter().collect();
        assert_eq!(e.get_by_name("a"), Some(""));
        assert_eq!(e.get_by_name("zz_not_there"), None);
    }

    #[test]
    fn numbers_are_read_on_demand() {
        assert_eq!(parse_number(" 42 "), Some(42.0));
        assert_eq!(parse_number("-1.5e3"), Some(-1500.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("12abc"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn computed_numbers_print_like_logscale() {
        assert_eq!(format_number(4.0 / 2.0), "2");
        assert_eq!(format_number(10.0 / 4.0), "2.5");
        assert_eq!(format_number(-0.0), "0");
    }

    #[test]
    fn rename_overwrites_target() {
        let mut e: Event = [("a", "1"), ("b", "2")].into_iter().collect();
        e.rename(Sym::new("a"), Sym::new("b"));
        assert_eq!(e.get_by_name("b"), Some("1"));
        assert_eq!(e.len(), 1);
    }
}

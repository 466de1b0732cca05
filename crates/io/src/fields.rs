//! Field projections: the only fields a consumer reads, so readers can skip the rest.
//!
//! A query that reads 7 of an FDR event's ~35 fields need not allocate, intern or copy the other
//! 28 (nor the line as `@rawstring`). Readers still scan and validate the whole record, so what is
//! accepted and what is reported as malformed does not change; only fields outside the set are
//! left off the event. Derived fields follow their names: `@timestamp` is computed only when in
//! the set, `#event_simpleName` is added when it is in the set whether or not `event_simpleName` is.

use std::collections::HashSet;

/// Sets at most this large are searched linearly (a length compare rules most names out).
const LINEAR_MAX: usize = 16;

/// A set of field names (exact, case-sensitive, as flattened: `a.b`, `a[0]`).
#[derive(Clone, Debug, Default)]
pub struct FieldSet {
    names: Vec<Box<str>>,
    hashed: Option<HashSet<Box<str>>>,
    /// Bit `n` set when a name is `n` bytes long (bit 63: 63 or longer). Most names a reader
    /// meets are not in the set, and their length alone says so.
    lengths: u64,
}

impl FieldSet {
    pub fn new<I, S>(names: I) -> FieldSet
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names: Vec<Box<str>> = names.into_iter().map(|n| n.as_ref().into()).collect();
        names.sort();
        names.dedup();
        let hashed = (names.len() > LINEAR_MAX).then(|| names.iter().cloned().collect());
        let lengths = names.iter().fold(0, |m, n| m | length_bit(n));
        FieldSet {
            names,
            hashed,
            lengths,
        }
    }

    #[inline]
    pub fn contains(&self, name: &str) -> bool {
        self.lengths & length_bit(name) != 0 && self.contains_name(name)
    }

    /// [`FieldSet::contains`] past the length check, out of line: readers call `contains` for
    /// every key of every record, and most keys fail the length check.
    #[inline(never)]
    fn contains_name(&self, name: &str) -> bool {
        match &self.hashed {
            Some(set) => set.contains(name),
            None => self
                .names
                .iter()
                .any(|n| n.len() == name.len() && n.as_bytes() == name.as_bytes()),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[inline]
fn length_bit(name: &str) -> u64 {
    1 << name.len().min(63)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_sets_agree() {
        let small = FieldSet::new(["a", "ComputerName", "#event_simpleName"]);
        assert!(small.contains("ComputerName"));
        assert!(!small.contains("computername"));
        assert!(!small.contains("b"));
        let many: Vec<String> = (0..100).map(|i| format!("f{i}")).collect();
        let large = FieldSet::new(&many);
        assert!(large.contains("f99") && large.contains("f0"));
        assert!(!large.contains("f100"));
        let long = "x".repeat(70);
        let with_long = FieldSet::new([long.as_str(), "a"]);
        assert!(with_long.contains(&long) && with_long.contains("a"));
        assert!(!with_long.contains(&"x".repeat(64)) && !with_long.contains("b"));
        assert!(!FieldSet::new(Vec::<String>::new()).contains(""));
        assert_eq!(large.len(), 100);
    }
}

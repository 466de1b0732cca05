//! Flattened field names: `a.b.c` for nested objects, `a[0]`, `a[1].b` for arrays.

/// Appends an object key to a flattened prefix: `("a", "b")` → `a.b`; an empty prefix gives the key.
pub fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        let mut s = String::with_capacity(prefix.len() + 1 + key.len());
        s.push_str(prefix);
        s.push('.');
        s.push_str(key);
        s
    }
}

/// Appends an array index: `("a", 0)` → `a[0]`.
pub fn join_index(prefix: &str, index: usize) -> String {
    format!("{prefix}[{index}]")
}

/// The name of element `i` of the array written `base[]` in array functions.
pub fn array_element(base: &str, i: usize) -> String {
    join_index(base.strip_suffix("[]").unwrap_or(base), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_names() {
        assert_eq!(join_key("", "a"), "a");
        assert_eq!(join_key("a", "b"), "a.b");
        assert_eq!(join_key(&join_index("a", 1), "b"), "a[1].b");
        assert_eq!(array_element("u[]", 2), "u[2]");
    }
}

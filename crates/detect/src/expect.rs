//! Comparing the hits of a query or rule with a test's expectation.

use saker_event::Event;

use crate::spec::Expectation;

/// Why hits do not meet an expectation; `None` when they do.
pub fn mismatch(expect: &Expectation, hits: &[Event]) -> Option<String> {
    match expect {
        Expectation::None => {
            (!hits.is_empty()).then(|| format!("expected no hit, got {}", hits.len()))
        }
        Expectation::Count(n) => {
            (hits.len() != *n).then(|| format!("expected {n} hit(s), got {}", hits.len()))
        }
        Expectation::Rows { rows, exact_fields } => {
            if rows.len() != hits.len() {
                return Some(format!(
                    "expected {} row(s), got {}",
                    rows.len(),
                    hits.len()
                ));
            }
            for (i, (row, hit)) in rows.iter().zip(hits).enumerate() {
                for (field, want) in row {
                    let got = hit.get_by_name(field);
                    match (want, got) {
                        (None, Some(v)) => {
                            return Some(format!(
                                "row {}: `{field}` should be absent, got {v:?}",
                                i + 1
                            ));
                        }
                        (Some(w), None) => {
                            return Some(format!(
                                "row {}: `{field}` expected {w:?}, field absent",
                                i + 1
                            ));
                        }
                        (Some(w), Some(v)) if w != v => {
                            return Some(format!(
                                "row {}: `{field}` expected {w:?}, got {v:?}",
                                i + 1
                            ));
                        }
                        _ => {}
                    }
                }
                if *exact_fields {
                    let extra: Vec<&str> = hit
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .filter(|k| !row.iter().any(|(f, w)| f == k && w.is_some()))
                        .collect();
                    if !extra.is_empty() {
                        return Some(format!(
                            "row {}: unexpected field(s) {} (exact_fields)",
                            i + 1,
                            extra.join(", ")
                        ));
                    }
                }
            }
            None
        }
    }
}

/// Rows to show for a failure: the hits' fields, restricted to the fields the expectation names
/// when it names any (a Sigma hit is a whole event), `@rawstring` always left out.
pub fn display_rows(
    expect: &Expectation,
    hits: &[Event],
    limit: usize,
) -> Vec<Vec<(String, String)>> {
    let named: Vec<&str> = match expect {
        Expectation::Rows {
            rows,
            exact_fields: false,
        } => {
            let mut names: Vec<&str> = Vec::new();
            for (f, _) in rows.iter().flatten() {
                if !names.contains(&f.as_str()) {
                    names.push(f);
                }
            }
            names
        }
        _ => Vec::new(),
    };
    hits.iter()
        .take(limit)
        .map(|e| {
            e.iter()
                .filter(|(k, _)| k.as_str() != "@rawstring")
                .filter(|(k, _)| named.is_empty() || named.contains(&k.as_str()))
                .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, &str)]) -> Event {
        pairs.iter().copied().collect()
    }

    fn rows(rows: Vec<Vec<(&str, Option<&str>)>>, exact: bool) -> Expectation {
        Expectation::Rows {
            rows: rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
                        .collect()
                })
                .collect(),
            exact_fields: exact,
        }
    }

    #[test]
    fn counts_and_none() {
        let hits = [ev(&[("a", "1")])];
        assert_eq!(mismatch(&Expectation::Count(1), &hits), None);
        assert!(mismatch(&Expectation::None, &hits).is_some());
        assert_eq!(mismatch(&Expectation::None, &[]), None);
    }

    #[test]
    fn rows_compare_named_fields_in_order() {
        let hits = [ev(&[("a", "1"), ("b", "x")]), ev(&[("a", "2")])];
        let ok = rows(
            vec![vec![("a", Some("1"))], vec![("a", Some("2")), ("b", None)]],
            false,
        );
        assert_eq!(mismatch(&ok, &hits), None);
        let swapped = rows(vec![vec![("a", Some("2"))], vec![("a", Some("1"))]], false);
        assert_eq!(
            mismatch(&swapped, &hits).as_deref(),
            Some("row 1: `a` expected \"2\", got \"1\"")
        );
        let absent = rows(vec![vec![("b", None)], vec![]], false);
        assert!(
            mismatch(&absent, &hits)
                .unwrap_or_default()
                .contains("should be absent")
        );
    }

    #[test]
    fn exact_fields_rejects_extra_fields() {
        let hits = [ev(&[("a", "1"), ("b", "x")])];
        let exp = rows(vec![vec![("a", Some("1"))]], true);
        assert!(
            mismatch(&exp, &hits)
                .unwrap_or_default()
                .contains("unexpected field(s) b")
        );
    }
}

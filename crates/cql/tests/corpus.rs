//! Acceptance over the real-world corpus: ≥ 99.5% of queries parse; the rest are the ones
//! SOURCES.md marks SUSPECT, and each gets a diagnostic.

mod common;

/// Corpus files not marked SUSPECT that are nevertheless not valid single queries.
const KNOWN_INVALID: &[(&str, &str)] = &[
    (
        "2433_md_Enumerate-Browser-Extensions.cql",
        "a `;` is missing between two case clauses",
    ),
    (
        "2562_ls_CVE-2022-41082-ProxyNotShell-Exchange-Vulnerabilit.cql",
        "two alternative queries in one file",
    ),
    (
        "2574_ts_Subquery.cql",
        "tree-sitter test input assigning a subquery with `:=`",
    ),
];

#[test]
fn corpus_parses() {
    let Some(corpus) = common::corpus() else {
        println!("skipped: corpus absent");
        return;
    };
    let suspects = common::suspects();
    let mut failed = Vec::new();
    for (name, text) in &corpus {
        let (_, diags) = saker_cql::parse(text);
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        if !errors.is_empty() {
            let first = errors[0];
            let (line, col) = saker_diag::line_col(text, first.span.start);
            failed.push(format!(
                "{name}:{line}:{col}: {} {}{}",
                first.code,
                first.message,
                if suspects.contains(name) || KNOWN_INVALID.iter().any(|(k, _)| k == name) {
                    " (SUSPECT)"
                } else {
                    ""
                }
            ));
        }
    }
    for f in &failed {
        println!("{f}");
    }
    let ok = corpus.len() - failed.len();
    let rate = ok as f64 / corpus.len() as f64;
    println!("parsed {ok}/{} ({:.2}%)", corpus.len(), rate * 100.0);
    assert!(rate >= 0.995, "parse rate {rate}");
    let unexpected: Vec<_> = failed
        .iter()
        .filter(|f| !f.ends_with("(SUSPECT)"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "non-SUSPECT failures: {unexpected:#?}"
    );
}

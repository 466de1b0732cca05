//! The flagship detection (shared/seed, LogScale block): parses cleanly, and the checker
//! reports the three problems FINDINGS.md §2 describes.

mod common;

use saker_cql::{CheckOptions, check, codes};

fn seed_query() -> Option<String> {
    let text =
        std::fs::read_to_string(common::shared()?.join("seed/T1588.004-logscale-detection.txt"))
            .ok()?;
    let mut lines = text.lines().skip_while(|l| l.trim() != "cql").skip(1);
    let mut out = Vec::new();
    for l in lines.by_ref() {
        out.push(l);
        if l.trim_start().starts_with("| sort(") {
            break;
        }
    }
    Some(out.join("\n"))
}

#[test]
fn seed_query_lints() {
    let Some(q) = seed_query() else {
        println!("skipped: corpus absent");
        return;
    };
    let diags = check(&q, &CheckOptions::default());
    assert!(
        diags.iter().all(|d| !d.is_error()),
        "unexpected errors: {diags:#?}"
    );
    let time = diags
        .iter()
        .find(|d| d.code == codes::LINT_TIME_FIELD)
        .expect("a lint on _time");
    assert!(time.message.contains("_time") && time.message.contains("@timestamp"));
    let exclusion = diags
        .iter()
        .find(|d| d.code == codes::LINT_VACUOUS_EXCLUSION)
        .expect("a lint on the FileName exclusion");
    assert!(exclusion.message.contains("FileName"));
    assert!(exclusion.message.contains("RegGenericValueUpdate"));
    assert_eq!(&q[exclusion.span.clone()], "FileName");
    let sort = diags
        .iter()
        .find(|d| d.code == codes::LINT_ROW_LIMIT)
        .expect("a note on sort's 200-row default");
    assert_eq!(sort.severity, saker_diag::Severity::Note);
    assert_eq!(&q[sort.span.clone()], "sort");
    assert!(diags.iter().any(
        |d| d.code == codes::LINT_FIELD_NOT_ON_EVENT && d.message.contains("ParentProcessName")
    ));
}

#[test]
fn silencing_comment_drops_a_lint() {
    let q = "// saker:allow(CQL-L005)\n#event_simpleName=ProcessRollup2 | sort(x)";
    let diags = check(q, &CheckOptions::default());
    assert!(
        diags.iter().all(|d| d.code != codes::LINT_ROW_LIMIT),
        "{diags:#?}"
    );
    let diags = check(
        "#event_simpleName=ProcessRollup2 | sort(x)",
        &CheckOptions::default(),
    );
    assert!(diags.iter().any(|d| d.code == codes::LINT_ROW_LIMIT));
}

#[test]
fn unclosed_call_points_at_the_end() {
    let q = "groupBy(ComputerName, function=count()";
    let diags = check(q, &CheckOptions::default());
    let e = diags.iter().find(|d| d.is_error()).expect("a syntax error");
    assert_eq!(e.code, codes::UNCLOSED);
    assert_eq!(e.span, q.len()..q.len());
    assert_eq!(e.labels[0].span, 7..8, "secondary label on the `(`");
}

#[test]
fn semantic_errors_have_hints() {
    let diags = check("gropuBy(x) | in(f, valuse=[a])", &CheckOptions::default());
    let unknown = diags
        .iter()
        .find(|d| d.code == codes::UNKNOWN_FUNCTION)
        .expect("unknown fn");
    assert_eq!(unknown.help.as_deref(), Some("did you mean `groupBy`?"));
    let param = diags
        .iter()
        .find(|d| d.code == codes::UNKNOWN_PARAM)
        .expect("unknown param");
    assert_eq!(param.help.as_deref(), Some("did you mean `values`?"));
    assert!(diags.iter().any(|d| d.code == codes::MISSING_PARAM));
    let diags = check("regex(\"(?<=a)b\") | f = /a++/", &CheckOptions::default());
    assert_eq!(
        diags
            .iter()
            .filter(|d| d.code == codes::REGEX_UNSUPPORTED)
            .count(),
        2,
        "{diags:#?}"
    );
    let diags = check("in(f, values=[a], field=g)", &CheckOptions::default());
    assert!(diags.iter().any(|d| d.code == codes::DUPLICATE_PARAM));
    let diags = check("math:mod(x, 3)", &CheckOptions::default());
    assert!(diags.iter().any(|d| d.code == codes::TOO_MANY_UNNAMED));
}

#[test]
fn unreachable_case_clause() {
    let q = "case { a=1 | x:=1; * | x:=2; b=1 | x:=3 }";
    let diags = check(q, &CheckOptions::default());
    assert!(
        diags
            .iter()
            .any(|d| d.code == codes::LINT_UNREACHABLE_CLAUSE),
        "{diags:#?}"
    );
    let q = "case { a=1 | x:=1; a=1 | x:=2; * }";
    let diags = check(q, &CheckOptions::default());
    assert!(
        diags
            .iter()
            .any(|d| d.code == codes::LINT_UNREACHABLE_CLAUSE),
        "{diags:#?}"
    );
}

#[test]
fn suspicious_equals_and_legacy_suffix() {
    let diags = check(
        "#event_simpleName=ProcessRollup2 ImageFileName=cmd.exe AuthenticationId_decimal=999",
        &CheckOptions::default(),
    );
    assert!(
        diags
            .iter()
            .any(|d| d.code == codes::LINT_SUSPICIOUS_EQUALS),
        "{diags:#?}"
    );
    assert!(
        diags.iter().any(|d| d.code == codes::LINT_LEGACY_SUFFIX),
        "{diags:#?}"
    );
}

//! Snapshots (insta) of syntax trees, plans and rendered diagnostics for the tricky cases of
//! shared/cql/FINDINGS.md §1–2.

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use saker_cql::{CheckOptions, CompileOptions, check, compile, parse};
use saker_diag::{Diagnostic, Severity};

/// The query of FINDINGS.md §2 (the flagship detection).
const FLAGSHIP: &str = r#"#event_simpleName = /^(AsepValueUpdate|RegGenericValueUpdate)$/
| RegObjectName = /(?i)SOFTWARE\\(Microsoft\\SystemCertificates\\(Root|CA)\\Certificates|Policies\\Microsoft\\SystemCertificates\\(Root|CA))/
| not FileName = /(?i)^(svchost\.exe|lsass\.exe|wuauclt\.exe|TrustedInstaller\.exe|MicrosoftEdgeUpdate\.exe|MsMpEng\.exe|SgrmBroker\.exe)$/
| case {
    RegObjectName = /(?i)Root\\Certificates/ | StoreType := "Trusted Root CA";
    RegObjectName = /(?i)CA\\Certificates/   | StoreType := "Intermediate CA";
    *                                         | StoreType := "Other"
  }
| select([_time, ComputerName, UserName, #event_simpleName, StoreType, RegObjectName, FileName, CommandLine, ParentProcessName])
| sort(field=_time, order=desc)"#;

/// FINDINGS.md §1 cases, one query each.
const CASES: &[(&str, &str)] = &[
    ("or_binds_tighter", "a=1 or b=1 c=1"),
    ("and_not_or", "foo and not bar or baz"),
    (
        "negation_passes_absent",
        r#"not f = /re/ | f != x | !in(g, values=["a"]) | !cidr(ip, subnet=["10.0.0.0/8"])"#,
    ),
    (
        "anchored_glob_and_free_text",
        "user = *Turing ERROR \"two words\"",
    ),
    (
        "regex_literal_pipe_and_class_slash",
        r"CommandLine = /[-/][ix]\s*|x/i | y=1",
    ),
    (
        "regex_named_groups",
        r#"/(?<@timestamp>\d+) (?<user.name>\S+)/ | regex("(?<x>\\d+)", field=msg)"#,
    ),
    (
        "case_first_match_and_empty_clause",
        r#"case { status=5* | type := "error"; status=4* | type := "client"; | type := "other" }"#,
    ),
    (
        "match_guards",
        r#"level match { "ERR*" => x := 1 ; /warn/i => x := 2 ; in(values=["a", "b"]) => x := 3 ; * => x := 4 }"#,
    ),
    (
        "assign_call_and_field_operator",
        r#"x := min(y) | id =~ match(file="users.csv", column=uid) | [lo := min(t), hi := max(t)]"#,
    ),
    (
        "division_in_expressions",
        "a := m/fisk/i | b := -c * (d + 2) % 3",
    ),
    ("arithmetic_not_evaluated_in_filters", "foo < 42 + 3"),
    (
        "function_lists",
        "groupby([a, b], function=([count(), max(x, as=mx)])) | timechart(span=1h, function={ count() | c := _count / 300 }) | groupBy(k, function=[])",
    ),
    (
        "saved_queries_and_parameters",
        r#"$"crowdstrike/fltr-core:zComputerName"() | host = ?{host=web*} | $mine(mv=["a","b"])"#,
    ),
    (
        "correlate",
        "correlate(a: { x=1 } include: [aid], b: { y=2 | aid <=> a.aid } include: [aid], sequence=true, within=5m)",
    ),
    (
        "comments_everywhere",
        "a=1 // trailing\n| /* block */ groupBy(x, // in args\n function=count())",
    ),
];

#[test]
fn syntax_trees() {
    for (name, q) in CASES {
        let (ast, diags) = parse(q);
        assert!(diags.iter().all(|d| !d.is_error()), "{name}: {diags:#?}");
        insta::assert_debug_snapshot!(format!("ast_{name}"), ast);
    }
}

#[test]
fn plans() {
    for (name, q) in CASES {
        let plan =
            compile(q, &CompileOptions::default()).unwrap_or_else(|e| panic!("{name}: {e:#?}"));
        insta::assert_debug_snapshot!(format!("plan_{name}"), plan);
        insta::assert_snapshot!(format!("printed_{name}"), saker_cql::print(&plan));
    }
    let plan = compile(FLAGSHIP, &CompileOptions::default()).unwrap_or_else(|e| panic!("{e:#?}"));
    insta::assert_debug_snapshot!("plan_flagship", plan);
}

/// The same layout the CLI uses (crates/cli/src/cmd/check.rs).
fn render(file: &str, text: &str, d: &Diagnostic) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let mut primary = AnnotationKind::Primary.span(d.span.clone());
    if let Some(l) = &d.label {
        primary = primary.label(l.as_str());
    }
    let mut snippet = Snippet::source(text).path(file).annotation(primary);
    for l in &d.labels {
        snippet = snippet.annotation(
            AnnotationKind::Context
                .span(l.span.clone())
                .label(l.message.as_str()),
        );
    }
    let mut group = level
        .primary_title(d.message.as_str())
        .id(d.code)
        .element(snippet);
    if let Some(h) = &d.help {
        group = group.element(Level::HELP.message(h.as_str()));
    }
    Renderer::plain().render(&[group])
}

fn rendered(q: &str) -> String {
    check(q, &CheckOptions::default())
        .iter()
        .map(|d| render("query.cql", q, d))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn diagnostics() {
    insta::assert_snapshot!("diag_flagship", rendered(FLAGSHIP));
    insta::assert_snapshot!(
        "diag_unclosed_call",
        rendered("groupBy(ComputerName, function=count()")
    );
    insta::assert_snapshot!(
        "diag_recovery_reports_several",
        rendered("a=1 | count(x | b = | groupBy([x) | sort(y)")
    );
    insta::assert_snapshot!(
        "diag_semantic",
        rendered(
            r#"gropuBy(x) | in(f, valuse=[a]) | regex("(?<=a)b") | f = /a++/ | math:mod(x, 3) | formatTime("%Y")"#
        )
    );
    insta::assert_snapshot!(
        "diag_unreachable_clause",
        rendered("case { a=1 | x:=1; * | x:=2; b=1 | x:=3 }")
    );
    insta::assert_snapshot!("diag_nbsp", rendered("a=1\u{a0}b=2"));
}

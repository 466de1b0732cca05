use saker_plan::{
    Call, CmpOp, Correlation, CorrelationCondition, CorrelationKind, Expr, Matcher, Plan,
    Predicate, RegexDialect,
};

use super::convert;

fn ci(m: fn(String, bool) -> Matcher, v: &str) -> Matcher {
    m(v.to_string(), true)
}
fn equals(value: String, case_insensitive: bool) -> Matcher {
    Matcher::Equals {
        value,
        case_insensitive,
    }
}
fn glob(pattern: String, case_insensitive: bool) -> Matcher {
    Matcher::Glob {
        pattern,
        case_insensitive,
    }
}
fn contains(value: String, case_insensitive: bool) -> Matcher {
    Matcher::Contains {
        value,
        case_insensitive,
    }
}
fn starts(value: String, case_insensitive: bool) -> Matcher {
    Matcher::StartsWith {
        value,
        case_insensitive,
    }
}
fn ends(value: String, case_insensitive: bool) -> Matcher {
    Matcher::EndsWith {
        value,
        case_insensitive,
    }
}

fn cql(p: Predicate) -> String {
    match convert(&Plan::filter(p)) {
        Ok(c) => c.text,
        Err(r) => format!("REFUSED: {}", r.reason),
    }
}

fn field(f: &str, m: Matcher) -> Predicate {
    Predicate::field(f, m)
}

fn not(p: Predicate) -> Predicate {
    Predicate::Not(Box::new(p))
}

#[test]
fn equals_case_insensitive_is_an_anchored_regex_with_escapes() {
    assert_eq!(
        cql(field("fieldA", ci(equals, "valueA.exe"))),
        "fieldA=/^valueA\\.exe$/i"
    );
    assert_eq!(
        cql(field("a", ci(equals, r#"C:\Win "x"/y"#))),
        r#"a=/^C:\\Win "x"\/y$/i"#
    );
    // A value without letters needs no case folding: a plain string.
    assert_eq!(
        cql(field("EventID", ci(equals, "4688"))),
        "EventID=\"4688\""
    );
    assert_eq!(cql(field("a", ci(equals, ""))), "a=\"\"");
}

#[test]
fn equals_with_a_literal_star_cannot_be_a_glob() {
    // https://library.humio.com/data-analysis/syntax-fields.html: `*` in a value is a wildcard.
    assert_eq!(cql(field("a", equals("1*2".into(), false))), "a=/^1\\*2$/");
    assert_eq!(
        cql(field("a", equals("x\"\\".into(), false))),
        r#"a="x\"\\""#
    );
}

#[test]
fn contains_startswith_endswith() {
    assert_eq!(cql(field("c", ci(contains, "valueC"))), "c=/valueC/i");
    assert_eq!(cql(field("c", ci(starts, "valueA"))), "c=/^valueA/i");
    assert_eq!(
        cql(field("c", ci(ends, "\\cmd.exe"))),
        "c=/\\\\cmd\\.exe$/i"
    );
    assert_eq!(
        cql(field("c", contains("Abc".into(), false))),
        "c=\"*Abc*\""
    );
    assert_eq!(cql(field("c", starts("Abc".into(), false))), "c=\"Abc*\"");
    assert_eq!(cql(field("c", ends("1?".into(), true))), "c=\"*1?\"");
    // Contains "" holds for any present value.
    assert_eq!(cql(field("c", ci(contains, ""))), "c=*");
}

#[test]
fn globs_use_dot_all_for_inner_wildcards() {
    assert_eq!(cql(field("a", ci(glob, "value*A"))), "a=/^value.*A$/id");
    assert_eq!(
        cql(field("a", ci(glob, "*\\test.exe"))),
        "a=/\\\\test\\.exe$/i"
    );
    assert_eq!(cql(field("a", ci(glob, "*"))), "a=*");
    assert_eq!(cql(field("a", glob("A*b".into(), false))), "a=\"A*b\"");
}

#[test]
fn negation_keeps_events_without_the_field() {
    // https://library.humio.com/data-analysis/syntax-operators.html: `!=` and `not` pass events
    // lacking the field, which is Sigma's `not` on a missing field.
    assert_eq!(cql(not(field("a", ci(equals, "x")))), "not a=/^x$/i");
    assert_eq!(cql(not(field("a", ci(equals, "1")))), "a!=\"1\"");
    assert_eq!(
        cql(not(Predicate::Or(vec![
            field("a", ci(equals, "1")),
            field("b", Matcher::Exists)
        ]))),
        "a!=\"1\"\n| b!=*"
    );
}

#[test]
fn exists_and_absent() {
    assert_eq!(cql(field("a", Matcher::Exists)), "a=*");
    assert_eq!(cql(field("a", Matcher::Absent)), "a!=*");
    assert_eq!(cql(not(field("a", Matcher::Absent))), "a=*");
}

#[test]
fn sigma_regexes_are_checked_and_flags_mapped() {
    let re = |p: &str, f: &str| Matcher::Regex {
        pattern: p.into(),
        flags: f.into(),
        dialect: RegexDialect::Sigma,
    };
    assert_eq!(cql(field("a", re("foo.*bar\\d", ""))), "a=/foo.*bar\\d/");
    assert_eq!(cql(field("a", re("a/b", "is"))), "a=/a\\/b/id");
    assert_eq!(cql(field("a", re("(?<x>a)", ""))), "a=/(?:a)/");
    assert!(
        cql(field("a", re("(?<=a)b", ""))).starts_with("REFUSED: regex `(?<=a)b` uses lookbehind")
    );
    assert!(cql(field("a", re("a", "x"))).starts_with("REFUSED"));
    assert_eq!(cql(not(field("a", re("x", "")))), "not a=/x/");
}

#[test]
fn numeric_comparisons() {
    let cmp = |op, value| Matcher::Compare { op, value };
    assert_eq!(cql(field("n", cmp(CmpOp::Gt, 5.0))), "n > 5");
    assert_eq!(cql(field("n", cmp(CmpOp::Le, 2.5))), "n <= 2.5");
    assert_eq!(cql(field("n", cmp(CmpOp::Eq, 3.0))), "test(n == 3)");
    assert_eq!(cql(not(field("n", cmp(CmpOp::Lt, 1.0)))), "not n < 1");
    assert!(cql(field("a-b", cmp(CmpOp::Eq, 1.0))).starts_with("REFUSED"));
}

#[test]
fn cidr_and_negated_cidr() {
    let m = Matcher::Cidr {
        subnets: vec!["10.0.0.0/8".into(), "fd00::/8".into()],
    };
    assert_eq!(
        cql(field("ip", m.clone())),
        "cidr(ip, subnet=[\"10.0.0.0/8\", \"fd00::/8\"])"
    );
    assert_eq!(
        cql(not(field("ip", m))),
        "!cidr(ip, subnet=[\"10.0.0.0/8\", \"fd00::/8\"])"
    );
}

#[test]
fn any_of_prefers_in_and_falls_back_to_one_regex() {
    let any = |values: &[&str], glob, ci| Matcher::AnyOf {
        values: values.iter().map(|s| s.to_string()).collect(),
        glob,
        case_insensitive: ci,
    };
    assert_eq!(
        cql(field("id", any(&["1", "2"], false, true))),
        "in(field=id, values=[\"1\", \"2\"])"
    );
    assert_eq!(
        cql(field("f", any(&["a.exe", "b*c"], true, true))),
        "f=/^(?:a\\.exe|b.*c)$/id"
    );
    assert_eq!(
        cql(field("f", any(&["*a", "b"], true, true))),
        "f=/a$|^b$/i"
    );
    assert_eq!(
        cql(not(field("f", any(&["A*", "B"], true, false)))),
        "!in(field=f, values=[\"A*\", \"B\"])"
    );
}

#[test]
fn free_text_keywords() {
    assert_eq!(
        cql(Predicate::FreeText(ci(contains, "mimikatz"))),
        "/mimikatz/i"
    );
    assert_eq!(cql(Predicate::FreeText(ci(contains, "1.2.3"))), "\"1.2.3\"");
    assert_eq!(
        cql(not(Predicate::FreeText(ci(contains, "x y")))),
        "not /x y/i"
    );
}

#[test]
fn field_names_that_are_not_words_are_quoted() {
    assert_eq!(
        cql(field("field name", ci(equals, "value"))),
        "\"field name\"=/^value$/i"
    );
}

#[test]
fn or_inside_and_is_parenthesised() {
    let p = Predicate::And(vec![
        field("a", ci(equals, "1")),
        Predicate::Or(vec![
            field("b", ci(equals, "x")),
            field("c", ci(equals, "y")),
        ]),
    ]);
    assert_eq!(cql(p), "a=\"1\"\n| b=/^x$/i or c=/^y$/i");
    let p = Predicate::Or(vec![
        Predicate::And(vec![
            field("a", ci(equals, "1")),
            field("b", ci(equals, "2")),
        ]),
        field("c", ci(equals, "3")),
    ]);
    assert_eq!(cql(p), "(a=\"1\" and b=\"2\") or c=\"3\"");
}

#[test]
fn field_references_become_test() {
    let p = Predicate::Expr(Expr::Binary(
        saker_plan::BinaryOp::Eq,
        Box::new(Expr::Field("a".into())),
        Box::new(Expr::Field("b".into())),
    ));
    assert_eq!(cql(p), "test(a == b)");
}

#[test]
fn calls_print_with_named_arguments() {
    let c = Call::new("wildcard")
        .arg("field", saker_plan::ArgValue::Word("f".into()))
        .arg("pattern", saker_plan::ArgValue::Str("*a*".into()))
        .arg("ignoreCase", saker_plan::ArgValue::Word("true".into()));
    assert_eq!(
        cql(Predicate::Call(c)),
        "wildcard(field=f, pattern=\"*a*\", ignoreCase=true)"
    );
}

fn rule(v: &str) -> (String, Plan) {
    (
        format!("rule-{v}"),
        Plan::filter(field("EventID", ci(equals, v))),
    )
}

#[test]
fn event_count_becomes_bucket_with_a_caveat() {
    let c = Correlation {
        kind: CorrelationKind::EventCount,
        rules: vec![rule("4625")],
        group_by: vec!["TargetUserName".into()],
        timespan_ms: 300_000,
        condition: Some(CorrelationCondition {
            op: CmpOp::Ge,
            value: 10.0,
            and: None,
        }),
    };
    let out =
        convert(&Plan::new(vec![saker_plan::Op::Correlate(c)])).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        out.text,
        "EventID=\"4625\"\n| bucket(span=5m, field=[TargetUserName], function=count())\n| _count >= 10"
    );
    assert_eq!(out.caveats, vec![crate::Caveat::FixedTimeBuckets]);
}

#[test]
fn temporal_becomes_correlate() {
    let c = Correlation {
        kind: CorrelationKind::TemporalOrdered,
        rules: vec![rule("1"), rule("2")],
        group_by: vec!["host".into()],
        timespan_ms: 60_000,
        condition: None,
    };
    let out =
        convert(&Plan::new(vec![saker_plan::Op::Correlate(c)])).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        out.text,
        "correlate(\n    rule_1: {\n        EventID=\"1\"\n    },\n    rule_2: {\n        EventID=\"2\" | host <=> rule_1.host\n    },\n    within=1m,\n    sequence=true\n)"
    );
}

//! Lowering conventions (documented in `saker_cql::lower`), each pinned by a small query.

use saker_cql::{CompileOptions, compile};
use saker_plan::{
    ArgValue, BinaryOp, Call, CmpOp, Expr, Guard, Matcher, Op, Plan, Predicate, RegexDialect,
};

fn plan(q: &str) -> Plan {
    match compile(q, &CompileOptions::default()) {
        Ok(p) => p,
        Err(e) => panic!("{q}: {e:#?}"),
    }
}

fn filter(q: &str) -> Predicate {
    match plan(q).ops.as_slice() {
        [Op::Filter(p)] => p.clone(),
        other => panic!("{q}: not one filter: {other:#?}"),
    }
}

fn field(f: &str, m: Matcher) -> Predicate {
    Predicate::field(f, m)
}

fn eq(v: &str) -> Matcher {
    Matcher::Equals {
        value: v.into(),
        case_insensitive: false,
    }
}

fn glob(v: &str) -> Matcher {
    Matcher::Glob {
        pattern: v.into(),
        case_insensitive: false,
    }
}

fn not(p: Predicate) -> Predicate {
    Predicate::Not(Box::new(p))
}

/// OR binds tighter than AND; NOT tightest; juxtaposition is AND.
/// https://library.humio.com/data-analysis/syntax-operators.html
#[test]
fn or_binds_tighter_than_and() {
    assert_eq!(
        filter("a=1 or b=1 c=1"),
        Predicate::And(vec![
            Predicate::Or(vec![field("a", eq("1")), field("b", eq("1"))]),
            field("c", eq("1")),
        ])
    );
    assert_eq!(
        filter("foo and not bar or baz"),
        Predicate::And(vec![
            Predicate::FreeText(glob("*foo*")),
            Predicate::Or(vec![
                not(Predicate::FreeText(glob("*bar*"))),
                Predicate::FreeText(glob("*baz*")),
            ]),
        ])
    );
    assert_eq!(
        filter("A=1 OR B=2 AND NOT C=3"),
        Predicate::And(vec![
            Predicate::Or(vec![field("A", eq("1")), field("B", eq("2"))]),
            not(field("C", eq("3"))),
        ])
    );
}

/// `f != v` is the negation of `f = v` (true when f is absent); `f = *` tests presence.
/// https://library.humio.com/data-analysis/syntax-filters.html
#[test]
fn field_filters() {
    assert_eq!(filter("f != x"), not(field("f", eq("x"))));
    assert_eq!(filter("f != *"), not(field("f", Matcher::Exists)));
    assert_eq!(filter("f = *"), field("f", Matcher::Exists));
    assert_eq!(filter("url = *login*"), field("url", glob("*login*")));
    assert_eq!(
        filter(r"ImageFileName=*\\cmd.exe"),
        field("ImageFileName", glob(r"*\cmd.exe"))
    );
    assert_eq!(filter(r#"f = "a b""#), field("f", eq("a b")));
    assert_eq!(filter(r#"f = """#), field("f", eq("")));
    assert_eq!(
        filter("status >= 400"),
        field(
            "status",
            Matcher::Compare {
                op: CmpOp::Ge,
                value: 400.0
            }
        )
    );
    assert_eq!(filter(r#"f like "a*b""#), field("f", glob("*a*b*")));
    assert_eq!(
        filter("f = /x\\/y/i"),
        field(
            "f",
            Matcher::Regex {
                pattern: "x/y".into(),
                flags: "i".into(),
                dialect: RegexDialect::LogScale
            }
        )
    );
    assert_eq!(
        filter("\"host-name\" = *"),
        field("host-name", Matcher::Exists)
    );
}

#[test]
fn free_text_and_regex() {
    assert_eq!(filter("ERROR"), Predicate::FreeText(glob("*ERROR*")));
    assert_eq!(
        filter("\"two words\""),
        Predicate::FreeText(glob("*two words*"))
    );
    assert!(matches!(
        filter("/fo+|bar/"),
        Predicate::FreeText(Matcher::Regex { pattern, .. }) if pattern == "fo+|bar"
    ));
    assert_eq!(plan("*").ops, vec![]);
}

/// `x := fn(y)` is `fn(y, as=x)`; `f =~ fn()` passes `field=f`.
/// https://library.humio.com/data-analysis/syntax-fields-user-adding.html
#[test]
fn assignment_and_field_operator() {
    assert_eq!(
        plan("x := min(y)").ops,
        vec![Op::Call(
            Call::new("min")
                .arg("field", ArgValue::Word("y".into()))
                .arg("as", ArgValue::Word("x".into()))
        )]
    );
    assert_eq!(
        plan("x := a + 2").ops,
        vec![Op::Assign(vec![(
            "x".into(),
            Expr::Binary(
                BinaryOp::Add,
                Box::new(Expr::Field("a".into())),
                Box::new(Expr::Num("2".into()))
            )
        )])]
    );
    assert_eq!(
        plan("a := m/fisk/i").ops,
        vec![Op::Assign(vec![(
            "a".into(),
            Expr::Binary(
                BinaryOp::Div,
                Box::new(Expr::Binary(
                    BinaryOp::Div,
                    Box::new(Expr::Field("m".into())),
                    Box::new(Expr::Field("fisk".into()))
                )),
                Box::new(Expr::Field("i".into()))
            )
        )])]
    );
    assert_eq!(
        filter(r#"id =~ in(values=["a", "b"])"#),
        Predicate::Call(
            Call::new("in")
                .arg(
                    "values",
                    ArgValue::Array(vec![ArgValue::Str("a".into()), ArgValue::Str("b".into())])
                )
                .arg("field", ArgValue::Word("id".into()))
        )
    );
    assert_eq!(
        filter("!in(f, values=[x])"),
        not(Predicate::Call(
            Call::new("in")
                .arg("field", ArgValue::Word("f".into()))
                .arg("values", ArgValue::Array(vec![ArgValue::Word("x".into())]))
        ))
    );
}

/// Function names are case-insensitive; parameters bind to the catalogue's names.
#[test]
fn canonical_names_and_function_lists() {
    let p = plan("groupby(ComputerName, Function=[count(), max(x)])");
    let Op::Call(c) = &p.ops[0] else {
        panic!("{p:#?}")
    };
    assert_eq!(c.name, "groupBy");
    assert_eq!(c.args[0].name, "field");
    assert_eq!(c.args[1].name, "function");
    let ArgValue::Array(items) = &c.args[1].value else {
        panic!("{c:#?}")
    };
    assert_eq!(items.len(), 2);
    assert!(
        matches!(&items[0], ArgValue::Plan(Plan { ops }) if matches!(&ops[0], Op::Call(c) if c.name == "count"))
    );

    let p = plan("[a := count(), b := max(x)]");
    let Op::Call(c) = &p.ops[0] else {
        panic!("{p:#?}")
    };
    assert_eq!(c.name, "stats");

    let p = plan("groupBy(x, function=[])");
    let Op::Call(c) = &p.ops[0] else {
        panic!("{p:#?}")
    };
    assert_eq!(c.get("function"), Some(&ArgValue::Array(vec![])));
}

#[test]
fn test_is_an_expression_predicate() {
    assert_eq!(
        filter("test(a == b)"),
        Predicate::Expr(Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Field("a".into())),
            Box::new(Expr::Field("b".into()))
        ))
    );
}

/// A `*` clause matches everything and keeps the event.
/// https://library.humio.com/data-analysis/syntax-conditional.html
#[test]
fn case_and_match() {
    let p = plan("case { a=1 | x := 1; * | x := 2 }");
    let Op::Case(clauses) = &p.ops[0] else {
        panic!("{p:#?}")
    };
    assert_eq!(clauses.len(), 2);
    assert_eq!(clauses[1].ops.len(), 1, "the `*` filter is dropped");
    let p = plan("case { a=1; * }");
    let Op::Case(clauses) = &p.ops[0] else {
        panic!("{p:#?}")
    };
    assert_eq!(clauses[1], Plan::pass());

    let p = plan(
        r#"level match { "E*" => x := 1; /w/i => x := 2; in(values=[a]) => x := 3; * => x := 4 }"#,
    );
    let Op::Match { field, arms } = &p.ops[0] else {
        panic!("{p:#?}")
    };
    assert_eq!(field, "level");
    assert_eq!(arms[0].guard, Guard::Matcher(glob("E*")));
    assert!(matches!(
        arms[1].guard,
        Guard::Matcher(Matcher::Regex { .. })
    ));
    assert!(
        matches!(&arms[2].guard, Guard::Call(c) if c.get("field") == Some(&ArgValue::Word("level".into())))
    );
    assert_eq!(arms[3].guard, Guard::Any);
}

#[test]
fn parameters_are_substituted() {
    let mut opts = CompileOptions::default();
    assert_eq!(
        compile("host = ?host", &opts).map(|p| p.ops),
        Ok(vec![Op::Filter(field("host", Matcher::Exists))])
    );
    assert_eq!(
        compile("host = ?{host=web*}", &opts).map(|p| p.ops),
        Ok(vec![Op::Filter(field("host", glob("web*")))])
    );
    opts.params.insert("host".into(), "db1".into());
    assert_eq!(
        compile("host = ?host", &opts).map(|p| p.ops),
        Ok(vec![Op::Filter(field("host", eq("db1")))])
    );
}

#[test]
fn saved_queries_and_correlate() {
    let p = plan(r#"$"crowdstrike/fltr-core:zComputerName"()"#);
    assert!(matches!(&p.ops[0], Op::Call(c) if c.name == "$crowdstrike/fltr-core:zComputerName"));
    let p = plan(
        "correlate(a: { x=1 } include: [aid], b: { y=2 | aid <=> a.aid } include: [aid], within=5m)",
    );
    let Op::Call(c) = &p.ops[0] else {
        panic!("{p:#?}")
    };
    assert!(matches!(c.get("a"), Some(ArgValue::Plan(_))));
    assert!(matches!(c.get("b.include"), Some(ArgValue::Array(_))));
    let Some(ArgValue::Plan(b)) = c.get("b") else {
        panic!()
    };
    assert!(matches!(
        &b.ops[1],
        Op::Filter(Predicate::Expr(Expr::Binary(BinaryOp::Link, _, _)))
    ));
}

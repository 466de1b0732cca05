//! Acceptance against the pySigma CrowdStrike backend's own test expectations
//! (`../shared/data/pysigma-crowdstrike/cases.json`).
//!
//! For each case with an expected LogScale query, the rule is converted by saker, both queries
//! are compiled by the CQL front-end and run by the engine over events generated from the
//! literals of the rule and of both queries: a matching value, mixed-case variants and near
//! misses for each, and events lacking each field (Falcon's `event_platform` and
//! `#event_simpleName` are on every event, so they vary but are never dropped). Both must hit
//! the same events, or the case is listed with the reason under "Documented differences" in
//! docs/conversion.md (and a listed case must still differ). Each expected-error case must be
//! refused, unless listed there as converted on purpose.
//!
//! Not compared: the `crowdstrike_fdr` cases' expected text is pySigma's generic test-backend
//! syntax (`a="x" and b in (…)`), not LogScale (their expected errors are still checked); the
//! three `shadowed` cases are never run by pySigma's own test suite (a later test function
//! with the same name replaces them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex_syntax::hir::{Class, Hir, HirKind};
use saker_event::Event;
use saker_plan::{ArgValue, Matcher, Op, Plan, Predicate};

/// Fields every Falcon event carries: varied, never dropped.
const HEADER_FIELDS: [&str; 2] = ["event_platform", "#event_simpleName"];

struct Case {
    name: String,
    pipeline: Option<String>,
    rule: String,
    expected: Option<String>,
    substring: bool,
    error: bool,
    shadowed: bool,
    placeholders: bool,
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.join("data/pysigma-crowdstrike/cases.json")
        .exists()
        .then_some(p)
}

fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).expect("cases.json is readable");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let str_of =
        |c: &serde_json::Value, k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    doc["cases"]
        .as_array()
        .expect("a list of cases")
        .iter()
        .map(|c| Case {
            name: str_of(c, "name").unwrap_or_default(),
            pipeline: str_of(c, "pipeline"),
            rule: str_of(c, "sigma_rule_yaml").unwrap_or_default(),
            expected: str_of(c, "expected_query"),
            substring: str_of(c, "expected_result_form").is_some_and(|f| f.contains("substring")),
            error: c.get("expected_error").is_some_and(|e| !e.is_null()),
            shadowed: str_of(c, "note").is_some_and(|n| n.contains("shadowed")),
            placeholders: str_of(c, "pipeline_extra").is_some_and(|n| n.contains("\"var\"")),
        })
        .collect()
}

/// Case names listed under "Documented differences" in docs/conversion.md.
fn documented() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/conversion.md"),
    )
    .expect("docs/conversion.md is readable");
    let section = doc
        .split("### Documented differences")
        .nth(1)
        .and_then(|s| s.split("\n#").next())
        .expect("docs/conversion.md has a `### Documented differences` section");
    section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| t.starts_with("test_"))
        .map(str::to_owned)
        .collect()
}

/// saker's conversion: the rule's plan (as run natively) and the CQL text, or the refusal.
fn convert(case: &Case) -> Result<(Plan, String), String> {
    let mut placeholders = saker_sigma::Placeholders::new();
    if case.placeholders {
        placeholders.insert(
            "var".into(),
            vec!["foo.exe".into(), "bar.exe".into(), "test.exe".into()],
        );
    }
    let target = if case.pipeline.is_some() {
        saker_sigma::Target::Falcon
    } else {
        saker_sigma::Target::Raw
    };
    let opts = saker_sigma::Options {
        target,
        pipelines: Vec::new(),
        placeholders,
    };
    let set = saker_sigma::load_sources(&[(PathBuf::from("case.yml"), case.rule.clone())], &opts);
    let Some(rule) = set.rules.first() else {
        return Err(set
            .refused
            .first()
            .map_or("not loaded".into(), |r| r.diagnostic.message.clone()));
    };
    if target == saker_sigma::Target::Falcon {
        saker_sigma::check_mapped(rule, target)?;
    }
    let c = saker_emit::convert(&rule.plan, saker_emit::Target::Cql, &Default::default())
        .map_err(|r| r.reason)?;
    Ok((rule.plan.clone(), c.text))
}

fn compile(query: &str) -> Plan {
    saker_cql::compile(query, &Default::default()).unwrap_or_else(|d| {
        panic!(
            "does not compile: {query}\n{:?}",
            d.iter().map(|d| &d.message).collect::<Vec<_>>()
        )
    })
}

// ---- literals of a plan ----

fn plan_tests(plan: &Plan, out: &mut Vec<(String, Vec<String>)>) {
    for op in &plan.ops {
        if let Op::Filter(p) = op {
            predicate_tests(p, out);
        }
    }
}

fn predicate_tests(p: &Predicate, out: &mut Vec<(String, Vec<String>)>) {
    match p {
        Predicate::And(v) | Predicate::Or(v) => v.iter().for_each(|p| predicate_tests(p, out)),
        Predicate::Not(p) => predicate_tests(p, out),
        Predicate::Field { field, matcher } => out.push((field.clone(), samples(matcher))),
        Predicate::Call(c) => {
            let field = c.args.iter().find_map(|a| match (&a.name[..], &a.value) {
                ("field", ArgValue::Word(f) | ArgValue::Str(f)) => Some(f.clone()),
                _ => None,
            });
            let mut values = Vec::new();
            for a in &c.args {
                collect_arg_values(&a.value, &mut values);
            }
            if let Some(f) = field {
                let subnets = values.iter().flat_map(|v| cidr_samples(v)).collect();
                out.push((f, subnets));
            }
        }
        _ => {}
    }
}

fn collect_arg_values(v: &ArgValue, out: &mut Vec<String>) {
    match v {
        ArgValue::Str(s) | ArgValue::Word(s) | ArgValue::Num(s) => out.push(s.clone()),
        ArgValue::Array(a) => a.iter().for_each(|v| collect_arg_values(v, out)),
        _ => {}
    }
}

/// Values a matcher accepts (the regex, glob or literal read back as text).
fn samples(m: &Matcher) -> Vec<String> {
    match m {
        Matcher::Equals { value, .. } => vec![value.clone()],
        Matcher::Contains { value, .. } => vec![value.clone(), format!("pre {value} post")],
        Matcher::StartsWith { value, .. } => vec![value.clone(), format!("{value} post")],
        Matcher::EndsWith { value, .. } => vec![value.clone(), format!("pre {value}")],
        Matcher::Glob { pattern, .. } => {
            vec![pattern.replace('*', ""), pattern.replace('*', "x\ny")]
        }
        Matcher::AnyOf { values, glob, .. } => values
            .iter()
            .map(|v| if *glob { v.replace('*', "") } else { v.clone() })
            .collect(),
        Matcher::Regex { pattern, .. } => regex_samples(pattern),
        Matcher::Cidr { subnets } => subnets.iter().flat_map(|s| cidr_samples(s)).collect(),
        Matcher::Compare { value, .. } => vec![value.to_string(), (value + 1.0).to_string()],
        _ => vec!["x".into()],
    }
}

fn cidr_samples(net: &str) -> Vec<String> {
    let addr = net.split('/').next().unwrap_or(net);
    let Ok(std::net::IpAddr::V4(ip)) = addr.parse::<std::net::IpAddr>() else {
        return Vec::new();
    };
    let o = ip.octets();
    vec![
        format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3].wrapping_add(1)),
        format!("{}.{}.{}.{}", o[0].wrapping_add(1), o[1], o[2], o[3]),
    ]
}

/// Strings a regex matches: the first choice everywhere, and each other choice on its own.
fn regex_samples(pattern: &str) -> Vec<String> {
    match regex_syntax::Parser::new().parse(pattern) {
        Ok(h) => generate(&h),
        Err(_) => Vec::new(),
    }
}

fn generate(h: &Hir) -> Vec<String> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(l) => vec![String::from_utf8_lossy(&l.0).into_owned()],
        HirKind::Class(c) => {
            let has = |ch: char| match c {
                Class::Unicode(u) => u.ranges().iter().any(|r| r.start() <= ch && ch <= r.end()),
                Class::Bytes(b) => b
                    .ranges()
                    .iter()
                    .any(|r| (r.start() as char) <= ch && ch <= (r.end() as char)),
            };
            let mut out: Vec<String> = ['1', 'a', 'Z', '-', '\\']
                .into_iter()
                .filter(|c| has(*c))
                .take(2)
                .map(String::from)
                .collect();
            // A "any character" class: also try a newline, which `.` without `d` refuses.
            if has('a') && has('1') && has('#') {
                out.push("\n".into());
            }
            if out.is_empty() {
                let first = match c {
                    Class::Unicode(u) => u.ranges().first().map(|r| r.start()),
                    Class::Bytes(b) => b.ranges().first().map(|r| r.start() as char),
                };
                out.extend(first.map(String::from));
            }
            out
        }
        HirKind::Repetition(r) => {
            let sub = generate(&r.sub);
            let mut counts = vec![r.min];
            if r.max.is_none_or(|m| m > r.min) {
                counts.push(r.min + 1);
            }
            if r.min == 0 && r.max.is_none_or(|m| m >= 2) {
                counts.push(2);
            }
            let mut out = Vec::new();
            for n in counts {
                for s in &sub {
                    out.push(s.repeat(n as usize));
                }
            }
            out
        }
        HirKind::Capture(c) => generate(&c.sub),
        HirKind::Concat(parts) => {
            let subs: Vec<Vec<String>> = parts.iter().map(generate).collect();
            let base: Vec<&str> = subs
                .iter()
                .map(|s| s.first().map_or("", String::as_str))
                .collect();
            let mut out = vec![base.concat()];
            for (i, alts) in subs.iter().enumerate() {
                for alt in alts.iter().skip(1) {
                    let mut v = base.clone();
                    v[i] = alt;
                    out.push(v.concat());
                }
            }
            out
        }
        HirKind::Alternation(alts) => alts.iter().flat_map(generate).collect(),
    }
}

/// A value, its case variants and near misses.
fn variants(v: &str) -> Vec<String> {
    let mut out = vec![v.to_owned(), v.to_uppercase(), v.to_lowercase()];
    out.push(
        v.chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
    );
    let chars: Vec<char> = v.chars().collect();
    if chars.len() > 1 {
        out.push(chars[1..].iter().collect());
        out.push(chars[..chars.len() - 1].iter().collect());
        let mid = chars.len() / 2;
        let mut changed = chars.clone();
        changed[mid] = if changed[mid] == '#' { '%' } else { '#' };
        out.push(changed.into_iter().collect());
    }
    out.push(format!("x{v}"));
    out.push(format!("{v}x"));
    out.push(format!("x\\{v}"));
    out
}

// ---- events ----

struct Generated {
    events: Vec<Event>,
}

fn generate_events(plans: &[&Plan], vary_headers: bool) -> Generated {
    // Per plan, per field: the values its tests accept.
    let per_plan: Vec<Vec<(String, Vec<String>)>> = plans
        .iter()
        .map(|p| {
            let mut v = Vec::new();
            plan_tests(p, &mut v);
            v
        })
        .collect();
    let mut pool: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for tests in &per_plan {
        for (field, values) in tests {
            let entry = pool.entry(field.clone()).or_default();
            for v in values {
                for x in variants(v) {
                    if !entry.contains(&x) {
                        entry.push(x);
                    }
                }
            }
        }
    }
    let first_sample = |tests: &[(String, Vec<String>)], field: &str| {
        tests
            .iter()
            .filter(|(f, _)| f == field)
            .find_map(|(_, v)| v.first().cloned())
    };
    let mut bases: Vec<BTreeMap<String, String>> = Vec::new();
    for tests in &per_plan {
        let mut base = BTreeMap::new();
        for field in pool.keys() {
            let value = first_sample(tests, field)
                .or_else(|| per_plan.iter().find_map(|t| first_sample(t, field)))
                .unwrap_or_default();
            base.insert(field.clone(), value);
        }
        if !bases.contains(&base) {
            bases.push(base);
        }
    }
    let header = |f: &str| HEADER_FIELDS.contains(&f);
    let mut seen = BTreeSet::new();
    let mut assignments: Vec<BTreeMap<String, String>> = Vec::new();
    let mut add = |a: BTreeMap<String, String>| {
        if seen.insert(format!("{a:?}")) {
            assignments.push(a);
        }
    };
    for base in &bases {
        add(base.clone());
        for (field, values) in &pool {
            if header(field) && !vary_headers {
                continue;
            }
            if !header(field) {
                let mut a = base.clone();
                a.remove(field);
                add(a);
            }
            for v in values {
                let mut a = base.clone();
                a.insert(field.clone(), v.clone());
                add(a.clone());
                // The same value with another field missing, so that an `or` between fields
                // does not hide it.
                for other in pool.keys().filter(|g| *g != field && !header(g)) {
                    let mut b = a.clone();
                    b.remove(other);
                    add(b);
                }
            }
        }
        let fields: Vec<&String> = pool.keys().filter(|f| !header(f)).collect();
        for (i, f) in fields.iter().enumerate() {
            for g in &fields[i + 1..] {
                let mut a = base.clone();
                a.remove(*f);
                a.remove(*g);
                add(a);
            }
        }
    }
    let events = assignments
        .into_iter()
        .map(|a| {
            let mut e = Event::new();
            for (k, v) in a {
                e.set_by_name(&k, v);
            }
            e
        })
        .collect();
    Generated { events }
}

fn hits(plan: &Plan, events: &[Event]) -> Vec<bool> {
    let q = saker_exec::Query::compile(plan, &Default::default())
        .unwrap_or_else(|e| panic!("the engine refuses {plan:?}: {e}"));
    events
        .iter()
        .map(|e| !q.run_all([e.clone()]).is_empty())
        .collect()
}

fn show(e: &Event) -> String {
    e.iter()
        .map(|(k, v)| format!("{}={v:?}", k.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first event on which the two queries disagree, with who hit it.
fn first_difference(case: &Case, saker_query: &str) -> Option<String> {
    let expected = case.expected.as_deref().unwrap_or_default();
    let ours = compile(saker_query);
    let theirs = match saker_cql::compile(expected, &Default::default()) {
        Ok(p) => p,
        Err(d) => {
            return Some(format!(
                "the expected query does not compile: {}",
                d.first().map_or("", |d| d.message.as_str())
            ));
        }
    };
    let native = convert(case).ok().map(|(p, _)| p);
    let mut plans = vec![&ours, &theirs];
    if let Some(p) = &native {
        plans.push(p);
    }
    let generated = generate_events(&plans, !case.substring);
    let a = hits(&ours, &generated.events);
    let b = hits(&theirs, &generated.events);
    assert!(
        a.iter().any(|h| *h),
        "{}: no generated event hits saker's query\n{saker_query}",
        case.name
    );
    assert!(
        b.iter().any(|h| *h),
        "{}: no generated event hits the expected query\n{expected}",
        case.name
    );
    // saker's query and the rule run natively agree on every event.
    if let Some(p) = &native {
        let n = hits(p, &generated.events);
        if let Some(i) = (0..n.len()).find(|&i| n[i] != a[i]) {
            panic!(
                "{}: the converted query and the native rule disagree on {}",
                case.name,
                show(&generated.events[i])
            );
        }
    }
    (0..a.len()).find(|&i| a[i] != b[i]).map(|i| {
        format!(
            "{} only: {}",
            if a[i] { "saker" } else { "expected" },
            show(&generated.events[i])
        )
    })
}

#[test]
fn pysigma_crowdstrike_cases() {
    let Some(shared) = shared() else {
        eprintln!("skipped: corpus absent");
        return;
    };
    let cases = read_cases(&shared.join("data/pysigma-crowdstrike/cases.json"));
    let documented = documented();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let (mut same, mut differ, mut refused, mut skipped) = (0, 0, 0, 0);
    for case in &cases {
        if case.shadowed {
            skipped += 1;
            report.push(format!(
                "skipped (shadowed, never run by pySigma): {}",
                case.name
            ));
            continue;
        }
        let listed = documented.contains(&case.name);
        let converted = convert(case);
        if case.error {
            match (&converted, listed) {
                (Err(_), false) => refused += 1,
                (Ok(_), true) => report.push(format!("converted on purpose: {}", case.name)),
                (Err(r), true) => failures.push(format!(
                    "{}: listed as converted on purpose but refused: {r}",
                    case.name
                )),
                (Ok((_, q)), false) => failures.push(format!(
                    "{}: pySigma refuses this rule, saker converts it:\n{q}",
                    case.name
                )),
            }
            continue;
        }
        if case.pipeline.as_deref() == Some("crowdstrike_fdr") {
            skipped += 1;
            report.push(format!(
                "skipped (expected text is pySigma's generic test syntax): {}",
                case.name
            ));
            continue;
        }
        let query = match converted {
            Ok((_, q)) => q,
            Err(r) => {
                if listed {
                    report.push(format!("refused on purpose: {}: {r}", case.name));
                } else {
                    failures.push(format!("{}: refused: {r}", case.name));
                }
                continue;
            }
        };
        match (first_difference(case, &query), listed) {
            (None, false) => same += 1,
            (Some(d), true) => {
                differ += 1;
                report.push(format!("documented difference: {}: {d}", case.name));
            }
            (None, true) => failures.push(format!(
                "{}: listed under documented differences but both queries hit the same events",
                case.name
            )),
            (Some(d), false) => failures.push(format!(
                "{}: undocumented difference: {d}\nsaker:    {query}\nexpected: {}",
                case.name,
                case.expected.as_deref().unwrap_or_default()
            )),
        }
    }
    eprintln!(
        "{} cases: {same} same hits, {differ} documented differences, {refused} expected errors refused, {skipped} skipped\n{}",
        cases.len(),
        report.join("\n")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The counts docs/conversion.md states.
    assert_eq!(
        (same, differ, refused, skipped),
        (17, 16, 15, 9),
        "update the summary in docs/conversion.md"
    );
}

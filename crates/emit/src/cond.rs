//! The filter part of a plan in negation normal form, shared by every printer.
//!
//! `not` is pushed down to the field tests so that each printer decides, per language, what a
//! negated test does on an event without the field (LogScale and Sigma: it passes).

use saker_plan::{Call, Expr, Matcher, Op, Plan, Predicate};

use crate::Refusal;

/// A boolean combination of tests, with `not` only on tests.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    True,
    False,
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Test { test: Test, negated: bool },
}

/// One test of an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Field { field: String, matcher: Matcher },
    FreeText(Matcher),
    Call(Call),
    Expr(Expr),
}

impl Cond {
    /// Builds the normal form of a predicate.
    pub fn from_predicate(p: &Predicate) -> Cond {
        build(p, false)
    }

    /// The conjunction of a plan's stages, when every stage is a filter.
    pub fn from_filter_plan(plan: &Plan) -> Result<Cond, Refusal> {
        let mut parts = Vec::with_capacity(plan.ops.len());
        for op in &plan.ops {
            match op {
                Op::Filter(p) => parts.push(Cond::from_predicate(p)),
                other => {
                    return Err(Refusal::new(format!(
                        "the plan has a {} stage; only filters can be converted",
                        op_name(other)
                    )));
                }
            }
        }
        Ok(and(parts))
    }

    /// Visits every test in the tree.
    pub fn tests(&self) -> Vec<(&Test, bool)> {
        let mut out = Vec::new();
        self.collect_tests(&mut out);
        out
    }

    fn collect_tests<'a>(&'a self, out: &mut Vec<(&'a Test, bool)>) {
        match self {
            Cond::True | Cond::False => {}
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| c.collect_tests(out)),
            Cond::Test { test, negated } => out.push((test, *negated)),
        }
    }
}

fn op_name(op: &Op) -> String {
    match op {
        Op::Filter(_) => "filter".into(),
        Op::Assign(_) => "assignment".into(),
        Op::Case(_) => "case".into(),
        Op::Match { .. } => "match".into(),
        Op::Call(c) => format!("`{}()`", c.name),
        Op::Correlate(_) => "correlation".into(),
    }
}

fn build(p: &Predicate, negated: bool) -> Cond {
    match p {
        Predicate::True => bool_cond(!negated),
        Predicate::False => bool_cond(negated),
        Predicate::Not(inner) => build(inner, !negated),
        Predicate::And(v) => {
            let parts = v.iter().map(|c| build(c, negated)).collect();
            if negated { or(parts) } else { and(parts) }
        }
        Predicate::Or(v) => {
            let parts = v.iter().map(|c| build(c, negated)).collect();
            if negated { and(parts) } else { or(parts) }
        }
        Predicate::Field { field, matcher } => field_test(field, matcher, negated),
        Predicate::FreeText(m) => Cond::Test {
            test: Test::FreeText(m.clone()),
            negated,
        },
        Predicate::Call(c) => {
            let mut call = c.clone();
            let neg = negated ^ call.negated;
            call.negated = false;
            Cond::Test {
                test: Test::Call(call),
                negated: neg,
            }
        }
        Predicate::Expr(e) => Cond::Test {
            test: Test::Expr(e.clone()),
            negated,
        },
    }
}

/// `Exists`/`Absent` are each other's negation; keep them positive so printers see one shape.
fn field_test(field: &str, matcher: &Matcher, negated: bool) -> Cond {
    let (matcher, negated) = match (matcher, negated) {
        (Matcher::Absent, true) => (Matcher::Exists, false),
        (Matcher::Exists, true) => (Matcher::Absent, false),
        (m, n) => (m.clone(), n),
    };
    Cond::Test {
        test: Test::Field {
            field: field.to_string(),
            matcher,
        },
        negated,
    }
}

fn bool_cond(b: bool) -> Cond {
    if b { Cond::True } else { Cond::False }
}

/// Conjunction, flattened and simplified.
pub fn and(parts: Vec<Cond>) -> Cond {
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Cond::True => {}
            Cond::False => return Cond::False,
            Cond::And(v) => out.extend(v),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Cond::True,
        1 => out.pop().unwrap_or(Cond::True),
        _ => Cond::And(out),
    }
}

/// Disjunction, flattened and simplified.
pub fn or(parts: Vec<Cond>) -> Cond {
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Cond::False => {}
            Cond::True => return Cond::True,
            Cond::Or(v) => out.extend(v),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Cond::False,
        1 => out.pop().unwrap_or(Cond::False),
        _ => Cond::Or(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(f: &str, v: &str) -> Predicate {
        Predicate::field(
            f,
            Matcher::Equals {
                value: v.into(),
                case_insensitive: true,
            },
        )
    }

    #[test]
    fn not_is_pushed_to_the_tests() {
        let p = Predicate::Not(Box::new(Predicate::And(vec![eq("a", "1"), eq("b", "2")])));
        let c = Cond::from_predicate(&p);
        let Cond::Or(parts) = c else {
            panic!("expected or, got {c:?}")
        };
        assert_eq!(parts.len(), 2);
        assert!(
            parts
                .iter()
                .all(|p| matches!(p, Cond::Test { negated: true, .. }))
        );
    }

    #[test]
    fn double_negation_cancels_and_absent_flips() {
        let p = Predicate::Not(Box::new(Predicate::Not(Box::new(eq("a", "1")))));
        assert!(matches!(
            Cond::from_predicate(&p),
            Cond::Test { negated: false, .. }
        ));
        let p = Predicate::Not(Box::new(Predicate::field("a", Matcher::Absent)));
        assert_eq!(
            Cond::from_predicate(&p),
            Cond::Test {
                test: Test::Field {
                    field: "a".into(),
                    matcher: Matcher::Exists
                },
                negated: false
            }
        );
    }

    #[test]
    fn constants_simplify() {
        let p = Predicate::And(vec![Predicate::True, eq("a", "1")]);
        assert!(matches!(Cond::from_predicate(&p), Cond::Test { .. }));
        let p = Predicate::Or(vec![
            Predicate::False,
            Predicate::Not(Box::new(Predicate::False)),
        ]);
        assert_eq!(Cond::from_predicate(&p), Cond::True);
    }

    #[test]
    fn non_filter_stages_are_refused() {
        let plan = Plan::new(vec![Op::Call(Call::new("groupBy"))]);
        let err = Cond::from_filter_plan(&plan).unwrap_err();
        assert!(err.reason.contains("groupBy"), "{}", err.reason);
    }
}

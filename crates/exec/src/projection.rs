//! The fields a plan reads, so readers decode only those (ARCHITECTURE "Speed": decode only the
//! fields the plan reads).
//!
//! The analysis is conservative: it answers only for plans whose output is not whole events (they
//! end in `select`, `table` or an aggregate, after which only the stage's own output fields remain)
//! and whose every stage is one it understands: field filters, assignments of plain expressions,
//! `case`, `match`, and a few functions whose arguments are all field names or enum words. Anything
//! else (free text, which searches every value and `@rawstring`; filter or expression functions; a
//! query parameter as an argument; any other function) gives `None`: decode everything.
//! Naming extra fields is harmless (an enum word such as `desc` becomes a field nobody reads), so
//! functions contribute every word and string of their arguments.

use std::collections::BTreeSet;

use saker_plan::{ArgValue, Call, Expr, Guard, Op, Plan, Predicate};

/// The fields `plan` reads, when every event field it can ever look at is known and its output
/// is not whole events; `None` otherwise.
pub fn fields_read(plan: &Plan) -> Option<BTreeSet<String>> {
    let mut reads = Reads::default();
    match reads.ops(&plan.ops, false)? {
        Flow::Done => Some(reads.fields),
        Flow::Continue => None,
    }
}

/// Whether later stages still see the input event's fields.
enum Flow {
    Continue,
    /// The stage replaced events by rows of its own fields; later stages read only those.
    Done,
}

#[derive(Default)]
struct Reads {
    fields: BTreeSet<String>,
}

impl Reads {
    fn add(&mut self, f: &str) {
        self.fields.insert(f.to_owned());
    }

    /// `nested`: inside a `case` branch or `match` arm, where only streaming stages are expected.
    fn ops(&mut self, ops: &[Op], nested: bool) -> Option<Flow> {
        for op in ops {
            match op {
                Op::Filter(p) => self.predicate(p)?,
                Op::Assign(list) => {
                    for (_, e) in list {
                        self.expr(e)?;
                    }
                }
                Op::Case(branches) => {
                    for b in branches {
                        match self.ops(&b.ops, true)? {
                            Flow::Continue => {}
                            Flow::Done => return None,
                        }
                    }
                }
                Op::Match { field, arms } => {
                    self.add(field);
                    for arm in arms {
                        match &arm.guard {
                            Guard::Any | Guard::Matcher(_) => {}
                            Guard::Call(_) => return None,
                        }
                        match self.ops(&arm.body.ops, true)? {
                            Flow::Continue => {}
                            Flow::Done => return None,
                        }
                    }
                }
                Op::Call(call) => {
                    if call.negated {
                        return None;
                    }
                    match self.call(call)? {
                        Flow::Continue => {}
                        Flow::Done if nested => return None,
                        Flow::Done => return Some(Flow::Done),
                    }
                }
                Op::Correlate(_) => return None,
            }
        }
        Some(Flow::Continue)
    }

    fn predicate(&mut self, p: &Predicate) -> Option<()> {
        match p {
            Predicate::True | Predicate::False => Some(()),
            Predicate::And(ps) | Predicate::Or(ps) => ps.iter().try_for_each(|p| self.predicate(p)),
            Predicate::Not(p) => self.predicate(p),
            Predicate::Field { field, .. } => {
                self.add(field);
                Some(())
            }
            Predicate::FreeText(_) | Predicate::Call(_) => None,
            Predicate::Expr(e) => self.expr(e),
        }
    }

    fn expr(&mut self, e: &Expr) -> Option<()> {
        match e {
            Expr::Str(_) | Expr::Num(_) | Expr::Bool(_) => Some(()),
            Expr::Field(f) => {
                self.add(f);
                Some(())
            }
            Expr::Unary(_, e) => self.expr(e),
            Expr::Binary(_, a, b) => {
                self.expr(a)?;
                self.expr(b)
            }
            Expr::Call(_) => None,
        }
    }

    fn call(&mut self, call: &Call) -> Option<Flow> {
        let name = call.name.to_ascii_lowercase();
        match name.as_str() {
            "select" => {
                self.words(call, &[])?;
                Some(Flow::Done)
            }
            "table" => {
                self.words(call, &[])?;
                self.add(saker_event::names::TIMESTAMP);
                Some(Flow::Done)
            }
            "sort" | "head" | "tail" => {
                self.words(call, &[])?;
                self.add(saker_event::names::TIMESTAMP);
                self.add("_count");
                Some(Flow::Continue)
            }
            "groupby" | "stats" => {
                self.words(call, &["function"])?;
                // Without `function`: groupBy's default is count(); stats() reads nothing.
                if let Some(a) = call
                    .args
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case("function"))
                {
                    self.functions(&a.value)?;
                }
                Some(Flow::Done)
            }
            _ if simple_aggregate(&name) => {
                self.words(call, &[])?;
                Some(Flow::Done)
            }
            _ => None,
        }
    }

    /// The aggregates of a `function=` argument: `count()`, `[count(), max(x)]`, `{ … }`.
    fn functions(&mut self, v: &ArgValue) -> Option<()> {
        match v {
            ArgValue::Call(c) if !c.negated && simple_aggregate(&c.name.to_ascii_lowercase()) => {
                self.words(c, &[]).map(|_| ())
            }
            ArgValue::Array(items) => items.iter().try_for_each(|i| self.functions(i)),
            ArgValue::Plan(p) => p.ops.iter().try_for_each(|op| match op {
                Op::Call(c) => self.functions(&ArgValue::Call(c.clone())),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Adds every word and string of `call`'s arguments (except those named in `skip`) as a field.
    fn words(&mut self, call: &Call, skip: &[&str]) -> Option<()> {
        for a in &call.args {
            if skip.iter().any(|s| a.name.eq_ignore_ascii_case(s)) {
                continue;
            }
            self.arg_words(&a.value)?;
        }
        Some(())
    }

    fn arg_words(&mut self, v: &ArgValue) -> Option<()> {
        match v {
            ArgValue::Str(s) | ArgValue::Word(s) => {
                self.add(s);
                Some(())
            }
            ArgValue::Num(_) => Some(()),
            ArgValue::Array(items) => items.iter().try_for_each(|i| self.arg_words(i)),
            ArgValue::Regex { .. }
            | ArgValue::Plan(_)
            | ArgValue::Call(_)
            | ArgValue::Expr(_)
            | ArgValue::Param(_) => None,
        }
    }
}

/// Aggregates that read only the fields named in their arguments and emit one row of their own.
fn simple_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count" | "sum" | "avg" | "min" | "max" | "range" | "stddev"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(q: &str) -> Option<Vec<String>> {
        let plan = match saker_cql::compile(q, &saker_cql::CompileOptions::default()) {
            Ok(p) => p,
            Err(d) => panic!("{q}: {d:?}"),
        };
        fields_read(&plan).map(|s| s.into_iter().collect())
    }

    fn set(names: &[&str]) -> Option<Vec<String>> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort();
        Some(v)
    }

    #[test]
    fn whole_event_output_needs_every_field() {
        assert_eq!(reads("ComputerName = x"), None);
        assert_eq!(reads("ComputerName = x | sort(ComputerName)"), None);
        assert_eq!(reads("x := 1"), None);
    }

    #[test]
    fn aggregates_and_projections_name_their_fields() {
        assert_eq!(
            reads("groupBy(ComputerName, function=count())"),
            set(&["ComputerName"])
        );
        assert_eq!(reads("groupBy(ComputerName)"), set(&["ComputerName"]));
        assert_eq!(
            reads("a = 1 | groupBy([h, u], function=[count(), max(n), sum(field=s)])"),
            set(&["a", "h", "n", "s", "u"])
        );
        assert_eq!(reads("count()"), set(&[]));
        assert_eq!(reads("select([a, b])"), set(&["a", "b"]));
        // After an aggregate only its rows flow on, so later stages add nothing.
        assert_eq!(reads("count() | x := 1"), set(&[]));
        let table = reads("z = 1 | table([a, b], sortby=c)").unwrap_or_default();
        for f in ["a", "b", "c", "z", "@timestamp"] {
            assert!(table.contains(&f.to_owned()), "{f} in {table:?}");
        }
    }

    #[test]
    fn stages_before_the_projection_add_what_they_read() {
        let q = r#"#event_simpleName = /^(A|B)$/ | RegObjectName = /(?i)x\\y/
            | not FileName = /^svchost\.exe$/
            | case { RegObjectName = /Root/ | StoreType := "R"; * | StoreType := "O" }
            | t := concat_not_a_call | u := v + 1
            | select([_time, ComputerName, StoreType, ParentProcessName])
            | sort(field=_time, order=desc)"#;
        assert_eq!(
            reads(q),
            set(&[
                "#event_simpleName",
                "ComputerName",
                "FileName",
                "ParentProcessName",
                "RegObjectName",
                "StoreType",
                "_time",
                "concat_not_a_call",
                "v",
            ])
        );
        assert_eq!(reads("test(a > 1) | select(b)"), set(&["a", "b"]));
        let m = reads("h match { a => x := y ; * => x := z } | select(x)");
        assert_eq!(m, set(&["h", "x", "y", "z"]));
    }

    #[test]
    fn anything_not_understood_reads_everything() {
        for q in [
            "foo | count()",
            "\"free text\" | select(a)",
            "regex(\"(?<x>a)\", field=f) | select(x)",
            "format(\"%s\", field=a, as=b) | select(b)",
            "in(a, values=[x]) | count()",
            "b := lower(a) | select(b)",
            "groupBy(a, function=collect(b))",
            "top(a)",
            "parseJson() | select(a)",
            "case { a = 1 | select(b) ; * } | count()",
        ] {
            assert_eq!(reads(q), None, "{q}");
        }
    }
}

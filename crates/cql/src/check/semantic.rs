//! Checks of calls against the function catalogue: unknown functions and parameters, missing
//! and duplicate parameters, unnamed arguments, argument shapes.

use saker_diag::{Diagnostic, Kind};
use saker_plan::catalog::{self, FunctionSpec, ParamKind};

use super::walk::{Visitor, walk_pipeline};
use crate::ast::{ArgValue, Call, Query, ValueKind};
use crate::codes;

pub fn check(q: &Query) -> Vec<Diagnostic> {
    let mut v = Calls { out: Vec::new() };
    walk_pipeline(&q.pipeline, &mut v);
    v.out
}

struct Calls {
    out: Vec<Diagnostic>,
}

/// Edit distance (case-insensitive), for "did you mean".
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a third of the name's length.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

impl Visitor for Calls {
    fn call(&mut self, c: &Call) {
        if c.saved {
            return;
        }
        let Some(spec) = catalog::lookup(&c.name) else {
            let mut d = Diagnostic::error(
                Kind::Semantic,
                codes::UNKNOWN_FUNCTION,
                format!("unknown function `{}`", c.name),
                c.name_span.clone(),
            )
            .with_label("not a LogScale query function");
            if let Some(s) = suggest(&c.name, catalog::names()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else if c.name.contains(':') {
                d = d.with_help(format!(
                    "package functions are saved queries: call them as `$\"{}\"()`",
                    c.name
                ));
            }
            self.out.push(d);
            return;
        };
        if spec.name.eq_ignore_ascii_case("eval") {
            return;
        }
        self.params(c, spec);
    }
}

impl Calls {
    fn params(&mut self, c: &Call, spec: &'static FunctionSpec) {
        let mut seen: Vec<(&'static str, std::ops::Range<usize>)> = Vec::new();
        let mut unnamed_seen = false;
        for a in &c.args {
            if let ArgValue::NamedQuery { .. } = a.value {
                if spec.name != "correlate" {
                    self.out.push(Diagnostic::error(
                        Kind::Semantic,
                        codes::ARG_SHAPE,
                        format!(
                            "`name: {{…}}` queries are only accepted by `correlate()`, not `{}`",
                            spec.name
                        ),
                        a.span.clone(),
                    ));
                }
                continue;
            }
            let (param, span) = match &a.name {
                Some((n, span)) => match spec.param(n) {
                    Some(p) => (p, span.clone()),
                    None => {
                        let mut d = Diagnostic::error(
                            Kind::Semantic,
                            codes::UNKNOWN_PARAM,
                            format!("`{}` has no parameter `{n}`", spec.name),
                            span.clone(),
                        );
                        if let Some(s) = suggest(n, spec.params.iter().map(|p| p.name)) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        } else {
                            let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                            d = d.with_help(format!("parameters: {}", names.join(", ")));
                        }
                        self.out.push(d);
                        continue;
                    }
                },
                None => {
                    if unnamed_seen {
                        self.out.push(
                            Diagnostic::error(
                                Kind::Semantic,
                                codes::TOO_MANY_UNNAMED,
                                format!("`{}` takes at most one unnamed argument", spec.name),
                                a.span.clone(),
                            )
                            .with_help("name this argument (`name=value`)"),
                        );
                        continue;
                    }
                    unnamed_seen = true;
                    let Some(p) = spec.unnamed.and_then(|u| spec.param(u)) else {
                        self.out.push(Diagnostic::error(
                            Kind::Semantic,
                            codes::ARG_SHAPE,
                            format!("`{}` takes no unnamed argument", spec.name),
                            a.span.clone(),
                        ));
                        continue;
                    };
                    (p, a.span.clone())
                }
            };
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == param.name) {
                self.out.push(
                    Diagnostic::error(
                        Kind::Semantic,
                        codes::DUPLICATE_PARAM,
                        format!("parameter `{}` is given twice", param.name),
                        span.clone(),
                    )
                    .with_secondary(first.clone(), "first given here"),
                );
            }
            seen.push((param.name, span));
            self.shape(spec, param.name, param.kind, param.many, &a.value);
        }
        if c.receiver.is_some() {
            seen.push(("field", c.name_span.clone()));
        }
        if c.assign.is_some() {
            seen.push(("as", c.name_span.clone()));
        }
        for p in spec.params.iter().filter(|p| p.required) {
            if seen.iter().any(|(n, _)| *n == p.name) || alternative_given(spec, p.name, &seen) {
                continue;
            }
            self.out.push(
                Diagnostic::error(
                    Kind::Semantic,
                    codes::MISSING_PARAM,
                    format!("`{}` needs the parameter `{}`", spec.name, p.name),
                    c.span.clone(),
                )
                .with_label(format!("`{}` missing", p.name)),
            );
        }
    }

    fn shape(
        &mut self,
        spec: &FunctionSpec,
        name: &str,
        kind: ParamKind,
        many: bool,
        v: &ArgValue,
    ) {
        let problem = match (kind, v) {
            (ParamKind::Query, ArgValue::Query(_) | ArgValue::Call(_)) => None,
            (ParamKind::Query, ArgValue::Array(items, _)) if many => items
                .iter()
                .all(|i| matches!(i, ArgValue::Query(_)))
                .then_some(())
                .map_or(Some("a list of `{ … }` subqueries"), |_| None),
            (ParamKind::Query, ArgValue::Value(v)) if matches!(v.kind, ValueKind::Param { .. }) => {
                None
            }
            (ParamKind::Query, _) => Some("a `{ … }` subquery"),
            (ParamKind::Function, ArgValue::Value(_)) => {
                Some("an aggregate call such as `count()`, a list `[…]` or `{ … }`")
            }
            (ParamKind::Field | ParamKind::Value | ParamKind::Array, ArgValue::Query(_)) => {
                Some("a value, not a subquery")
            }
            (ParamKind::Field | ParamKind::Value, ArgValue::Array(..)) if !many => {
                Some("a single value, not an array")
            }
            _ => None,
        };
        if let Some(expected) = problem {
            self.out.push(
                Diagnostic::error(
                    Kind::Semantic,
                    codes::ARG_SHAPE,
                    format!("`{}({name}=…)` expects {expected}", spec.name),
                    v.span(),
                )
                .with_label("wrong kind of argument"),
            );
        }
    }
}

/// Parameters that stand in for each other (`match(file=…)` or `match(table=…)`, …).
fn alternative_given(
    spec: &FunctionSpec,
    missing: &str,
    seen: &[(&str, std::ops::Range<usize>)],
) -> bool {
    let has = |n: &str| seen.iter().any(|(s, _)| *s == n);
    match (spec.name, missing) {
        ("cidr", "subnet") => has("file"),
        ("rename", "as") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("gropuBy", catalog::names()), Some("groupBy"));
        assert_eq!(suggest("tabel", catalog::names()), Some("table"));
        assert_eq!(suggest("zzzzzzzz", catalog::names()), None);
    }
}

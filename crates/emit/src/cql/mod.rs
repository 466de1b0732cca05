//! Plan → CQL (LogScale).
//!
//! Sigma's case-insensitive string tests become case-insensitive regex literals (`/…/i`, with `d`
//! when a wildcard must also cross newlines); tests whose case cannot matter (no cased letters)
//! and case-sensitive ones stay plain strings or globs. A negated test is printed with `!=`/`not`,
//! which LogScale lets through on events without the field, as Sigma does
//! (https://library.humio.com/data-analysis/syntax-operators.html).

mod correlate;
mod expr;
pub mod syntax;

use saker_event::format_number;
use saker_plan::{CmpOp, Matcher, Op, Plan, RegexDialect};

use crate::cond::{Cond, Test};
use crate::regex::{Dialect, check_sigma_pattern, escape_literal, sigma_to_logscale_body};
use crate::shape::{Shape, ShapeKind};
use crate::{Caveats, Conversion, Refusal};
use syntax::{Arg, Filter, FnCall, Value};

/// Converts a plan (filters, or one correlation) to CQL.
pub fn convert(plan: &Plan) -> Result<Conversion, Refusal> {
    let mut caveats = Caveats::default();
    let text = match plan.ops.as_slice() {
        [Op::Correlate(c)] => correlate::print(c, &mut caveats)?,
        _ => {
            let cond = Cond::from_filter_plan(plan)?;
            syntax::print_query(&filter(&cond)?)
        }
    };
    Ok(Conversion {
        text,
        caveats: caveats.into_vec(),
    })
}

/// Converts a normal-form condition to a CQL filter.
pub fn filter(c: &Cond) -> Result<Filter, Refusal> {
    Ok(match c {
        Cond::True => Filter::All,
        Cond::False => Filter::Call(FnCall {
            name: "test".into(),
            negated: false,
            args: vec![(None, Arg::Raw("false".into()))],
        }),
        Cond::And(v) => Filter::And(v.iter().map(filter).collect::<Result<_, _>>()?),
        Cond::Or(v) => Filter::Or(v.iter().map(filter).collect::<Result<_, _>>()?),
        Cond::Test { test, negated } => test_filter(test, *negated)?,
    })
}

fn test_filter(t: &Test, negated: bool) -> Result<Filter, Refusal> {
    match t {
        Test::Field { field, matcher } => field_filter(field, matcher, negated),
        Test::FreeText(m) => free_text(m, negated),
        Test::Call(c) => {
            let mut call = expr::call(c)?;
            call.negated = negated;
            Ok(Filter::Call(call))
        }
        Test::Expr(e) => {
            let call = FnCall {
                name: "test".into(),
                negated,
                args: vec![(None, Arg::Raw(expr::expr(e)?))],
            };
            Ok(Filter::Call(call))
        }
    }
}

fn not_if(negated: bool, f: Filter) -> Filter {
    if negated { Filter::Not(Box::new(f)) } else { f }
}

fn field_filter(field: &str, m: &Matcher, negated: bool) -> Result<Filter, Refusal> {
    let field = field.to_string();
    let field_value = |value: Value, negated: bool| Filter::Field {
        field: field.clone(),
        negated,
        value,
    };
    Ok(match m {
        Matcher::Exists => field_value(Value::Star, negated),
        Matcher::Absent => field_value(Value::Star, !negated),
        Matcher::Regex {
            pattern,
            flags,
            dialect,
        } => field_value(regex_value(pattern, flags, *dialect)?, negated),
        Matcher::Compare { op, value } => {
            let number = format_number(*value).to_string();
            let f = match cmp_symbol(*op) {
                Some(sym) => Filter::Compare {
                    field: field.clone(),
                    op: sym,
                    number,
                },
                None => {
                    if !syntax::is_expr_identifier(&field) {
                        return Err(Refusal::new(format!(
                            "numeric equality on field `{field}`, whose name cannot be written in a CQL expression"
                        )));
                    }
                    let sym = if *op == CmpOp::Eq { "==" } else { "!=" };
                    Filter::Call(FnCall {
                        name: "test".into(),
                        negated: false,
                        args: vec![(None, Arg::Raw(format!("{field} {sym} {number}")))],
                    })
                }
            };
            not_if(negated, f)
        }
        Matcher::Cidr { subnets } => Filter::Call(FnCall {
            name: "cidr".into(),
            negated,
            args: vec![
                (None, Arg::Field(field.clone())),
                (
                    Some("subnet".into()),
                    Arg::Array(subnets.iter().map(|s| Arg::Str(s.clone())).collect()),
                ),
            ],
        }),
        Matcher::AnyOf {
            values,
            glob,
            case_insensitive,
        } => any_of(&field, values, *glob, *case_insensitive, negated),
        Matcher::Equals { .. }
        | Matcher::Glob { .. }
        | Matcher::Contains { .. }
        | Matcher::StartsWith { .. }
        | Matcher::EndsWith { .. } => field_value(shape_value(&string_shape(m)?), negated),
    })
}

/// The shape of a string matcher (every string matcher has one).
pub(crate) fn string_shape(m: &Matcher) -> Result<Shape, Refusal> {
    Shape::of(m)
        .ok_or_else(|| Refusal::new(format!("a {} test is not a string test", matcher_kind(m))))
}

/// `"text"` / `"glob*"` when case cannot matter and the text has no literal `*`, else a regex.
fn shape_value(shape: &Shape) -> Value {
    if shape.kind() == ShapeKind::Present {
        return Value::Star;
    }
    let plain = !shape.case_matters()
        && !shape.literal_contains('*')
        && shape.parts.iter().all(|p| syntax::quotable(p));
    if plain {
        Value::Str(shape.glob())
    } else {
        shape_regex(shape)
    }
}

fn shape_regex(shape: &Shape) -> Value {
    let (body, uses_dot) = shape.regex_body(escape_literal);
    Value::Regex {
        body: non_empty_body(body),
        flags: flags(shape.case_matters(), uses_dot),
    }
}

fn flags(case_insensitive: bool, dot_all: bool) -> String {
    let mut f = String::new();
    if case_insensitive {
        f.push('i');
    }
    if dot_all {
        f.push('d');
    }
    f
}

/// `//` would start a comment; an empty pattern is written `(?:)`.
fn non_empty_body(body: String) -> String {
    if body.is_empty() { "(?:)".into() } else { body }
}

fn regex_value(pattern: &str, flags: &str, dialect: RegexDialect) -> Result<Value, Refusal> {
    match dialect {
        RegexDialect::Sigma => {
            check_sigma_pattern(pattern, Dialect::LogScale)?;
            let mut out = String::new();
            for f in flags.chars() {
                let letter = match f {
                    'i' => 'i',
                    'm' => 'm',
                    's' => 'd',
                    other => {
                        return Err(Refusal::new(format!("unknown Sigma regex flag `{other}`")));
                    }
                };
                if !out.contains(letter) {
                    out.push(letter);
                }
            }
            Ok(Value::Regex {
                body: non_empty_body(sigma_to_logscale_body(pattern)),
                flags: out,
            })
        }
        RegexDialect::LogScale => Ok(Value::Regex {
            body: non_empty_body(escape_slashes(pattern)),
            flags: flags.to_string(),
        }),
    }
}

/// Escapes unescaped `/` outside character classes for a `/…/` literal.
fn escape_slashes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                if let Some(e) = chars.next() {
                    out.push(e);
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '/' if !in_class => out.push_str("\\/"),
            c => out.push(c),
        }
    }
    out
}

fn cmp_symbol(op: CmpOp) -> Option<&'static str> {
    match op {
        CmpOp::Lt => Some("<"),
        CmpOp::Le => Some("<="),
        CmpOp::Gt => Some(">"),
        CmpOp::Ge => Some(">="),
        CmpOp::Eq | CmpOp::Ne => None,
    }
}

fn any_of(field: &str, values: &[String], glob: bool, ci: bool, negated: bool) -> Filter {
    let shapes: Vec<Shape> = values
        .iter()
        .map(|v| Shape::of_value(v, glob, ci))
        .collect();
    if shapes.is_empty() {
        return not_if(
            !negated,
            Filter::Call(FnCall {
                name: "test".into(),
                negated: false,
                args: vec![(None, Arg::Raw("true".into()))],
            }),
        );
    }
    if shapes.iter().any(|s| s.kind() == ShapeKind::Present) {
        return Filter::Field {
            field: field.to_string(),
            negated,
            value: Value::Star,
        };
    }
    let plain = shapes.iter().all(|s| {
        !s.case_matters() && !s.literal_contains('*') && s.parts.iter().all(|p| syntax::quotable(p))
    });
    if plain {
        // `in()` treats `*` in values as a wildcard
        // (https://library.humio.com/data-analysis/functions-in.html).
        return Filter::Call(FnCall {
            name: "in".into(),
            negated,
            args: vec![
                (Some("field".into()), Arg::Field(field.to_string())),
                (
                    Some("values".into()),
                    Arg::Array(shapes.iter().map(|s| Arg::Str(s.glob())).collect()),
                ),
            ],
        });
    }
    let case_matters = shapes.iter().any(Shape::case_matters);
    let mut uses_dot = false;
    let all_anchored = shapes.iter().all(|s| s.anchored_start && s.anchored_end);
    let bodies: Vec<String> = shapes
        .iter()
        .map(|s| {
            let mut inner = s.clone();
            if all_anchored {
                inner.anchored_start = false;
                inner.anchored_end = false;
            }
            let (b, dot) = inner.regex_body(escape_literal);
            uses_dot |= dot;
            b
        })
        .collect();
    let body = if all_anchored {
        format!("^(?:{})$", bodies.join("|"))
    } else {
        bodies.join("|")
    };
    Filter::Field {
        field: field.to_string(),
        negated,
        value: Value::Regex {
            body,
            flags: flags(case_matters, uses_dot),
        },
    }
}

/// Keyword searches: applied by LogScale to `@rawstring` and every field.
fn free_text(m: &Matcher, negated: bool) -> Result<Filter, Refusal> {
    let value = if let Some(shape) = Shape::of(m) {
        match shape.kind() {
            ShapeKind::Present => return Ok(not_if(negated, Filter::All)),
            ShapeKind::Contains(text)
                if !shape.case_matters() && !text.contains('*') && syntax::quotable(text) =>
            {
                Value::Str(text.to_string())
            }
            _ => shape_regex(&shape),
        }
    } else {
        match m {
            Matcher::Regex {
                pattern,
                flags,
                dialect,
            } => regex_value(pattern, flags, *dialect)?,
            other => {
                return Err(Refusal::new(format!(
                    "a free-text test of kind {} has no CQL form",
                    matcher_kind(other)
                )));
            }
        }
    };
    Ok(not_if(negated, Filter::FreeText(value)))
}

pub(crate) fn matcher_kind(m: &Matcher) -> &'static str {
    match m {
        Matcher::Exists => "exists",
        Matcher::Absent => "absent",
        Matcher::Equals { .. } => "equals",
        Matcher::Glob { .. } => "glob",
        Matcher::Contains { .. } => "contains",
        Matcher::StartsWith { .. } => "startswith",
        Matcher::EndsWith { .. } => "endswith",
        Matcher::Regex { .. } => "regex",
        Matcher::Compare { .. } => "numeric comparison",
        Matcher::Cidr { .. } => "cidr",
        Matcher::AnyOf { .. } => "any-of",
    }
}

#[cfg(test)]
mod tests;

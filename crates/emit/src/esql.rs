//! Plan → ES|QL (Elasticsearch).
//!
//! ES|QL compares strings case-sensitively; a case-insensitive test lowers the field with
//! `TO_LOWER()` and compares with the lowered literal. `LIKE` patterns escape `*`, `?` and `\`
//! with a backslash, regexes go through `RLIKE` in Lucene syntax (anchored, no `(?i)`). A test
//! on a null field is null and `WHERE` drops the row, so a negated test adds `IS NULL OR …` to keep
//! events without the field as Sigma does
//! (https://www.elastic.co/guide/en/elasticsearch/reference/current/esql-functions-operators.html).

use saker_plan::{BinaryOp, CmpOp, Expr, Matcher, Op, Plan, RegexDialect};

use crate::cond::{Cond, Test};
use crate::lucene;
use crate::shape::{Shape, ShapeKind};
use crate::{Conversion, Options, Refusal};

pub fn convert(plan: &Plan, options: &Options) -> Result<Conversion, Refusal> {
    if plan.ops.iter().any(|op| matches!(op, Op::Correlate(_))) {
        return Err(Refusal::new(
            "correlation rules are converted to CQL only (ES|QL: not supported)",
        ));
    }
    let cond = Cond::from_filter_plan(plan)?;
    let body = match &cond {
        Cond::And(parts) => parts
            .iter()
            .map(|p| print(p, true))
            .collect::<Result<Vec<_>, _>>()?
            .join("\n    AND "),
        other => print(other, false)?,
    };
    let source = options.source.as_deref().unwrap_or("logs-*");
    Ok(Conversion {
        text: format!("FROM {source}\n| WHERE {body}"),
        caveats: Vec::new(),
    })
}

fn print(c: &Cond, nested: bool) -> Result<String, Refusal> {
    Ok(match c {
        Cond::True => "TRUE".into(),
        Cond::False => "FALSE".into(),
        Cond::And(v) => group(v, " AND ", nested)?,
        Cond::Or(v) => group(v, " OR ", nested)?,
        Cond::Test { test, negated } => test_text(test, *negated)?,
    })
}

fn group(v: &[Cond], sep: &str, nested: bool) -> Result<String, Refusal> {
    let s = v
        .iter()
        .map(|c| print(c, true))
        .collect::<Result<Vec<_>, _>>()?
        .join(sep);
    Ok(if nested { format!("({s})") } else { s })
}

fn test_text(t: &Test, negated: bool) -> Result<String, Refusal> {
    match t {
        Test::Field { field, matcher } => field_test(&column(field), matcher, negated),
        Test::FreeText(_) => Err(Refusal::new(
            "keyword (free-text) searches have no ES|QL `WHERE` form over every field",
        )),
        Test::Call(c) => Err(Refusal::new(format!(
            "the CQL function `{}()` has no ES|QL conversion",
            c.name
        ))),
        Test::Expr(e) => {
            let s = expr(e)?;
            Ok(if negated {
                format!("NOT COALESCE({s}, FALSE)")
            } else {
                s
            })
        }
    }
}

/// `NOT` that keeps rows where the field is null.
fn negate(col: &str, s: String, negated: bool) -> String {
    if negated {
        format!("({col} IS NULL OR NOT {s})")
    } else {
        s
    }
}

fn field_test(col: &str, m: &Matcher, negated: bool) -> Result<String, Refusal> {
    if let Some(shape) = Shape::of(m) {
        return Ok(shape_test(col, &shape, negated));
    }
    Ok(match m {
        Matcher::Exists => format!("{col} IS {}NULL", if negated { "" } else { "NOT " }),
        Matcher::Absent => format!("{col} IS {}NULL", if negated { "NOT " } else { "" }),
        Matcher::Regex {
            pattern,
            flags,
            dialect,
        } => {
            if *dialect == RegexDialect::LogScale {
                return Err(Refusal::new("LogScale regexes are not translated to ES|QL"));
            }
            let re = lucene::from_sigma(pattern, flags)?;
            negate(col, format!("{col} RLIKE {}", string(&re)), negated)
        }
        Matcher::Compare { op, value } => {
            let o = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
            };
            let s = format!(
                "TO_DOUBLE({col}) {o} {}",
                saker_event::format_number(*value)
            );
            if negated {
                format!("NOT COALESCE({s}, FALSE)")
            } else {
                s
            }
        }
        Matcher::Cidr { subnets } => {
            let args: Vec<String> = subnets.iter().map(|s| string(s)).collect();
            let s = format!("CIDR_MATCH(TO_IP({col}), {})", args.join(", "));
            if negated {
                format!("NOT COALESCE({s}, FALSE)")
            } else {
                s
            }
        }
        Matcher::AnyOf {
            values,
            glob,
            case_insensitive,
        } => {
            let shapes: Vec<Shape> = values
                .iter()
                .map(|v| Shape::of_value(v, *glob, *case_insensitive))
                .collect();
            if shapes.is_empty() {
                return Ok(if negated { "TRUE" } else { "FALSE" }.into());
            }
            if shapes
                .iter()
                .all(|s| matches!(s.kind(), ShapeKind::Equals(_)))
            {
                let ci = shapes.iter().any(Shape::case_matters);
                let subject = if ci {
                    format!("TO_LOWER({col})")
                } else {
                    col.to_string()
                };
                let vals: Vec<String> = shapes
                    .iter()
                    .map(|s| {
                        string(&if ci {
                            s.parts[0].to_lowercase()
                        } else {
                            s.parts[0].clone()
                        })
                    })
                    .collect();
                negate(col, format!("{subject} IN ({})", vals.join(", ")), negated)
            } else {
                let parts: Vec<String> = shapes.iter().map(|s| shape_test(col, s, false)).collect();
                negate(col, format!("({})", parts.join(" OR ")), negated)
            }
        }
        _ => return Err(Refusal::new("unsupported string test")),
    })
}

fn shape_test(col: &str, shape: &Shape, negated: bool) -> String {
    let ci = shape.case_matters();
    let subject = if ci {
        format!("TO_LOWER({col})")
    } else {
        col.to_string()
    };
    let lit = |s: &str| if ci { s.to_lowercase() } else { s.to_string() };
    let s = match shape.kind() {
        ShapeKind::Present => {
            return format!("{col} IS {}NULL", if negated { "" } else { "NOT " });
        }
        ShapeKind::Equals(v) => format!("{subject} == {}", string(&lit(v))),
        ShapeKind::StartsWith(v) => format!("STARTS_WITH({subject}, {})", string(&lit(v))),
        ShapeKind::EndsWith(v) => format!("ENDS_WITH({subject}, {})", string(&lit(v))),
        ShapeKind::Contains(_) | ShapeKind::Pattern => {
            format!("{subject} LIKE {}", string(&like_pattern(shape, ci)))
        }
    };
    negate(col, s, negated)
}

/// A `LIKE` pattern: parts escaped (`\`, `*`, `?`) and joined with `*`.
fn like_pattern(shape: &Shape, lower: bool) -> String {
    let mut out = String::new();
    if !shape.anchored_start {
        out.push('*');
    }
    for (i, p) in shape.parts.iter().enumerate() {
        if i > 0 {
            out.push('*');
        }
        let p = if lower { p.to_lowercase() } else { p.clone() };
        for c in p.chars() {
            if matches!(c, '\\' | '*' | '?') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    if !shape.anchored_end {
        out.push('*');
    }
    out
}

fn expr(e: &Expr) -> Result<String, Refusal> {
    Ok(match e {
        Expr::Str(s) => string(s),
        Expr::Num(n) => n.clone(),
        Expr::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Expr::Field(f) => column(f),
        Expr::Binary(op, a, b) => {
            let o = match op {
                BinaryOp::Eq => "==",
                BinaryOp::Ne => "!=",
                BinaryOp::Lt => "<",
                BinaryOp::Le => "<=",
                BinaryOp::Gt => ">",
                BinaryOp::Ge => ">=",
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Mul => "*",
                BinaryOp::Div => "/",
                BinaryOp::Rem => "%",
                BinaryOp::Link => return Err(Refusal::new("a correlate() link has no ES|QL form")),
            };
            format!("({} {o} {})", expr(a)?, expr(b)?)
        }
        _ => return Err(Refusal::new("this expression has no ES|QL conversion")),
    })
}

/// A field name: bare when made of identifier characters, else back-quoted (`` ` `` doubled).
pub fn column(name: &str) -> String {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@'));
    if ok {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// An ES|QL string: triple-quoted (no escapes) when the text has a backslash or quote and can be
/// written so, else `"…"` with `\\`, `\"`, `\n`, `\r`, `\t`
/// (https://www.elastic.co/guide/en/elasticsearch/reference/current/esql-syntax.html).
pub fn string(s: &str) -> String {
    let triple_ok = !s.contains("\"\"\"") && !s.ends_with('"') && !s.chars().any(char::is_control);
    if (s.contains('\\') || s.contains('"')) && triple_ok {
        return format!("\"\"\"{s}\"\"\"");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use saker_plan::Predicate;

    fn esql(p: Predicate) -> String {
        match convert(&Plan::filter(p), &Options::default()) {
            Ok(c) => c.text,
            Err(r) => format!("REFUSED: {r}"),
        }
    }

    #[test]
    fn like_escapes_wildcards_and_backslashes() {
        let p = Predicate::field(
            "CommandLine",
            Matcher::Contains {
                value: "C:\\a*b?".into(),
                case_insensitive: true,
            },
        );
        assert_eq!(
            esql(p),
            "FROM logs-*\n| WHERE TO_LOWER(CommandLine) LIKE \"\"\"*c:\\\\a\\*b\\?*\"\"\""
        );
    }

    #[test]
    fn negation_keeps_null_fields() {
        let p = Predicate::Not(Box::new(Predicate::field(
            "a",
            Matcher::Equals {
                value: "1".into(),
                case_insensitive: true,
            },
        )));
        assert_eq!(
            esql(p),
            "FROM logs-*\n| WHERE (a IS NULL OR NOT a == \"1\")"
        );
    }

    #[test]
    fn strings_fall_back_to_escapes() {
        assert_eq!(string("a\"b"), "\"\"\"a\"b\"\"\"");
        assert_eq!(string("ends\""), "\"ends\\\"\"");
        assert_eq!(string("a\nb\\"), "\"a\\nb\\\\\"");
        assert_eq!(column("event.code"), "event.code");
        assert_eq!(column("a b"), "`a b`");
    }
}

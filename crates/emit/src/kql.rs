//! Plan → KQL (Microsoft Sentinel / Defender Advanced Hunting).
//!
//! KQL string operators name their case rule: `=~`, `in~`, `contains`, `startswith`, `endswith`
//! are case-insensitive, their `_cs`/`==`/`in` forms case-sensitive
//! (https://learn.microsoft.com/kusto/query/datatypes-string-operators). Regexes are RE2 and
//! case-sensitive unless `(?i)`. A value that was never set is `""` in a string column, so a
//! negated string test already passes it; numeric and IP tests guard nulls explicitly.

use saker_plan::{BinaryOp, CmpOp, Expr, Matcher, Op, Plan, RegexDialect};

use crate::cond::{Cond, Test};
use crate::regex::{Dialect, check_sigma_pattern, escape_literal, sigma_inline_flags};
use crate::shape::{Shape, ShapeKind};
use crate::{Caveat, Caveats, Conversion, Options, Refusal};

/// Converts a filter plan to `Table | where …` (or a bare `| where …` stage without a table).
pub fn convert(plan: &Plan, options: &Options) -> Result<Conversion, Refusal> {
    if plan.ops.iter().any(|op| matches!(op, Op::Correlate(_))) {
        return Err(Refusal::new(
            "correlation rules are converted to CQL only (KQL: not supported)",
        ));
    }
    let cond = Cond::from_filter_plan(plan)?;
    let mut caveats = Caveats::default();
    let body = match &cond {
        Cond::And(parts) => parts
            .iter()
            .map(|p| print(p, &mut caveats, true))
            .collect::<Result<Vec<_>, _>>()?
            .join("\n    and "),
        other => print(other, &mut caveats, false)?,
    };
    let table = options.source.as_deref().unwrap_or("");
    let text = if table.is_empty() {
        format!("| where {body}")
    } else {
        format!("{table}\n| where {body}")
    };
    Ok(Conversion {
        text,
        caveats: caveats.into_vec(),
    })
}

fn print(c: &Cond, caveats: &mut Caveats, nested: bool) -> Result<String, Refusal> {
    Ok(match c {
        Cond::True => "true".into(),
        Cond::False => "false".into(),
        Cond::And(v) => group(v, " and ", caveats, nested)?,
        Cond::Or(v) => group(v, " or ", caveats, nested)?,
        Cond::Test { test, negated } => test_text(test, *negated, caveats)?,
    })
}

fn group(v: &[Cond], sep: &str, caveats: &mut Caveats, nested: bool) -> Result<String, Refusal> {
    let s = v
        .iter()
        .map(|c| print(c, caveats, true))
        .collect::<Result<Vec<_>, _>>()?
        .join(sep);
    Ok(if nested { format!("({s})") } else { s })
}

fn test_text(t: &Test, negated: bool, caveats: &mut Caveats) -> Result<String, Refusal> {
    match t {
        Test::Field { field, matcher } => field_test(&column(field), matcher, negated, caveats),
        Test::FreeText(_) => Err(Refusal::new(
            "keyword (free-text) searches have no KQL `where` form over every column",
        )),
        Test::Call(c) => Err(Refusal::new(format!(
            "the CQL function `{}()` has no KQL conversion",
            c.name
        ))),
        Test::Expr(e) => {
            let s = expr(e)?;
            Ok(if negated { format!("not({s})") } else { s })
        }
    }
}

fn field_test(
    col: &str,
    m: &Matcher,
    negated: bool,
    caveats: &mut Caveats,
) -> Result<String, Refusal> {
    if let Some(shape) = Shape::of(m) {
        return shape_test(col, &shape, negated, caveats);
    }
    Ok(match m {
        Matcher::Exists => {
            caveats.add(Caveat::EmptyMeansAbsent);
            if negated {
                format!("isempty({col})")
            } else {
                format!("isnotempty({col})")
            }
        }
        Matcher::Absent => {
            caveats.add(Caveat::EmptyMeansAbsent);
            if negated {
                format!("isnotempty({col})")
            } else {
                format!("isempty({col})")
            }
        }
        Matcher::Regex {
            pattern,
            flags,
            dialect,
        } => {
            let p = match dialect {
                RegexDialect::Sigma => {
                    check_sigma_pattern(pattern, Dialect::Re2)?;
                    let f = sigma_inline_flags(flags)?;
                    if f.is_empty() {
                        pattern.clone()
                    } else {
                        format!("(?{f}){pattern}")
                    }
                }
                RegexDialect::LogScale => {
                    return Err(Refusal::new("LogScale regexes are not translated to KQL"));
                }
            };
            let s = format!("{col} matches regex {}", string(&p));
            if negated { format!("not({s})") } else { s }
        }
        Matcher::Compare { op, value } => {
            let n = saker_event::format_number(*value);
            let s = format!("toreal({col}) {} {n}", cmp(*op));
            if negated {
                format!("(isnull(toreal({col})) or not({s}))")
            } else {
                s
            }
        }
        Matcher::Cidr { subnets } => {
            let (v6, v4): (Vec<&String>, Vec<&String>) =
                subnets.iter().partition(|s| s.contains(':'));
            let mut parts = Vec::new();
            for (func, list) in [("ipv4_is_in_any_range", v4), ("ipv6_is_in_any_range", v6)] {
                if !list.is_empty() {
                    let args: Vec<String> = list.iter().map(|s| string(s)).collect();
                    parts.push(format!("{func}({col}, {})", args.join(", ")));
                }
            }
            let s = if parts.len() == 1 {
                parts.remove(0)
            } else {
                format!("({})", parts.join(" or "))
            };
            if negated {
                format!("not(coalesce({s}, false))")
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
                return Ok(if negated { "true" } else { "false" }.into());
            }
            if shapes
                .iter()
                .all(|s| matches!(s.kind(), ShapeKind::Equals(_)))
            {
                let ci = shapes.iter().any(Shape::case_matters);
                let op = match (ci, negated) {
                    (true, false) => "in~",
                    (true, true) => "!in~",
                    (false, false) => "in",
                    (false, true) => "!in",
                };
                let vals: Vec<String> = shapes.iter().map(|s| string(&s.parts[0])).collect();
                format!("{col} {op} ({})", vals.join(", "))
            } else {
                let parts = shapes
                    .iter()
                    .map(|s| shape_test(col, s, negated, caveats))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(if negated { " and " } else { " or " }))
            }
        }
        _ => return Err(Refusal::new("unsupported string test")),
    })
}

fn shape_test(
    col: &str,
    shape: &Shape,
    negated: bool,
    caveats: &mut Caveats,
) -> Result<String, Refusal> {
    let cs = !shape.case_matters();
    let op = |ci: &str, cs_op: &str| -> String {
        let base = if cs { cs_op } else { ci };
        if negated {
            format!("!{base}")
        } else {
            base.to_string()
        }
    };
    Ok(match shape.kind() {
        ShapeKind::Present => {
            caveats.add(Caveat::EmptyMeansAbsent);
            if negated {
                format!("isempty({col})")
            } else {
                format!("isnotempty({col})")
            }
        }
        ShapeKind::Equals(v) => {
            if v.is_empty() {
                caveats.add(Caveat::EmptyMeansAbsent);
            }
            let o = match (cs, negated) {
                (true, false) => "==",
                (true, true) => "!=",
                (false, false) => "=~",
                (false, true) => "!~",
            };
            format!("{col} {o} {}", string(v))
        }
        ShapeKind::StartsWith(v) => {
            format!("{col} {} {}", op("startswith", "startswith_cs"), string(v))
        }
        ShapeKind::EndsWith(v) => format!("{col} {} {}", op("endswith", "endswith_cs"), string(v)),
        ShapeKind::Contains(v) => format!("{col} {} {}", op("contains", "contains_cs"), string(v)),
        ShapeKind::Pattern => {
            let (body, dot) = shape.regex_body(escape_literal);
            let mut flags = String::new();
            if !cs {
                flags.push('i');
            }
            if dot {
                flags.push('s');
            }
            let re = if flags.is_empty() {
                body
            } else {
                format!("(?{flags}){body}")
            };
            let s = format!("{col} matches regex {}", string(&re));
            if negated { format!("not({s})") } else { s }
        }
    })
}

fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
    }
}

fn expr(e: &Expr) -> Result<String, Refusal> {
    Ok(match e {
        Expr::Str(s) => string(s),
        Expr::Num(n) => n.clone(),
        Expr::Bool(b) => b.to_string(),
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
                BinaryOp::Link => {
                    return Err(Refusal::new("a correlate() link has no KQL form"));
                }
            };
            format!("({} {o} {})", expr(a)?, expr(b)?)
        }
        _ => return Err(Refusal::new("this expression has no KQL conversion")),
    })
}

/// A column name: bare when an identifier, else `['name']`
/// (https://learn.microsoft.com/kusto/query/schema-entities/entity-names).
pub fn column(name: &str) -> String {
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(name);
    if ident {
        name.to_string()
    } else {
        format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "and"
            | "or"
            | "not"
            | "where"
            | "true"
            | "false"
            | "in"
            | "has"
            | "contains"
            | "matches"
            | "project"
            | "let"
            | "by"
            | "on"
            | "between"
            | "regex"
    )
}

/// A KQL string literal: verbatim `@"…"` (quotes doubled) when the text has backslashes and no
/// control characters, else `"…"` with `\\`, `\"` and control escapes
/// (https://learn.microsoft.com/kusto/query/scalar-data-types/string).
pub fn string(s: &str) -> String {
    let has_control = s.chars().any(char::is_control);
    if s.contains('\\') && !has_control {
        return format!("@\"{}\"", s.replace('"', "\"\""));
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
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The Defender Advanced Hunting table for a Sigma log source category.
pub fn defender_table(category: &str) -> Option<&'static str> {
    Some(match category {
        "process_creation" => "DeviceProcessEvents",
        "image_load" | "driver_load" => "DeviceImageLoadEvents",
        "file_access" | "file_change" | "file_delete" | "file_event" | "file_rename" => {
            "DeviceFileEvents"
        }
        "registry_add" | "registry_delete" | "registry_event" | "registry_set" => {
            "DeviceRegistryEvents"
        }
        "network_connection" | "dns_query" => "DeviceNetworkEvents",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use saker_plan::Predicate;

    fn kql(p: Predicate) -> String {
        match convert(&Plan::filter(p), &Options::default()) {
            Ok(c) => c.text,
            Err(r) => format!("REFUSED: {r}"),
        }
    }

    #[test]
    fn strings_choose_verbatim_for_backslashes() {
        assert_eq!(string(r"C:\Windows"), r#"@"C:\Windows""#);
        assert_eq!(string(r#"a\"b"#), r#"@"a\""b""#);
        assert_eq!(string("say \"hi\"\n"), r#""say \"hi\"\n""#);
    }

    #[test]
    fn columns_bracket_non_identifiers() {
        assert_eq!(column("ProcessCommandLine"), "ProcessCommandLine");
        assert_eq!(column("field name"), "['field name']");
        assert_eq!(column("it's"), "['it\\'s']");
    }

    #[test]
    fn case_rules_pick_operators() {
        let p = Predicate::field(
            "FolderPath",
            Matcher::EndsWith {
                value: "\\cmd.exe".into(),
                case_insensitive: true,
            },
        );
        assert_eq!(kql(p.clone()), r#"| where FolderPath endswith @"\cmd.exe""#);
        assert_eq!(
            kql(Predicate::Not(Box::new(p))),
            r#"| where FolderPath !endswith @"\cmd.exe""#
        );
        let p = Predicate::field(
            "a",
            Matcher::Equals {
                value: "X".into(),
                case_insensitive: false,
            },
        );
        assert_eq!(kql(p), r#"| where a == "X""#);
    }

    #[test]
    fn negated_numbers_guard_nulls() {
        let p = Predicate::Not(Box::new(Predicate::field(
            "n",
            Matcher::Compare {
                op: CmpOp::Gt,
                value: 5.0,
            },
        )));
        assert_eq!(kql(p), "| where (isnull(toreal(n)) or not(toreal(n) > 5))");
    }

    #[test]
    fn lookahead_is_refused_for_re2() {
        let p = Predicate::field(
            "a",
            Matcher::Regex {
                pattern: "a(?=b)".into(),
                flags: String::new(),
                dialect: RegexDialect::Sigma,
            },
        );
        assert!(kql(p).contains("lookahead"));
    }
}

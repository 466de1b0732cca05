//! Plan → SPL (Splunk).
//!
//! Two forms. When every test can be a search term, the query is a plain search: field values
//! there are case-insensitive, `*` is a wildcard that cannot be escaped, and `NOT f="x"` keeps
//! events without `f` (https://docs.splunk.com/Documentation/Splunk/latest/Search/NOTexpressions),
//! which is Sigma's rule. Positive regex tests at the top level go to `| regex`. Anything else
//! (case-sensitive text, a literal `*`, numeric equality, CIDR, keywords) turns the whole
//! condition into one `| where` expression with `match()` (PCRE), `cidrmatch()` and explicit
//! null guards under `NOT`.

use saker_plan::{CmpOp, Matcher, Op, Plan, RegexDialect};

use crate::cond::{Cond, Test};
use crate::regex::{Dialect, check_sigma_pattern, escape_literal, sigma_inline_flags};
use crate::shape::{Shape, ShapeKind};
use crate::{Conversion, Options, Refusal};

pub fn convert(plan: &Plan, options: &Options) -> Result<Conversion, Refusal> {
    if plan.ops.iter().any(|op| matches!(op, Op::Correlate(_))) {
        return Err(Refusal::new(
            "correlation rules are converted to CQL only (SPL: not supported)",
        ));
    }
    let cond = Cond::from_filter_plan(plan)?;
    let source = options.source.as_deref().unwrap_or("").trim();
    let (search_parts, regex_parts) = split_regex_conjuncts(&cond);
    let text = match search_parts
        .iter()
        .map(|c| search(c, false))
        .collect::<Option<Vec<_>>>()
    {
        Some(terms) => {
            let mut head: Vec<String> = Vec::new();
            if !source.is_empty() {
                head.push(source.to_string());
            }
            head.extend(terms.into_iter().filter(|t| !t.is_empty()));
            let mut text = if head.is_empty() {
                "*".to_string()
            } else {
                head.join(" ")
            };
            for (field, pattern) in regex_parts {
                text.push_str(&format!(
                    "\n| regex {}={}",
                    search_field(&field).unwrap_or(field.clone()),
                    string(&pattern?)
                ));
            }
            text
        }
        None => {
            let head = if source.is_empty() { "*" } else { source };
            format!("{head}\n| where {}", where_expr(&cond, false)?)
        }
    };
    Ok(Conversion {
        text,
        caveats: Vec::new(),
    })
}

type RegexConjunct = (String, Result<String, Refusal>);

/// Splits positive top-level field regex tests (for `| regex`) from the rest.
fn split_regex_conjuncts(c: &Cond) -> (Vec<Cond>, Vec<RegexConjunct>) {
    let parts: Vec<Cond> = match c {
        Cond::And(v) => v.clone(),
        other => vec![other.clone()],
    };
    let mut rest = Vec::new();
    let mut regexes = Vec::new();
    for p in parts {
        if let Cond::Test {
            test:
                Test::Field {
                    field,
                    matcher:
                        Matcher::Regex {
                            pattern,
                            flags,
                            dialect,
                        },
                },
            negated: false,
        } = &p
            && search_field(field).is_some()
        {
            regexes.push((field.clone(), pcre(pattern, flags, *dialect)));
            continue;
        }
        rest.push(p);
    }
    (rest, regexes)
}

/// A search term for the condition, or `None` when one test cannot be a search term.
fn search(c: &Cond, nested: bool) -> Option<String> {
    Some(match c {
        Cond::True => String::new(),
        Cond::False => return None,
        Cond::And(v) => group(v, " ", nested)?,
        Cond::Or(v) => group(v, " OR ", true)?,
        Cond::Test { test, negated } => {
            let t = search_test(test)?;
            if *negated { format!("NOT {t}") } else { t }
        }
    })
}

fn group(v: &[Cond], sep: &str, parens: bool) -> Option<String> {
    let s = v
        .iter()
        .map(|c| search(c, true))
        .collect::<Option<Vec<_>>>()?
        .join(sep);
    Some(if parens { format!("({s})") } else { s })
}

fn search_test(t: &Test) -> Option<String> {
    let Test::Field { field, matcher } = t else {
        return None;
    };
    let f = search_field(field)?;
    if let Some(shape) = Shape::of(matcher) {
        return Some(format!("{f}={}", search_value(&shape)?));
    }
    Some(match matcher {
        Matcher::Exists => format!("{f}=*"),
        Matcher::Absent => format!("NOT {f}=*"),
        Matcher::Compare { op, value } => {
            let o = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Eq | CmpOp::Ne => return None,
            };
            format!("{f}{o}{}", saker_event::format_number(*value))
        }
        Matcher::AnyOf {
            values,
            glob,
            case_insensitive,
        } => {
            let vals = values
                .iter()
                .map(|v| search_value(&Shape::of_value(v, *glob, *case_insensitive)))
                .collect::<Option<Vec<_>>>()?;
            if vals.is_empty() {
                return None;
            }
            format!("{f} IN ({})", vals.join(", "))
        }
        _ => return None,
    })
}

/// A quoted search value; `None` when the text needs case sensitivity or has a literal `*`.
fn search_value(shape: &Shape) -> Option<String> {
    let case_sensitive =
        !shape.case_insensitive && shape.parts.iter().any(|p| crate::shape::has_cased_char(p));
    if case_sensitive
        || shape.literal_contains('*')
        || shape.parts.iter().any(|p| p.chars().any(char::is_control))
    {
        return None;
    }
    if shape.kind() == ShapeKind::Present {
        return Some("*".into());
    }
    Some(string(&shape.glob()))
}

/// Field names usable bare in a search and in `| regex`.
fn search_field(f: &str) -> Option<String> {
    let ok = !f.is_empty()
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | ':'))
        && !matches!(f, "AND" | "OR" | "NOT" | "IN");
    ok.then(|| f.to_string())
}

/// The whole condition as an eval expression for `| where`.
fn where_expr(c: &Cond, nested: bool) -> Result<String, Refusal> {
    Ok(match c {
        Cond::True => "true()".into(),
        Cond::False => "false()".into(),
        Cond::And(v) => where_group(v, " AND ", nested)?,
        Cond::Or(v) => where_group(v, " OR ", nested)?,
        Cond::Test { test, negated } => where_test(test, *negated)?,
    })
}

fn where_group(v: &[Cond], sep: &str, nested: bool) -> Result<String, Refusal> {
    let s = v
        .iter()
        .map(|c| where_expr(c, true))
        .collect::<Result<Vec<_>, _>>()?
        .join(sep);
    Ok(if nested { format!("({s})") } else { s })
}

/// Negation that also keeps events without the field (eval functions on a null field are null).
fn guard(f: &str, s: String, negated: bool) -> String {
    if negated {
        format!("(isnull({f}) OR NOT {s})")
    } else {
        s
    }
}

fn where_test(t: &Test, negated: bool) -> Result<String, Refusal> {
    let (f, matcher) = match t {
        Test::Field { field, matcher } => (eval_field(field), matcher),
        Test::FreeText(m) => {
            let re = match Shape::of(m) {
                Some(shape) => shape_regex(&shape),
                None => match m {
                    Matcher::Regex {
                        pattern,
                        flags,
                        dialect,
                    } => pcre(pattern, flags, *dialect)?,
                    _ => return Err(Refusal::new("this keyword search has no SPL form")),
                },
            };
            let s = format!("match(_raw, {})", string(&re));
            return Ok(if negated { format!("NOT {s}") } else { s });
        }
        Test::Call(c) => {
            return Err(Refusal::new(format!(
                "the CQL function `{}()` has no SPL conversion",
                c.name
            )));
        }
        Test::Expr(_) => {
            return Err(Refusal::new(
                "field-to-field comparisons are not converted to SPL",
            ));
        }
    };
    if let Some(shape) = Shape::of(matcher) {
        if shape.kind() == ShapeKind::Present {
            return Ok(if negated {
                format!("isnull({f})")
            } else {
                format!("isnotnull({f})")
            });
        }
        let s = format!("match({f}, {})", string(&shape_regex(&shape)));
        return Ok(guard(&f, s, negated));
    }
    Ok(match matcher {
        Matcher::Exists => {
            if negated {
                format!("isnull({f})")
            } else {
                format!("isnotnull({f})")
            }
        }
        Matcher::Absent => {
            if negated {
                format!("isnotnull({f})")
            } else {
                format!("isnull({f})")
            }
        }
        Matcher::Regex {
            pattern,
            flags,
            dialect,
        } => guard(
            &f,
            format!("match({f}, {})", string(&pcre(pattern, flags, *dialect)?)),
            negated,
        ),
        Matcher::Compare { op, value } => {
            let o = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
            };
            let n = saker_event::format_number(*value);
            let s = format!("tonumber({f}) {o} {n}");
            if negated {
                format!("(isnull(tonumber({f})) OR NOT ({s}))")
            } else {
                s
            }
        }
        Matcher::Cidr { subnets } => {
            let parts: Vec<String> = subnets
                .iter()
                .map(|s| format!("cidrmatch({}, {f})", string(s)))
                .collect();
            let s = if parts.len() == 1 {
                parts.join("")
            } else {
                format!("({})", parts.join(" OR "))
            };
            guard(&f, s, negated)
        }
        Matcher::AnyOf {
            values,
            glob,
            case_insensitive,
        } => {
            if values.is_empty() {
                return Ok(if negated { "true()" } else { "false()" }.into());
            }
            let alts: Vec<String> = values
                .iter()
                .map(|v| shape_regex(&Shape::of_value(v, *glob, *case_insensitive)))
                .collect();
            let s = format!("match({f}, {})", string(&alts.join("|")));
            guard(&f, s, negated)
        }
        _ => return Err(Refusal::new("unsupported string test")),
    })
}

/// A PCRE for a shape, with inline `(?i)`/`(?s)` flags.
fn shape_regex(shape: &Shape) -> String {
    let (body, dot) = shape.regex_body(escape_literal);
    let mut flags = String::new();
    if shape.case_matters() {
        flags.push('i');
    }
    if dot {
        flags.push('s');
    }
    if flags.is_empty() {
        body
    } else {
        format!("(?{flags}){body}")
    }
}

fn pcre(pattern: &str, flags: &str, dialect: RegexDialect) -> Result<String, Refusal> {
    if dialect == RegexDialect::LogScale {
        return Err(Refusal::new("LogScale regexes are not translated to SPL"));
    }
    check_sigma_pattern(pattern, Dialect::Pcre)?;
    let f = sigma_inline_flags(flags)?;
    Ok(if f.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{f}){pattern}")
    })
}

/// A field in an eval expression: bare when simple, else single-quoted.
fn eval_field(f: &str) -> String {
    let simple = f
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if simple {
        f.to_string()
    } else {
        format!("'{}'", f.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// An SPL double-quoted string: `\` and `"` escaped with a backslash.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
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

    fn spl(p: Predicate) -> String {
        match convert(&Plan::filter(p), &Options::default()) {
            Ok(c) => c.text,
            Err(r) => format!("REFUSED: {r}"),
        }
    }

    fn ends(v: &str, ci: bool) -> Matcher {
        Matcher::EndsWith {
            value: v.into(),
            case_insensitive: ci,
        }
    }

    #[test]
    fn case_insensitive_tests_are_search_terms() {
        let p = Predicate::And(vec![
            Predicate::field("Image", ends("\\cmd.exe", true)),
            Predicate::Not(Box::new(Predicate::field("User", ends("\"x", true)))),
        ]);
        assert_eq!(spl(p), r#"Image="*\\cmd.exe" NOT User="*\"x""#);
    }

    #[test]
    fn a_literal_star_or_case_sensitivity_needs_where() {
        let p = Predicate::field("a", ends("x*y", true));
        assert_eq!(spl(p), "*\n| where match(a, \"(?i)x\\\\*y$\")");
        let p = Predicate::Not(Box::new(Predicate::field("a", ends("X", false))));
        assert_eq!(spl(p), "*\n| where (isnull(a) OR NOT match(a, \"X$\"))");
    }

    #[test]
    fn top_level_regexes_use_the_regex_command() {
        let p = Predicate::And(vec![
            Predicate::field("a", ends("x", true)),
            Predicate::field(
                "b",
                Matcher::Regex {
                    pattern: "\\d+\"".into(),
                    flags: "i".into(),
                    dialect: RegexDialect::Sigma,
                },
            ),
        ]);
        assert_eq!(spl(p), "a=\"*x\"\n| regex b=\"(?i)\\\\d+\\\"\"");
    }
}

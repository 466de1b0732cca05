//! Printing a [`Plan`] as CQL text.
//!
//! For plans produced by [`crate::compile`], parsing and lowering the printed text gives the same
//! plan back (the conventions of [`crate::lower`] run in reverse). Plans from other front-ends
//! (Sigma) may use shapes CQL lowering never produces (`Matcher::Contains`, case-insensitive
//! equality, `Matcher::AnyOf` …); those print as equivalent CQL (a glob, a `/…/i` regex, `in()`),
//! which lowers to a different but equivalent plan.

use saker_plan::catalog::{self, ParamKind};
use saker_plan::{
    Arg, ArgValue, BinaryOp, Call, CmpOp, Expr, Guard, Matcher, Op, Plan, Predicate, RegexDialect,
    UnaryOp,
};

use crate::lexer::{Lexer, Mode, Tok};
use crate::text::quote;

pub fn print(plan: &Plan) -> String {
    let stages = stages(plan);
    if stages.is_empty() {
        return "*".into();
    }
    stages.join("\n| ")
}

fn stages(plan: &Plan) -> Vec<String> {
    plan.ops.iter().map(op).collect()
}

/// A plan inside `{ … }` or a case clause: stages on one line.
fn inline(plan: &Plan) -> String {
    let s = stages(plan);
    if s.is_empty() {
        "*".into()
    } else {
        s.join(" | ")
    }
}

fn op(op: &Op) -> String {
    match op {
        Op::Filter(p) => predicate(p, Ctx::Stage),
        Op::Assign(list) => match list.as_slice() {
            [(f, e)] if !matches!(e, Expr::Call(_)) => format!("{} := {}", field(f), expr(e, 0)),
            _ => {
                let args: Vec<String> = list
                    .iter()
                    .map(|(f, e)| format!("{}={}", arg_name(f), expr(e, 0)))
                    .collect();
                format!("eval({})", args.join(", "))
            }
        },
        Op::Case(clauses) => {
            let parts: Vec<String> = clauses.iter().map(inline).collect();
            format!("case {{ {} }}", parts.join("; "))
        }
        Op::Match { field: f, arms } => {
            let parts: Vec<String> = arms
                .iter()
                .map(|a| format!("{} => {}", guard(&a.guard), inline(&a.body)))
                .collect();
            format!("{} match {{ {} }}", field(f), parts.join("; "))
        }
        Op::Call(c) => {
            let text = call(c);
            if c.negated { format!("!{text}") } else { text }
        }
        Op::Correlate(c) => {
            // Sigma correlations have no CQL syntax of their own; print the rule plans as a
            // comment-free approximation: each rule as a `correlate` subquery.
            let parts: Vec<String> = c
                .rules
                .iter()
                .map(|(name, p)| format!("{}: {{ {} }}", safe_label(name), inline(p)))
                .collect();
            format!(
                "correlate({}, within={}ms)",
                parts.join(", "),
                c.timespan_ms
            )
        }
    }
}

fn safe_label(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "q".into() } else { s }
}

fn guard(g: &Guard) -> String {
    match g {
        Guard::Any => "*".into(),
        Guard::Matcher(m) => match m {
            Matcher::Exists => "\"*\"".into(),
            Matcher::Equals {
                value,
                case_insensitive: false,
            } if !value.contains('*') => {
                if value.eq_ignore_ascii_case("true") {
                    quote(value)
                } else {
                    value_text(value)
                }
            }
            Matcher::Glob {
                pattern,
                case_insensitive: false,
            } => value_text(pattern),
            Matcher::Regex { pattern, flags, .. } => regex(pattern, flags),
            other => match matcher_as_regex(other) {
                Some((p, f)) => regex(&p, &f),
                None => "*".into(),
            },
        },
        Guard::Call(c) => {
            let text = call(c);
            if c.negated { format!("!{text}") } else { text }
        }
    }
}

// ---- predicates -------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A whole stage.
    Stage,
    /// An item of an `and` chain.
    And,
    /// An item of an `or`.
    Or,
    /// After `not`.
    Not,
}

fn predicate(p: &Predicate, ctx: Ctx) -> String {
    match p {
        Predicate::True => "*".into(),
        Predicate::False => "test(false)".into(),
        Predicate::And(items) => {
            let parts: Vec<String> = items.iter().map(|i| predicate(i, Ctx::And)).collect();
            let s = parts.join(" ");
            if ctx == Ctx::Stage {
                s
            } else {
                format!("({s})")
            }
        }
        Predicate::Or(items) => {
            let parts: Vec<String> = items.iter().map(|i| predicate(i, Ctx::Or)).collect();
            let s = parts.join(" or ");
            if ctx == Ctx::Stage {
                s
            } else {
                format!("({s})")
            }
        }
        Predicate::Not(inner) => match inner.as_ref() {
            Predicate::Field { field: f, matcher } => match field_filter(f, matcher, true) {
                Some(s) => s,
                None => format!("not {}", predicate(inner, Ctx::Not)),
            },
            Predicate::Call(c) => format!("!{}", call(c)),
            other => format!("not {}", predicate(other, Ctx::Not)),
        },
        Predicate::Field { field: f, matcher } => {
            field_filter(f, matcher, false).unwrap_or_else(|| "test(false)".into())
        }
        Predicate::FreeText(m) => free_text(m),
        Predicate::Call(c) => call(c),
        Predicate::Expr(Expr::Binary(BinaryOp::Link, l, r)) => match (l.as_ref(), r.as_ref()) {
            (Expr::Field(a), Expr::Field(b)) => format!("{} <=> {}", field(a), field(b)),
            _ => format!(
                "test({})",
                expr(&Expr::Binary(BinaryOp::Link, l.clone(), r.clone()), 0)
            ),
        },
        Predicate::Expr(e) => format!("test({})", expr(e, 0)),
    }
}

/// `f=v`, `f!=v`, `f<3`, … for one field matcher; `None` for `Absent` (printed as `f!=*` by the
/// caller through `Not(Exists)`).
fn field_filter(f: &str, m: &Matcher, negated: bool) -> Option<String> {
    let name = filter_field(f);
    let eq = if negated { "!=" } else { "=" };
    let s = match m {
        Matcher::Exists => format!("{name}{eq}*"),
        Matcher::Absent => {
            let op = if negated { "=" } else { "!=" };
            format!("{name}{op}*")
        }
        Matcher::Equals {
            value,
            case_insensitive: false,
        } if !value.contains('*') => format!("{name}{eq}{}", value_text(value)),
        Matcher::Glob {
            pattern,
            case_insensitive: false,
        } if pattern.contains('*') && !pattern.chars().all(|c| c == '*') => {
            format!("{name}{eq}{}", value_text(pattern))
        }
        Matcher::Glob {
            pattern,
            case_insensitive: false,
        } if pattern == "*" => {
            let not = if negated { "not " } else { "" };
            format!("{not}{name} like \"*\"")
        }
        Matcher::Regex {
            pattern,
            flags,
            dialect,
        } => {
            format!(
                "{name}{eq}{}",
                regex(pattern, &regex_flags(flags, *dialect))
            )
        }
        Matcher::Compare { op, value } => {
            let text = number(*value);
            let op = match (op, negated) {
                (CmpOp::Lt, false) => "<",
                (CmpOp::Le, false) => "<=",
                (CmpOp::Gt, false) => ">",
                (CmpOp::Ge, false) => ">=",
                (CmpOp::Eq | CmpOp::Ne, _) | (_, true) => {
                    let e = format!("test({} {} {text})", expr_field(f), cmp_op(*op));
                    return Some(if negated { format!("not {e}") } else { e });
                }
            };
            format!("{name}{op}{text}")
        }
        Matcher::Cidr { subnets } => {
            let c = format!(
                "cidr({}, subnet=[{}])",
                arg_word(f),
                subnets
                    .iter()
                    .map(|s| quote(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Some(if negated { format!("!{c}") } else { c });
        }
        Matcher::AnyOf {
            values,
            glob: _,
            case_insensitive,
        } => {
            let mut c = format!(
                "in({}, values=[{}]",
                arg_word(f),
                values
                    .iter()
                    .map(|s| quote(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if *case_insensitive {
                c.push_str(", ignoreCase=true");
            }
            c.push(')');
            return Some(if negated { format!("!{c}") } else { c });
        }
        other => {
            let (p, flags) = matcher_as_regex(other)?;
            format!("{name}{eq}{}", regex(&p, &flags))
        }
    };
    Some(s)
}

fn cmp_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
    }
}

/// Sigma's `s` (dot matches newline) is CQL's `d`; other letters are shared.
fn regex_flags(flags: &str, dialect: RegexDialect) -> String {
    match dialect {
        RegexDialect::LogScale => flags.to_string(),
        RegexDialect::Sigma => flags.replace('s', "d"),
    }
}

/// A matcher CQL has no direct syntax for, as an equivalent regex `(pattern, flags)`.
fn matcher_as_regex(m: &Matcher) -> Option<(String, String)> {
    let ci = |b: bool| if b { "i".to_string() } else { String::new() };
    Some(match m {
        Matcher::Equals {
            value,
            case_insensitive,
        } => (format!("^{}$", regex_escape(value)), ci(*case_insensitive)),
        Matcher::Glob {
            pattern,
            case_insensitive,
        } => (glob_to_regex(pattern), ci(*case_insensitive)),
        Matcher::Contains {
            value,
            case_insensitive,
        } => (regex_escape(value), ci(*case_insensitive)),
        Matcher::StartsWith {
            value,
            case_insensitive,
        } => (format!("^{}", regex_escape(value)), ci(*case_insensitive)),
        Matcher::EndsWith {
            value,
            case_insensitive,
        } => (format!("{}$", regex_escape(value)), ci(*case_insensitive)),
        Matcher::Exists => (String::new(), String::new()),
        _ => return None,
    })
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn glob_to_regex(p: &str) -> String {
    let parts: Vec<String> = p.split('*').map(regex_escape).collect();
    format!("^{}$", parts.join(".*"))
}

fn free_text(m: &Matcher) -> String {
    match m {
        Matcher::Glob {
            pattern,
            case_insensitive: false,
        } if pattern.len() >= 2 && pattern.starts_with('*') && pattern.ends_with('*') => {
            let inner = &pattern[1..pattern.len() - 1];
            quote(inner)
        }
        Matcher::Regex {
            pattern,
            flags,
            dialect,
        } => regex(pattern, &regex_flags(flags, *dialect)),
        Matcher::Contains {
            value,
            case_insensitive: false,
        } if !value.contains('*') => quote(value),
        other => match matcher_as_regex(other) {
            Some((p, f)) => regex(&p, &f),
            None => "*".into(),
        },
    }
}

/// `/pattern/flags` with unescaped `/` escaped.
fn regex(pattern: &str, flags: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 2 + flags.len());
    out.push('/');
    let mut escaped = false;
    for c in pattern.chars() {
        if c == '/' && !escaped {
            out.push('\\');
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
    out.push('/');
    out.push_str(flags);
    out
}

fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

// ---- names and values -------------------------------------------------------------------------

const KEYWORDS: &[&str] = &["and", "or", "not", "like", "case", "match"];

/// Whether `s` reads back as one unquoted word with no escapes in `mode`.
fn is_plain_word(s: &str, mode: Mode) -> bool {
    if s.is_empty() || s.contains('\\') || s.contains('`') {
        return false;
    }
    let t = Lexer::new(s).lex(0, mode);
    t.tok == Tok::Word && t.end == s.len()
}

/// A field on the left of a filter comparison.
fn filter_field(f: &str) -> String {
    if is_plain_word(f, Mode::Filter)
        && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(f))
        && !f.contains(['*', '+', '-', ':', '~'])
    {
        f.to_string()
    } else {
        quote(f)
    }
}

/// A field where an expression reads it (`:=` left side, expressions): back-quoted if needed.
fn field(f: &str) -> String {
    if is_plain_word(f, Mode::Expr)
        && !["true", "false", "case"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(f))
        && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(f))
    {
        f.to_string()
    } else if !f.contains('`') && !f.contains('\n') {
        format!("`{f}`")
    } else {
        quote(f)
    }
}

fn expr_field(f: &str) -> String {
    field(f)
}

/// A value on the right of `=` (or a match guard): unquoted when that reads back the same.
fn value_text(v: &str) -> String {
    if is_plain_word(v, Mode::Filter) && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(v)) {
        v.to_string()
    } else {
        quote(v)
    }
}

/// A word argument (field name or enum) that must stay a `Word` when read back.
fn arg_word(w: &str) -> String {
    if is_plain_word(w, Mode::Filter) && !w.starts_with('-') && !looks_numeric(w) {
        w.to_string()
    } else if !w.contains('`') && !w.contains('\n') && !w.is_empty() {
        format!("`{w}`")
    } else {
        quote(w)
    }
}

fn looks_numeric(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

fn arg_name(n: &str) -> String {
    if is_plain_word(n, Mode::Filter) {
        n.to_string()
    } else {
        quote(n)
    }
}

// ---- calls ------------------------------------------------------------------------------------

fn call_name(name: &str) -> String {
    match name.strip_prefix('$') {
        Some(saved) => {
            if is_plain_word(saved, Mode::Filter) && !saved.contains(':') {
                format!("${saved}")
            } else {
                format!("${}", quote(saved))
            }
        }
        None => name.to_string(),
    }
}

fn call(c: &Call) -> String {
    let spec = if c.name.starts_with('$') {
        None
    } else {
        catalog::lookup(&c.name)
    };
    let mut parts = Vec::with_capacity(c.args.len());
    let mut i = 0;
    while i < c.args.len() {
        let a = &c.args[i];
        let kind = spec.and_then(|s| s.param(&a.name)).map(|p| p.kind);
        let is_named_query = spec.is_some_and(|s| s.name == "correlate")
            && kind.is_none()
            && matches!(a.value, ArgValue::Plan(_));
        if is_named_query {
            let ArgValue::Plan(p) = &a.value else { break };
            let mut s = format!("{}: {{ {} }}", a.name, inline(p));
            let prefix = format!("{}.", a.name);
            while let Some(opt) = c.args.get(i + 1).filter(|o| o.name.starts_with(&prefix)) {
                s.push_str(&format!(
                    " {}: {}",
                    &opt.name[prefix.len()..],
                    value(&opt.value, None)
                ));
                i += 1;
            }
            parts.push(s);
            i += 1;
            continue;
        }
        let unnamed = i == 0 && spec.and_then(|s| s.unnamed) == Some(a.name.as_str());
        parts.push(arg(a, kind, unnamed, c.name == "eval"));
        i += 1;
    }
    format!("{}({})", call_name(&c.name), parts.join(", "))
}

fn arg(a: &Arg, kind: Option<ParamKind>, unnamed: bool, eval: bool) -> String {
    let kind = if eval { Some(ParamKind::Expr) } else { kind };
    let v = value(&a.value, kind);
    if unnamed || a.name == "_" {
        v
    } else {
        format!("{}={v}", arg_name(&a.name))
    }
}

fn value(v: &ArgValue, kind: Option<ParamKind>) -> String {
    match v {
        ArgValue::Str(s) => quote(s),
        ArgValue::Word(w) => arg_word(w),
        ArgValue::Num(n) => n.clone(),
        ArgValue::Regex { pattern, flags } => regex(pattern, flags),
        ArgValue::Array(items) if kind == Some(ParamKind::Function) => {
            let parts: Vec<String> = items.iter().map(function_entry).collect();
            format!("[{}]", parts.join(", "))
        }
        ArgValue::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| value(i, kind)).collect();
            format!("[{}]", parts.join(", "))
        }
        ArgValue::Plan(p) => format!("{{ {} }}", inline(p)),
        ArgValue::Call(c) => {
            let t = call(c);
            if c.negated { format!("!{t}") } else { t }
        }
        ArgValue::Expr(e) => expr(e, 0),
        ArgValue::Param(p) => format!("?{p}"),
    }
}

/// One sub-aggregate of a function list: a lone call prints as itself, longer plans in braces.
fn function_entry(v: &ArgValue) -> String {
    match v {
        ArgValue::Plan(p) => match p.ops.as_slice() {
            [Op::Call(c)] if !c.negated => call(c),
            _ => format!("{{ {} }}", inline(p)),
        },
        other => value(other, None),
    }
}

// ---- expressions ------------------------------------------------------------------------------

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::Link => 1,
        BinaryOp::Add | BinaryOp::Sub => 2,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 3,
    }
}

fn bin_op(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Rem => "%",
        BinaryOp::Eq => "==",
        BinaryOp::Ne => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::Link => "<=>",
    }
}

/// `e` printed so that it parses back with binding power at least `min`.
fn expr(e: &Expr, min: u8) -> String {
    match e {
        Expr::Str(s) => quote(s),
        Expr::Num(n) => {
            if n.starts_with('-') {
                format!("({n})")
            } else {
                n.clone()
            }
        }
        Expr::Bool(b) => b.to_string(),
        Expr::Field(f) => field(f),
        Expr::Unary(op, inner) => {
            let sym = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "!",
            };
            format!("{sym}{}", expr(inner, 4))
        }
        Expr::Binary(op, l, r) => {
            let p = precedence(*op);
            let s = format!("{} {} {}", expr(l, p), bin_op(*op), expr(r, p + 1));
            if p < min { format!("({s})") } else { s }
        }
        Expr::Call(c) => {
            let t = call(c);
            if c.negated { format!("!{t}") } else { t }
        }
    }
}

/// Unescaped text of a value as the printer would write it (for tests).
#[cfg(test)]
fn read_back(s: &str) -> String {
    crate::text::unescape_word(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_quote_when_needed() {
        assert_eq!(value_text("abc"), "abc");
        assert_eq!(value_text("host-name"), "host-name");
        assert_eq!(value_text("a b"), "\"a b\"");
        assert_eq!(value_text("or"), "\"or\"");
        assert_eq!(read_back(&value_text("x.y")), "x.y");
        assert_eq!(field("host-name"), "`host-name`");
        assert_eq!(filter_field("host-name"), "\"host-name\"");
    }

    #[test]
    fn regex_escapes_slash_once() {
        assert_eq!(regex("a/b", "i"), r"/a\/b/i");
        assert_eq!(regex(r"a\/b", ""), r"/a\/b/");
    }

    #[test]
    fn expression_parentheses() {
        let e = Expr::Binary(
            BinaryOp::Sub,
            Box::new(Expr::Field("a".into())),
            Box::new(Expr::Binary(
                BinaryOp::Sub,
                Box::new(Expr::Field("b".into())),
                Box::new(Expr::Field("c".into())),
            )),
        );
        assert_eq!(expr(&e, 0), "a - (b - c)");
    }
}

//! A small CQL filter syntax tree and its printer: every literal goes through one escaping routine.
//!
//! LogScale precedence (tightest first): `not` > `or` > `and`
//! (https://library.humio.com/data-analysis/syntax-operators.html). The printer still puts
//! parentheses around every nested `and`/`or` so that a reader never has to rely on it.

use std::fmt::Write;

/// A CQL filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `*`: every event.
    All,
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `field=value` or `field!=value`.
    Field {
        field: String,
        negated: bool,
        value: Value,
    },
    /// `field < 5` etc.
    Compare {
        field: String,
        op: &'static str,
        number: String,
    },
    /// A free-text filter: `"text"` or `/regex/flags` on its own.
    FreeText(Value),
    Call(FnCall),
}

/// The right side of `field=…`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `*`: the field is present.
    Star,
    /// A quoted string; `*` in it is a glob wildcard (it cannot be escaped).
    Str(String),
    /// A regex literal; `body` is already valid between slashes.
    Regex { body: String, flags: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct FnCall {
    pub name: String,
    pub negated: bool,
    /// Unnamed first argument, then named ones.
    pub args: Vec<(Option<String>, Arg)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Field(String),
    Str(String),
    Word(String),
    Regex {
        body: String,
        flags: String,
    },
    Array(Vec<Arg>),
    /// An expression or nested query already printed as CQL.
    Raw(String),
}

/// Prints a filter as a query: top-level conjuncts become pipeline stages, one per line.
pub fn print_query(f: &Filter) -> String {
    match f {
        Filter::And(parts) => parts
            .iter()
            .map(|p| print(p, Ctx::Stage))
            .collect::<Vec<_>>()
            .join("\n| "),
        other => print(other, Ctx::Stage),
    }
}

/// Prints a filter for use inside a larger expression (always safe to juxtapose).
pub fn print_inline(f: &Filter) -> String {
    print(f, Ctx::Operand)
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Stage,
    Operand,
}

fn print(f: &Filter, ctx: Ctx) -> String {
    match f {
        Filter::All => "*".into(),
        Filter::And(parts) => {
            let s = parts
                .iter()
                .map(|p| print(p, Ctx::Operand))
                .collect::<Vec<_>>()
                .join(" and ");
            if ctx == Ctx::Stage {
                s
            } else {
                format!("({s})")
            }
        }
        Filter::Or(parts) => {
            let s = parts
                .iter()
                .map(|p| print(p, Ctx::Operand))
                .collect::<Vec<_>>()
                .join(" or ");
            if ctx == Ctx::Stage {
                s
            } else {
                format!("({s})")
            }
        }
        Filter::Not(inner) => format!("not {}", print(inner, Ctx::Operand)),
        Filter::Field {
            field,
            negated,
            value,
        } => {
            let op = if *negated { "!=" } else { "=" };
            match value {
                Value::Regex { .. } if *negated => {
                    format!("not {}={}", field_name(field), print_value(value))
                }
                _ => format!("{}{op}{}", field_name(field), print_value(value)),
            }
        }
        Filter::Compare { field, op, number } => format!("{} {op} {number}", field_name(field)),
        Filter::FreeText(v) => print_value(v),
        Filter::Call(c) => print_call(c),
    }
}

fn print_value(v: &Value) -> String {
    match v {
        Value::Star => "*".into(),
        Value::Str(s) => quote(s),
        Value::Regex { body, flags } => format!("/{body}/{flags}"),
    }
}

pub fn print_call(c: &FnCall) -> String {
    let mut out = String::new();
    if c.negated {
        out.push('!');
    }
    out.push_str(&c.name);
    out.push('(');
    for (i, (name, arg)) in c.args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if let Some(n) = name {
            let _ = write!(out, "{n}=");
        }
        out.push_str(&print_arg(arg));
    }
    out.push(')');
    out
}

fn print_arg(a: &Arg) -> String {
    match a {
        Arg::Field(f) => field_name(f),
        Arg::Str(s) => quote(s),
        Arg::Word(w) => w.clone(),
        Arg::Regex { body, flags } => format!("/{body}/{flags}"),
        Arg::Array(items) => format!(
            "[{}]",
            items.iter().map(print_arg).collect::<Vec<_>>().join(", ")
        ),
        Arg::Raw(s) => s.clone(),
    }
}

/// A CQL string literal: `"` and `\` escaped, newlines as `\n`
/// (https://library.humio.com/data-analysis/syntax-strings.html).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a string literal can carry the text (strings cannot hold control characters other than
/// newline).
pub fn quotable(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\n')
}

/// A field name, bare when it only uses field-name characters, else double-quoted.
pub fn field_name(f: &str) -> String {
    if is_bare_field(f) {
        f.to_string()
    } else {
        quote(f)
    }
}

/// Field-name characters: letters, digits, `_ . @ # % & \ ^`, with `[n]` indexes
/// (https://library.humio.com/data-analysis/syntax-fields.html).
pub fn is_bare_field(f: &str) -> bool {
    let mut chars = f.chars().peekable();
    if f.is_empty() || is_keyword(f) {
        return false;
    }
    while let Some(c) = chars.next() {
        match c {
            c if c.is_alphanumeric() => {}
            '_' | '.' | '@' | '#' | '%' | '&' | '\\' | '^' => {}
            '[' => {
                let mut digits = 0;
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    let _ = d;
                    chars.next();
                    digits += 1;
                }
                if digits == 0 || chars.next() != Some(']') {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// Whether the name can be used as a plain identifier in an expression (`test(a == b)`).
pub fn is_expr_identifier(f: &str) -> bool {
    is_bare_field(f) && !f.starts_with(|c: char| c.is_ascii_digit())
}

fn is_keyword(f: &str) -> bool {
    matches!(
        f.to_ascii_lowercase().as_str(),
        "and" | "or" | "not" | "like" | "case" | "match" | "true" | "false"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(field: &str, v: Value) -> Filter {
        Filter::Field {
            field: field.into(),
            negated: false,
            value: v,
        }
    }

    #[test]
    fn strings_escape_quotes_and_backslashes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn field_names_quote_when_needed() {
        assert_eq!(field_name("#event_simpleName"), "#event_simpleName");
        assert_eq!(field_name("a.b[0].c"), "a.b[0].c");
        assert_eq!(field_name("field name"), "\"field name\"");
        assert_eq!(field_name("host-name"), "\"host-name\"");
        assert_eq!(field_name("a[x]"), "\"a[x]\"");
        assert_eq!(field_name("not"), "\"not\"");
    }

    #[test]
    fn nested_groups_get_parentheses_and_top_and_becomes_stages() {
        let f = Filter::And(vec![
            Filter::Or(vec![
                eq("a", Value::Str("1".into())),
                Filter::And(vec![eq("b", Value::Star), eq("c", Value::Str("x".into()))]),
            ]),
            Filter::Not(Box::new(Filter::Or(vec![eq("d", Value::Star)]))),
        ]);
        assert_eq!(print_query(&f), "a=\"1\" or (b=* and c=\"x\")\n| not (d=*)");
    }

    #[test]
    fn negated_regex_uses_not() {
        let f = Filter::Field {
            field: "f".into(),
            negated: true,
            value: Value::Regex {
                body: "x".into(),
                flags: "i".into(),
            },
        };
        assert_eq!(print_query(&f), "not f=/x/i");
    }
}

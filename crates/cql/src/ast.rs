//! The syntax tree of a CQL query. Every node carries the byte span it was parsed from.

use crate::lexer::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub pipeline: Pipeline,
}

/// Stages separated by `|`. A leading `|` gives an [`StageKind::Empty`] first stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub stages: Vec<Stage>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub kind: StageKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StageKind {
    /// Nothing between two pipes (or before the first one): keeps every event.
    Empty,
    /// Filters, free text and function calls combined with `and`/`or`/`not`/juxtaposition. A
    /// function stage such as `groupBy(x)` is a filter consisting of one [`FilterKind::Call`].
    Filter(Filter),
    /// `field := expr`.
    Assign { field: Name, value: Expr },
    /// `case { clause ; clause ; … }`.
    Case { clauses: Vec<Pipeline> },
    /// `field match { guard => pipeline ; … }`.
    Match { field: Name, arms: Vec<MatchArm> },
    /// `[f1(), f2()]` as a stage: shorthand for `stats([...])`.
    Stats { items: Vec<ArgValue> },
}

/// A field name as written: `a.b[0]`, `"host-name"`, `` `e-mail` ``, `@timestamp`.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    /// The name with quotes and escapes resolved.
    pub text: String,
    pub span: Span,
    /// Written as a `"string"`.
    pub quoted: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub kind: FilterKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FilterKind {
    /// `a and b`, or `a b` (juxtaposition).
    And(Vec<Filter>),
    Or(Vec<Filter>),
    /// `not x` or `!x`.
    Not(Box<Filter>),
    /// `( … )`.
    Paren(Box<Filter>),
    /// `field op value`.
    Compare {
        field: Name,
        op: FilterOp,
        value: Value,
    },
    /// `a <=> b.c` (link condition in `correlate` queries).
    Link {
        left: Name,
        right: Name,
    },
    /// A free-text word, string, regex or parameter.
    Text(Value),
    /// A function call, possibly with `field =~` in front.
    Call(Call),
    /// Placeholder after a syntax error (never lowered).
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
}

impl FilterOp {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterOp::Eq => "=",
            FilterOp::Ne => "!=",
            FilterOp::Lt => "<",
            FilterOp::Le => "<=",
            FilterOp::Gt => ">",
            FilterOp::Ge => ">=",
            FilterOp::Like => "like",
        }
    }
}

/// A literal value in a filter or argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// Unquoted word; escapes resolved.
    Word(String),
    /// `"…"`; escapes resolved.
    Str(String),
    Regex {
        pattern: String,
        flags: String,
    },
    /// `?name` / `?{name=default}`.
    Param {
        name: String,
        default: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The name as written (`groupby`, `array:contains`, `$"pkg:q"` is stored without `$`/quotes).
    pub name: String,
    pub name_span: Span,
    /// `$name(…)`: a saved query.
    pub saved: bool,
    /// `!fn(…)`, `not fn(…)`, `f =~ !fn(…)` are represented by [`FilterKind::Not`] except in the
    /// field-operator form, where the `!` follows `=~`.
    pub negated: bool,
    /// `field =~ fn(…)`: passes `field=field`.
    pub receiver: Option<Name>,
    /// `name := fn(…)` inside a function list: passes `as=name`.
    pub assign: Option<Name>,
    pub args: Vec<Arg>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// `name=` for named arguments.
    pub name: Option<(String, Span)>,
    pub value: ArgValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    Value(Value),
    Array(Vec<ArgValue>, Span),
    /// `{ pipeline }`.
    Query(Pipeline),
    Call(Call),
    /// For expression-typed parameters (`test`, `eval`, `if`, …).
    Expr(Expr),
    /// `correlate(name: { … } include: [ … ], …)`: a named query with trailing `key: value`
    /// options.
    NamedQuery {
        query: Pipeline,
        options: Vec<(String, Span, ArgValue)>,
    },
}

impl ArgValue {
    pub fn span(&self) -> Span {
        match self {
            ArgValue::Value(v) => v.span.clone(),
            ArgValue::Array(_, s) => s.clone(),
            ArgValue::Query(p) => p.span.clone(),
            ArgValue::Call(c) => c.span.clone(),
            ArgValue::Expr(e) => e.span.clone(),
            ArgValue::NamedQuery { query, options } => {
                let end = options
                    .last()
                    .map_or(query.span.end, |(_, _, v)| v.span().end);
                query.span.start..end
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Num(String),
    Str(String),
    Bool(bool),
    Field(Name),
    Param {
        name: String,
        default: Option<String>,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Call),
    Paren(Box<Expr>),
    /// Placeholder after a syntax error (never lowered).
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Link,
}

impl BinOp {
    /// Binding power; higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Link => {
                1
            }
            BinOp::Add | BinOp::Sub => 2,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Link => "<=>",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    pub guard: Guard,
    pub body: Pipeline,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Guard {
    /// `=> …` with nothing before the arrow.
    Empty(Span),
    /// A word, string, glob, regex or parameter (`*` is a word).
    Value(Value),
    /// A filter function (`in(values=[…])`), possibly negated.
    Call(Call),
}

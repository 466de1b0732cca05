//! The IR every front-end lowers to and every back-end reads.
//!
//! A [`Plan`] is a pipeline of [`Op`]s. Filters are [`Predicate`]s, computed values [`Expr`]s.
//! Everything that is specific to one function of the query language but not to its syntax is a
//! [`Call`] with *named* arguments (front-ends bind positional arguments to parameter names, using
//! [`catalog`]), so back-ends see one shape per function whatever the spelling.
//!
//! Semantics written down here are LogScale's, which Sigma's map onto:
//! * a comparison on an absent field is false; [`Predicate::Not`] of it is therefore true
//!   (`f != x` keeps events without `f`);
//! * string matching is case-sensitive unless the matcher says `case_insensitive`;
//! * [`Matcher::Glob`] and [`Matcher::Equals`] are anchored on the whole value; [`Matcher::Regex`]
//!   is an unanchored search unless the pattern anchors itself.

pub mod catalog;

use serde::Serialize;

/// A field name as written (`ComputerName`, `@timestamp`, `#event_simpleName`, `a.b[0]`).
pub type Field = String;

/// A pipeline: the stages run in order, each consuming the previous one's output.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    pub ops: Vec<Op>,
}

impl Plan {
    pub fn new(ops: Vec<Op>) -> Self {
        Self { ops }
    }

    /// A pipeline that keeps every event unchanged.
    pub fn pass() -> Self {
        Self::default()
    }

    pub fn filter(p: Predicate) -> Self {
        Self {
            ops: vec![Op::Filter(p)],
        }
    }
}

/// One pipeline stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Op {
    /// Keep events for which the predicate holds.
    Filter(Predicate),
    /// `field := expr` (and `eval(a=…, b=…)`): evaluated left to right; a null result leaves the
    /// field untouched.
    Assign(Vec<(Field, Expr)>),
    /// `case { … ; … }`: the first branch whose pipeline yields output wins and its output replaces
    /// the event. Events no branch takes are dropped (a `*` branch is `Plan::pass()`).
    Case(Vec<Plan>),
    /// `field match { guard => pipeline ; … }`.
    Match { field: Field, arms: Vec<MatchArm> },
    /// A function stage (`groupBy`, `sort`, `select`, `regex`, `format`, …) with bound arguments.
    /// `negated` is set for `!fn(…)` / `not fn(…)` on filter functions.
    Call(Call),
    /// Sigma correlation over the events that the referenced rule plans emit.
    Correlate(Correlation),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchArm {
    pub guard: Guard,
    pub body: Plan,
}

/// A `match` guard, tested against the match field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Guard {
    /// `*` or `true`: matches everything, even events without the field.
    Any,
    /// A value, glob, regex or presence test, as in `field = guard`.
    Matcher(Matcher),
    /// A filter function applied with `field=` set to the match field (e.g. `in(values=[…])`).
    Call(Call),
}

/// A boolean filter over one event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Predicate {
    True,
    False,
    And(Vec<Predicate>),
    Or(Vec<Predicate>),
    Not(Box<Predicate>),
    /// A test on one field's value; false when the field is absent (except [`Matcher::Absent`]).
    Field {
        field: Field,
        matcher: Matcher,
    },
    /// Free text: the matcher is applied to `@rawstring` and every field value, excluding `@id`,
    /// `@timestamp`, `@ingesttimestamp` and tag fields. Regexes may extract named groups.
    FreeText(Matcher),
    /// A filter function (`in`, `cidr`, `test`, `wildcard`, `regex`, `match`, …) used as a
    /// predicate, with bound arguments.
    Call(Call),
    /// `test(expr)`-style boolean expression.
    Expr(Expr),
}

impl Predicate {
    pub fn field(field: impl Into<Field>, matcher: Matcher) -> Self {
        Predicate::Field {
            field: field.into(),
            matcher,
        }
    }

    pub fn negate(self) -> Self {
        match self {
            Predicate::Not(inner) => *inner,
            Predicate::True => Predicate::False,
            Predicate::False => Predicate::True,
            p => Predicate::Not(Box::new(p)),
        }
    }
}

/// How one value is tested.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Matcher {
    /// The field exists (any value, even empty): `f = *`.
    Exists,
    /// The field is absent: `f != *`. True on events without the field.
    Absent,
    /// Whole value equals `value`.
    Equals {
        value: String,
        case_insensitive: bool,
    },
    /// Whole value matches a glob where `*` is any run of characters (no escape for `*`).
    Glob {
        pattern: String,
        case_insensitive: bool,
    },
    /// Value contains / starts with / ends with `value` (Sigma modifiers; CQL `like`).
    Contains {
        value: String,
        case_insensitive: bool,
    },
    StartsWith {
        value: String,
        case_insensitive: bool,
    },
    EndsWith {
        value: String,
        case_insensitive: bool,
    },
    /// Regex search. `pattern` is in the source dialect noted by `dialect`; flags are the CQL
    /// letters (`i`, `m`, `d`, `g`, `F`) or Sigma's (`i`, `m`, `s`).
    Regex {
        pattern: String,
        flags: String,
        dialect: RegexDialect,
    },
    /// Numeric comparison; the value must read as a number.
    Compare { op: CmpOp, value: f64 },
    /// IP address in any of the CIDR subnets (or equal to a listed address).
    Cidr { subnets: Vec<String> },
    /// Equal to any of `values` (each an anchored glob when `glob` is set), as in `in()`.
    AnyOf {
        values: Vec<String>,
        glob: bool,
        case_insensitive: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RegexDialect {
    /// LogScale's JitRex: lookahead allowed; `(...)` groups do not capture; named groups become fields.
    LogScale,
    /// Sigma `|re`: PCRE-flavoured; named groups do not become fields.
    Sigma,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// A computed value (the right side of `:=`, arguments of `test()`, `if()`, …).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Expr {
    /// A string literal.
    Str(String),
    /// A number literal, kept as written (`7.0` stays `7.0`).
    Num(String),
    Bool(bool),
    /// The value of a field (null when absent).
    Field(Field),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A function evaluated for its value (its output field's value, or true/false for filters).
    Call(Call),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
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
    /// `<=>` in `correlate()` link conditions.
    Link,
}

/// A function call with arguments bound to parameter names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Call {
    /// Canonical name from the catalog (`groupBy`, `array:contains`, `$savedSearch` for `$name()`).
    pub name: String,
    pub args: Vec<Arg>,
    /// `!fn(…)` / `not fn(…)`.
    pub negated: bool,
}

impl Call {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            args: Vec::new(),
            negated: false,
        }
    }

    pub fn arg(mut self, name: impl Into<String>, value: ArgValue) -> Self {
        self.args.push(Arg {
            name: name.into(),
            value,
        });
        self
    }

    pub fn get(&self, name: &str) -> Option<&ArgValue> {
        self.args.iter().find(|a| a.name == name).map(|a| &a.value)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arg {
    pub name: String,
    pub value: ArgValue,
}

/// An argument value as the query wrote it; the function decides how to read it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ArgValue {
    /// `"text"` (escapes resolved).
    Str(String),
    /// An unquoted word: a field name or an enum value (`desc`, `max`, `true`).
    Word(String),
    Num(String),
    Regex {
        pattern: String,
        flags: String,
    },
    Array(Vec<ArgValue>),
    /// `{ pipeline }` or a function list such as `function=[count(), max(x)]`.
    Plan(Plan),
    Call(Call),
    Expr(Expr),
    /// `?name` not yet substituted.
    Param(String),
}

impl ArgValue {
    /// The text of a string, word or number argument.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ArgValue::Str(s) | ArgValue::Word(s) | ArgValue::Num(s) => Some(s),
            _ => None,
        }
    }
}

/// A Sigma correlation rule (also the target of CQL's `correlate()` where expressible).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Correlation {
    pub kind: CorrelationKind,
    /// The plans of the referenced rules, in the order the rule lists them.
    pub rules: Vec<(String, Plan)>,
    pub group_by: Vec<Field>,
    /// Window length in milliseconds.
    pub timespan_ms: i64,
    pub condition: Option<CorrelationCondition>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum CorrelationKind {
    EventCount,
    ValueCount { field: Field },
    Temporal,
    TemporalOrdered,
    ValueSum { field: Field },
    ValueAvg { field: Field },
    ValuePercentile { field: Field, percentile: f64 },
    ValueMedian { field: Field },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CorrelationCondition {
    pub op: CmpOp,
    pub value: f64,
    /// A second bound (`gte: 3` together with `lte: 10`).
    pub and: Option<(CmpOp, f64)>,
}

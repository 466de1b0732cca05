//! The CQL function catalogue: names, parameters, defaults and kinds.
//!
//! Shared by the front-end (binding the unnamed argument, "unknown parameter" diagnostics), the
//! checker and the engine (which implements the functions listed here). Names are matched
//! case-insensitively; [`FunctionSpec::name`] is the documented spelling.

/// What a function does to the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnKind {
    /// Keeps or drops events (`in`, `cidr`, `test`, `wildcard`).
    Filter,
    /// Changes events one at a time (`format`, `rename`, `regex`, `lower`, …).
    Transform,
    /// Consumes the stream and emits rows (`groupBy`, `count`, `sort`, `head`, `table`, …).
    Aggregate,
    /// Needs state or data saker has no access to offline but can stand in for (`ipLocation`).
    External,
}

/// How an argument is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A field name (or an array of them when `many`).
    Field,
    /// A string, number or enum word.
    Value,
    Regex,
    /// An expression (`test`, `eval`, `if`).
    Expr,
    /// A nested pipeline `{ … }`.
    Query,
    /// An aggregate or list of aggregates (`function=`).
    Function,
    /// An array of values.
    Array,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    P0,
    P1,
    P2,
}

#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    /// The documented default, as text.
    pub default: Option<&'static str>,
    /// Accepts an array (`field=[a, b]`).
    pub many: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub kind: FnKind,
    pub priority: Priority,
    /// The parameter an unnamed argument binds to.
    pub unnamed: Option<&'static str>,
    pub params: &'static [ParamSpec],
    /// Default output field (`_count`), when the function writes one.
    pub output: Option<&'static str>,
}

impl FunctionSpec {
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// Looks a function up by name, ignoring ASCII case.
pub fn lookup(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// Every known function name, for "did you mean" hints.
pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

const fn p(name: &'static str, kind: ParamKind) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: false,
        default: None,
        many: false,
    }
}

const fn req(name: &'static str, kind: ParamKind) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: true,
        default: None,
        many: false,
    }
}

const fn def(name: &'static str, kind: ParamKind, default: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: false,
        default: Some(default),
        many: false,
    }
}

const fn many(name: &'static str, kind: ParamKind) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: false,
        default: None,
        many: true,
    }
}

const fn req_many(name: &'static str, kind: ParamKind) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: true,
        default: None,
        many: true,
    }
}

const fn def_many(name: &'static str, kind: ParamKind, default: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: false,
        default: Some(default),
        many: true,
    }
}

use FnKind::*;
use ParamKind as K;
use Priority::*;

/// `FunctionSpec` literal: `f!(name, kind, priority, unnamed, output, [params…])`.
macro_rules! f {
    ($name:literal, $kind:ident, $prio:ident, $unnamed:expr, $out:expr, [$($param:expr),* $(,)?]) => {
        FunctionSpec {
            name: $name,
            kind: $kind,
            priority: $prio,
            unnamed: $unnamed,
            params: &[$($param),*],
            output: $out,
        }
    };
}

/// `time:*` functions: `(field=@timestamp, as=<output>, timezone)`.
macro_rules! time_fn {
    ($name:literal, $out:literal) => {
        f!(
            $name,
            Transform,
            P1,
            Some("field"),
            Some($out),
            [
                def("field", K::Field, "@timestamp"),
                def("as", K::Value, $out),
                p("timezone", K::Value),
            ]
        )
    };
}

/// `math:*` functions of one field: `(field, as=<output>)`; the argument is a field name.
macro_rules! math_fn {
    ($name:literal, $out:literal) => {
        f!(
            $name,
            Transform,
            P2,
            Some("field"),
            Some($out),
            [req("field", K::Field), def("as", K::Value, $out),]
        )
    };
}

/// `crypto:*` digests over one or more fields.
macro_rules! digest_fn {
    ($name:literal, $out:literal) => {
        f!(
            $name,
            Transform,
            P1,
            Some("field"),
            Some($out),
            [req_many("field", K::Field), def("as", K::Value, $out),]
        )
    };
}

/// The catalogue: every function of SPEC.md §14 and its "other functions" list, with the
/// documented parameter names, the parameter an unnamed argument binds to, defaults and output.
pub static FUNCTIONS: &[FunctionSpec] = &[
    // ---- aggregates ---------------------------------------------------------------------------
    f!(
        "groupBy",
        Aggregate,
        P0,
        Some("field"),
        None,
        [
            req_many("field", K::Field),
            def("function", K::Function, "count(as=_count)"),
            def("limit", K::Value, "20000"),
        ]
    ),
    f!(
        "count",
        Aggregate,
        P0,
        Some("field"),
        Some("_count"),
        [
            p("field", K::Field),
            def("distinct", K::Value, "false"),
            def("as", K::Value, "_count"),
        ]
    ),
    f!(
        "sort",
        Aggregate,
        P0,
        Some("field"),
        None,
        [
            many("field", K::Field),
            def_many("order", K::Value, "desc"),
            def_many("type", K::Value, "number"),
            def("limit", K::Value, "200"),
            p("reverse", K::Value),
        ]
    ),
    f!(
        "table",
        Aggregate,
        P0,
        Some("fields"),
        None,
        [
            req_many("fields", K::Field),
            def("limit", K::Value, "200"),
            def_many("sortby", K::Field, "@timestamp"),
            def_many("order", K::Value, "desc"),
            def_many("type", K::Value, "number"),
            p("reverse", K::Value),
        ]
    ),
    f!(
        "top",
        Aggregate,
        P0,
        Some("field"),
        Some("_count"),
        [
            req_many("field", K::Field),
            def("limit", K::Value, "10"),
            def("as", K::Value, "_count"),
            p("sum", K::Field),
            p("max", K::Field),
            def("percent", K::Value, "false"),
            p("rest", K::Value),
            def("error", K::Value, "5"),
        ]
    ),
    f!(
        "head",
        Aggregate,
        P0,
        Some("limit"),
        None,
        [def("limit", K::Value, "200")]
    ),
    f!(
        "tail",
        Aggregate,
        P0,
        Some("limit"),
        None,
        [def("limit", K::Value, "200")]
    ),
    f!(
        "collect",
        Aggregate,
        P0,
        Some("fields"),
        None,
        [
            req_many("fields", K::Field),
            def("limit", K::Value, "2000"),
            def("separator", K::Value, "\n"),
            def("multival", K::Value, "true"),
        ]
    ),
    f!(
        "avg",
        Aggregate,
        P0,
        Some("field"),
        Some("_avg"),
        [req("field", K::Field), def("as", K::Value, "_avg"),]
    ),
    f!(
        "sum",
        Aggregate,
        P0,
        Some("field"),
        Some("_sum"),
        [req("field", K::Field), def("as", K::Value, "_sum"),]
    ),
    f!(
        "max",
        Aggregate,
        P0,
        Some("field"),
        Some("_max"),
        [
            req("field", K::Field),
            def("as", K::Value, "_max"),
            p("type", K::Value),
        ]
    ),
    f!(
        "min",
        Aggregate,
        P0,
        Some("field"),
        Some("_min"),
        [
            req("field", K::Field),
            def("as", K::Value, "_min"),
            p("type", K::Value),
        ]
    ),
    f!(
        "stdDev",
        Aggregate,
        P2,
        Some("field"),
        Some("_stddev"),
        [req("field", K::Field), def("as", K::Value, "_stddev"),]
    ),
    f!(
        "range",
        Aggregate,
        P2,
        Some("field"),
        Some("_range"),
        [req("field", K::Field), def("as", K::Value, "_range"),]
    ),
    f!(
        "percentile",
        Aggregate,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            def_many("percentiles", K::Array, "[50, 75, 99]"),
            def("accuracy", K::Value, "0.01"),
            p("as", K::Value),
        ]
    ),
    f!(
        "selectLast",
        Aggregate,
        P1,
        Some("fields"),
        None,
        [req_many("fields", K::Field)]
    ),
    f!(
        "selectFromMax",
        Aggregate,
        P1,
        Some("field"),
        None,
        [req("field", K::Field), req_many("include", K::Field),]
    ),
    f!(
        "selectFromMin",
        Aggregate,
        P1,
        Some("field"),
        None,
        [req("field", K::Field), req_many("include", K::Field),]
    ),
    f!(
        "stats",
        Aggregate,
        P1,
        Some("function"),
        None,
        [p("function", K::Function)]
    ),
    f!(
        "timeChart",
        Aggregate,
        P1,
        Some("series"),
        None,
        [
            p("series", K::Field),
            def("function", K::Function, "count(as=_count)"),
            def("span", K::Value, "auto"),
            p("buckets", K::Value),
            def("limit", K::Value, "10"),
            p("minSpan", K::Value),
            p("timezone", K::Value),
            p("unit", K::Value),
        ]
    ),
    f!(
        "bucket",
        Aggregate,
        P1,
        Some("span"),
        Some("_bucket"),
        [
            p("span", K::Value),
            many("field", K::Field),
            def("function", K::Function, "count(as=_count)"),
            p("buckets", K::Value),
            def("limit", K::Value, "10"),
            p("minSpan", K::Value),
            p("timezone", K::Value),
            p("unit", K::Value),
        ]
    ),
    f!(
        "createEvents",
        Aggregate,
        P1,
        Some("rawstring"),
        None,
        [req_many("rawstring", K::Value)]
    ),
    f!(
        "readFile",
        Aggregate,
        P1,
        Some("file"),
        None,
        [
            req_many("file", K::Value),
            many("include", K::Field),
            p("limit", K::Value),
        ]
    ),
    f!(
        "sankey",
        Aggregate,
        P2,
        Some("source"),
        None,
        [
            req("source", K::Field),
            req("target", K::Field),
            def("weight", K::Function, "count(as=_count)"),
        ]
    ),
    f!(
        "worldMap",
        Aggregate,
        P2,
        Some("ip"),
        None,
        [
            p("ip", K::Field),
            p("lat", K::Field),
            p("lon", K::Field),
            def("magnitude", K::Function, "count(as=_count)"),
            def("precision", K::Value, "4"),
        ]
    ),
    f!(
        "transpose",
        Aggregate,
        P2,
        Some("pivot"),
        None,
        [
            p("pivot", K::Field),
            p("header", K::Field),
            def("column", K::Value, "column"),
            def("limit", K::Value, "5"),
        ]
    ),
    f!(
        "fieldstats",
        Aggregate,
        P2,
        None,
        None,
        [p("limit", K::Value)]
    ),
    f!("fieldset", Aggregate, P2, None, None, []),
    f!(
        "series",
        Aggregate,
        P2,
        Some("collect"),
        None,
        [
            req_many("collect", K::Field),
            p("separator", K::Value),
            p("endmatch", K::Query),
            p("startmatch", K::Query),
            p("maxpause", K::Value),
            p("maxduration", K::Value),
            p("memlimit", K::Value),
        ]
    ),
    f!(
        "session",
        Aggregate,
        P2,
        Some("function"),
        None,
        [
            def("function", K::Function, "count(as=_count)"),
            def("maxpause", K::Value, "15m"),
        ]
    ),
    f!(
        "window",
        Aggregate,
        P2,
        Some("function"),
        None,
        [
            req("function", K::Function),
            p("span", K::Value),
            p("buckets", K::Value),
        ]
    ),
    f!(
        "accumulate",
        Transform,
        P2,
        Some("function"),
        None,
        [
            req("function", K::Function),
            def("current", K::Value, "include"),
        ]
    ),
    f!(
        "slidingWindow",
        Transform,
        P2,
        Some("function"),
        None,
        [
            req("function", K::Function),
            req("events", K::Value),
            def("current", K::Value, "include"),
        ]
    ),
    f!(
        "slidingTimeWindow",
        Transform,
        P2,
        Some("function"),
        None,
        [
            req("function", K::Function),
            req("span", K::Value),
            def("current", K::Value, "include"),
            def("timestampfield", K::Field, "@timestamp"),
        ]
    ),
    f!(
        "partition",
        Transform,
        P2,
        Some("function"),
        None,
        [
            req("function", K::Function),
            req("condition", K::Query),
            def("split", K::Value, "before"),
        ]
    ),
    f!(
        "neighbor",
        Transform,
        P2,
        Some("include"),
        None,
        [
            req_many("include", K::Field),
            p("prefix", K::Value),
            def("direction", K::Value, "preceding"),
            def("distance", K::Value, "1"),
        ]
    ),
    f!(
        "array:reduceAll",
        Aggregate,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("var", K::Value),
            req("function", K::Function),
        ]
    ),
    f!(
        "array:reduceColumn",
        Aggregate,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("var", K::Value),
            req("function", K::Function),
            p("as", K::Value),
        ]
    ),
    f!(
        "array:reduceRow",
        Transform,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("var", K::Value),
            req("function", K::Function),
            p("as", K::Value),
        ]
    ),
    // ---- filters ------------------------------------------------------------------------------
    f!(
        "in",
        Filter,
        P0,
        Some("field"),
        None,
        [
            req("field", K::Field),
            req_many("values", K::Array),
            def("ignoreCase", K::Value, "false"),
        ]
    ),
    f!(
        "wildcard",
        Filter,
        P0,
        Some("pattern"),
        None,
        [
            req("pattern", K::Value),
            many("field", K::Field),
            def("ignoreCase", K::Value, "false"),
            def("includeEverythingOnAsterisk", K::Value, "false"),
        ]
    ),
    f!(
        "test",
        Filter,
        P0,
        Some("expression"),
        None,
        [req("expression", K::Expr)]
    ),
    f!(
        "cidr",
        Filter,
        P0,
        Some("field"),
        None,
        [
            req("field", K::Field),
            many("subnet", K::Value),
            p("file", K::Value),
            p("column", K::Value),
            def("negate", K::Value, "false"),
        ]
    ),
    f!(
        "selfJoinFilter",
        Filter,
        P1,
        Some("field"),
        None,
        [
            req_many("field", K::Field),
            req_many("where", K::Query),
            def("prefilter", K::Value, "false"),
        ]
    ),
    f!(
        "array:contains",
        Filter,
        P1,
        Some("array"),
        None,
        [req("array", K::Field), req("value", K::Value),]
    ),
    f!(
        "array:regex",
        Filter,
        P1,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("regex", K::Value),
            p("flags", K::Value),
        ]
    ),
    f!(
        "array:exists",
        Filter,
        P1,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("condition", K::Query),
            p("var", K::Value),
        ]
    ),
    f!(
        "objectArray:exists",
        Filter,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("condition", K::Query),
            p("var", K::Value),
        ]
    ),
    f!(
        "text:contains",
        Filter,
        P1,
        Some("string"),
        None,
        [req("string", K::Expr), req("substring", K::Expr),]
    ),
    f!(
        "text:startsWith",
        Filter,
        P2,
        Some("string"),
        None,
        [req("string", K::Expr), req("substring", K::Expr),]
    ),
    f!(
        "text:endsWith",
        Filter,
        P2,
        Some("string"),
        None,
        [req("string", K::Expr), req("substring", K::Expr),]
    ),
    f!(
        "sample",
        Filter,
        P2,
        Some("percentage"),
        None,
        [
            def("percentage", K::Value, "1"),
            def("field", K::Field, "@timestamp"),
        ]
    ),
    f!("dropEvent", Filter, P2, None, None, []),
    // ---- transformations ----------------------------------------------------------------------
    f!(
        "rename",
        Transform,
        P0,
        Some("field"),
        None,
        [req_many("field", K::Field), p("as", K::Value),]
    ),
    f!(
        "regex",
        Transform,
        P0,
        Some("regex"),
        None,
        [
            req("regex", K::Regex),
            def("field", K::Field, "@rawstring"),
            def("flags", K::Value, "m"),
            def("strict", K::Value, "true"),
            def("repeat", K::Value, "false"),
            def("limit", K::Value, "100"),
        ]
    ),
    f!(
        "replace",
        Transform,
        P1,
        Some("regex"),
        None,
        [
            req("regex", K::Regex),
            def("with", K::Value, ""),
            p("replacement", K::Value),
            def("field", K::Field, "@rawstring"),
            p("as", K::Value),
            def("flags", K::Value, "m"),
        ]
    ),
    f!(
        "format",
        Transform,
        P0,
        Some("format"),
        Some("_format"),
        [
            req("format", K::Value),
            many("field", K::Field),
            def("as", K::Value, "_format"),
            p("timezone", K::Value),
        ]
    ),
    f!(
        "default",
        Transform,
        P0,
        Some("value"),
        None,
        [
            req("value", K::Value),
            req_many("field", K::Field),
            def("replaceEmpty", K::Value, "false"),
        ]
    ),
    f!(
        "match",
        Transform,
        P0,
        Some("file"),
        None,
        [
            p("file", K::Value),
            p("table", K::Value),
            many("field", K::Field),
            many("column", K::Field),
            many("include", K::Field),
            def("strict", K::Value, "true"),
            def("mode", K::Value, "string"),
            def("ignoreCase", K::Value, "false"),
            def("nrows", K::Value, "1"),
            p("glob", K::Value),
        ]
    ),
    f!(
        "select",
        Transform,
        P0,
        Some("fields"),
        None,
        [req_many("fields", K::Field)]
    ),
    f!(
        "drop",
        Transform,
        P0,
        Some("fields"),
        None,
        [req_many("fields", K::Field)]
    ),
    f!(
        "formatTime",
        Transform,
        P0,
        Some("format"),
        None,
        [
            req("format", K::Value),
            def("field", K::Field, "@timestamp"),
            req("as", K::Value),
            def("timezone", K::Value, "UTC"),
            p("locale", K::Value),
            def("unit", K::Value, "auto"),
        ]
    ),
    f!(
        "join",
        Transform,
        P1,
        Some("query"),
        None,
        [
            req("query", K::Query),
            req_many("field", K::Field),
            many("key", K::Field),
            many("include", K::Field),
            def("mode", K::Value, "inner"),
            def("max", K::Value, "1"),
            def("limit", K::Value, "100000"),
            p("repo", K::Value),
            p("view", K::Value),
            p("start", K::Value),
            p("end", K::Value),
            p("live", K::Value),
        ]
    ),
    f!(
        "split",
        Transform,
        P1,
        Some("field"),
        None,
        [
            def("field", K::Field, "_events"),
            def("strip", K::Value, "false"),
        ]
    ),
    f!(
        "lower",
        Transform,
        P0,
        Some("field"),
        Some("_lower"),
        [
            req("field", K::Field),
            def("as", K::Value, "_lower"),
            p("locale", K::Value),
        ]
    ),
    f!(
        "upper",
        Transform,
        P1,
        Some("field"),
        Some("_upper"),
        [
            req("field", K::Field),
            def("as", K::Value, "_upper"),
            p("locale", K::Value),
        ]
    ),
    f!(
        "lowercase",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req_many("field", K::Field),
            def("include", K::Value, "values"),
            p("locale", K::Value),
        ]
    ),
    f!(
        "parseJson",
        Transform,
        P0,
        Some("field"),
        None,
        [
            def("field", K::Field, "@rawstring"),
            p("prefix", K::Value),
            many("exclude", K::Field),
            many("include", K::Field),
            def("handleNull", K::Value, "keep"),
            def("excludeEmpty", K::Value, "false"),
            many("removePrefixes", K::Value),
        ]
    ),
    f!(
        "parseTimestamp",
        Transform,
        P1,
        Some("format"),
        None,
        [
            p("format", K::Value),
            p("field", K::Field),
            def("as", K::Value, "@timestamp"),
            p("timezone", K::Value),
            p("timezoneField", K::Field),
            def("addErrors", K::Value, "true"),
            def("caseSensitive", K::Value, "true"),
        ]
    ),
    f!(
        "findTimestamp",
        Transform,
        P2,
        Some("field"),
        None,
        [
            def("field", K::Field, "@rawstring"),
            def("as", K::Value, "@timestamp"),
            p("timezone", K::Value),
            def("addErrors", K::Value, "true"),
            p("timezoneAs", K::Value),
        ]
    ),
    f!(
        "round",
        Transform,
        P1,
        Some("field"),
        None,
        [
            req("field", K::Field),
            def("how", K::Value, "round"),
            p("as", K::Value),
        ]
    ),
    f!(
        "now",
        Transform,
        P1,
        None,
        Some("_now"),
        [def("as", K::Value, "_now")]
    ),
    f!(
        "start",
        Transform,
        P2,
        None,
        Some("_start"),
        [def("as", K::Value, "_start")]
    ),
    f!(
        "end",
        Transform,
        P2,
        None,
        Some("_end"),
        [def("as", K::Value, "_end")]
    ),
    f!(
        "splitString",
        Transform,
        P1,
        Some("field"),
        Some("_splitstring"),
        [
            def("field", K::Field, "@rawstring"),
            req("by", K::Value),
            def("as", K::Value, "_splitstring"),
            p("index", K::Value),
        ]
    ),
    f!(
        "if",
        Transform,
        P0,
        Some("condition"),
        Some("_if"),
        [
            req("condition", K::Expr),
            req("then", K::Expr),
            req("else", K::Expr),
            def("as", K::Value, "_if"),
        ]
    ),
    f!(
        "kvParse",
        Transform,
        P1,
        Some("field"),
        None,
        [
            def("field", K::Field, "@rawstring"),
            p("as", K::Value),
            p("prefix", K::Value),
            def("override", K::Value, "false"),
            def("onDuplicate", K::Value, "keepLast"),
            def("separator", K::Value, "="),
            def("excludeEmpty", K::Value, "false"),
            p("separatorPadding", K::Value),
        ]
    ),
    f!(
        "defineTable",
        Transform,
        P1,
        Some("query"),
        None,
        [
            req("query", K::Query),
            req("name", K::Value),
            many("include", K::Field),
            p("start", K::Value),
            p("end", K::Value),
            p("view", K::Value),
            p("repo", K::Value),
        ]
    ),
    f!(
        "concatArray",
        Transform,
        P1,
        Some("field"),
        Some("_concatArray"),
        [
            req("field", K::Field),
            def("from", K::Value, "0"),
            p("to", K::Value),
            def("separator", K::Value, ""),
            p("prefix", K::Value),
            p("suffix", K::Value),
            def("as", K::Value, "_concatArray"),
        ]
    ),
    f!("eval", Transform, P1, None, None, []),
    f!(
        "concat",
        Transform,
        P1,
        Some("field"),
        Some("_concat"),
        [req_many("field", K::Field), def("as", K::Value, "_concat"),]
    ),
    f!(
        "formatDuration",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            def("from", K::Value, "ms"),
            def("precision", K::Value, "0"),
            p("as", K::Value),
        ]
    ),
    f!(
        "unit:convert",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            p("from", K::Value),
            p("to", K::Value),
            p("unit", K::Value),
            def("binary", K::Value, "false"),
            def("keepUnit", K::Value, "false"),
            p("as", K::Value),
        ]
    ),
    f!(
        "length",
        Transform,
        P1,
        Some("field"),
        Some("_length"),
        [req("field", K::Field), def("as", K::Value, "_length"),]
    ),
    f!(
        "shannonEntropy",
        Transform,
        P1,
        Some("field"),
        Some("_shannonentropy"),
        [
            req("field", K::Field),
            def("as", K::Value, "_shannonentropy"),
        ]
    ),
    f!(
        "urlDecode",
        Transform,
        P1,
        Some("field"),
        Some("_urldecode"),
        [req("field", K::Field), def("as", K::Value, "_urldecode"),]
    ),
    f!(
        "urlEncode",
        Transform,
        P1,
        Some("field"),
        Some("_urlencode"),
        [req("field", K::Field), def("as", K::Value, "_urlencode"),]
    ),
    f!(
        "parseInt",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            def("radix", K::Value, "16"),
            def("endian", K::Value, "big"),
            p("as", K::Value),
        ]
    ),
    f!(
        "base64Decode",
        Transform,
        P1,
        Some("field"),
        Some("_base64Decode"),
        [
            req("field", K::Field),
            def("charset", K::Value, "UTF-8"),
            def("as", K::Value, "_base64Decode"),
        ]
    ),
    f!(
        "coalesce",
        Transform,
        P1,
        Some("expressions"),
        Some("_coalesce"),
        [
            req_many("expressions", K::Expr),
            def("ignoreEmpty", K::Value, "true"),
            def("as", K::Value, "_coalesce"),
        ]
    ),
    f!(
        "setField",
        Transform,
        P2,
        None,
        None,
        [req("target", K::Expr), req("value", K::Expr),]
    ),
    f!(
        "getField",
        Transform,
        P2,
        Some("source"),
        Some("_getField"),
        [req("source", K::Expr), def("as", K::Value, "_getField"),]
    ),
    f!(
        "hash",
        Transform,
        P2,
        Some("field"),
        Some("_hash"),
        [
            req_many("field", K::Field),
            p("limit", K::Value),
            p("seed", K::Value),
            def("as", K::Value, "_hash"),
        ]
    ),
    f!(
        "communityId",
        Transform,
        P2,
        None,
        Some("_communityid"),
        [
            req("sourceip", K::Field),
            req("destinationip", K::Field),
            p("sourceport", K::Field),
            p("destinationport", K::Field),
            p("protocol", K::Field),
            p("proto", K::Field),
            def("as", K::Value, "_communityid"),
            p("seed", K::Value),
        ]
    ),
    f!(
        "geohash",
        Transform,
        P2,
        None,
        Some("_geohash"),
        [
            def("lat", K::Field, "ip.lat"),
            def("lon", K::Field, "ip.lon"),
            def("precision", K::Value, "12"),
            def("as", K::Value, "_geohash"),
        ]
    ),
    f!(
        "parseXml",
        Transform,
        P2,
        Some("field"),
        None,
        [def("field", K::Field, "@rawstring"), p("prefix", K::Value),]
    ),
    f!(
        "parseCsv",
        Transform,
        P2,
        Some("field"),
        None,
        [
            def("field", K::Field, "@rawstring"),
            req_many("columns", K::Value),
            def("delimiter", K::Value, ","),
            def("excludeEmpty", K::Value, "false"),
            p("trim", K::Value),
        ]
    ),
    f!(
        "parseUrl",
        Transform,
        P2,
        Some("field"),
        None,
        [def("field", K::Field, "url"), p("as", K::Value),]
    ),
    f!(
        "parseUri",
        Transform,
        P2,
        Some("field"),
        None,
        [
            def("field", K::Field, "url"),
            p("defaultBase", K::Value),
            p("prefix", K::Value),
        ]
    ),
    f!(
        "parseCEF",
        Transform,
        P2,
        Some("field"),
        None,
        [
            def("field", K::Field, "@rawstring"),
            p("prefix", K::Value),
            p("headerprefix", K::Value),
        ]
    ),
    f!(
        "parseLEEF",
        Transform,
        P2,
        Some("field"),
        None,
        [
            def("field", K::Field, "@rawstring"),
            p("prefix", K::Value),
            p("headerprefix", K::Value),
            p("keepheader", K::Value),
        ]
    ),
    f!(
        "parseHexString",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            p("as", K::Value),
            p("charset", K::Value),
        ]
    ),
    f!(
        "json:prettyPrint",
        Transform,
        P2,
        Some("field"),
        None,
        [
            def("field", K::Field, "@rawstring"),
            p("as", K::Value),
            p("step", K::Value),
        ]
    ),
    f!(
        "writeJson",
        Transform,
        P2,
        Some("field"),
        Some("_json"),
        [many("field", K::Field), def("as", K::Value, "_json"),]
    ),
    f!(
        "eventSize",
        Transform,
        P2,
        None,
        Some("_eventSize"),
        [def("as", K::Value, "_eventSize")]
    ),
    f!(
        "setTimeInterval",
        Transform,
        P2,
        Some("start"),
        None,
        [req("start", K::Value), p("end", K::Value),]
    ),
    f!(
        "duration",
        Transform,
        P2,
        Some("duration"),
        Some("_duration"),
        [req("duration", K::Value), def("as", K::Value, "_duration"),]
    ),
    f!(
        "subnet",
        Transform,
        P2,
        Some("field"),
        Some("_subnet"),
        [
            req("field", K::Field),
            req("bits", K::Value),
            def("as", K::Value, "_subnet"),
        ]
    ),
    f!(
        "bitfield:extractFlags",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            req_many("output", K::Array),
            def("onlyTrue", K::Value, "false"),
        ]
    ),
    f!(
        "bitfield:extractFlagsAsArray",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            req_many("flagNames", K::Array),
            req("asArray", K::Value),
        ]
    ),
    f!(
        "bitfield:extractFlagsAsString",
        Transform,
        P2,
        Some("field"),
        Some("_flags"),
        [
            req("field", K::Field),
            req_many("flagNames", K::Array),
            def("as", K::Value, "_flags"),
            def("separator", K::Value, " "),
        ]
    ),
    f!(
        "text:substring",
        Transform,
        P2,
        Some("string"),
        Some("_string"),
        [
            req("string", K::Expr),
            def("begin", K::Expr, "0"),
            p("end", K::Expr),
            def("as", K::Value, "_string"),
        ]
    ),
    f!(
        "text:positionOf",
        Transform,
        P2,
        Some("string"),
        Some("_position"),
        [
            req("string", K::Expr),
            req("character", K::Expr),
            def("occurrence", K::Expr, "1"),
            def("begin", K::Expr, "0"),
            def("as", K::Value, "_position"),
        ]
    ),
    f!(
        "text:length",
        Transform,
        P2,
        Some("string"),
        Some("_length"),
        [req("string", K::Expr), def("as", K::Value, "_length"),]
    ),
    f!(
        "array:append",
        Transform,
        P2,
        Some("array"),
        None,
        [req("array", K::Field), req_many("values", K::Expr),]
    ),
    f!(
        "array:filter",
        Transform,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("function", K::Query),
            req("var", K::Value),
            p("asArray", K::Value),
        ]
    ),
    f!(
        "array:eval",
        Transform,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("function", K::Query),
            req("var", K::Value),
            req("asArray", K::Value),
        ]
    ),
    f!(
        "array:length",
        Transform,
        P2,
        Some("array"),
        Some("_length"),
        [req("array", K::Field), def("as", K::Value, "_length"),]
    ),
    f!(
        "array:dedup",
        Transform,
        P2,
        Some("array"),
        None,
        [req("array", K::Field), p("asArray", K::Value),]
    ),
    f!(
        "array:drop",
        Transform,
        P2,
        Some("array"),
        None,
        [req("array", K::Field)]
    ),
    f!(
        "array:rename",
        Transform,
        P2,
        Some("array"),
        None,
        [req("array", K::Field), req("asArray", K::Value),]
    ),
    f!(
        "array:sort",
        Transform,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            p("asArray", K::Value),
            def("order", K::Value, "asc"),
            def("type", K::Value, "string"),
        ]
    ),
    f!(
        "array:union",
        Transform,
        P2,
        Some("array"),
        None,
        [req_many("array", K::Field), req("as", K::Value),]
    ),
    f!(
        "array:intersection",
        Transform,
        P2,
        Some("array"),
        None,
        [req_many("array", K::Field), req("as", K::Value),]
    ),
    f!(
        "objectArray:eval",
        Transform,
        P2,
        Some("array"),
        None,
        [
            req("array", K::Field),
            req("function", K::Query),
            p("var", K::Value),
            req("asArray", K::Value),
        ]
    ),
    f!(
        "correlate",
        Aggregate,
        P1,
        None,
        None,
        [
            // No default: without `within` a constellation may span the whole search.
            p("within", K::Value),
            def("sequence", K::Value, "false"),
            p("sequenceBy", K::Field),
            p("jitterTolerance", K::Value),
            p("root", K::Value),
            p("maxPerRoot", K::Value),
            p("includeMatchesOnceOnly", K::Value),
            many("globalConstraints", K::Field),
            p("iterationLimit", K::Value),
        ]
    ),
    time_fn!("time:hour", "_hour"),
    time_fn!("time:minute", "_minute"),
    time_fn!("time:second", "_second"),
    time_fn!("time:millisecond", "_millisecond"),
    time_fn!("time:year", "_year"),
    time_fn!("time:month", "_month"),
    time_fn!("time:monthName", "_monthName"),
    time_fn!("time:dayOfMonth", "_dayOfMonth"),
    time_fn!("time:dayOfWeek", "_dayOfWeek"),
    time_fn!("time:dayOfWeekName", "_dayOfWeekName"),
    time_fn!("time:dayOfYear", "_dayOfYear"),
    time_fn!("time:weekOfYear", "_weekOfYear"),
    math_fn!("math:abs", "_abs"),
    math_fn!("math:ceil", "_ceil"),
    math_fn!("math:floor", "_floor"),
    math_fn!("math:sqrt", "_sqrt"),
    math_fn!("math:cbrt", "_cbrt"),
    math_fn!("math:log", "_log"),
    math_fn!("math:log2", "_log2"),
    math_fn!("math:log10", "_log10"),
    math_fn!("math:log1p", "_log1p"),
    math_fn!("math:exp", "_exp"),
    math_fn!("math:expm1", "_expm1"),
    math_fn!("math:sin", "_sin"),
    math_fn!("math:cos", "_cos"),
    math_fn!("math:tan", "_tan"),
    math_fn!("math:arcsin", "_arcsin"),
    math_fn!("math:arccos", "_arccos"),
    math_fn!("math:arctan", "_arctan"),
    math_fn!("math:sinh", "_sinh"),
    math_fn!("math:cosh", "_cosh"),
    math_fn!("math:tanh", "_tanh"),
    math_fn!("math:deg2rad", "_deg2rad"),
    math_fn!("math:rad2deg", "_rad2deg"),
    f!(
        "math:pow",
        Transform,
        P2,
        Some("field"),
        Some("_pow"),
        [
            req("field", K::Field),
            req("exponent", K::Field),
            def("as", K::Value, "_pow"),
        ]
    ),
    f!(
        "math:mod",
        Transform,
        P2,
        Some("field"),
        Some("_mod"),
        [
            req("field", K::Field),
            req("divisor", K::Field),
            def("as", K::Value, "_mod"),
        ]
    ),
    f!(
        "math:arctan2",
        Transform,
        P2,
        Some("y"),
        Some("_arctan2"),
        [
            req("y", K::Field),
            req("x", K::Field),
            def("as", K::Value, "_arctan2"),
        ]
    ),
    digest_fn!("crypto:md5", "_md5"),
    digest_fn!("crypto:sha1", "_sha1"),
    digest_fn!("crypto:sha256", "_sha256"),
    // ---- external data ------------------------------------------------------------------------
    f!(
        "ipLocation",
        External,
        P1,
        Some("field"),
        None,
        [
            def("field", K::Field, "ip"),
            p("as", K::Value),
            many("include", K::Value),
            p("lang", K::Value),
        ]
    ),
    f!(
        "asn",
        External,
        P2,
        Some("field"),
        None,
        [def("field", K::Field, "ip"), p("as", K::Value),]
    ),
    f!(
        "rdns",
        External,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            def("as", K::Value, "hostname"),
            p("server", K::Value),
            p("limit", K::Value),
        ]
    ),
    f!(
        "ioc:lookup",
        External,
        P2,
        Some("field"),
        None,
        [
            req_many("field", K::Field),
            req_many("type", K::Value),
            def("confidenceThreshold", K::Value, "high"),
            def("strict", K::Value, "false"),
            def("prefix", K::Value, "ioc"),
            many("include", K::Value),
        ]
    ),
    f!(
        "geography:distance",
        External,
        P2,
        None,
        Some("_distance"),
        [
            req("lat1", K::Field),
            req("lon1", K::Field),
            req("lat2", K::Field),
            req("lon2", K::Field),
            def("as", K::Value, "_distance"),
        ]
    ),
    f!(
        "tokenHash",
        Transform,
        P2,
        Some("field"),
        Some("_tokenHash"),
        [req("field", K::Field), def("as", K::Value, "_tokenHash"),]
    ),
    f!(
        "hashMatch",
        Filter,
        P2,
        Some("input"),
        None,
        [p("input", K::Value), p("field", K::Field),]
    ),
    f!(
        "hashRewrite",
        Transform,
        P2,
        Some("field"),
        None,
        [
            req("field", K::Field),
            p("salt", K::Value),
            p("replaceInRawstring", K::Value),
        ]
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup("groupby").map(|f| f.name), Some("groupBy"));
        assert_eq!(lookup("GROUPBY").map(|f| f.name), Some("groupBy"));
        assert!(lookup("dedup").is_none(), "dedup does not exist in CQL");
    }

    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for f in FUNCTIONS {
            assert!(
                seen.insert(f.name.to_ascii_lowercase()),
                "duplicate {}",
                f.name
            );
        }
    }
}

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

use FnKind::*;
use ParamKind as K;
use Priority::*;

/// The catalogue. Extend it as functions are implemented; keep SPEC.md's names and defaults.
pub static FUNCTIONS: &[FunctionSpec] = &[
    FunctionSpec {
        name: "groupBy",
        kind: Aggregate,
        priority: P0,
        unnamed: Some("field"),
        params: &[
            ParamSpec {
                required: true,
                ..many("field", K::Field)
            },
            p("function", K::Function),
            def("limit", K::Value, "20000"),
        ],
        output: None,
    },
    FunctionSpec {
        name: "count",
        kind: Aggregate,
        priority: P0,
        unnamed: Some("field"),
        params: &[
            p("field", K::Field),
            def("distinct", K::Value, "false"),
            def("as", K::Value, "_count"),
        ],
        output: Some("_count"),
    },
    FunctionSpec {
        name: "sort",
        kind: Aggregate,
        priority: P0,
        unnamed: Some("field"),
        params: &[
            many("field", K::Field),
            def("order", K::Value, "desc"),
            def("type", K::Value, "number"),
            def("limit", K::Value, "200"),
            p("reverse", K::Value),
        ],
        output: None,
    },
    FunctionSpec {
        name: "select",
        kind: Transform,
        priority: P0,
        unnamed: Some("field"),
        params: &[ParamSpec {
            required: true,
            ..many("field", K::Field)
        }],
        output: None,
    },
    FunctionSpec {
        name: "in",
        kind: Filter,
        priority: P0,
        unnamed: Some("field"),
        params: &[
            req("field", K::Field),
            ParamSpec {
                required: true,
                ..many("values", K::Array)
            },
            def("ignoreCase", K::Value, "false"),
        ],
        output: None,
    },
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

//! Stable diagnostic codes and their explanations (`saker explain CODE`).
//!
//! Codes never change meaning once published; retired codes stay listed.

/// `CQL0xxx`: syntax errors.
pub const UNEXPECTED: &str = "CQL0001";
pub const UNCLOSED: &str = "CQL0002";
pub const UNTERMINATED_STRING: &str = "CQL0003";
pub const UNTERMINATED_REGEX: &str = "CQL0004";
pub const UNTERMINATED_COMMENT: &str = "CQL0005";
pub const BAD_CHARACTER: &str = "CQL0006";
pub const EXPECTED_VALUE: &str = "CQL0007";
pub const EXPECTED_EXPR: &str = "CQL0008";
pub const UNMATCHED_CLOSE: &str = "CQL0009";
pub const UNTERMINATED_NAME: &str = "CQL0010";

/// `CQL1xxx`: semantic errors.
pub const UNKNOWN_FUNCTION: &str = "CQL1001";
pub const UNKNOWN_PARAM: &str = "CQL1002";
pub const MISSING_PARAM: &str = "CQL1003";
pub const DUPLICATE_PARAM: &str = "CQL1004";
pub const ARG_SHAPE: &str = "CQL1005";
pub const REGEX_UNSUPPORTED: &str = "CQL1006";
pub const REGEX_INVALID: &str = "CQL1007";
pub const NOT_A_NUMBER: &str = "CQL1008";
pub const UNBOUND_PARAMETER: &str = "CQL1009";
pub const MISPLACED_FUNCTION: &str = "CQL1010";
pub const TOO_MANY_UNNAMED: &str = "CQL1011";

/// `CQL-Lxxx`: lints (the query runs, but probably not as intended).
pub const LINT_TIME_FIELD: &str = "CQL-L001";
pub const LINT_FIELD_NOT_ON_EVENT: &str = "CQL-L002";
pub const LINT_LEGACY_SUFFIX: &str = "CQL-L003";
pub const LINT_VACUOUS_EXCLUSION: &str = "CQL-L004";
pub const LINT_ROW_LIMIT: &str = "CQL-L005";
pub const LINT_SUSPICIOUS_EQUALS: &str = "CQL-L006";
pub const LINT_UNREACHABLE_CLAUSE: &str = "CQL-L007";
pub const LINT_FREE_TEXT_AFTER_AGGREGATE: &str = "CQL-L008";
pub const LINT_DEPRECATED: &str = "CQL-L009";

/// One documented code.
pub struct CodeInfo {
    pub code: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
}

pub static CODES: &[CodeInfo] = &[
    CodeInfo {
        code: UNEXPECTED,
        title: "unexpected token",
        explanation: "The parser found a token that cannot continue the query at this point, for \
example a `=` with no field before it, a value where a `|` was expected, or a reserved character \
(`! \" $ ' ( ) , / ; < = > ? [ ] { | }` and the back-quote) inside an unquoted word. Quote values \
that contain reserved characters: `\"host-name\"=*` rather than `host-name=*`.",
    },
    CodeInfo {
        code: UNCLOSED,
        title: "unclosed delimiter",
        explanation: "A `(`, `[` or `{` was opened and the query (or the enclosing stage) ended \
before the matching closing delimiter. The caret points at the place where the closing delimiter \
was expected; a secondary label shows the opening one.",
    },
    CodeInfo {
        code: UNTERMINATED_STRING,
        title: "unterminated string",
        explanation: "A `\"` string has no closing quote. Inside strings only `\\\"`, `\\\\`, \
`\\n`, `\\t` and `\\r` are escapes; a backslash that should reach a regex engine must be doubled \
(`\"\\\\d+\"`).",
    },
    CodeInfo {
        code: UNTERMINATED_REGEX,
        title: "unterminated regex literal",
        explanation: "A `/` started a regex literal (at the start of a filter term or after a \
comparison operator) but no closing `/` follows on the same line. Escape a literal slash as `\\/`. \
Inside an expression (`:=`, `test()`), `/` is division instead.",
    },
    CodeInfo {
        code: UNTERMINATED_COMMENT,
        title: "unterminated block comment",
        explanation: "A `/*` comment has no closing `*/`.",
    },
    CodeInfo {
        code: BAD_CHARACTER,
        title: "character not allowed here",
        explanation: "The character cannot appear outside a string. A frequent case is the \
no-break space U+00A0 pasted from web pages or chat tools: LogScale does not treat it as \
whitespace. Replace it with an ordinary space.",
    },
    CodeInfo {
        code: EXPECTED_VALUE,
        title: "expected a value",
        explanation: "A comparison operator (`=`, `!=`, `<`, `like`, …) or a named argument \
(`name=`) must be followed by a value: a word, a `\"string\"`, a `/regex/`, a `?parameter`, an \
array `[…]`, a subquery `{…}` or a function call.",
    },
    CodeInfo {
        code: EXPECTED_EXPR,
        title: "expected an expression",
        explanation: "The right side of `:=` and the arguments of `test()`, `eval()`, `if()` are \
expressions: numbers, `\"strings\"`, field names, function calls, `( … )`, combined with \
`+ - * / %` and comparisons `== != < <= > >=`. There are no `and`/`or` operators in expressions.",
    },
    CodeInfo {
        code: UNMATCHED_CLOSE,
        title: "unmatched closing delimiter",
        explanation: "A `)`, `]` or `}` appears without a matching opening delimiter.",
    },
    CodeInfo {
        code: UNTERMINATED_NAME,
        title: "unterminated back-quoted name or parameter",
        explanation: "A back-quoted field name (`` `e-mail` ``) or a `?{name=default}` parameter \
is not closed.",
    },
    CodeInfo {
        code: UNKNOWN_FUNCTION,
        title: "unknown function",
        explanation: "The function is not a LogScale query function known to saker. Function \
names are matched case-insensitively (`groupby` is `groupBy`). Parser-only and package functions \
are not available in queries; saved searches are called with a `$` (`$name()`).",
    },
    CodeInfo {
        code: UNKNOWN_PARAM,
        title: "unknown parameter",
        explanation: "The named argument is not a parameter of this function. Parameter names are \
matched case-insensitively; see the function's documentation for the accepted names.",
    },
    CodeInfo {
        code: MISSING_PARAM,
        title: "missing required parameter",
        explanation: "The function needs this parameter and it has no default, e.g. `in()` needs \
`values`, `formatTime()` needs `as`.",
    },
    CodeInfo {
        code: DUPLICATE_PARAM,
        title: "duplicate parameter",
        explanation: "The same parameter is given twice (possibly once as the unnamed first \
argument and once by name). LogScale rejects the query.",
    },
    CodeInfo {
        code: ARG_SHAPE,
        title: "wrong argument shape",
        explanation: "The argument's form does not fit the parameter: e.g. a subquery where a \
field name is expected, an array for a single-valued parameter, a non-aggregate in `function=`, \
or a regex literal where a string is required.",
    },
    CodeInfo {
        code: REGEX_UNSUPPORTED,
        title: "regex construct LogScale does not support",
        explanation: "LogScale's regex engine supports lookahead but rejects lookbehind \
(`(?<=…)`, `(?<!…)`), atomic groups `(?>…)`, possessive quantifiers (`a*+`), backreferences \
(`\\1`, `\\k<name>`), `\\p{…}` classes, `\\h \\H \\v \\V \\e \\R \\X \\G`, class intersection and \
POSIX classes. The query would fail in LogScale; rewrite the pattern (for example with a \
lookahead, or by extracting and testing in a second stage).",
    },
    CodeInfo {
        code: REGEX_INVALID,
        title: "regex does not compile",
        explanation: "The pattern is not a valid regular expression (unbalanced parentheses, a \
dangling quantifier, a bad escape …), so neither LogScale nor saker can run it.",
    },
    CodeInfo {
        code: NOT_A_NUMBER,
        title: "comparison value is not a number",
        explanation: "`<`, `<=`, `>` and `>=` in filters compare numbers; the value on the right \
must be a number. Arithmetic is not evaluated in filters (`f < 42 + 3` is `f < 42` AND the \
free-text terms `+` and `3`); use `test(f < 42 + 3)`.",
    },
    CodeInfo {
        code: UNBOUND_PARAMETER,
        title: "query parameter without a value",
        explanation: "The query uses `?name` and no value was given (and no default declared with \
`?{name=default}`). saker substitutes `*`, as the LogScale UI does for an empty parameter field. \
Pass values with `--param name=value`.",
    },
    CodeInfo {
        code: MISPLACED_FUNCTION,
        title: "function cannot be used here",
        explanation: "Only filter functions (`in`, `cidr`, `test`, `wildcard`, `regex`, `match`, \
…) can be combined with `and`, `or`, `not` and other filter terms. Aggregates and transformations \
must be their own pipeline stage; negation (`!`) applies to filter functions only.",
    },
    CodeInfo {
        code: TOO_MANY_UNNAMED,
        title: "more than one unnamed argument",
        explanation: "A function takes at most one unnamed argument, bound to its first parameter \
(`field` for most, `regex` for `regex()`, `format` for `format()`). Name the others: \
`math:mod(x, divisor=3)`.",
    },
    CodeInfo {
        code: LINT_TIME_FIELD,
        title: "`_time` does not exist in LogScale",
        explanation: "`_time` is Splunk's event time. LogScale events carry `@timestamp` (epoch \
milliseconds); Falcon events also carry `timestamp`. A query that selects, sorts or formats `_time` \
silently gets nothing: `select()` drops the column and `sort(_time)` has no ordering key. Use \
`@timestamp`.",
    },
    CodeInfo {
        code: LINT_FIELD_NOT_ON_EVENT,
        title: "field not carried by the events the query selects",
        explanation: "The query filters on event types (for example `#event_simpleName = \
AsepValueUpdate`) whose schema does not contain this field, so every reference to it sees an absent \
field: a filter on it never matches, a projection leaves it out. `ParentProcessName` is a Windows \
4688 field; Falcon process events have `ParentBaseFileName`. Registry events carry no `FileName`, \
`CommandLine` or `UserName`: join the writer process through `ContextProcessId` instead.",
    },
    CodeInfo {
        code: LINT_LEGACY_SUFFIX,
        title: "legacy `_decimal` / `_readable` field suffix",
        explanation: "Falcon Event Search added `_decimal` and `_readable` variants of some \
fields; LogScale's Falcon data has no such fields (`AuthenticationId`, not \
`AuthenticationId_decimal`). Drop the suffix.",
    },
    CodeInfo {
        code: LINT_VACUOUS_EXCLUSION,
        title: "exclusion on a field those events never have",
        explanation: "`not F = …`, `!F = …` and `F != …` are true when `F` is absent. If the \
event types the query selects never carry `F`, the exclusion lets every event through and the \
allow-list it was meant to apply is ineffective. Test the field where it exists (join the process \
event that carries it), or require it with `F = *` first.",
    },
    CodeInfo {
        code: LINT_ROW_LIMIT,
        title: "implicit 200-row limit",
        explanation: "`sort()`, `head()`, `tail()` and `table()` keep at most 200 rows unless \
`limit=` is given (`sort` and `table` accept `limit=max`, up to 200,000). A detection that sorts \
its hits silently drops everything past the 200th; set `limit=` explicitly.",
    },
    CodeInfo {
        code: LINT_SUSPICIOUS_EQUALS,
        title: "`=` compares the whole value, case-sensitively",
        explanation: "`F = value` is an exact, case-sensitive match of the whole value. A value \
that looks like a fragment (a file name compared with a full-path field such as `ImageFileName`, a \
path without its drive or device prefix, a value with leading or trailing spaces) or that differs \
from the usual spelling only in case probably wanted a glob (`F = *\\\\cmd.exe`), a \
case-insensitive regex (`F = /cmd\\.exe$/i`) or `in(F, values=[…], ignoreCase=true)`.",
    },
    CodeInfo {
        code: LINT_UNREACHABLE_CLAUSE,
        title: "unreachable case clause",
        explanation: "`case` tries clauses in order and the first one that lets the event through \
wins. A clause after a match-all clause (`*`, or one that starts with an empty stage), or a clause \
whose filter is identical to an earlier one's, can never be taken.",
    },
    CodeInfo {
        code: LINT_FREE_TEXT_AFTER_AGGREGATE,
        title: "free text after an aggregate",
        explanation: "Free-text filters only search the fields an event had when it entered the \
pipeline; after an aggregate (`groupBy`, `table`, …) LogScale rejects them. Filter on a field \
instead (`field = *text*`).",
    },
    CodeInfo {
        code: LINT_DEPRECATED,
        title: "deprecated function or parameter",
        explanation: "The function or parameter is deprecated in LogScale (`lowercase()` → \
`lower()`, `sort(reverse=…)` → `order=`, `cidr(negate=true)` → `!cidr()`).",
    },
];

/// The documentation of a code, matched case-insensitively.
pub fn explain(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            assert!(c.explanation.len() > 30, "{} needs an explanation", c.code);
        }
        assert!(explain("cql-l001").is_some());
    }
}

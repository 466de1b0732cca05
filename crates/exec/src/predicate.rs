//! [`Predicate`]s compiled into fast event filters.
//!
//! Semantics (LogScale's, see <https://library.humio.com/data-analysis/syntax-operators.html>): a
//! comparison on an absent field is false, so its negation is true; free text searches `@rawstring`
//! and every field except `@id`, `@timestamp`, `@ingesttimestamp` and tags; a regex with named groups
//! sets fields when it is applied as a top-level conjunct ([`CompiledPredicate::apply`]).

use std::fmt;
use std::sync::Arc;

use saker_event::{Event, Sym};
use saker_plan::{Matcher, Predicate};

use crate::error::{ExecError, Result};
use crate::matcher::CompiledMatcher;

/// A filter implemented outside this module (filter functions, `test()` expressions).
pub trait EventFilter: Send + Sync {
    fn matches(&self, event: &Event) -> bool;
    /// Like [`EventFilter::matches`], and may also set fields (regex extraction).
    fn apply(&self, event: &mut Event) -> bool {
        self.matches(event)
    }
}

/// Compiles predicate forms this module does not know itself ([`Predicate::Call`],
/// [`Predicate::Expr`]). The engine passes its function library; [`CompiledPredicate::compile`] uses
/// one that rejects them.
pub trait FilterCompiler {
    fn compile_filter(&self, p: &Predicate) -> Result<Arc<dyn EventFilter>>;
}

struct NoFunctions;

impl FilterCompiler for NoFunctions {
    fn compile_filter(&self, p: &Predicate) -> Result<Arc<dyn EventFilter>> {
        Err(ExecError::Unsupported(match p {
            Predicate::Call(c) => format!("filter function {}()", c.name),
            _ => "expression filter".to_owned(),
        }))
    }
}

/// A compiled [`Predicate`].
#[derive(Clone)]
pub struct CompiledPredicate {
    node: Node,
}

#[derive(Clone)]
enum Node {
    True,
    False,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Field {
        field: Sym,
        matcher: CompiledMatcher,
    },
    FreeText(FreeText),
    Custom(Arc<dyn EventFilter>),
}

impl fmt::Debug for CompiledPredicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CompiledPredicate")
    }
}

impl CompiledPredicate {
    /// Compiles a predicate made of field tests, free text and boolean structure. Filter functions
    /// and expressions need [`CompiledPredicate::compile_with`].
    pub fn compile(p: &Predicate) -> Result<Self> {
        Self::compile_with(p, &NoFunctions)
    }

    pub fn compile_with(p: &Predicate, functions: &dyn FilterCompiler) -> Result<Self> {
        Ok(CompiledPredicate {
            node: compile_node(p, functions)?,
        })
    }

    /// Whether `event` passes. Pure: never changes the event.
    pub fn matches(&self, event: &Event) -> bool {
        self.node.matches(event)
    }

    /// Whether `event` passes; on the way, regexes at top level (not under `or`/`not`) set their
    /// named groups as fields. Fields set by a conjunct stay even if a later conjunct fails (the
    /// event is dropped then anyway).
    pub fn apply(&self, event: &mut Event) -> bool {
        self.node.apply(event)
    }

    /// Whether [`CompiledPredicate::matches`] is cheap and tells exactly what
    /// [`CompiledPredicate::apply`] would: no regex sets fields (a later conjunct could read them)
    /// and no filter function is involved.
    pub fn is_pure(&self) -> bool {
        self.node.is_pure()
    }

    /// Whether the predicate is constant true.
    pub fn is_true(&self) -> bool {
        matches!(self.node, Node::True)
    }
}

fn compile_node(p: &Predicate, functions: &dyn FilterCompiler) -> Result<Node> {
    Ok(match p {
        Predicate::True => Node::True,
        Predicate::False => Node::False,
        Predicate::And(ps) => {
            let mut nodes = Vec::with_capacity(ps.len());
            for p in ps {
                match compile_node(p, functions)? {
                    Node::True => {}
                    Node::False => return Ok(Node::False),
                    n => nodes.push(n),
                }
            }
            match nodes.len() {
                0 => Node::True,
                1 => nodes.pop().unwrap_or(Node::True),
                _ => Node::And(nodes),
            }
        }
        Predicate::Or(ps) => {
            let mut nodes = Vec::with_capacity(ps.len());
            for p in ps {
                match compile_node(p, functions)? {
                    Node::False => {}
                    Node::True => return Ok(Node::True),
                    n => nodes.push(n),
                }
            }
            match nodes.len() {
                0 => Node::False,
                1 => nodes.pop().unwrap_or(Node::False),
                _ => Node::Or(nodes),
            }
        }
        Predicate::Not(inner) => match compile_node(inner, functions)? {
            Node::True => Node::False,
            Node::False => Node::True,
            Node::Not(n) => *n,
            n => Node::Not(Box::new(n)),
        },
        Predicate::Field { field, matcher } => Node::Field {
            field: Sym::new(field),
            matcher: CompiledMatcher::compile(matcher)?,
        },
        Predicate::FreeText(m) => Node::FreeText(FreeText::new(m)?),
        Predicate::Call(_) | Predicate::Expr(_) => Node::Custom(functions.compile_filter(p)?),
    })
}

impl Node {
    fn is_pure(&self) -> bool {
        let extracts = |m: &CompiledMatcher| match m {
            CompiledMatcher::Regex(re) => !re.group_fields().is_empty(),
            _ => false,
        };
        match self {
            Node::True | Node::False => true,
            Node::And(ns) | Node::Or(ns) => ns.iter().all(Node::is_pure),
            Node::Not(n) => n.is_pure(),
            Node::Field { matcher, .. } => !extracts(matcher),
            Node::FreeText(ft) => !extracts(&ft.matcher),
            Node::Custom(_) => false,
        }
    }

    fn matches(&self, e: &Event) -> bool {
        match self {
            Node::True => true,
            Node::False => false,
            Node::And(ns) => ns.iter().all(|n| n.matches(e)),
            Node::Or(ns) => ns.iter().any(|n| n.matches(e)),
            Node::Not(n) => !n.matches(e),
            Node::Field { field, matcher } => matcher.test(e.get(*field)),
            Node::FreeText(ft) => ft.matches(e),
            Node::Custom(f) => f.matches(e),
        }
    }

    fn apply(&self, e: &mut Event) -> bool {
        match self {
            Node::And(ns) => ns.iter().all(|n| n.apply(e)),
            Node::Field {
                field,
                matcher: CompiledMatcher::Regex(re),
            } if !re.group_fields().is_empty() => {
                let Some(v) = e.get(*field) else {
                    return false;
                };
                match re.captures(v) {
                    Some(groups) => {
                        for (k, v) in groups {
                            e.set(k, v);
                        }
                        true
                    }
                    None => false,
                }
            }
            Node::FreeText(ft) => ft.apply(e),
            Node::Custom(f) => f.apply(e),
            _ => self.matches(e),
        }
    }
}

/// Free text: a matcher over `@rawstring` and the searchable fields.
#[derive(Clone)]
struct FreeText {
    matcher: CompiledMatcher,
    excluded: [Sym; 3],
}

impl FreeText {
    fn new(m: &Matcher) -> Result<Self> {
        Ok(FreeText {
            matcher: CompiledMatcher::compile(m)?,
            excluded: [
                Sym::new(saker_event::names::ID),
                Sym::timestamp(),
                Sym::new(saker_event::names::INGEST_TIMESTAMP),
            ],
        })
    }

    fn searchable(&self, k: Sym) -> bool {
        !self.excluded.contains(&k) && !k.is_tag()
    }

    fn matches(&self, e: &Event) -> bool {
        if let Some(raw) = e.rawstring()
            && self.matcher.test_value(raw)
        {
            return true;
        }
        let raw = Sym::rawstring();
        e.iter()
            .any(|(k, v)| k != raw && self.searchable(k) && self.matcher.test_value(v))
    }

    /// Extracts named groups from the first value that matches, `@rawstring` first.
    fn apply(&self, e: &mut Event) -> bool {
        let CompiledMatcher::Regex(re) = &self.matcher else {
            return self.matches(e);
        };
        if re.group_fields().is_empty() {
            return self.matches(e);
        }
        let raw = Sym::rawstring();
        let mut found = e.rawstring().and_then(|v| re.captures(v));
        if found.is_none() {
            found = e
                .iter()
                .filter(|(k, _)| *k != raw && self.searchable(*k))
                .find_map(|(_, v)| re.captures(v));
        }
        match found {
            Some(groups) => {
                for (k, v) in groups {
                    e.set(k, v);
                }
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saker_plan::{CmpOp, RegexDialect};

    fn ev(pairs: &[(&str, &str)]) -> Event {
        pairs.iter().copied().collect()
    }

    fn eq(f: &str, v: &str) -> Predicate {
        Predicate::field(
            f,
            Matcher::Equals {
                value: v.into(),
                case_insensitive: false,
            },
        )
    }

    fn re(f: &str, p: &str, flags: &str) -> Predicate {
        Predicate::field(
            f,
            Matcher::Regex {
                pattern: p.into(),
                flags: flags.into(),
                dialect: RegexDialect::LogScale,
            },
        )
    }

    fn c(p: &Predicate) -> CompiledPredicate {
        CompiledPredicate::compile(p).unwrap()
    }

    #[test]
    fn negation_passes_events_without_the_field() {
        // https://library.humio.com/data-analysis/syntax-operators.html: `f != x` is true when f is absent
        let p = c(&eq("a", "1").negate());
        assert!(p.matches(&ev(&[("b", "2")])));
        assert!(!p.matches(&ev(&[("a", "1")])));
        assert!(p.matches(&ev(&[("a", "2")])));
        let not_re = c(&Predicate::Not(Box::new(re(
            "FileName",
            "(?i)^svchost\\.exe$",
            "",
        ))));
        assert!(not_re.matches(&ev(&[("x", "y")])));
        assert!(!not_re.matches(&ev(&[("FileName", "SVCHOST.EXE")])));
        assert!(not_re.matches(&ev(&[("FileName", "certutil.exe")])));
    }

    #[test]
    fn comparisons_on_absent_fields_fail() {
        let e = ev(&[("b", "2")]);
        assert!(!c(&eq("a", "1")).matches(&e));
        assert!(!c(&re("a", ".*", "")).matches(&e));
        let lt = Predicate::field(
            "a",
            Matcher::Compare {
                op: CmpOp::Lt,
                value: 3.0,
            },
        );
        assert!(!c(&lt).matches(&e));
        assert!(c(&lt.negate()).matches(&e));
    }

    #[test]
    fn boolean_structure() {
        let e = ev(&[("a", "1"), ("b", "2")]);
        let p = Predicate::And(vec![
            Predicate::Or(vec![eq("a", "9"), eq("b", "2")]),
            eq("a", "1"),
        ]);
        assert!(c(&p).matches(&e));
        assert!(!c(&Predicate::And(vec![eq("a", "1"), eq("b", "3")])).matches(&e));
        assert!(c(&Predicate::And(vec![])).matches(&e));
        assert!(!c(&Predicate::Or(vec![])).matches(&e));
        assert!(!c(&Predicate::False).matches(&e));
    }

    #[test]
    fn regex_is_an_unanchored_search_and_extracts_on_apply() {
        let p = c(&re("msg", "user=(?<user>\\w+)", ""));
        let mut e = ev(&[("msg", "login user=alice ok")]);
        assert!(p.matches(&e));
        assert_eq!(e.get_by_name("user"), None, "matches() is pure");
        assert!(p.apply(&mut e));
        assert_eq!(e.get_by_name("user"), Some("alice"));
    }

    #[test]
    fn no_extraction_under_or_or_not() {
        // https://library.humio.com/data-analysis/syntax-fields-extracting.html: extraction only in top-level conjuncts
        let p = c(&Predicate::Or(vec![
            re("msg", "id=(?<ident>\\d+)", ""),
            eq("zz", "1"),
        ]));
        let mut e = ev(&[("msg", "id=42")]);
        assert!(p.apply(&mut e));
        assert_eq!(e.get_by_name("ident"), None);
    }

    #[test]
    fn free_text_skips_tags_and_timestamps() {
        let ft = |s: &str| {
            c(&Predicate::FreeText(Matcher::Contains {
                value: s.into(),
                case_insensitive: false,
            }))
        };
        let e = ev(&[
            ("@rawstring", "hello World"),
            ("@timestamp", "1700000000000"),
            ("#repo", "falconrepo"),
            ("user", "C:\\Windows"),
        ]);
        assert!(ft("World").matches(&e));
        assert!(!ft("world").matches(&e), "free text is case-sensitive");
        assert!(!ft("17000").matches(&e));
        assert!(!ft("falcon").matches(&e));
        assert!(ft("C:\\Win").matches(&e));
    }

    #[test]
    fn free_text_regex_extracts_from_rawstring_first() {
        let p = c(&Predicate::FreeText(Matcher::Regex {
            pattern: "v=(?<v>\\d+)".into(),
            flags: String::new(),
            dialect: RegexDialect::LogScale,
        }));
        let mut e = ev(&[("@rawstring", "a v=1"), ("other", "v=2")]);
        assert!(p.apply(&mut e));
        assert_eq!(e.get_by_name("v"), Some("1"));
        let mut e = ev(&[("@rawstring", "none"), ("other", "v=2")]);
        assert!(p.apply(&mut e));
        assert_eq!(e.get_by_name("v"), Some("2"));
    }

    #[test]
    fn calls_need_a_function_library() {
        let p = Predicate::Call(saker_plan::Call::new("in"));
        assert!(matches!(
            CompiledPredicate::compile(&p),
            Err(ExecError::Unsupported(_))
        ));
    }

    #[test]
    fn sigma_regex_has_no_extraction() {
        let p = c(&Predicate::field(
            "CommandLine",
            Matcher::Regex {
                pattern: "(?P<x>-enc)".into(),
                flags: "i".into(),
                dialect: RegexDialect::Sigma,
            },
        ));
        let mut e = ev(&[("CommandLine", "powershell -ENC abc")]);
        assert!(p.apply(&mut e));
        assert_eq!(e.get_by_name("x"), None);
    }
}

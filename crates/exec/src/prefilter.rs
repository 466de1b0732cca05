//! Literal prefilters on raw input bytes, derived from a plan before any event is decoded.
//!
//! A [`Prefilter`] is a conjunction of needle sets: a raw NDJSON line must contain one needle of
//! every set for the plan to possibly keep the event. Needles come from the plan's leading filter
//! stages only (later stages see computed fields), from field and free-text matchers that require a
//! literal: equality, globs, substrings, and regexes (required literals found by walking the
//! `regex-syntax` HIR; case-insensitive regexes give case-insensitive needles).
//!
//! Each set is searched with a byte regex of its escaped literals (`(?i-u)` for case-insensitive
//! sets): the regex engine picks a vectorised literal search over a few case variants of a short
//! prefix, several times faster than an Aho-Corasick automaton in ASCII case-insensitive mode.
//!
//! JSON escaping: a value `A\B` is `A\\B` in the line and `"` is `\"`, so needles are searched in
//! their escaped form. A needle containing characters a JSON writer may escape in other ways
//! (control characters, `/`, anything non-ASCII) is not used.

use regex::bytes::Regex;

use crate::cifind::CiFinder;
use regex_syntax::hir::{Class, Hir, HirKind};
use saker_plan::{Matcher, Op, Plan, Predicate, RegexDialect};

/// Needles shorter than this are not worth a pass over the line.
const MIN_NEEDLE: usize = 3;
/// Largest needle set kept (alternations and case variants multiply).
const MAX_SET: usize = 64;

/// A conjunction of needle sets.
#[derive(Clone, Debug)]
pub struct Prefilter {
    groups: Vec<NeedleSet>,
}

/// Any one of the needles must occur.
#[derive(Clone, Debug)]
pub struct NeedleSet {
    needles: Vec<String>,
    case_insensitive: bool,
    searcher: Regex,
    /// For a case-insensitive set: a finder of a substring every needle contains, faster than
    /// the regex at finding where the first candidate line is.
    common: Option<CiFinder>,
}

/// Shortest common substring worth a finder of its own.
const MIN_COMMON: usize = 8;

impl Prefilter {
    /// The prefilter of `plan`, or `None` when nothing is required literally.
    pub fn for_plan(plan: &Plan) -> Option<Prefilter> {
        let mut sets: Vec<(Vec<String>, bool)> = Vec::new();
        for op in &plan.ops {
            match op {
                Op::Filter(p) => conjuncts(p, &mut sets),
                // A defineTable() preamble passes the main stream through unchanged; its
                // sub-query reads the inputs in a pre-pass with its own prefilter.
                Op::Call(c) if c.name.eq_ignore_ascii_case("defineTable") => {}
                _ => break,
            }
        }
        // The most selective sets first (longest shortest needle); three are plenty.
        sets.sort_by_key(|(s, _)| std::cmp::Reverse(s.iter().map(String::len).min().unwrap_or(0)));
        sets.truncate(3);
        let groups: Vec<NeedleSet> = sets
            .into_iter()
            .filter_map(|(needles, ci)| {
                let escaped: Option<Vec<String>> = needles.iter().map(|n| json_escape(n)).collect();
                let needles = escaped?;
                let searcher = needle_regex(&needles, ci)?;
                let common = if ci {
                    common_substring(&needles).and_then(|c| CiFinder::new(c.as_bytes()))
                } else {
                    None
                };
                Some(NeedleSet {
                    needles,
                    case_insensitive: ci,
                    searcher,
                    common,
                })
            })
            .collect();
        (!groups.is_empty()).then_some(Prefilter { groups })
    }

    /// Whether `line` may match.
    pub fn may_match(&self, line: &[u8]) -> bool {
        self.groups.iter().all(|g| g.searcher.is_match(line))
    }

    /// The offset of the first match in `hay` (many lines) of the most selective needle set, which
    /// every line passing [`Prefilter::may_match`] contains: lines before the one holding it can be
    /// skipped without testing each.
    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        match self.groups.first() {
            // Every needle contains the common substring, so no line before the one holding its
            // first occurrence can match.
            Some(NeedleSet {
                common: Some(f), ..
            }) => f.find(hay),
            Some(g) => g.searcher.find(hay).map(|m| m.start()),
            None => Some(0),
        }
    }

    /// The needle sets (escaped form), for diagnostics and tests.
    pub fn needle_sets(&self) -> Vec<(Vec<String>, bool)> {
        self.groups
            .iter()
            .map(|g| (g.needles.clone(), g.case_insensitive))
            .collect()
    }
}

/// The longest substring (ASCII case ignored) of every needle, when at least [`MIN_COMMON`] long.
fn common_substring(needles: &[String]) -> Option<String> {
    let shortest = needles.iter().min_by_key(|n| n.len())?.to_ascii_lowercase();
    let lowered: Vec<String> = needles.iter().map(|n| n.to_ascii_lowercase()).collect();
    (MIN_COMMON..=shortest.len()).rev().find_map(|len| {
        (0..=shortest.len() - len)
            .filter_map(|start| shortest.get(start..start + len))
            .find(|sub| lowered.iter().all(|n| n.contains(sub)))
            .map(str::to_owned)
    })
}

/// A regex matching any of `needles` literally (ASCII case folding when `ci`).
fn needle_regex(needles: &[String], ci: bool) -> Option<Regex> {
    let alternatives: Vec<String> = needles.iter().map(|n| regex::escape(n)).collect();
    let flags = if ci { "(?i-u)" } else { "(?-u)" };
    Regex::new(&format!("{flags}(?:{})", alternatives.join("|"))).ok()
}

/// Adds the needle sets every event passing `p` must satisfy.
fn conjuncts(p: &Predicate, out: &mut Vec<(Vec<String>, bool)>) {
    match p {
        Predicate::And(ps) => {
            for p in ps {
                conjuncts(p, out);
            }
        }
        other => {
            if let Some(set) = required(other) {
                out.push(set);
            }
        }
    }
}

/// The needles (any of) a single predicate requires, with case-insensitivity.
fn required(p: &Predicate) -> Option<(Vec<String>, bool)> {
    match p {
        Predicate::Field { field, matcher } if !field.starts_with('@') => matcher_needles(matcher),
        Predicate::FreeText(m) => matcher_needles(m),
        Predicate::Or(ps) => {
            let mut all = Vec::new();
            let mut ci = false;
            for p in ps {
                let (n, c) = required(p)?;
                all.extend(n);
                ci |= c;
            }
            (all.len() <= MAX_SET).then_some((all, ci))
        }
        Predicate::And(ps) => ps
            .iter()
            .filter_map(required)
            .max_by_key(|(s, _)| shortest(s)),
        _ => None,
    }
}

fn shortest(s: &[String]) -> usize {
    s.iter().map(String::len).min().unwrap_or(0)
}

fn usable(set: Vec<String>, ci: bool) -> Option<(Vec<String>, bool)> {
    (!set.is_empty() && set.len() <= MAX_SET && shortest(&set) >= MIN_NEEDLE).then_some((set, ci))
}

fn matcher_needles(m: &Matcher) -> Option<(Vec<String>, bool)> {
    match m {
        Matcher::Equals {
            value,
            case_insensitive,
        } => {
            // `=` also compares numerically (404 = 404.0): only integers are safe needles.
            if value.parse::<f64>().is_ok() && !value.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            usable(vec![value.clone()], *case_insensitive)
        }
        Matcher::Glob {
            pattern,
            case_insensitive,
        } => {
            let best = pattern.split('*').max_by_key(|p| p.len())?;
            usable(vec![best.to_owned()], *case_insensitive)
        }
        Matcher::Contains {
            value,
            case_insensitive,
        }
        | Matcher::StartsWith {
            value,
            case_insensitive,
        }
        | Matcher::EndsWith {
            value,
            case_insensitive,
        } => usable(vec![value.clone()], *case_insensitive),
        Matcher::AnyOf {
            values,
            glob,
            case_insensitive,
        } => {
            let set: Option<Vec<String>> = values
                .iter()
                .map(|v| {
                    if *glob {
                        v.split('*').max_by_key(|p| p.len()).map(str::to_owned)
                    } else {
                        Some(v.clone())
                    }
                })
                .collect();
            usable(set?, *case_insensitive)
        }
        Matcher::Regex {
            pattern,
            flags,
            dialect,
        } => regex_needles(pattern, flags, *dialect),
        _ => None,
    }
}

fn regex_needles(pattern: &str, flags: &str, dialect: RegexDialect) -> Option<(Vec<String>, bool)> {
    let translated = match dialect {
        RegexDialect::LogScale => crate::regex::translate_logscale(pattern).ok()?.pattern,
        RegexDialect::Sigma => pattern.to_owned(),
    };
    let ci = flags.contains('i') || translated.contains("(?i");
    let mut prefix = String::new();
    if flags.contains('i') {
        prefix.push('i');
    }
    if flags.contains('m') {
        prefix.push('m');
    }
    let full = if prefix.is_empty() {
        translated
    } else {
        format!("(?{prefix}){translated}")
    };
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&full)
        .ok()?;
    let info = walk(&hir);
    let set = info.required.or(info.exact)?;
    let set = if ci {
        let mut lower: Vec<String> = set.into_iter().map(|s| s.to_ascii_lowercase()).collect();
        lower.sort();
        lower.dedup();
        lower
    } else {
        set
    };
    usable(set, ci)
}

/// What a regex node says about literals: `exact` = the node matches exactly one of these strings;
/// `required` = every match contains one of these.
#[derive(Clone, Default)]
struct Info {
    exact: Option<Vec<String>>,
    required: Option<Vec<String>>,
}

fn better(a: Option<Vec<String>>, b: Option<Vec<String>>) -> Option<Vec<String>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if shortest(&b) > shortest(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn walk(h: &Hir) -> Info {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Info {
            exact: Some(vec![String::new()]),
            required: None,
        },
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) => Info {
                exact: Some(vec![s.to_owned()]),
                required: None,
            },
            Err(_) => Info::default(),
        },
        HirKind::Class(c) => Info {
            exact: class_char(c).map(|ch| vec![ch.to_string()]),
            required: None,
        },
        HirKind::Capture(cap) => walk(&cap.sub),
        HirKind::Repetition(rep) => {
            let inner = walk(&rep.sub);
            if rep.min == 0 {
                return Info::default();
            }
            if rep.min == 1 && rep.max == Some(1) {
                return inner;
            }
            Info {
                exact: None,
                required: better(inner.required, inner.exact),
            }
        }
        HirKind::Alternation(alts) => {
            let infos: Vec<Info> = alts.iter().map(walk).collect();
            let exact = union(infos.iter().map(|i| i.exact.clone()));
            let required = union(
                infos
                    .iter()
                    .map(|i| better(i.required.clone(), i.exact.clone())),
            );
            Info { exact, required }
        }
        HirKind::Concat(parts) => {
            let mut best: Option<Vec<String>> = None;
            let mut run: Option<Vec<String>> = Some(vec![String::new()]);
            let mut all_exact = true;
            for p in parts {
                let i = walk(p);
                best = better(best, i.required.clone());
                match (&run, &i.exact) {
                    (Some(r), Some(e)) if r.len() * e.len() <= MAX_SET => {
                        run = Some(
                            r.iter()
                                .flat_map(|a| e.iter().map(move |b| format!("{a}{b}")))
                                .collect(),
                        );
                    }
                    _ => {
                        all_exact = false;
                        best = better(best, run.take().filter(|r| shortest(r) > 0));
                        run = i.exact.clone().or(Some(vec![String::new()]));
                    }
                }
            }
            let tail = run.clone().filter(|r| shortest(r) > 0);
            Info {
                exact: if all_exact { run } else { None },
                required: better(best, tail),
            }
        }
    }
}

fn union(items: impl Iterator<Item = Option<Vec<String>>>) -> Option<Vec<String>> {
    let mut all = Vec::new();
    for i in items {
        all.extend(i?);
    }
    (all.len() <= MAX_SET).then_some(all)
}

/// A class that is one character, or one ASCII letter in both cases (as `(?i)` produces).
fn class_char(c: &Class) -> Option<char> {
    match c {
        Class::Unicode(u) => {
            let ranges = u.ranges();
            let chars: Vec<char> = ranges
                .iter()
                .flat_map(|r| (r.start()..=r.end()).take(3))
                .collect();
            single_or_case_pair(&chars)
        }
        Class::Bytes(b) => {
            let chars: Vec<char> = b
                .ranges()
                .iter()
                .flat_map(|r| (r.start()..=r.end()).take(3).map(char::from))
                .collect();
            single_or_case_pair(&chars)
        }
    }
}

fn single_or_case_pair(chars: &[char]) -> Option<char> {
    match chars {
        [c] => Some(*c),
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) => {
            Some(a.to_ascii_lowercase())
        }
        // `(?i)k` also matches the Kelvin sign and `(?i)s` the long s; LogScale's `(?i)` folds
        // ASCII only, so the ASCII letter stands for the class.
        [a, b, c] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) && !c.is_ascii() => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The form `s` takes inside a JSON string, or `None` when a writer could escape it differently.
fn json_escape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '/' => return None,
            c if c.is_ascii_control() || !c.is_ascii() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(field: &str, p: &str, flags: &str) -> Op {
        Op::Filter(Predicate::field(
            field,
            Matcher::Regex {
                pattern: p.into(),
                flags: flags.into(),
                dialect: RegexDialect::LogScale,
            },
        ))
    }

    #[test]
    fn seed_query_literals_are_escaped_and_case_insensitive() {
        let plan = Plan::new(vec![
            re(
                "#event_simpleName",
                "^(AsepValueUpdate|RegGenericValueUpdate)$",
                "",
            ),
            re(
                "RegObjectName",
                r"(?i)SOFTWARE\\(Microsoft\\SystemCertificates\\(Root|CA)\\Certificates|Policies\\Microsoft\\SystemCertificates\\(Root|CA))",
                "",
            ),
        ]);
        let pf = Prefilter::for_plan(&plan).unwrap();
        let sets = pf.needle_sets();
        assert!(sets.iter().any(|(n, ci)| !ci
            && n.contains(&"AsepValueUpdate".to_owned())
            && n.contains(&"RegGenericValueUpdate".to_owned())));
        assert!(
            sets.iter()
                .any(|(n, ci)| *ci && n.iter().all(|x| x.contains("\\\\")))
        );
        let line = br#"{"event_simpleName":"RegGenericValueUpdate","RegObjectName":"\\REGISTRY\\MACHINE\\SOFTWARE\\MICROSOFT\\SystemCertificates\\ROOT\\Certificates\\AB"}"#;
        assert!(pf.may_match(line));
        let other = br#"{"event_simpleName":"RegGenericValueUpdate","RegObjectName":"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\Run"}"#;
        assert!(!pf.may_match(other));
        // `find` jumps to the line holding the first candidate, in any case.
        let mut hay = [&other[..], b"\n"].concat();
        let at = hay.len();
        hay.extend_from_slice(line);
        let found = pf.find(&hay).expect("candidate");
        assert!(found >= at && found < hay.len(), "{found} vs line at {at}");
        assert_eq!(pf.find(other), None);
    }

    #[test]
    fn case_insensitive_sets_search_their_longest_common_substring() {
        let needles = [
            "SOFTWARE\\\\Microsoft\\\\SystemCertificates\\\\Root",
            "Policies\\\\microsoft\\\\systemcertificates\\\\CA",
        ]
        .map(str::to_owned);
        assert_eq!(
            common_substring(&needles).as_deref(),
            Some("\\\\microsoft\\\\systemcertificates\\\\")
        );
        assert_eq!(common_substring(&["abcdefgh".into(), "xyz".into()]), None);
    }

    #[test]
    fn negations_and_short_literals_give_nothing() {
        let plan = Plan::new(vec![Op::Filter(Predicate::Not(Box::new(
            Predicate::field(
                "a",
                Matcher::Equals {
                    value: "abcdef".into(),
                    case_insensitive: false,
                },
            ),
        )))]);
        assert!(Prefilter::for_plan(&plan).is_none());
        assert!(Prefilter::for_plan(&Plan::new(vec![re("a", "ab", "")])).is_none());
        assert!(Prefilter::for_plan(&Plan::new(vec![re("a", "a.*b", "")])).is_none());
    }

    #[test]
    fn quotes_and_slashes() {
        let eq = |v: &str| {
            Plan::new(vec![Op::Filter(Predicate::field(
                "a",
                Matcher::Equals {
                    value: v.into(),
                    case_insensitive: false,
                },
            ))])
        };
        let pf = Prefilter::for_plan(&eq("say \"hi\"")).unwrap();
        assert!(pf.may_match(br#"{"a":"say \"hi\""}"#));
        assert!(
            Prefilter::for_plan(&eq("a/b/c")).is_none(),
            "`/` may be written `\\/`"
        );
        assert!(
            Prefilter::for_plan(&eq("4.0")).is_none(),
            "numeric equality"
        );
    }

    #[test]
    fn required_literals_of_regexes() {
        let (set, ci) = regex_needles("foo\\d+barbaz", "", RegexDialect::LogScale).unwrap();
        assert_eq!(set, vec!["barbaz".to_owned()]);
        assert!(!ci);
        let (set, ci) = regex_needles("(?i)cmd\\.exe", "", RegexDialect::LogScale).unwrap();
        assert_eq!(set, vec!["cmd.exe".to_owned()]);
        assert!(ci);
        assert!(regex_needles("(a|bcd)xyz", "", RegexDialect::LogScale).is_some());
    }
}

//! Literal prefilter shared by the rules of one route bucket: for each rule variant, a set of
//! (field, literal) pairs at least one of which must occur in that field's lower-cased value for
//! the variant to match; one Aho-Corasick automaton per field finds them all at once.
//!
//! Literals are lower-cased with `to_lowercase`, as the matchers lower-case. An ASCII value is
//! scanned as it is by an ASCII case-insensitive automaton; any other value is lower-cased first
//! (rare in event logs), so a scan finds exactly the literals the lower-cased value contains and
//! its misses are final for every literal, ASCII or not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use saker_event::{Event, Sym};
use saker_plan::{Matcher, Predicate};

use crate::program::{Scratch, fold_into};

/// Literals shorter than this are too common to narrow anything down.
const MIN_USEFUL_LEN: usize = 3;

/// Literal sets up to this many bytes get a DFA (about 300 bytes of table per literal byte);
/// larger ones a contiguous NFA, about 20 times smaller and somewhat slower. Measured on the
/// SigmaHQ Windows rules: 4096 here cost 18 MB more peak memory for no measurable speed.
const DFA_MAX_LITERAL_BYTES: usize = 1024;

/// A literal set is built only after one use per this many bytes of literals: the largest sets
/// (the vulnerable-driver hashes, 260 KB, about 100 ms to build) are not worth building for the
/// handful of events of their log source a small input holds. Until then the rules they narrow
/// down are evaluated on every such event, with the same results.
const DEFER_BYTES_PER_USE: usize = 1024;

/// The pseudo field of a keyword (free-text) literal: it may occur in any field.
pub const ANY_FIELD: &str = "\u{0}any";

/// A necessary condition: at least one `(field, literal)` occurs. `None` means "no literal
/// requirement could be derived" (the variant is always evaluated).
pub type Requirement = Option<Vec<(String, String)>>;

/// What a predicate needs to be true, as literals.
pub fn requirement(p: &Predicate) -> Requirement {
    match p {
        Predicate::Field { field, matcher } => matcher_literals(matcher)
            .map(|lits| lits.into_iter().map(|l| (field.clone(), l)).collect()),
        Predicate::FreeText(matcher) => matcher_literals(matcher).map(|lits| {
            lits.into_iter()
                .map(|l| (ANY_FIELD.to_owned(), l))
                .collect()
        }),
        Predicate::Or(ps) => {
            let mut all = Vec::new();
            for p in ps {
                all.extend(requirement(p)?);
            }
            Some(all)
        }
        Predicate::And(ps) => ps
            .iter()
            .filter_map(requirement)
            .max_by_key(|req| strength(req)),
        Predicate::False => Some(Vec::new()),
        _ => None,
    }
}

/// Shortest literal length (longer is more selective), then fewer alternatives.
fn strength(req: &[(String, String)]) -> (usize, std::cmp::Reverse<usize>) {
    let min = req.iter().map(|(_, l)| l.len()).min().unwrap_or(usize::MAX);
    (min, std::cmp::Reverse(req.len()))
}

fn matcher_literals(m: &Matcher) -> Option<Vec<String>> {
    match m {
        Matcher::Equals {
            value,
            case_insensitive,
        }
        | Matcher::Contains {
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
        } => Some(vec![literal(value, *case_insensitive)?]),
        Matcher::Glob {
            pattern,
            case_insensitive,
        } => Some(vec![glob_literal(pattern, *case_insensitive)?]),
        Matcher::AnyOf {
            values,
            glob,
            case_insensitive,
        } => values
            .iter()
            .map(|v| {
                if *glob {
                    glob_literal(v, *case_insensitive)
                } else {
                    literal(v, *case_insensitive)
                }
            })
            .collect(),
        _ => None,
    }
}

/// The literal a matched value must contain, lower-cased as the scan lower-cases values.
///
/// A case-insensitive test compares `to_lowercase` of both sides, exactly what the scan
/// compares, so any literal will do. A case-sensitive one only gives an ASCII literal: Unicode
/// lower-casing depends on context (a final `Σ`), so the value's lower-cased form need not
/// contain a non-ASCII literal's.
fn literal(value: &str, case_insensitive: bool) -> Option<String> {
    (value.len() >= MIN_USEFUL_LEN && (case_insensitive || value.is_ascii()))
        .then(|| value.to_lowercase())
}

/// The longest literal piece of a glob, taken after lower-casing the whole pattern (as the
/// matcher does).
fn glob_literal(pattern: &str, case_insensitive: bool) -> Option<String> {
    if !case_insensitive && !pattern.is_ascii() {
        return None;
    }
    let folded = pattern.to_lowercase();
    let piece = folded.split('*').max_by_key(|p| p.len()).unwrap_or("");
    (piece.len() >= MIN_USEFUL_LEN).then(|| piece.to_owned())
}

/// The automata of one bucket.
pub struct BucketPrefilter {
    fields: Vec<FieldAutomaton>,
    /// Slots (indexes into the bucket's variant list) that are always evaluated.
    pub always: Vec<usize>,
    slots: usize,
}

struct FieldAutomaton {
    /// `None`: every field's value (keyword literals).
    field: Option<Sym>,
    /// Its literals (pattern id order) and their automaton.
    automaton: Arc<Automaton>,
    /// Pattern id → slots it unlocks.
    targets: Vec<Vec<u32>>,
    /// Global id of this automaton (for [`Scratch`]): a scan of a value decides every
    /// substring leaf in `leaves`.
    id: u32,
    /// Pattern id → substring leaves (ids in the hunt's leaf table) it proves true.
    leaves: Vec<Vec<u32>>,
}

/// An automaton over one list of literals, shared by every bucket field with the same list (a
/// rule routed to several buckets brings the same literals to each).
pub struct Automaton {
    literals: Vec<String>,
    /// Built on first use (or later, see [`DEFER_BYTES_PER_USE`]): a bucket no event reaches
    /// costs no build time and no memory. `None` if it could not be built (size limits).
    ac: OnceLock<Option<AhoCorasick>>,
    /// Uses so far, counted until it is built.
    uses: AtomicUsize,
    /// Uses before it is built.
    defer: usize,
}

/// The automata of a hunt, by literal list.
pub type Automata = HashMap<Vec<String>, Arc<Automaton>>;

impl Automaton {
    fn shared(literals: Vec<String>, automata: &mut Automata) -> Arc<Automaton> {
        if let Some(a) = automata.get(&literals) {
            return Arc::clone(a);
        }
        let bytes: usize = literals.iter().map(String::len).sum();
        let a = Arc::new(Automaton {
            literals: literals.clone(),
            ac: OnceLock::new(),
            uses: AtomicUsize::new(0),
            defer: bytes / DEFER_BYTES_PER_USE,
        });
        automata.insert(literals, Arc::clone(&a));
        a
    }

    /// The automaton, or `None` while it is deferred or when it could not be built.
    fn get(&self) -> Option<&AhoCorasick> {
        if let Some(ac) = self.ac.get() {
            return ac.as_ref();
        }
        if self.uses.fetch_add(1, Ordering::Relaxed) < self.defer {
            return None;
        }
        self.ac.get_or_init(|| build(&self.literals)).as_ref()
    }

    /// Builds it now, deferred or not.
    pub fn build_now(&self) {
        self.ac.get_or_init(|| build(&self.literals));
    }

    /// Heap bytes of the automaton if built.
    pub fn memory_usage(&self) -> usize {
        self.ac
            .get()
            .and_then(Option::as_ref)
            .map_or(0, AhoCorasick::memory_usage)
    }
}

/// The slots a literal unlocks and the substring leaves it decides.
type Targets = (Vec<u32>, Vec<u32>);
/// Per literal: its targets.
type LiteralTargets = HashMap<String, Targets>;

impl BucketPrefilter {
    /// `decided`: case-insensitive substring leaves `(field, lower-cased ASCII literal, leaf id)`
    /// of this bucket's rules, looked for in the same scan; automata get ids from `next_id` on.
    /// Automata with the same literals as one already in `automata` share it.
    pub fn build(
        requirements: &[Requirement],
        decided: &[(String, String, u32)],
        next_id: &mut u32,
        automata: &mut Automata,
    ) -> Self {
        let mut always = Vec::new();
        let mut per_field: HashMap<String, LiteralTargets> = HashMap::new();
        for (slot, req) in requirements.iter().enumerate() {
            match req {
                None => always.push(slot),
                Some(pairs) => {
                    for (field, lit) in pairs {
                        let (targets, _) = per_field
                            .entry(field.clone())
                            .or_default()
                            .entry(lit.clone())
                            .or_default();
                        if targets.last() != Some(&(slot as u32)) {
                            targets.push(slot as u32);
                        }
                    }
                }
            }
        }
        for (field, lit, leaf) in decided {
            let (_, leaves) = per_field
                .entry(field.clone())
                .or_default()
                .entry(lit.clone())
                .or_default();
            if !leaves.contains(leaf) {
                leaves.push(*leaf);
            }
        }
        let mut fields = Vec::new();
        let mut names: Vec<_> = per_field.into_iter().collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (field, lits) in names {
            let mut lits: Vec<(String, Targets)> = lits.into_iter().collect();
            lits.sort();
            let (literals, (targets, leaves)): (Vec<String>, (Vec<_>, Vec<_>)) =
                lits.into_iter().unzip();
            fields.push(FieldAutomaton {
                field: (field != ANY_FIELD).then(|| Sym::new(&field)),
                automaton: Automaton::shared(literals, automata),
                targets,
                id: *next_id,
                leaves,
            });
            *next_id += 1;
        }
        always.sort_unstable();
        always.dedup();
        BucketPrefilter {
            fields,
            always,
            slots: requirements.len(),
        }
    }

    /// Heap bytes of the automata built so far.
    pub fn memory_usage(&self) -> usize {
        self.fields.iter().map(|f| f.automaton.memory_usage()).sum()
    }

    /// Builds every automaton now (for tests and diagnostics).
    pub fn build_all(&self) {
        for f in &self.fields {
            f.automaton.build_now();
        }
    }

    /// `(automaton id, leaf id)` for every substring leaf an automaton of this bucket decides.
    pub fn deciders(&self) -> Vec<(u32, u32)> {
        self.fields
            .iter()
            .flat_map(|fa| fa.leaves.iter().flatten().map(move |&leaf| (fa.id, leaf)))
            .collect()
    }

    /// Marks in `candidates` (one flag per slot) the slots whose literals occur in `event`, and
    /// records in `scratch` the substring leaves the scan decided.
    pub fn candidates(&self, event: &Event, candidates: &mut Vec<bool>, scratch: &mut Scratch) {
        candidates.clear();
        candidates.resize(self.slots, false);
        for &s in &self.always {
            candidates[s] = true;
        }
        for fa in &self.fields {
            let Some(ac) = fa.automaton.get() else {
                // No automaton (yet): every slot it would have narrowed down is evaluated, and its
                // leaves are left to their own tests.
                for t in fa.targets.iter().flatten() {
                    if let Some(c) = candidates.get_mut(*t as usize) {
                        *c = true;
                    }
                }
                continue;
            };
            match fa.field {
                Some(field) => {
                    if let Some(value) = event.get(field) {
                        fa.mark(ac, value, candidates, scratch);
                        scratch.scanned(fa.id);
                    }
                }
                // Keyword literals are looked for in every value, and few values hold one: a
                // plain (prefiltered) search rules most values out before the overlapping scan.
                None => {
                    for (_, value) in event.iter() {
                        if ac.is_match(value) || !value.is_ascii() {
                            fa.mark(ac, value, candidates, scratch);
                        }
                    }
                }
            }
        }
    }
}

impl FieldAutomaton {
    fn mark(&self, ac: &AhoCorasick, value: &str, candidates: &mut [bool], scratch: &mut Scratch) {
        let mut folded = std::mem::take(&mut scratch.fold_buf);
        let haystack = if value.is_ascii() {
            value
        } else {
            fold_into(value, &mut folded);
            folded.as_str()
        };
        for m in ac.find_overlapping_iter(haystack.as_bytes()) {
            let p = m.pattern().as_usize();
            if let Some(targets) = self.targets.get(p) {
                for &t in targets {
                    if let Some(c) = candidates.get_mut(t as usize) {
                        *c = true;
                    }
                }
            }
            if let Some(leaves) = self.leaves.get(p) {
                for &leaf in leaves {
                    scratch.found(leaf);
                }
            }
        }
        scratch.fold_buf = folded;
    }
}

/// A DFA scans several times faster than an NFA; very large literal sets fall back to the
/// (smaller) contiguous NFA.
fn build(literals: &[String]) -> Option<AhoCorasick> {
    let build = |kind| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(kind))
            .match_kind(MatchKind::Standard)
            .dense_depth(2)
            .build(literals)
    };
    let bytes: usize = literals.iter().map(String::len).sum();
    let built = if bytes <= DFA_MAX_LITERAL_BYTES {
        build(AhoCorasickKind::DFA).or_else(|_| build(AhoCorasickKind::ContiguousNFA))
    } else {
        build(AhoCorasickKind::ContiguousNFA)
    };
    built.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(f: &str, v: &str) -> Predicate {
        Predicate::field(
            f,
            Matcher::Contains {
                value: v.into(),
                case_insensitive: true,
            },
        )
    }

    #[test]
    fn and_picks_the_most_selective_branch_or_needs_all() {
        let p = Predicate::And(vec![
            contains("Image", "cmd"),
            Predicate::Or(vec![
                contains("CommandLine", "whoami"),
                contains("CommandLine", "net user"),
            ]),
        ]);
        let req = requirement(&p).unwrap();
        assert_eq!(req.len(), 2);
        assert!(req.iter().all(|(f, _)| f == "CommandLine"));
        // An OR with an unconstrained branch constrains nothing.
        let p = Predicate::Or(vec![
            contains("a", "xyz"),
            Predicate::field("b", Matcher::Exists),
        ]);
        assert_eq!(requirement(&p), None);
        // Negations give no requirement.
        assert_eq!(requirement(&contains("a", "xyz").negate()), None);
        // Short literals give none either, nor non-ASCII ones of a case-sensitive test.
        assert_eq!(requirement(&contains("a", "x")), None);
        assert_eq!(
            requirement(&contains("a", "ÉTÉ")),
            Some(vec![("a".to_owned(), "été".to_owned())])
        );
        let cased = Predicate::field(
            "a",
            Matcher::Contains {
                value: "ÉTÉ".into(),
                case_insensitive: false,
            },
        );
        assert_eq!(requirement(&cased), None);
    }

    #[test]
    fn automaton_marks_candidates_case_insensitively() {
        let reqs = vec![
            Some(vec![("CommandLine".to_owned(), "whoami".to_owned())]),
            Some(vec![("CommandLine".to_owned(), "mimikatz".to_owned())]),
            None,
        ];
        let pf = BucketPrefilter::build(&reqs, &[], &mut 0, &mut Automata::new());
        let e: Event = [("CommandLine", "C:\\x\\WHOAMI.exe /all")]
            .into_iter()
            .collect();
        let mut c = Vec::new();
        pf.candidates(&e, &mut c, &mut Scratch::default());
        assert_eq!(c, vec![true, false, true]);
    }

    #[test]
    fn automata_are_built_on_first_use() {
        let reqs = vec![
            Some(vec![("CommandLine".to_owned(), "whoami".to_owned())]),
            Some(vec![("Image".to_owned(), "\\cmd.exe".to_owned())]),
        ];
        let pf = BucketPrefilter::build(&reqs, &[], &mut 0, &mut Automata::new());
        assert_eq!(pf.memory_usage(), 0);
        let e: Event = [("CommandLine", "whoami")].into_iter().collect();
        let mut c = Vec::new();
        pf.candidates(&e, &mut c, &mut Scratch::default());
        assert_eq!(c, vec![true, false]);
        assert!(pf.memory_usage() > 0);
    }

    #[test]
    fn large_literal_sets_are_built_after_some_uses_and_shared() {
        // 4,352 bytes of literals: built on the fifth use; until then every slot they narrow
        // down is a candidate.
        let hashes: Vec<(String, String)> = (0..256)
            .map(|i| ("Hashes".to_owned(), format!("md5={i:013}")))
            .collect();
        let reqs = vec![
            Some(hashes),
            Some(vec![("Image".to_owned(), "\\cmd.exe".to_owned())]),
        ];
        let mut automata = Automata::new();
        let pf = BucketPrefilter::build(&reqs, &[], &mut 0, &mut automata);
        let other = BucketPrefilter::build(&reqs[..1], &[], &mut 0, &mut automata);
        assert_eq!(automata.len(), 2);
        let e: Event = [("Hashes", "SHA1=x"), ("Image", "a.exe")]
            .into_iter()
            .collect();
        let mut c = Vec::new();
        for _ in 0..4 {
            pf.candidates(&e, &mut c, &mut Scratch::default());
            assert_eq!(c, vec![true, false]);
        }
        assert_eq!(other.memory_usage(), 0);
        pf.candidates(&e, &mut c, &mut Scratch::default());
        assert_eq!(c, vec![false, false]);
        // The other bucket with the same literals shares the automaton just built.
        assert!(other.memory_usage() > 0);
    }

    #[test]
    fn non_ascii_values_are_scanned_lower_cased() {
        let reqs = vec![
            Some(vec![("a".to_owned(), "été".to_owned())]),
            Some(vec![("a".to_owned(), "kerberos".to_owned())]),
            Some(vec![("a".to_owned(), "\u{1f600}".to_owned())]),
        ];
        let pf = BucketPrefilter::build(&reqs, &[], &mut 0, &mut Automata::new());
        let mut c = Vec::new();
        // `É` lower-cases to `é`; the Kelvin sign `K` lower-cases to an ASCII `k`.
        let e: Event = [("a", "L'ÉTÉ \u{212A}ERBEROS")].into_iter().collect();
        pf.candidates(&e, &mut c, &mut Scratch::default());
        assert_eq!(c, vec![true, true, false]);
        let e: Event = [("a", "smile \u{1f600}")].into_iter().collect();
        pf.candidates(&e, &mut c, &mut Scratch::default());
        assert_eq!(c, vec![false, false, true]);
    }

    #[test]
    fn keyword_literals_are_looked_for_in_every_field() {
        let kw = Predicate::FreeText(Matcher::Contains {
            value: "Set-Mailbox".into(),
            case_insensitive: true,
        });
        let req = requirement(&kw).unwrap();
        assert_eq!(req, vec![(ANY_FIELD.to_owned(), "set-mailbox".to_owned())]);
        let pf = BucketPrefilter::build(&[Some(req)], &[], &mut 0, &mut Automata::new());
        let mut s = Scratch::default();
        let mut c = Vec::new();
        let hit: Event = [("a", "x"), ("Payload", "… SET-MAILBOX -Identity …")]
            .into_iter()
            .collect();
        pf.candidates(&hit, &mut c, &mut s);
        assert_eq!(c, vec![true]);
        let miss: Event = [("a", "x"), ("Payload", "Get-Mailbox")]
            .into_iter()
            .collect();
        pf.candidates(&miss, &mut c, &mut s);
        assert_eq!(c, vec![false]);
    }
}

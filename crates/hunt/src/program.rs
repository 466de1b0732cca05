//! Rule predicates compiled for hunting many rules at once.
//!
//! Thousands of Sigma rules repeat the same tests (`Image|endswith: \cmd.exe` appears in hundreds of
//! them) and mostly test case-insensitively. So:
//!
//! * every distinct `(field, matcher)` leaf is compiled once into a shared [`Leaves`] table, and a
//!   leaf's result is memoised per event ([`Scratch`]): a test shared by many rules runs once;
//! * case-insensitive text tests run on the field value lower-cased once per event and field, with
//!   plain byte comparisons and a `memchr` substring finder (a few hundred bytes per needle, nothing
//!   built at load beyond that);
//! * matchers with no case-insensitive text form (regex, numeric, CIDR, exists, case-sensitive
//!   text) use `exec`'s [`CompiledMatcher`]; forms this module does not know at all (keywords,
//!   field references) use `exec`'s [`CompiledPredicate`]. Matching semantics are the engine's.

use std::collections::{HashMap, HashSet};

use memchr::memmem;
use rayon::prelude::*;
use saker_event::{Event, Sym};
use saker_exec::matcher::CompiledMatcher;
use saker_exec::text::Glob;
use saker_exec::{CompiledPredicate, ExecError, FilterCompiler};
use saker_plan::{Matcher, Predicate};

/// A compiled rule predicate; its leaves live in a [`Leaves`] table.
#[derive(Clone)]
pub enum Program {
    True,
    False,
    And(Box<[Program]>),
    Or(Box<[Program]>),
    Not(Box<Program>),
    Leaf(u32),
    Opaque(CompiledPredicate),
}

/// Every distinct leaf test of a rule set.
#[derive(Default)]
pub struct Leaves {
    leaves: Vec<Leaf>,
    by_key: HashMap<String, u32>,
    /// Fields whose lower-cased value some leaf reads, each with its slot in [`Scratch`].
    folded_slot: HashMap<Sym, u32>,
    /// Number of prefilter automata that decide substring leaves.
    automata: u32,
}

struct Leaf {
    field: Sym,
    test: Test,
    /// Prefilter automata whose scan of this field decides this (substring) leaf.
    deciders: Vec<u32>,
    /// Only a value with a non-ASCII character can pass (see [`Folded::needs_non_ascii`]).
    needs_non_ascii: bool,
}

/// Substring literals shorter than this are left to their own search (they match too often to
/// be worth reporting from the automaton).
const MIN_DECIDED_LEN: usize = 3;

enum Test {
    /// A case-insensitive text test on the lower-cased value (slot in [`Scratch::folded`]).
    Folded(u32, Folded),
    /// Any other matcher, on the value as it is.
    Raw(CompiledMatcher),
}

enum Folded {
    Equals {
        needle: String,
        number: Option<f64>,
    },
    Contains(Box<memmem::Finder<'static>>),
    StartsWith(String),
    EndsWith(String),
    Glob(Glob),
    AnyOf {
        exact: HashSet<String>,
        globs: Vec<Glob>,
    },
}

/// A field's lower-cased value, filled once per event on first use.
#[derive(Clone, Default)]
struct FoldedValue {
    /// The event stamp it was filled for.
    stamp: u32,
    present: bool,
    ascii: bool,
    text: String,
}

/// Per-thread, per-event working memory: memoised leaf results and lower-cased field values.
#[derive(Default)]
pub struct Scratch {
    /// Current event's stamp (increments per event; never 0 once started).
    stamp: u32,
    /// Per leaf: `stamp << 1 | result` when evaluated for the current event.
    memo: Vec<u32>,
    /// Per folded slot: the field's lower-cased value for the current event.
    folded: Vec<FoldedValue>,
    /// Per prefilter automaton: the stamp of the event whose field value it scanned.
    scanned: Vec<u32>,
    /// The prefilter's lower-cased copy of a non-ASCII value.
    pub(crate) fold_buf: String,
}

impl Scratch {
    /// Starts a new event.
    pub fn next_event(&mut self, leaves: &Leaves) {
        if self.memo.len() != leaves.leaves.len() {
            self.memo = vec![0; leaves.leaves.len()];
        }
        if self.folded.len() != leaves.folded_slot.len() {
            self.folded = vec![FoldedValue::default(); leaves.folded_slot.len()];
        }
        if self.scanned.len() != leaves.automata as usize {
            self.scanned = vec![0; leaves.automata as usize];
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 || self.stamp >= u32::MAX >> 1 {
            self.memo.iter_mut().for_each(|m| *m = 0);
            self.folded.iter_mut().for_each(|f| f.stamp = 0);
            self.scanned.iter_mut().for_each(|s| *s = 0);
            self.stamp = 1;
        }
    }

    /// A prefilter automaton found a decided substring leaf's literal in the current event.
    pub fn found(&mut self, leaf: u32) {
        if let Some(m) = self.memo.get_mut(leaf as usize) {
            *m = (self.stamp << 1) | 1;
        }
    }

    /// A prefilter automaton scanned its field value of the current event: its decided leaves
    /// not [`Scratch::found`] are false.
    pub fn scanned(&mut self, automaton: u32) {
        if let Some(s) = self.scanned.get_mut(automaton as usize) {
            *s = self.stamp;
        }
    }
}

/// Lower-cases like `exec` does for case-insensitive comparisons (ASCII fast path, else Unicode).
pub(crate) fn fold_into(value: &str, out: &mut String) {
    out.clear();
    if value.is_ascii() {
        out.push_str(value);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&value.to_lowercase());
    }
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// A value written as a plain decimal number (`-12`, `3.50`): equality also compares numerically,
/// as `exec`'s equality does.
fn plain_number(s: &str) -> Option<f64> {
    let t = s.strip_prefix('-').unwrap_or(s);
    if t.is_empty() || t.starts_with('.') || t.ends_with('.') {
        return None;
    }
    let mut dot = false;
    for b in t.bytes() {
        match b {
            b'0'..=b'9' => {}
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    s.parse().ok()
}

impl Folded {
    fn new(m: &Matcher) -> Option<Folded> {
        Some(match m {
            Matcher::Equals {
                value,
                case_insensitive: true,
            } => Folded::Equals {
                needle: lower(value),
                number: plain_number(value),
            },
            Matcher::Glob {
                pattern,
                case_insensitive: true,
            } if !pattern.chars().all(|c| c == '*') || pattern.is_empty() => {
                if pattern.contains('*') {
                    Folded::Glob(Glob::new(&lower(pattern), false))
                } else {
                    Folded::Equals {
                        needle: lower(pattern),
                        number: plain_number(pattern),
                    }
                }
            }
            Matcher::Contains {
                value,
                case_insensitive: true,
            } => Folded::Contains(Box::new(
                memmem::Finder::new(lower(value).as_bytes()).into_owned(),
            )),
            Matcher::StartsWith {
                value,
                case_insensitive: true,
            } => Folded::StartsWith(lower(value)),
            Matcher::EndsWith {
                value,
                case_insensitive: true,
            } => Folded::EndsWith(lower(value)),
            Matcher::AnyOf {
                values,
                glob,
                case_insensitive: true,
            } => {
                let mut exact = HashSet::new();
                let mut globs = Vec::new();
                for v in values {
                    if *glob && v.contains('*') {
                        globs.push(Glob::new(&lower(v), false));
                    } else {
                        exact.insert(lower(v));
                    }
                }
                Folded::AnyOf { exact, globs }
            }
            _ => return None,
        })
    }

    /// Whether only a value with a non-ASCII character can pass.
    fn needs_non_ascii(&self) -> bool {
        match self {
            Folded::Equals { needle, number } => !needle.is_ascii() && number.is_none(),
            Folded::Contains(f) => !f.needle().is_ascii(),
            Folded::StartsWith(n) | Folded::EndsWith(n) => !n.is_ascii(),
            Folded::Glob(_) | Folded::AnyOf { .. } => false,
        }
    }

    fn test(&self, v: &str) -> bool {
        match self {
            Folded::Equals { needle, number } => {
                v == needle || number.is_some_and(|x| plain_number(v) == Some(x))
            }
            Folded::Contains(f) => f.find(v.as_bytes()).is_some(),
            Folded::StartsWith(n) => v.starts_with(n.as_str()),
            Folded::EndsWith(n) => v.ends_with(n.as_str()),
            Folded::Glob(g) => g.is_match(v),
            Folded::AnyOf { exact, globs } => {
                exact.contains(v) || globs.iter().any(|g| g.is_match(v))
            }
        }
    }
}

/// A leaf test of a predicate being compiled: its key in the leaf table, field and matcher.
struct FoundLeaf<'p> {
    key: String,
    field: &'p str,
    matcher: &'p Matcher,
}

/// A predicate compiled but for its leaves: its `Program::Leaf`s index `leaves`.
struct Shaped<'p> {
    program: Program,
    leaves: Vec<FoundLeaf<'p>>,
}

/// A found leaf's test: in the table, or the n-th new test of a [`Leaves::compile_many`] call.
#[derive(Clone, Copy)]
enum LeafRef {
    Known(u32),
    Fresh(usize),
}

/// A leaf test built, before it has a place in the table.
enum Built {
    Folded(Folded),
    Raw(CompiledMatcher),
}

impl Built {
    fn new(m: &Matcher) -> Result<Built, ExecError> {
        Ok(match Folded::new(m) {
            Some(f) => Built::Folded(f),
            None => Built::Raw(CompiledMatcher::compile(m)?),
        })
    }
}

impl<'p> Shaped<'p> {
    fn new(p: &'p Predicate, others: &dyn FilterCompiler) -> Result<Shaped<'p>, ExecError> {
        let mut leaves = Vec::new();
        let program = shape(p, others, &mut leaves)?;
        Ok(Shaped { program, leaves })
    }

    /// The program with table ids; the first of its leaves that failed to build is the error.
    fn resolve(
        mut self,
        refs: &[LeafRef],
        fresh_ids: &[Result<u32, ExecError>],
    ) -> Result<Program, ExecError> {
        let mut ids = Vec::with_capacity(refs.len());
        for r in refs {
            ids.push(match *r {
                LeafRef::Known(id) => id,
                LeafRef::Fresh(i) => fresh_ids
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| Err(ExecError::Invalid("leaf test missing".into())))?,
            });
        }
        self.program.renumber(&ids);
        Ok(self.program)
    }
}

/// Compiles `p` with `Program::Leaf(i)` standing for `leaves[i]` (constants folded as they go).
fn shape<'p>(
    p: &'p Predicate,
    others: &dyn FilterCompiler,
    leaves: &mut Vec<FoundLeaf<'p>>,
) -> Result<Program, ExecError> {
    Ok(match p {
        Predicate::True => Program::True,
        Predicate::False => Program::False,
        Predicate::And(ps) => {
            let mut nodes = Vec::with_capacity(ps.len());
            for p in ps {
                match shape(p, others, leaves)? {
                    Program::True => {}
                    Program::False => return Ok(Program::False),
                    n => nodes.push(n),
                }
            }
            match nodes.len() {
                0 => Program::True,
                1 => nodes.pop().unwrap_or(Program::True),
                _ => Program::And(nodes.into()),
            }
        }
        Predicate::Or(ps) => {
            let mut nodes = Vec::with_capacity(ps.len());
            for p in ps {
                match shape(p, others, leaves)? {
                    Program::False => {}
                    Program::True => return Ok(Program::True),
                    n => nodes.push(n),
                }
            }
            match nodes.len() {
                0 => Program::False,
                1 => nodes.pop().unwrap_or(Program::False),
                _ => Program::Or(nodes.into()),
            }
        }
        Predicate::Not(inner) => match shape(inner, others, leaves)? {
            Program::True => Program::False,
            Program::False => Program::True,
            Program::Not(n) => *n,
            n => Program::Not(Box::new(n)),
        },
        Predicate::Field { field, matcher } => {
            leaves.push(FoundLeaf {
                key: format!("{field}\u{0}{matcher:?}"),
                field,
                matcher,
            });
            Program::Leaf((leaves.len() - 1) as u32)
        }
        Predicate::FreeText(_) | Predicate::Call(_) | Predicate::Expr(_) => {
            Program::Opaque(CompiledPredicate::compile_with(p, others)?)
        }
    })
}

impl Leaves {
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// Compiles `p`, sharing leaves already in the table.
    pub fn compile(
        &mut self,
        p: &Predicate,
        others: &(dyn FilterCompiler + Sync),
    ) -> Result<Program, ExecError> {
        self.compile_many(&[p], others)
            .pop()
            .unwrap_or(Ok(Program::False))
    }

    /// Compiles every predicate (results in the same order), sharing leaves already in the table.
    /// Shaping the predicates and building each distinct new leaf test (regexes, substring
    /// finders) run on all cores; only numbering the leaves is sequential.
    pub fn compile_many(
        &mut self,
        ps: &[&Predicate],
        others: &(dyn FilterCompiler + Sync),
    ) -> Vec<Result<Program, ExecError>> {
        let shaped: Vec<Result<Shaped, ExecError>> =
            ps.par_iter().map(|p| Shaped::new(p, others)).collect();
        let mut fresh: Vec<&FoundLeaf> = Vec::new();
        let mut fresh_of: HashMap<&str, usize> = HashMap::new();
        let refs: Vec<Vec<LeafRef>> = shaped
            .iter()
            .map(|s| match s {
                Ok(s) => s
                    .leaves
                    .iter()
                    .map(|l| self.leaf_ref(l, &mut fresh, &mut fresh_of))
                    .collect(),
                Err(_) => Vec::new(),
            })
            .collect();
        let built: Vec<Result<Built, ExecError>> =
            fresh.par_iter().map(|l| Built::new(l.matcher)).collect();
        let fresh_ids: Vec<Result<u32, ExecError>> = fresh
            .iter()
            .zip(built)
            .map(|(l, b)| b.map(|b| self.push_leaf(l, b)))
            .collect();
        shaped
            .into_iter()
            .zip(refs)
            .map(|(s, refs)| s?.resolve(&refs, &fresh_ids))
            .collect()
    }

    /// Where a found leaf's test is: already in the table, or in the list of new ones.
    fn leaf_ref<'a, 'p>(
        &self,
        leaf: &'a FoundLeaf<'p>,
        fresh: &mut Vec<&'a FoundLeaf<'p>>,
        fresh_of: &mut HashMap<&'a str, usize>,
    ) -> LeafRef {
        if let Some(&id) = self.by_key.get(&leaf.key) {
            return LeafRef::Known(id);
        }
        LeafRef::Fresh(*fresh_of.entry(leaf.key.as_str()).or_insert_with(|| {
            fresh.push(leaf);
            fresh.len() - 1
        }))
    }

    fn push_leaf(&mut self, found: &FoundLeaf, built: Built) -> u32 {
        let sym = Sym::new(found.field);
        let (test, needs_non_ascii) = match built {
            Built::Folded(f) => {
                let needs_non_ascii = f.needs_non_ascii();
                let next = self.folded_slot.len() as u32;
                let slot = *self.folded_slot.entry(sym).or_insert(next);
                (Test::Folded(slot, f), needs_non_ascii)
            }
            Built::Raw(m) => (Test::Raw(m), false),
        };
        let id = self.leaves.len() as u32;
        self.leaves.push(Leaf {
            field: sym,
            test,
            deciders: Vec::new(),
            needs_non_ascii,
        });
        self.by_key.insert(found.key.clone(), id);
        id
    }

    /// `(field, lower-cased literal)` of a case-insensitive substring leaf whose literal the
    /// prefilter automaton looks for.
    pub fn decidable(&self, id: u32) -> Option<(&str, &str)> {
        let leaf = self.leaves.get(id as usize)?;
        let Test::Folded(_, Folded::Contains(finder)) = &leaf.test else {
            return None;
        };
        let needle = std::str::from_utf8(finder.needle()).ok()?;
        (needle.len() >= MIN_DECIDED_LEN).then(|| (leaf.field.as_str(), needle))
    }

    /// Records that prefilter automaton `automaton` decides leaf `id`.
    pub fn add_decider(&mut self, id: u32, automaton: u32) {
        if let Some(leaf) = self.leaves.get_mut(id as usize)
            && !leaf.deciders.contains(&automaton)
        {
            leaf.deciders.push(automaton);
            self.automata = self.automata.max(automaton + 1);
        }
    }

    /// Drops what only compilation needs.
    pub fn finish(&mut self) {
        self.by_key = HashMap::new();
    }

    fn eval_leaf(&self, id: u32, event: &Event, scratch: &mut Scratch) -> bool {
        let i = id as usize;
        let stamp = scratch.stamp;
        if let Some(&m) = scratch.memo.get(i)
            && m >> 1 == stamp
        {
            return m & 1 == 1;
        }
        let Some(leaf) = self.leaves.get(i) else {
            return false;
        };
        if leaf
            .deciders
            .iter()
            .any(|&a| scratch.scanned.get(a as usize) == Some(&stamp))
        {
            return false;
        }
        let result = match &leaf.test {
            Test::Raw(m) => m.test(event.get(leaf.field)),
            Test::Folded(slot, f) => match scratch.folded.get_mut(*slot as usize) {
                Some(entry) => {
                    if entry.stamp != stamp {
                        entry.stamp = stamp;
                        match event.get(leaf.field) {
                            Some(v) => {
                                entry.present = true;
                                entry.ascii = v.is_ascii();
                                fold_into(v, &mut entry.text);
                            }
                            None => entry.present = false,
                        }
                    }
                    // An ASCII value cannot hold a non-ASCII needle (windash expands `-x`
                    // into three non-ASCII dashes: most of those tests end here).
                    entry.present && !(entry.ascii && leaf.needs_non_ascii) && f.test(&entry.text)
                }
                None => false,
            },
        };
        if let Some(m) = scratch.memo.get_mut(i) {
            *m = (stamp << 1) | result as u32;
        }
        result
    }
}

impl Program {
    /// Replaces every `Leaf(i)` by `Leaf(ids[i])`.
    fn renumber(&mut self, ids: &[u32]) {
        match self {
            Program::And(ns) | Program::Or(ns) => ns.iter_mut().for_each(|n| n.renumber(ids)),
            Program::Not(n) => n.renumber(ids),
            Program::Leaf(id) => *id = ids.get(*id as usize).copied().unwrap_or(*id),
            Program::True | Program::False | Program::Opaque(_) => {}
        }
    }

    /// Calls `f` with every leaf id of the program.
    pub fn for_each_leaf(&self, f: &mut dyn FnMut(u32)) {
        match self {
            Program::And(ns) | Program::Or(ns) => ns.iter().for_each(|n| n.for_each_leaf(f)),
            Program::Not(n) => n.for_each_leaf(f),
            Program::Leaf(id) => f(*id),
            Program::True | Program::False | Program::Opaque(_) => {}
        }
    }

    /// Whether `event` passes. `scratch` must have been started for this event
    /// ([`Scratch::next_event`]).
    pub fn matches(&self, leaves: &Leaves, event: &Event, scratch: &mut Scratch) -> bool {
        match self {
            Program::True => true,
            Program::False => false,
            Program::And(ns) => ns.iter().all(|n| n.matches(leaves, event, scratch)),
            Program::Or(ns) => ns.iter().any(|n| n.matches(leaves, event, scratch)),
            Program::Not(n) => !n.matches(leaves, event, scratch),
            Program::Leaf(id) => leaves.eval_leaf(*id, event, scratch),
            Program::Opaque(p) => p.matches(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoOthers;
    impl FilterCompiler for NoOthers {
        fn compile_filter(
            &self,
            _: &Predicate,
        ) -> Result<std::sync::Arc<dyn saker_exec::EventFilter>, ExecError> {
            Err(ExecError::Unsupported("none".into()))
        }
    }

    fn ci(m: fn(String) -> Matcher, v: &str) -> Matcher {
        m(v.to_owned())
    }

    fn check(p: &Predicate, e: &Event) -> bool {
        let mut leaves = Leaves::default();
        let prog = leaves.compile(p, &NoOthers).unwrap();
        let mut s = Scratch::default();
        s.next_event(&leaves);
        let ours = prog.matches(&leaves, e, &mut s);
        let theirs = CompiledPredicate::compile(p).unwrap().matches(e);
        assert_eq!(ours, theirs, "{p:?} on {e:?}");
        ours
    }

    #[test]
    fn agrees_with_exec_on_case_insensitive_text() {
        let e: Event = [
            ("Image", "C:\\Windows\\System32\\CMD.EXE"),
            ("CommandLine", "cmd /c WhoAmI /all"),
            ("Count", "404.0"),
            ("Name", "École"),
        ]
        .into_iter()
        .collect();
        let contains = |v: String| Matcher::Contains {
            value: v,
            case_insensitive: true,
        };
        let ends = |v: String| Matcher::EndsWith {
            value: v,
            case_insensitive: true,
        };
        let starts = |v: String| Matcher::StartsWith {
            value: v,
            case_insensitive: true,
        };
        let equals = |v: String| Matcher::Equals {
            value: v,
            case_insensitive: true,
        };
        let glob = |v: String| Matcher::Glob {
            pattern: v,
            case_insensitive: true,
        };
        assert!(check(
            &Predicate::field("CommandLine", ci(contains, "whoami")),
            &e
        ));
        assert!(!check(
            &Predicate::field("CommandLine", ci(contains, "net user")),
            &e
        ));
        assert!(check(&Predicate::field("Image", ci(ends, "\\cmd.exe")), &e));
        assert!(check(
            &Predicate::field("Image", ci(starts, "c:\\windows")),
            &e
        ));
        assert!(!check(&Predicate::field("Image", ci(starts, "d:\\")), &e));
        assert!(check(&Predicate::field("Count", ci(equals, "404")), &e));
        assert!(check(&Predicate::field("Name", ci(equals, "éCOLE")), &e));
        assert!(check(
            &Predicate::field("Image", ci(glob, "*\\system32\\*.exe")),
            &e
        ));
        assert!(!check(
            &Predicate::field("Image", ci(glob, "*\\syswow64\\*")),
            &e
        ));
        assert!(check(&Predicate::field("Image", ci(glob, "*")), &e));
        assert!(!check(&Predicate::field("Missing", ci(glob, "*")), &e));
        assert!(!check(&Predicate::field("Missing", ci(contains, "x")), &e));
        assert!(check(
            &Predicate::field("Missing", ci(contains, "x")).negate(),
            &e
        ));
        let any = Matcher::AnyOf {
            values: vec!["cmd /c whoami /ALL".into(), "*\\powershell.exe".into()],
            glob: true,
            case_insensitive: true,
        };
        assert!(check(&Predicate::field("CommandLine", any.clone()), &e));
        assert!(!check(&Predicate::field("Image", any), &e));
        let cased = Matcher::Contains {
            value: "whoami".into(),
            case_insensitive: false,
        };
        assert!(!check(&Predicate::field("CommandLine", cased), &e));
        // A non-ASCII needle (windash's en dash) on ASCII and non-ASCII values.
        let dash = Predicate::field("CommandLine", ci(contains, " \u{2013}c "));
        assert!(!check(&dash, &e));
        let dashed: Event = [("CommandLine", "CMD \u{2013}C whoami")]
            .into_iter()
            .collect();
        assert!(check(&dash, &dashed));
        assert!(check(&dash.negate(), &e));
    }

    #[test]
    fn shared_leaves_are_compiled_once_and_memoised_per_event() {
        let mut leaves = Leaves::default();
        let m = Matcher::EndsWith {
            value: "\\cmd.exe".into(),
            case_insensitive: true,
        };
        let a = leaves
            .compile(&Predicate::field("Image", m.clone()), &NoOthers)
            .unwrap();
        let b = leaves
            .compile(&Predicate::field("Image", m).negate(), &NoOthers)
            .unwrap();
        assert_eq!(leaves.len(), 1);
        let mut s = Scratch::default();
        let yes: Event = [("Image", "X\\CMD.exe")].into_iter().collect();
        let no: Event = [("Image", "X\\bash")].into_iter().collect();
        s.next_event(&leaves);
        assert!(a.matches(&leaves, &yes, &mut s) && !b.matches(&leaves, &yes, &mut s));
        // A new event does not see the previous event's memo or folded value.
        s.next_event(&leaves);
        assert!(!a.matches(&leaves, &no, &mut s) && b.matches(&leaves, &no, &mut s));
    }
}

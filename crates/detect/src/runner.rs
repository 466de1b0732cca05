//! Running a pack's tests: read each test's fixtures, run each target through an [`Engine`], compare
//! with the expectation; a `gap_in` target must *not* meet it.

use std::ops::ControlFlow;
use std::path::Path;

use saker_event::Event;

use crate::expect;
use crate::markdown;
use crate::pack::{Pack, TestFile};
use crate::spec::{Expectation, ExpectedRow, Target, TestSpec};

/// What executes queries and rules. The real one wires the CQL and Sigma engines
/// ([`crate::engine::SakerEngine`]); tests use fakes.
pub trait Engine {
    /// Runs a CQL query over `events`, returning its output rows.
    fn run_cql(&self, query: &str, events: &[Event]) -> Result<Vec<Event>, String>;
    /// Runs the Sigma rule in `rule_path` over `events` with the field mapping of `target`
    /// (`windows` when `None`), returning the matching events in order.
    fn run_sigma(
        &self,
        rule_path: &Path,
        target: Option<&str>,
        events: &[Event],
    ) -> Result<Vec<Event>, String>;
}

/// Rows shown for a failure are capped at this many.
pub const SHOWN_ROWS: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The target (`query.cql`, `sigma/x.yml`, …), or empty for a failure of the test itself.
    pub target: String,
    pub message: String,
    /// The expected rows, when the expectation lists rows.
    pub expected: Option<Vec<ExpectedRow>>,
    /// The actual rows (at most [`SHOWN_ROWS`]).
    pub actual: Vec<Vec<(String, String)>>,
}

#[derive(Clone, Debug)]
pub struct TestResult {
    /// `PACK/TEST`.
    pub name: String,
    pub pack: String,
    pub file: std::path::PathBuf,
    pub failures: Vec<Failure>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every test of `pack`, in file-name order.
pub fn run_pack(pack: &Pack, engine: &dyn Engine) -> Vec<TestResult> {
    pack.tests
        .iter()
        .map(|t| run_test(pack, t, engine))
        .collect()
}

fn run_test(pack: &Pack, test: &TestFile, engine: &dyn Engine) -> TestResult {
    let mut result = TestResult {
        name: format!("{}/{}", pack.label(), test.name()),
        pack: pack.label(),
        file: test.path.clone(),
        failures: Vec::new(),
    };
    let spec = match (&test.spec, test.has_errors()) {
        (Some(spec), false) => spec,
        _ => {
            for d in test.diagnostics.iter().filter(|d| d.is_error()) {
                let (line, col) = saker_diag::line_col(&test.text, d.span.start);
                result.failures.push(failure(
                    "",
                    format!("{line}:{col}: {} [{}]", d.message, d.code),
                ));
            }
            return result;
        }
    };
    let events = match read_events(spec) {
        Ok(events) => events,
        Err(msg) => {
            result.failures.push(failure("", msg));
            return result;
        }
    };
    for target in &spec.run {
        match run_target(pack, spec, target, &events, engine) {
            Err(msg) => result.failures.push(failure(&target.label(), msg)),
            Ok(hits) => {
                if let Some(msg) = expect::mismatch(&spec.expect, &hits) {
                    result.failures.push(Failure {
                        target: target.label(),
                        message: msg,
                        expected: expected_rows(&spec.expect),
                        actual: expect::display_rows(&spec.expect, &hits, SHOWN_ROWS),
                    });
                }
            }
        }
    }
    for target in &spec.gap_in {
        match run_target(pack, spec, target, &events, engine) {
            Err(msg) => result.failures.push(failure(&target.label(), msg)),
            Ok(hits) => {
                if expect::mismatch(&spec.expect, &hits).is_none() {
                    result.failures.push(Failure {
                        target: target.label(),
                        message:
                            "gap closed: the expectation also holds here (remove it from `gap_in`)"
                                .into(),
                        expected: None,
                        actual: expect::display_rows(&spec.expect, &hits, SHOWN_ROWS),
                    });
                }
            }
        }
    }
    result
}

fn failure(target: &str, message: String) -> Failure {
    Failure {
        target: target.to_owned(),
        message,
        expected: None,
        actual: Vec::new(),
    }
}

fn expected_rows(expect: &Expectation) -> Option<Vec<ExpectedRow>> {
    match expect {
        Expectation::Rows { rows, .. } => Some(rows.clone()),
        _ => None,
    }
}

/// Reads a test's inputs; a malformed record fails the test (fixtures must be clean).
pub fn read_events(spec: &TestSpec) -> Result<Vec<Event>, String> {
    let opts = saker_io::ReadOptions {
        format: spec.format,
        profile: spec.profile,
        ..Default::default()
    };
    let mut events = Vec::new();
    let mut malformed = Vec::new();
    for path in &spec.inputs {
        let input = saker_io::Input::path(path.clone());
        saker_io::read_input(
            &input,
            &opts,
            &mut |e| {
                events.push(e);
                ControlFlow::Continue(())
            },
            &mut |m| malformed.push(m.to_string()),
        )
        .map_err(|e| format!("reading {}: {e}", path.display()))?;
    }
    if !malformed.is_empty() {
        return Err(format!(
            "malformed fixture record(s): {}",
            malformed.join("; ")
        ));
    }
    Ok(events)
}

/// The source text of a CQL target (a file, or a block of a Markdown file).
pub fn cql_source(pack_dir: &Path, target: &Target) -> Result<String, String> {
    match target {
        Target::Cql { file } => {
            std::fs::read_to_string(pack_dir.join(file)).map_err(|e| format!("{file}: {e}"))
        }
        Target::CqlBlock { file, index } => {
            let md =
                std::fs::read_to_string(pack_dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
            markdown::cql_blocks(&md)
                .into_iter()
                .find(|b| b.index == *index)
                .map(|b| b.source)
                .ok_or_else(|| format!("{file} has no CQL block {index}"))
        }
        Target::Sigma { file } => Err(format!("{file} is a Sigma rule, not CQL")),
    }
}

fn run_target(
    pack: &Pack,
    spec: &TestSpec,
    target: &Target,
    events: &[Event],
    engine: &dyn Engine,
) -> Result<Vec<Event>, String> {
    match target {
        Target::Sigma { file } => {
            engine.run_sigma(&pack.dir.join(file), spec.sigma_target.as_deref(), events)
        }
        _ => engine.run_cql(&cql_source(&pack.dir, target)?, events),
    }
}

/// Totals over results.
pub fn summary(results: &[TestResult]) -> (usize, usize) {
    let passed = results.iter().filter(|r| r.passed()).count();
    (passed, results.len() - passed)
}

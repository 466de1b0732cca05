//! Detection-as-code for saker.
//!
//! A *pack* is a folder with `detection.yml` (the manifest), CQL queries (`*.cql`, and ```` ```cql ````
//! blocks of `*.md` files), Sigma rules under `sigma/`, and tests under `tests/` (format:
//! `docs/packs.md`). This crate finds and validates packs ([`find_packs`], [`load_pack`],
//! [`check_pack`]), runs their tests through an [`Engine`] ([`run_pack`], [`SakerEngine`]), writes
//! JUnit XML ([`junit_xml`]) and computes ATT&CK coverage with a Navigator layer ([`coverage`],
//! [`navigator_layer`]). Rendering is the CLI's job.

pub mod check;
pub mod coverage;
pub mod diags;
pub mod engine;
pub mod expect;
pub mod junit;
pub mod manifest;
pub mod markdown;
pub mod pack;
pub mod runner;
pub mod spec;

pub use check::{check_pack, check_packs};
pub use coverage::{Coverage, TechniqueCoverage, coverage, navigator_layer, validate_layer};
pub use engine::SakerEngine;
pub use junit::junit_xml;
pub use manifest::Manifest;
pub use pack::{Pack, find_packs, load_pack};
pub use runner::{Engine, Failure, TestResult, run_pack, summary};
pub use spec::{Expectation, Target, TestSpec};

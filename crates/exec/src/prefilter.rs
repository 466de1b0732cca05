//! Literal prefilters on raw input bytes, derived from a plan before any event is decoded.
//!
//! A prefilter lists literal needles of which a raw NDJSON line must contain at least one from each
//! group (a conjunction of disjunctions) for the plan to possibly match. Needles are taken from the
//! plan's leading filters only, as JSON-escaped byte strings.

use saker_plan::Plan;

/// A conjunction of needle sets.
#[derive(Clone, Debug, Default)]
pub struct Prefilter {
    pub groups: Vec<NeedleSet>,
}

/// Any one of the needles must occur.
#[derive(Clone, Debug)]
pub struct NeedleSet {
    pub needles: Vec<Vec<u8>>,
    pub case_insensitive: bool,
}

impl Prefilter {
    pub fn for_plan(_plan: &Plan) -> Option<Prefilter> {
        None
    }
}

//! The event schema the field lints use (`schemas/falcon.json`, shipped in the binary).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Schema {
    /// Fields naming the event type (`#event_simpleName`).
    pub type_fields: Vec<String>,
    /// Fields any event may carry.
    pub common: BTreeSet<String>,
    /// Fields that never exist in this data, with the reason.
    pub foreign: BTreeMap<String, String>,
    /// Event type → the fields it carries.
    pub events: BTreeMap<String, BTreeSet<String>>,
}

static FALCON: OnceLock<Schema> = OnceLock::new();

impl Schema {
    /// The Falcon schema built from the public samples and community content.
    pub fn falcon() -> &'static Schema {
        FALCON.get_or_init(|| {
            serde_json::from_str(include_str!("../../schemas/falcon.json")).unwrap_or_else(|e| {
                // The file is part of the crate and checked by a unit test; an empty schema
                // only disables the field lints.
                debug_assert!(false, "falcon.json: {e}");
                Schema {
                    type_fields: Vec::new(),
                    common: BTreeSet::new(),
                    foreign: BTreeMap::new(),
                    events: BTreeMap::new(),
                }
            })
        })
    }

    /// Whether any of `types` carries `field` (or every event does).
    pub fn carries(&self, types: &BTreeSet<String>, field: &str) -> bool {
        self.common.contains(field)
            || types
                .iter()
                .any(|t| self.events.get(t).is_some_and(|f| f.contains(field)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falcon_schema_loads() {
        let s: Schema = serde_json::from_str(include_str!("../../schemas/falcon.json"))
            .unwrap_or_else(|e| panic!("falcon.json: {e}"));
        assert!(s.events.contains_key("AsepValueUpdate"));
        assert!(!s.events["RegGenericValueUpdate"].contains("FileName"));
        assert!(s.foreign.contains_key("_time"));
    }
}

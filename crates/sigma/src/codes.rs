//! Stable diagnostic codes of the Sigma front-end (`saker explain CODE`).

/// The YAML text does not parse (includes duplicate keys).
pub const YAML: &str = "SIG0001";
/// A required key is missing or has the wrong shape.
pub const STRUCTURE: &str = "SIG0002";
/// An unknown modifier, or modifiers that cannot be combined.
pub const MODIFIER: &str = "SIG0003";
/// The condition does not parse.
pub const CONDITION: &str = "SIG0004";
/// The condition names a search that does not exist.
pub const UNDEFINED: &str = "SIG0005";
/// A valid Sigma feature this engine does not run (the message names it).
pub const UNSUPPORTED: &str = "SIG0006";
/// A `|re` value is not a valid regular expression.
pub const REGEX: &str = "SIG0007";
/// A value does not fit its modifier (`|cidr`, `|gt`, `|exists`, …).
pub const VALUE: &str = "SIG0008";
/// A `%placeholder%` has no value.
pub const PLACEHOLDER: &str = "SIG0009";
/// A correlation rule is malformed or refers to unknown rules.
pub const CORRELATION: &str = "SIG0010";
/// A filter refers to unknown rules.
pub const FILTER: &str = "SIG0011";
/// A processing pipeline could not be read or uses an unsupported transformation.
pub const PIPELINE: &str = "SIG0012";
/// A value has no faithful form in the target's field (the message names the field).
pub const MAPPING: &str = "SIG0013";
/// Lint: a search is defined but not used by the condition.
pub const UNUSED_SEARCH: &str = "SIG-L001";
/// Lint: the log source has no mapping in the active pipeline; the rule runs on every event.
pub const UNMAPPED_LOGSOURCE: &str = "SIG-L002";
/// Lint: the target matches a value less precisely than the rule (the message says how).
pub const MAPPING_WIDENED: &str = "SIG-L003";

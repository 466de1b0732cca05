use std::fmt;
use std::str::FromStr;

/// The record format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// One JSON object per line (also gzip/zstd compressed).
    Ndjson,
    /// One JSON document: an object, an array of objects, or concatenated objects.
    Json,
    /// Windows event log files.
    Evtx,
    /// Comma-separated values with a header row.
    Csv,
    /// Plain text: one event per line, `@rawstring` only.
    Text,
}

impl InputFormat {
    /// Names accepted by [`FromStr`] (for `--input-format`).
    pub const NAMES: &'static [&'static str] = &["ndjson", "json", "evtx", "csv", "text"];

    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Ndjson => "ndjson",
            InputFormat::Json => "json",
            InputFormat::Evtx => "evtx",
            InputFormat::Csv => "csv",
            InputFormat::Text => "text",
        }
    }

    /// The format a file name implies, ignoring a compression suffix (`x.ndjson.gz` → NDJSON).
    pub fn from_file_name(name: &str) -> Option<InputFormat> {
        let lower = name.to_ascii_lowercase();
        let base = ["gz", "gzip", "zst", "zstd"]
            .iter()
            .find_map(|c| lower.strip_suffix(&format!(".{c}")))
            .unwrap_or(&lower);
        let ext = base.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "ndjson" | "jsonl" | "jsonlines" | "ldjson" => InputFormat::Ndjson,
            "json" => InputFormat::Json,
            "evtx" => InputFormat::Evtx,
            "csv" => InputFormat::Csv,
            "log" | "txt" | "text" => InputFormat::Text,
            _ => return None,
        })
    }

    /// True for names [`crate::expand_inputs`] picks up when walking a folder (including
    /// compressed `.gz`/`.zst` files whose inner name has a supported extension).
    pub fn is_supported_file_name(name: &str) -> bool {
        InputFormat::from_file_name(name).is_some()
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" | "jsonlines" => InputFormat::Ndjson,
            "json" => InputFormat::Json,
            "evtx" => InputFormat::Evtx,
            "csv" => InputFormat::Csv,
            "text" | "txt" | "log" | "raw" => InputFormat::Text,
            _ => {
                return Err(format!(
                    "unknown input format `{s}` (expected one of: {})",
                    InputFormat::NAMES.join(", ")
                ));
            }
        })
    }
}

/// How decoded records are normalised into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// CrowdStrike Falcon Data Replicator NDJSON: `#event_simpleName`, `#event_platform`, `#cid`
    /// tags; `@timestamp` from `timestamp` (ms).
    Falcon,
    /// Windows events (EVTX, or its JSON rendering): `System` fields and each named
    /// `EventData`/`UserData` item at top level; `@timestamp` from `TimeCreated`.
    Windows,
    /// Microsoft Defender Advanced Hunting exports: `properties` at top level; `@timestamp` from
    /// `Timestamp`.
    Mde,
    /// JSON as is; `@timestamp` from `@timestamp`, `timestamp`, `Timestamp`, `time` or
    /// `TimeCreated` when parseable.
    Generic,
}

impl Profile {
    /// Names accepted by [`FromStr`] (for `--profile`).
    pub const NAMES: &'static [&'static str] = &["falcon", "windows", "mde", "generic"];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Falcon => "falcon",
            Profile::Windows => "windows",
            Profile::Mde => "mde",
            Profile::Generic => "generic",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "falcon" | "fdr" | "crowdstrike" => Profile::Falcon,
            "windows" | "evtx" | "sysmon" => Profile::Windows,
            "mde" | "defender" => Profile::Mde,
            "generic" | "json" => Profile::Generic,
            _ => {
                return Err(format!(
                    "unknown profile `{s}` (expected one of: {})",
                    Profile::NAMES.join(", ")
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_map_to_formats_through_compression_suffixes() {
        assert_eq!(
            InputFormat::from_file_name("a.ndjson.gz"),
            Some(InputFormat::Ndjson)
        );
        assert_eq!(
            InputFormat::from_file_name("B.JSONL.zst"),
            Some(InputFormat::Ndjson)
        );
        assert_eq!(
            InputFormat::from_file_name("x.evtx"),
            Some(InputFormat::Evtx)
        );
        assert_eq!(InputFormat::from_file_name("x.yml"), None);
        assert_eq!(InputFormat::from_file_name("noext"), None);
    }

    #[test]
    fn names_parse() {
        assert_eq!("NDJSON".parse::<InputFormat>(), Ok(InputFormat::Ndjson));
        assert!("xml".parse::<InputFormat>().is_err());
        assert_eq!("falcon".parse::<Profile>(), Ok(Profile::Falcon));
        assert!("splunk".parse::<Profile>().is_err());
    }
}

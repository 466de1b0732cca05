//! Normalisation profiles: how a decoded JSON record becomes an event.

use sonic_rs::{JsonContainerTrait, JsonValueTrait, Object, Value};

use crate::decode::{Flattener, scalar_text};
use crate::flat::Str;
use crate::format::Profile;
use crate::symcache::EventBuilder;
use crate::time::parse_timestamp_ms;

const TIMESTAMP: &str = saker_event::names::TIMESTAMP;

/// Picks the profile a record looks like.
pub(crate) fn detect(obj: &Object) -> Profile {
    if obj.get(&"event_simpleName").is_some() || falcon_wrapped(obj).is_some() {
        return Profile::Falcon;
    }
    if windows_root(obj).is_some()
        || (obj.get(&"EventID").is_some()
            && (obj.get(&"Channel").is_some() || obj.get(&"Provider_Name").is_some()))
    {
        return Profile::Windows;
    }
    let category = obj.get(&"category").and_then(|c| c.as_str());
    if (obj.get(&"properties").is_some_and(|p| p.is_object())
        && category.is_some_and(|c| c.starts_with("AdvancedHunting-")))
        || (obj.get(&"Timestamp").is_some()
            && obj.get(&"ActionType").is_some()
            && (obj.get(&"DeviceId").is_some() || obj.get(&"DeviceName").is_some()))
    {
        return Profile::Mde;
    }
    Profile::Generic
}

/// [`normalise`] for a flat record already split into fields (Falcon and generic profiles only).
/// Fields the builder's projection leaves out are skipped before they are unescaped or copied.
pub(crate) fn normalise_flat(
    b: &mut EventBuilder,
    profile: Profile,
    pairs: &mut Vec<(Str<'_>, Str<'_>)>,
) {
    // Indexes into `pairs` of the time candidates (in order of preference) and the Falcon tags.
    let mut time: [Option<usize>; 5] = [None; 5];
    let mut tag: [Option<usize>; 3] = [None; 3];
    let falcon = profile == Profile::Falcon;
    let derived = b.wants(TIMESTAMP) || (falcon && FALCON_TAGS.iter().any(|t| b.wants(t)));
    for (i, (k, _)) in pairs.iter().enumerate().filter(|_| derived) {
        let slot = match (falcon, &*k.text()) {
            (true, "timestamp") => &mut time[0],
            (true, "ContextTimeStamp") => &mut time[1],
            (true, "ProcessStartTime") => &mut time[2],
            (true, "event_simpleName") => &mut tag[0],
            (true, "event_platform") => &mut tag[1],
            (true, "cid") => &mut tag[2],
            (false, TIMESTAMP) => &mut time[0],
            (false, "timestamp") => &mut time[1],
            (false, "Timestamp") => &mut time[2],
            (false, "time") => &mut time[3],
            (false, "TimeCreated") => &mut time[4],
            _ => continue,
        };
        *slot = Some(i);
    }
    if b.wants(TIMESTAMP)
        && let Some(ms) = time
            .iter()
            .flatten()
            .find_map(|&i| parse_timestamp_ms(&pairs[i].1.text()))
    {
        b.push_fixed(TIMESTAMP, &ms.to_string());
    }
    for (name, i) in FALCON_TAGS.iter().zip(tag) {
        if let Some(i) = i
            && b.wants(name)
        {
            b.push_fixed(name, &pairs[i].1.text());
        }
    }
    for (k, v) in pairs.drain(..) {
        let k = k.text();
        if b.wants(&k) {
            b.push_text(&k, v.into_text());
        }
    }
}

pub(crate) fn normalise(f: &mut Flattener, profile: Profile, obj: &Object) -> Result<(), String> {
    match profile {
        Profile::Falcon => falcon(f, obj),
        Profile::Windows => windows(f, obj),
        Profile::Mde => mde(f, obj),
        Profile::Generic => generic(f, obj),
    }
}

fn scalar<'a>(obj: &'a Object, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    obj.get(&key).and_then(scalar_text)
}

/// Sets `@timestamp` from the first of `keys` (in `obj`) that parses as a time.
fn timestamp_from(f: &mut Flattener, obj: &Object, keys: &[&str]) -> bool {
    for key in keys {
        if let Some(ms) = scalar(obj, key).and_then(|t| parse_timestamp_ms(&t)) {
            f.builder.push_fixed(TIMESTAMP, &ms.to_string());
            return true;
        }
    }
    false
}

/// `{"event": {FDR event}, ...}` (test-fixture envelopes such as Panther's): the inner event.
fn falcon_wrapped(obj: &Object) -> Option<&Object> {
    obj.get(&"event")
        .and_then(|e| e.as_object())
        .filter(|e| e.get(&"event_simpleName").is_some())
}

/// Falcon Data Replicator events, as LogScale's Falcon parser presents them: the tags
/// `#event_simpleName`, `#event_platform`, `#cid` next to the original fields, and `@timestamp` from
/// `timestamp` (ms), falling back to `ContextTimeStamp`/`ProcessStartTime` (seconds).
fn falcon(f: &mut Flattener, obj: &Object) -> Result<(), String> {
    // One pass over the members finds everything the profile needs (lookups by key are scans).
    let mut top = FalconKeys::default();
    top.scan(obj);
    let (event, keys, envelope) = match (top.tags[0], top.wrapped) {
        (None, Some(inner)) => {
            let mut keys = FalconKeys::default();
            keys.scan(inner);
            (inner, keys, Some(obj))
        }
        _ => (obj, top, None),
    };
    if let Some(ms) = keys
        .times
        .iter()
        .flatten()
        .find_map(|v| scalar_text(v).and_then(|t| parse_timestamp_ms(&t)))
    {
        f.builder.push_fixed(TIMESTAMP, &ms.to_string());
    }
    for (tag, value) in FALCON_TAGS.iter().zip(keys.tags) {
        if let Some(v) = value.and_then(scalar_text) {
            f.builder.push_fixed(tag, &v);
        }
    }
    f.members(event, 0)?;
    if let Some(envelope) = envelope {
        for (k, v) in envelope.iter() {
            if k != "event" {
                f.member(k, v, 0)?;
            }
        }
    }
    Ok(())
}

const FALCON_TAGS: [&str; 3] = ["#event_simpleName", "#event_platform", "#cid"];

/// The members of a Falcon event the profile reads.
#[derive(Default)]
struct FalconKeys<'a> {
    /// `timestamp`, `ContextTimeStamp`, `ProcessStartTime`, in order of preference.
    times: [Option<&'a Value>; 3],
    /// `event_simpleName`, `event_platform`, `cid`.
    tags: [Option<&'a Value>; 3],
    /// `event` when it is an object holding an FDR event (test-fixture envelopes).
    wrapped: Option<&'a Object>,
}

impl<'a> FalconKeys<'a> {
    fn scan(&mut self, obj: &'a Object) {
        for (k, v) in obj.iter() {
            match k {
                "timestamp" => self.times[0] = Some(v),
                "ContextTimeStamp" => self.times[1] = Some(v),
                "ProcessStartTime" => self.times[2] = Some(v),
                "event_simpleName" => self.tags[0] = Some(v),
                "event_platform" => self.tags[1] = Some(v),
                "cid" => self.tags[2] = Some(v),
                "event" => {
                    self.wrapped = v
                        .as_object()
                        .filter(|e| e.get(&"event_simpleName").is_some())
                }
                _ => {}
            }
        }
    }
}

/// Defender Advanced Hunting: the streaming API's `properties` at top level (envelope fields
/// after it, not overwriting), `@timestamp` from `Timestamp`, else the envelope's `time`.
fn mde(f: &mut Flattener, obj: &Object) -> Result<(), String> {
    let props = obj.get(&"properties").and_then(|p| p.as_object());
    let stamped = props.is_some_and(|p| timestamp_from(f, p, &["Timestamp"]));
    if !stamped {
        timestamp_from(f, obj, &["Timestamp", "time"]);
    }
    if let Some(props) = props {
        f.members(props, 0)?;
    }
    for (k, v) in obj.iter() {
        if props.is_some() && k == "properties" {
            continue;
        }
        if !f.builder.has(k) {
            f.member(k, v, 0)?;
        }
    }
    Ok(())
}

/// Any JSON as is; `@timestamp` from the first parseable of the usual time fields.
fn generic(f: &mut Flattener, obj: &Object) -> Result<(), String> {
    const CANDIDATES: [&str; 5] = [TIMESTAMP, "timestamp", "Timestamp", "time", "TimeCreated"];
    let mut found: [Option<&Value>; 5] = [None; 5];
    for (k, v) in obj.iter() {
        if let Some(i) = CANDIDATES.iter().position(|c| *c == k) {
            found[i] = Some(v);
        }
    }
    // `@timestamp` is LogScale's own field and always milliseconds; only the other candidates
    // have their unit guessed from their size.
    let own_ms = found[0]
        .and_then(scalar_text)
        .and_then(|t| t.trim().parse::<i64>().ok());
    if let Some(ms) = own_ms.or_else(|| {
        found
            .iter()
            .flatten()
            .find_map(|v| scalar_text(v).and_then(|t| parse_timestamp_ms(&t)))
    }) {
        f.builder.push_fixed(TIMESTAMP, &ms.to_string());
    }
    f.members(obj, 0)
}

/// The `Event` object of an EVTX JSON rendering (`{"Event": {"System": …, "EventData": …}}`).
fn windows_root(obj: &Object) -> Option<&Object> {
    obj.get(&"Event")
        .and_then(|e| e.as_object())
        .filter(|e| e.get(&"System").is_some())
}

/// Windows events in the EVTX JSON rendering (evtx crate, `#attributes`/`#text` convention):
///
/// * `System` children at top level: scalars by name (`EventID`, `Channel`, `Computer`,
///   `EventRecordID`, `Level`, …), attributes as `<Element>_<Attribute>` (`Provider_Name`,
///   `Provider_Guid`, `TimeCreated_SystemTime`, `Execution_ProcessID`, `Security_UserID`), an
///   element's text under its own name (`EventID` with `Qualifiers`);
/// * each named `EventData` item at top level (`Image`, `CommandLine`, `TargetObject`, …), an
///   empty item as the empty string, unnamed `Data` as `Data` or `Data[0]`, `Data[1]`…;
/// * each item of the `UserData` wrapper element at top level;
/// * anything else flattened under its own name (`RenderingInfo.Message`).
///
/// Already-flat records (`EventID`, `Channel` at top level) are kept as they are.
fn windows(f: &mut Flattener, obj: &Object) -> Result<(), String> {
    let Some(event) = windows_root(obj) else {
        timestamp_from(
            f,
            obj,
            &[
                TIMESTAMP,
                "TimeCreated",
                "TimeCreated_SystemTime",
                "SystemTime",
                "UtcTime",
            ],
        );
        return f.members(obj, 0);
    };
    let system = event.get(&"System").and_then(|s| s.as_object());
    if let Some(t) = system
        .and_then(|s| s.get(&"TimeCreated"))
        .and_then(|t| t.as_object())
        .and_then(|t| t.get(&"#attributes"))
        .and_then(|a| a.as_object())
        .and_then(|a| scalar(a, "SystemTime"))
        .and_then(|t| parse_timestamp_ms(&t))
    {
        f.builder.push_fixed(TIMESTAMP, &t.to_string());
    }
    if let Some(system) = system {
        windows_system(f, system)?;
    }
    for (k, v) in event.iter() {
        match k {
            "System" => {}
            "EventData" => windows_items(f, "EventData", v)?,
            "UserData" => windows_user_data(f, v)?,
            "#attributes" => windows_attributes(f, "Event", v)?,
            _ => f.named(k, v, 1)?,
        }
    }
    for (k, v) in obj.iter() {
        if k != "Event" {
            f.named(k, v, 0)?;
        }
    }
    Ok(())
}

fn windows_system(f: &mut Flattener, system: &Object) -> Result<(), String> {
    for (k, v) in system.iter() {
        let Some(el) = v.as_object() else {
            if !v.is_null() {
                f.named(k, v, 2)?;
            }
            continue;
        };
        for (ek, ev) in el.iter() {
            match ek {
                "#text" => f.named(k, ev, 3)?,
                "#attributes" => windows_attributes(f, k, ev)?,
                _ => f.named(&format!("{k}.{ek}"), ev, 3)?,
            }
        }
    }
    Ok(())
}

/// Element attributes as `<element>_<attribute>`; namespace declarations are dropped.
fn windows_attributes(f: &mut Flattener, element: &str, attrs: &Value) -> Result<(), String> {
    let Some(attrs) = attrs.as_object() else {
        return Ok(());
    };
    for (ak, av) in attrs.iter() {
        if ak == "xmlns" || ak.starts_with("xmlns:") {
            continue;
        }
        f.named(&format!("{element}_{ak}"), av, 3)?;
    }
    Ok(())
}

/// `EventData` (or a `UserData` wrapper's content): named items at top level.
fn windows_items(f: &mut Flattener, element: &str, data: &Value) -> Result<(), String> {
    let Some(items) = data.as_object() else {
        if !data.is_null() {
            f.named(element, data, 2)?;
        }
        return Ok(());
    };
    for (k, v) in items.iter() {
        match (k, v.as_object()) {
            ("#attributes", _) => windows_attributes(f, element, v)?,
            ("#text", _) => f.named(element, v, 2)?,
            // An empty `<Data Name="X"/>` renders as null: the item is present and empty.
            (_, None) if v.is_null() => f.builder.push(k, ""),
            // Unnamed `<Data>` elements: their text under `Data`.
            ("Data", Some(d)) if d.get(&"#text").is_some() => {
                if let Some(text) = d.get(&"#text") {
                    f.named("Data", text, 3)?;
                }
            }
            _ => f.named(k, v, 2)?,
        }
    }
    Ok(())
}

fn windows_user_data(f: &mut Flattener, data: &Value) -> Result<(), String> {
    let Some(wrappers) = data.as_object() else {
        if !data.is_null() {
            f.named("UserData", data, 2)?;
        }
        return Ok(());
    };
    for (k, v) in wrappers.iter() {
        if v.is_object() {
            windows_items(f, k, v)?;
        } else {
            f.named(k, v, 2)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use saker_event::Event;

    use crate::decode::Flattener;
    use crate::format::Profile;

    fn decode(raw: &str, profile: Option<Profile>) -> Event {
        let mut f = Flattener::new();
        let e = f.decode_text(raw, profile);
        f.release();
        match e {
            Ok(e) => e,
            Err(r) => panic!("decode failed: {r}"),
        }
    }

    #[test]
    fn falcon_tags_and_timestamp() {
        let raw = r#"{"event_simpleName":"ProcessRollup2","event_platform":"Win","cid":"c1","timestamp":"1604855100030","CommandLine":"x"}"#;
        let e = decode(raw, None);
        assert_eq!(e.get_by_name("#event_simpleName"), Some("ProcessRollup2"));
        assert_eq!(e.get_by_name("event_simpleName"), Some("ProcessRollup2"));
        assert_eq!(e.get_by_name("#event_platform"), Some("Win"));
        assert_eq!(e.get_by_name("#cid"), Some("c1"));
        assert_eq!(e.get_by_name("@timestamp"), Some("1604855100030"));
        assert_eq!(e.get_by_name("timestamp"), Some("1604855100030"));
        assert_eq!(e.rawstring(), Some(raw));
    }

    #[test]
    fn falcon_seconds_fallback_and_envelope() {
        let raw = r#"{"_source":{"test":"t"},"event":{"event_simpleName":"DnsRequest","ContextTimeStamp":"1604855116.849","DomainName":"a.b"}}"#;
        let e = decode(raw, None);
        assert_eq!(e.get_by_name("#event_simpleName"), Some("DnsRequest"));
        assert_eq!(e.get_by_name("@timestamp"), Some("1604855116849"));
        assert_eq!(e.get_by_name("DomainName"), Some("a.b"));
        assert_eq!(e.get_by_name("_source.test"), Some("t"));
    }

    #[test]
    fn mde_properties_at_top_level() {
        let raw = r#"{"Tenant":"T","category":"AdvancedHunting-DeviceProcessEvents","properties":{"Timestamp":"2022-11-09T19:17:43.5752234Z","FileName":"a.exe","InitiatingProcessId":5900,"Nested":{"x":null}},"time":"2022-11-09T19:17:44Z"}"#;
        let e = decode(raw, None);
        assert_eq!(e.get_by_name("@timestamp"), Some("1668021463575"));
        assert_eq!(e.get_by_name("FileName"), Some("a.exe"));
        assert_eq!(e.get_by_name("InitiatingProcessId"), Some("5900"));
        assert_eq!(e.get_by_name("Nested.x"), Some("null"));
        assert_eq!(e.get_by_name("Tenant"), Some("T"));
        assert_eq!(e.get_by_name("properties.FileName"), None);
    }

    #[test]
    fn windows_json_rendering() {
        let raw = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},
            "System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"{5770}"}},
            "EventID":{"#attributes":{"Qualifiers":0},"#text":1},"Level":4,"TimeCreated":{"#attributes":{"SystemTime":"2025-11-27T07:40:10.165324Z"}},
            "EventRecordID":571146,"Correlation":null,"Execution":{"#attributes":{"ProcessID":3544}},
            "Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"pc","Security":{"#attributes":{"UserID":"S-1-5-18"}}},
            "EventData":{"Image":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil -addstore","ProcessId":4460}}}"##;
        let e = decode(raw, None);
        assert_eq!(e.get_by_name("EventID"), Some("1"));
        assert_eq!(e.get_by_name("EventID_Qualifiers"), Some("0"));
        assert_eq!(
            e.get_by_name("Provider_Name"),
            Some("Microsoft-Windows-Sysmon")
        );
        assert_eq!(
            e.get_by_name("Channel"),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(e.get_by_name("Computer"), Some("pc"));
        assert_eq!(e.get_by_name("EventRecordID"), Some("571146"));
        assert_eq!(e.get_by_name("Level"), Some("4"));
        assert_eq!(e.get_by_name("Execution_ProcessID"), Some("3544"));
        assert_eq!(e.get_by_name("Security_UserID"), Some("S-1-5-18"));
        assert_eq!(
            e.get_by_name("TimeCreated_SystemTime"),
            Some("2025-11-27T07:40:10.165324Z")
        );
        assert_eq!(e.get_by_name("@timestamp"), Some("1764229210165"));
        assert_eq!(
            e.get_by_name("Image"),
            Some("C:\\Windows\\System32\\certutil.exe")
        );
        assert_eq!(e.get_by_name("ProcessId"), Some("4460"));
        assert_eq!(e.get_by_name("Correlation"), None);
        assert!(e.iter().all(|(k, _)| !k.as_str().contains("xmlns")));
    }

    #[test]
    fn windows_user_data_and_unnamed_data() {
        let raw = r##"{"Event":{"System":{"EventID":104},"UserData":{"LogFileCleared":{"#attributes":{"xmlns":"x"},"SubjectUserName":"bob"}},
            "EventData":{"Data":{"#text":["a","b"]}}}}"##;
        let e = decode(raw, Some(Profile::Windows));
        assert_eq!(e.get_by_name("SubjectUserName"), Some("bob"));
        assert_eq!(e.get_by_name("Data[0]"), Some("a"));
        assert_eq!(e.get_by_name("Data[1]"), Some("b"));
    }

    #[test]
    fn generic_timestamp_candidates_and_rawstring() {
        let e = decode(r#"{"time":"2022-11-09T19:17:43.575Z","x":1}"#, None);
        assert_eq!(e.get_by_name("@timestamp"), Some("1668021463575"));
        assert_eq!(e.get_by_name("time"), Some("2022-11-09T19:17:43.575Z"));
        let e = decode(
            r#"{"@rawstring":"orig line","@timestamp":1668021463}"#,
            None,
        );
        assert_eq!(e.rawstring(), Some("orig line"));
        // An epoch `@timestamp` is already milliseconds (https://library.humio.com/data-analysis/searching-data-event-fields.html).
        assert_eq!(e.get_by_name("@timestamp"), Some("1668021463"));
        let e = decode(r#"{"timestamp":1668021463}"#, None);
        assert_eq!(e.get_by_name("@timestamp"), Some("1668021463000"));
        let e = decode(r#"{"timestamp":"not a time"}"#, None);
        assert_eq!(e.get_by_name("@timestamp"), None);
    }
}

//! The `falcon` target's value mappings, run through the engine on Falcon-shaped events: NT device
//! paths, file-name-only fields, integrity levels, DNS record types, connection direction and
//! hashes; values that cannot be mapped faithfully are refused with the field named.

use std::path::PathBuf;

use saker_event::Event;
use saker_sigma::{Options, RuleSet, Target, load_sources};

fn load(category: &str, detection: &str) -> RuleSet {
    let text = format!(
        "title: t\nlogsource: {{product: windows, category: {category}}}\ndetection:\n{detection}\n  condition: sel\n"
    );
    let opts = Options {
        target: Target::Falcon,
        ..Options::default()
    };
    load_sources(&[(PathBuf::from("r.yml"), text)], &opts)
}

/// Whether the rule (one variant, routing included) matches an event with these fields.
fn hits(set: &RuleSet, fields: &[(&str, &str)]) -> bool {
    assert!(set.refused.is_empty(), "{:?}", set.refused);
    let query = saker_exec::Query::compile(&set.rules[0].plan, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut e = Event::new();
    for (k, v) in fields {
        e.set_by_name(k, v.to_string());
    }
    !query.run_all([e]).is_empty()
}

fn refusal(set: &RuleSet) -> String {
    assert!(set.rules.is_empty(), "loaded: {:?}", set.rules[0].plan);
    set.refused[0].diagnostic.message.clone()
}

const PROCESS: [(&str, &str); 2] = [
    ("event_platform", "Win"),
    ("#event_simpleName", "ProcessRollup2"),
];

fn process(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = PROCESS.to_vec();
    v.extend_from_slice(extra);
    v
}

#[test]
fn drive_letters_become_any_harddisk_volume() {
    let set = load(
        "process_creation",
        "  sel:\n    Image: 'C:\\Windows\\System32\\cmd.exe'",
    );
    for path in [
        r"\Device\HarddiskVolume3\Windows\System32\cmd.exe",
        r"\DEVICE\harddiskvolume12\WINDOWS\system32\CMD.EXE",
    ] {
        assert!(hits(&set, &process(&[("ImageFileName", path)])), "{path}");
    }
    for path in [
        r"C:\Windows\System32\cmd.exe",
        r"\Device\HarddiskVolume3\Temp\Windows\System32\cmd.exe",
        r"\Device\HarddiskVolume\Windows\System32\cmd.exe",
        r"\Device\HarddiskVolume3\Windows\System32\cmd.exe.bak",
        r"\Device\Mup\server\Windows\System32\cmd.exe",
    ] {
        assert!(!hits(&set, &process(&[("ImageFileName", path)])), "{path}");
    }
    // Without the routing fields the rule does not apply.
    assert!(!hits(
        &set,
        &[(
            "ImageFileName",
            r"\Device\HarddiskVolume3\Windows\System32\cmd.exe"
        )]
    ));
}

#[test]
fn drive_wildcards_and_modifiers_keep_their_open_sides() {
    let contains = load(
        "process_creation",
        "  sel:\n    Image|contains: ':\\Windows\\System32\\'",
    );
    assert!(hits(
        &contains,
        &process(&[(
            "ImageFileName",
            r"\Device\HarddiskVolume2\Windows\System32\x.exe"
        )])
    ));
    assert!(!hits(
        &contains,
        &process(&[(
            "ImageFileName",
            r"\Device\HarddiskVolume2\x\Windows\System32\x.exe"
        )])
    ));
    let starts = load(
        "process_creation",
        "  sel:\n    Image|startswith: 'C:\\Users\\'",
    );
    assert!(hits(
        &starts,
        &process(&[("ImageFileName", r"\Device\HarddiskVolume1\Users\a\b.exe")])
    ));
    let any_drive = load(
        "process_creation",
        "  sel:\n    Image|endswith: '?:\\Temp\\x.exe'",
    );
    assert!(hits(
        &any_drive,
        &process(&[("ImageFileName", r"\Device\HarddiskVolume4\Temp\x.exe")])
    ));
    // No drive letter: the value is kept as written.
    let ends = load(
        "process_creation",
        "  sel:\n    Image|endswith: '\\cmd.exe'",
    );
    assert!(hits(
        &ends,
        &process(&[("ImageFileName", r"\Device\HarddiskVolume4\Windows\CMD.exe")])
    ));
}

#[test]
fn cased_values_stay_case_sensitive_after_the_device_rewrite() {
    let set = load(
        "process_creation",
        "  sel:\n    Image|cased: 'C:\\Windows\\x.exe'",
    );
    assert!(hits(
        &set,
        &process(&[("ImageFileName", r"\Device\HarddiskVolume1\Windows\x.exe")])
    ));
    assert!(!hits(
        &set,
        &process(&[("ImageFileName", r"\Device\HarddiskVolume1\WINDOWS\x.exe")])
    ));
}

#[test]
fn parent_image_is_reduced_to_the_file_name() {
    let set = load(
        "process_creation",
        "  sel:\n    ParentImage|endswith: '\\parent.exe'",
    );
    assert!(hits(
        &set,
        &process(&[("ParentBaseFileName", "PARENT.exe")])
    ));
    assert!(!hits(
        &set,
        &process(&[("ParentBaseFileName", "myparent.exe")])
    ));
    // Ends-with without a separator reads the same on the file name.
    let set = load(
        "process_creation",
        "  sel:\n    ParentImage|endswith: 'rent.exe'",
    );
    assert!(hits(
        &set,
        &process(&[("ParentBaseFileName", "parent.exe")])
    ));
}

#[test]
fn a_full_parent_path_matches_the_file_name_with_a_warning() {
    let set = load(
        "process_creation",
        "  sel:\n    ParentImage: 'C:\\Windows\\System32\\services.exe'",
    );
    assert!(hits(
        &set,
        &process(&[("ParentBaseFileName", "services.exe")])
    ));
    let notes = &set.rules[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.code == saker_sigma::codes::MAPPING_WIDENED
                && n.message.contains("`ParentImage`")),
        "{notes:?}"
    );
}

#[test]
fn parent_paths_with_directories_are_refused_naming_the_field() {
    for value in [
        r"'*\Windows\System32\parent.exe'",
        // `\\*`: a backslash, then the wildcard (`\*` alone is a literal star).
        r"'C:\Users\\*\parent.exe'",
    ] {
        let set = load(
            "process_creation",
            &format!("  sel:\n    ParentImage: {value}"),
        );
        let m = refusal(&set);
        assert!(
            m.contains("`ParentImage`") && m.contains("ParentBaseFileName"),
            "{m}"
        );
        assert_eq!(set.refused[0].diagnostic.code, saker_sigma::codes::MAPPING);
    }
    let m = refusal(&load(
        "process_creation",
        "  sel:\n    ParentImage|contains: 'tomcat'",
    ));
    assert!(m.contains("inside a directory"), "{m}");
    let m = refusal(&load(
        "process_creation",
        "  sel:\n    ParentImage|startswith: 'C:\\Users\\'",
    ));
    assert!(m.contains("does not end in a file name"), "{m}");
    let m = refusal(&load(
        "dns_query",
        "  sel:\n    Image: '*\\Windows\\System32\\parent.exe'",
    ));
    assert!(m.contains("ContextBaseFileName"), "{m}");
}

#[test]
fn integrity_levels_become_falcon_numbers() {
    let set = load(
        "process_creation",
        "  sel:\n    IntegrityLevel: [system, 'S-1-16-12288']",
    );
    assert!(hits(&set, &process(&[("IntegrityLevel", "16384")])));
    assert!(hits(&set, &process(&[("IntegrityLevel", "12288")])));
    assert!(!hits(&set, &process(&[("IntegrityLevel", "8192")])));
    assert!(!hits(&set, &process(&[("IntegrityLevel", "System")])));
    let m = refusal(&load(
        "process_creation",
        "  sel:\n    IntegrityLevel: NonExistant",
    ));
    assert!(m.contains("`IntegrityLevel`") && m.contains("High"), "{m}");
    let m = refusal(&load(
        "process_creation",
        "  sel:\n    IntegrityLevel|contains: Hi",
    ));
    assert!(m.contains("wildcards"), "{m}");
}

#[test]
fn dns_record_types_become_numbers() {
    let set = load("dns_query", "  sel:\n    record_type: [A, aaaa]");
    let dns = |t: &'static str| {
        vec![
            ("event_platform", "Win"),
            ("#event_simpleName", "DnsRequest"),
            ("RequestType", t),
        ]
    };
    assert!(hits(&set, &dns("1")));
    assert!(hits(&set, &dns("28")));
    assert!(!hits(&set, &dns("5")));
    let m = refusal(&load("dns_query", "  sel:\n    record_type: NonValid"));
    assert!(m.contains("`record_type`") && m.contains("CNAME"), "{m}");
}

#[test]
fn initiated_selects_the_connection_event_type() {
    let out = load(
        "network_connection",
        "  sel:\n    Initiated: 'true'\n    DestinationPort: 443",
    );
    let inc = load(
        "network_connection",
        "  sel:\n    Initiated: false\n    DestinationPort: 443",
    );
    let ev = |t: &'static str| {
        vec![
            ("event_platform", "Win"),
            ("#event_simpleName", t),
            ("RemotePort", "443"),
        ]
    };
    assert!(hits(&out, &ev("NetworkConnectIP4")));
    assert!(hits(&out, &ev("NetworkConnectIP6")));
    assert!(!hits(&out, &ev("NetworkReceiveAcceptIP4")));
    assert!(hits(&inc, &ev("NetworkReceiveAcceptIP6")));
    assert!(!hits(&inc, &ev("NetworkConnectIP4")));
    let m = refusal(&load("network_connection", "  sel:\n    Initiated: maybe"));
    assert!(m.contains("`Initiated`"), "{m}");
}

#[test]
fn hashes_go_to_the_field_of_their_algorithm() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    let set = load(
        "driver_load",
        &format!("  sel:\n    Hashes|contains: 'MD5={}'", md5.to_uppercase()),
    );
    let ev = |f: &'static str, v: &str| {
        let mut e = Event::new();
        e.set_by_name("event_platform", "Win");
        e.set_by_name("#event_simpleName", "DriverLoad");
        e.set_by_name(f, v.to_string());
        e
    };
    let q = saker_exec::Query::compile(&set.rules[0].plan, &Default::default()).unwrap();
    assert_eq!(q.run_all([ev("MD5HashData", md5)]).len(), 1);
    assert_eq!(q.run_all([ev("SHA256HashData", md5)]).len(), 0);
    // A partial hash inside the list: the hash starts with it.
    let set = load("driver_load", "  sel:\n    Hashes|contains: 'SHA256=ABCD'");
    let q = saker_exec::Query::compile(&set.rules[0].plan, &Default::default()).unwrap();
    assert_eq!(q.run_all([ev("SHA256HashData", "abcdef01")]).len(), 1);
    assert_eq!(q.run_all([ev("SHA256HashData", "00abcd")]).len(), 0);
    let m = refusal(&load(
        "driver_load",
        "  sel:\n    Hashes|contains: 'IMPHASH=abcd'",
    ));
    assert!(m.contains("`Hashes`") && m.contains("IMPHASH"), "{m}");
    // Plain `md5` / `sha256` fields on loads.
    let set = load("image_load", "  sel:\n    md5: test\n    sha256: test");
    assert!(set.refused.is_empty(), "{:?}", set.refused);
}

#[test]
fn linux_process_creation_routes_by_platform() {
    let text = "title: t\nlogsource: {product: linux, category: process_creation}\ndetection:\n  sel:\n    ParentImage|endswith: '/bash'\n  condition: sel\n";
    let opts = Options {
        target: Target::Falcon,
        ..Options::default()
    };
    let set = load_sources(&[(PathBuf::from("r.yml"), text.into())], &opts);
    let ev = |platform| {
        vec![
            ("event_platform", platform),
            ("#event_simpleName", "ProcessRollup2"),
            ("ParentBaseFileName", "bash"),
        ]
    };
    assert!(hits(&set, &ev("Lin")));
    assert!(!hits(&set, &ev("Win")));
}

#[test]
fn addresses_are_tested_on_the_field_of_their_family() {
    let ev = |f: &'static str, v: &'static str| {
        vec![
            ("event_platform", "Win"),
            ("#event_simpleName", "NetworkConnectIP4"),
            (f, v),
        ]
    };
    let v4 = load("network_connection", "  sel:\n    DestinationIp: '1.2.3.4'");
    assert!(hits(&v4, &ev("RemoteAddressIP4", "1.2.3.4")));
    assert!(!hits(&v4, &ev("RemoteAddressIP6", "1.2.3.4")));
    let v6 = load(
        "network_connection",
        "  sel:\n    DestinationIp|cidr: 'fe80::/10'",
    );
    assert!(hits(&v6, &ev("RemoteAddressIP6", "fe80::1")));
    let prefix = load(
        "network_connection",
        "  sel:\n    DestinationIp|startswith: '10.'",
    );
    assert!(hits(&prefix, &ev("RemoteAddressIP4", "10.1.1.1")));
    assert!(hits(&prefix, &ev("RemoteAddressIP6", "10.1.1.1")));
}

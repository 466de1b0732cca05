//! Sigma matching semantics end to end (rule text → plan → evaluation), one test per modifier
//! and condition form. Reference: the Sigma specification v2
//! (https://github.com/SigmaHQ/sigma-specification, "Sigma Rules Specification", "Modifiers").

use std::path::PathBuf;

use saker_event::Event;
use saker_hunt::Hunt;
use saker_sigma::{Options, Placeholders, RuleSet, Target, load_sources};

fn load_with(texts: &[&str], placeholders: Placeholders) -> RuleSet {
    let sources: Vec<(PathBuf, String)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (PathBuf::from(format!("rule{i}.yml")), (*t).to_owned()))
        .collect();
    let opts = Options {
        target: Target::Raw,
        placeholders,
        ..Options::default()
    };
    let set = load_sources(&sources, &opts);
    for r in &set.refused {
        assert!(!r.diagnostic.is_error(), "refused: {:?}", r.diagnostic);
    }
    set
}

fn event(fields: &[(&str, &str)]) -> Event {
    fields.iter().copied().collect()
}

/// Whether the single rule of `detection` matches each event.
fn matches_with(detection: &str, events: &[&[(&str, &str)]], ph: Placeholders) -> Vec<bool> {
    let text =
        format!("title: t\nid: r1\nlogsource: {{product: windows}}\ndetection:\n{detection}");
    let set = load_with(&[&text], ph);
    assert_eq!(set.rules.len(), 1, "{text}");
    let (hunt, errors) = Hunt::new(&set, &|_| true);
    assert!(errors.is_empty(), "{errors:?}");
    events
        .iter()
        .map(|e| !hunt.scan(&[event(e)]).hits.is_empty())
        .collect()
}

fn matches(detection: &str, events: &[&[(&str, &str)]]) -> Vec<bool> {
    matches_with(detection, events, Placeholders::new())
}

#[test]
fn plain_values_are_case_insensitive_whole_values() {
    let d = "  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("Image", "c:\\windows\\CMD.EXE")],
                &[("Image", "C:\\Windows\\cmd.exe2")],
                &[]
            ]
        ),
        vec![true, false, false]
    );
}

#[test]
fn cased_makes_matching_case_sensitive() {
    let d = "  sel:\n    Image|cased: 'Cmd'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("Image", "Cmd")], &[("Image", "cmd")]]),
        vec![true, false]
    );
}

#[test]
fn wildcards_and_escapes() {
    let d = "  sel:\n    A: 'a*c'\n    B: 'x?z'\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[&[("A", "abbbc"), ("B", "xYz")], &[("A", "ac"), ("B", "xz")]]
        ),
        vec![true, false]
    );
    let d = "  sel:\n    A: 'a\\*c'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("A", "a*c")], &[("A", "abc")]]),
        vec![true, false]
    );
    // `\\` is one backslash; a plain backslash before other characters is literal.
    let d = "  sel:\n    A|endswith: '\\Temp\\\\'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("A", "C:\\Temp\\")], &[("A", "C:\\Temp\\\\x")]]),
        vec![true, false]
    );
}

#[test]
fn contains_startswith_endswith_and_all() {
    let d = "  sel:\n    C|contains: 'mimi'\n    I|startswith: 'C:\\'\n    E|endswith: '.exe'\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("C", "xMIMIx"), ("I", "c:\\a"), ("E", "a.EXE")],
                &[("C", "mim"), ("I", "c:\\a"), ("E", "a.exe")]
            ]
        ),
        vec![true, false]
    );
    let d = "  sel:\n    C|contains|all: [' -a', ' -b']\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("C", "x -b -a")], &[("C", "x -a")]]),
        vec![true, false]
    );
    // A wildcard inside a contains value is a wildcard.
    let d = "  sel:\n    C|contains: 'tasklist*|*find'\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("C", "tasklist /v | find x")],
                &[("C", "find | tasklist")]
            ]
        ),
        vec![true, false]
    );
}

#[test]
fn lists_are_or_maps_are_and_lists_of_maps_are_or() {
    let d = "  sel:\n    A: [x, y]\n    B: z\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("A", "y"), ("B", "z")],
                &[("A", "y")],
                &[("A", "w"), ("B", "z")]
            ]
        ),
        vec![true, false, false]
    );
    let d = "  sel:\n    - A: x\n    - B: y\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("B", "y")], &[("A", "y")]]),
        vec![true, false]
    );
}

#[test]
fn keywords_search_any_value() {
    let d = "  kw:\n    - 'evil.exe'\n    - 'bad thing'\n  condition: kw\n";
    assert_eq!(
        matches(d, &[&[("X", "run C:\\EVIL.EXE now")], &[("Y", "good")]]),
        vec![true, false]
    );
}

#[test]
fn numbers_compare_as_strings_unless_gt_lt() {
    let d = "  sel:\n    EventID: 4688\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("EventID", "4688")], &[("EventID", "04688")]]),
        vec![true, false]
    );
    let d = "  sel:\n    N|gt: 10\n    M|lte: 5\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("N", "11"), ("M", "5")],
                &[("N", "10"), ("M", "1")],
                &[("N", "x"), ("M", "1")]
            ]
        ),
        vec![true, false, false]
    );
    let d = "  sel:\n    N|gte: 10\n    M|lt: 5\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[&[("N", "10"), ("M", "4.9")], &[("N", "9"), ("M", "1")]]
        ),
        vec![true, false]
    );
}

#[test]
fn base64_and_base64offset() {
    let d = "  sel:\n    C|base64: 'foo'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("C", "Zm9v")], &[("C", "foo")]]),
        vec![true, false]
    );
    let d = "  sel:\n    C|base64offset|contains: '/bin/bash'\n  condition: sel\n";
    let enc = |prefix: &str| {
        let s = format!("{prefix}/bin/bash -i");
        saker_sigma::modifier::base64(s.as_bytes())
    };
    let (a, b, c) = (enc(""), enc("x"), enc("xy"));
    assert_eq!(
        matches(
            d,
            &[&[("C", &a)], &[("C", &b)], &[("C", &c)], &[("C", "L2Jpbg")]]
        ),
        vec![true, true, true, false]
    );
}

#[test]
fn utf16_encodings_with_base64() {
    let wide = |s: &str, be: bool, bom: bool| {
        saker_sigma::modifier::base64(&saker_sigma::modifier::utf16(s, be, bom))
    };
    let d = "  sel:\n    C|wide|base64offset|contains: 'ping'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("C", &wide("ping 1.1.1.1", false, false))]]),
        vec![true]
    );
    let d = "  sel:\n    C|utf16le|base64: 'ab'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("C", &wide("ab", false, false))]]),
        vec![true]
    );
    let d = "  sel:\n    C|utf16be|base64: 'ab'\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("C", &wide("ab", true, false))],
                &[("C", &wide("ab", false, false))]
            ]
        ),
        vec![true, false]
    );
    let d = "  sel:\n    C|utf16|base64: 'ab'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("C", &wide("ab", false, true))]]),
        vec![true]
    );
}

#[test]
fn windash_matches_every_dash_variant() {
    let d = "  sel:\n    C|windash|contains: ' -urlcache '\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("C", "certutil /urlcache x")],
                &[("C", "certutil \u{2013}urlcache x")],
                &[("C", "certutil -urlcache x")],
                &[("C", "certutil urlcache x")]
            ]
        ),
        vec![true, true, true, false]
    );
}

#[test]
fn regex_with_flags() {
    let d = "  sel:\n    C|re: '^a.c$'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("C", "abc")], &[("C", "ABC")]]),
        vec![true, false]
    );
    let d = "  sel:\n    C|re|i: '^a.c$'\n  condition: sel\n";
    assert_eq!(matches(d, &[&[("C", "ABC")]]), vec![true]);
    let d = "  sel:\n    C|re|m: '^b$'\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("C", "a\nb\nc")], &[("C", "abc")]]),
        vec![true, false]
    );
    let d = "  sel:\n    C|re|s: 'a.b'\n  condition: sel\n";
    assert_eq!(matches(d, &[&[("C", "a\nb")]]), vec![true]);
    // Unanchored search by default.
    let d = "  sel:\n    C|re: 'b+'\n  condition: sel\n";
    assert_eq!(matches(d, &[&[("C", "abbbc")]]), vec![true]);
}

#[test]
fn cidr_ipv4_and_ipv6() {
    let d = "  sel:\n    Ip|cidr: ['10.0.0.0/8', 'fe80::/10']\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("Ip", "10.1.2.3")],
                &[("Ip", "fe80::1")],
                &[("Ip", "11.0.0.1")],
                &[("Ip", "nope")]
            ]
        ),
        vec![true, true, false, false]
    );
}

#[test]
fn exists_true_and_false() {
    let d = "  sel:\n    A|exists: true\n    B|exists: false\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("A", "")], &[("A", "1"), ("B", "2")], &[]]),
        vec![true, false, false]
    );
}

#[test]
fn null_and_empty_values() {
    let d = "  sel:\n    A: null\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[], &[("A", "")], &[("A", "x")]]),
        vec![true, true, false]
    );
    let d = "  sel:\n    A: ''\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("A", "")], &[], &[("A", "x")]]),
        vec![true, false, false]
    );
}

#[test]
fn expand_uses_placeholder_values() {
    let mut ph = Placeholders::new();
    ph.insert("admins".into(), vec!["root".into(), "adm*".into()]);
    let d = "  sel:\n    User|expand: '%admins%'\n  condition: sel\n";
    assert_eq!(
        matches_with(
            d,
            &[
                &[("User", "root")],
                &[("User", "admin1")],
                &[("User", "bob")]
            ],
            ph
        ),
        vec![true, true, false]
    );
}

#[test]
fn fieldref_compares_two_fields() {
    let d = "  sel:\n    SubjectUserName|fieldref: TargetUserName\n  condition: sel\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("SubjectUserName", "a"), ("TargetUserName", "a")],
                &[("SubjectUserName", "a"), ("TargetUserName", "b")],
                &[("SubjectUserName", "a")]
            ]
        ),
        vec![true, false, false]
    );
}

#[test]
fn neq_negates() {
    let d = "  sel:\n    A|neq: x\n  condition: sel\n";
    assert_eq!(
        matches(d, &[&[("A", "y")], &[("A", "X")]]),
        vec![true, false]
    );
}

#[test]
fn condition_forms() {
    let base = "  sel_a:\n    A: 1\n  sel_b:\n    B: 1\n  filter:\n    F: 1\n";
    let run = |cond: &str| {
        matches(
            &format!("{base}  condition: {cond}\n"),
            &[
                &[("A", "1")],
                &[("A", "1"), ("B", "1")],
                &[("A", "1"), ("F", "1")],
                &[("F", "1")],
            ],
        )
    };
    assert_eq!(run("sel_a and not filter"), vec![true, true, false, false]);
    assert_eq!(run("sel_a or filter"), vec![true, true, true, true]);
    assert_eq!(run("1 of sel_*"), vec![true, true, true, false]);
    assert_eq!(run("all of sel_*"), vec![false, true, false, false]);
    assert_eq!(run("any of them"), vec![true, true, true, true]);
    assert_eq!(run("all of them"), vec![false, false, false, false]);
    assert_eq!(
        run("(sel_b or filter) and sel_a"),
        vec![false, true, true, false]
    );
    assert_eq!(run("not 1 of sel_*"), vec![false, false, false, true]);
}

#[test]
fn several_conditions_are_alternatives() {
    let d = "  a:\n    A: 1\n  b:\n    B: 1\n  condition:\n    - a\n    - b\n";
    assert_eq!(
        matches(d, &[&[("A", "1")], &[("B", "1")], &[]]),
        vec![true, true, false]
    );
}

#[test]
fn filter_documents_apply_to_named_rules() {
    let rule = "title: r\nid: rule-1\nlogsource: {product: windows}\ndetection:\n  sel:\n    A: 1\n  condition: sel\n";
    let filter = "title: f\nlogsource: {product: windows}\nfilter:\n  rules: [rule-1]\n  selection:\n    Host|startswith: 'DC-'\n  condition: not selection\n";
    let set = load_with(&[rule, filter], Placeholders::new());
    let (hunt, _) = Hunt::new(&set, &|_| true);
    let hit = |e: &[(&str, &str)]| !hunt.scan(&[event(e)]).hits.is_empty();
    assert!(hit(&[("A", "1"), ("Host", "WS-1")]));
    assert!(!hit(&[("A", "1"), ("Host", "dc-1")]));
}

#[test]
fn routing_offers_rules_only_matching_channels_and_ids() {
    let rule = "title: r\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n";
    let set = load_sources(
        &[(PathBuf::from("r.yml"), rule.to_owned())],
        &Options::default(),
    );
    let (hunt, _) = Hunt::new(&set, &|_| true);
    let hit = |e: &[(&str, &str)]| !hunt.scan(&[event(e)]).hits.is_empty();
    let sysmon = "Microsoft-Windows-Sysmon/Operational";
    assert!(hit(&[
        ("Channel", sysmon),
        ("EventID", "1"),
        ("Image", "C:\\cmd.exe")
    ]));
    assert!(!hit(&[
        ("Channel", sysmon),
        ("EventID", "11"),
        ("Image", "C:\\cmd.exe")
    ]));
    // Security 4688 spells the image NewProcessName.
    assert!(hit(&[
        ("Channel", "Security"),
        ("EventID", "4688"),
        ("NewProcessName", "C:\\cmd.exe")
    ]));
    assert!(!hit(&[("Image", "C:\\cmd.exe")]));
}

#[test]
fn substring_leaves_decided_by_the_prefilter_agree_with_their_own_search() {
    // `contains` values double as prefilter literals: a scanned value without the literal makes
    // the test false without a search of its own; a non-ASCII value is searched as usual
    // (case folding beyond ASCII), and a negated test flips with it.
    let d = "  sel:\n    CommandLine|contains:\n      - 'invoke-mimikatz'\n      - 'sekurlsa'\n  \
             filter:\n    CommandLine|contains: 'benign-tool'\n  condition: sel and not filter\n";
    assert_eq!(
        matches(
            d,
            &[
                &[("CommandLine", "powershell Invoke-Mimikatz -x")],
                &[("CommandLine", "powershell Invoke-Mimikatz benign-tool")],
                &[("CommandLine", "powershell get-process")],
                &[("CommandLine", "é SEKURLSA::logonpasswords")],
                &[("CommandLine", "é SEKURLSA::logonpasswords BENIGN-TOOL")],
                &[("Other", "sekurlsa")],
            ]
        ),
        vec![true, false, false, true, false, false]
    );
}

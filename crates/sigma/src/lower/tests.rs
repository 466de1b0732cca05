//! Plan shapes produced by lowering (evaluation semantics are tested end to end in `hunt`).

use std::path::PathBuf;

use saker_plan::{Matcher, Op, Predicate};

use crate::{Options, Target, load_sources};

fn plan_of(text: &str, target: Target) -> Predicate {
    let opts = Options {
        target,
        ..Options::default()
    };
    let set = load_sources(&[(PathBuf::from("r.yml"), text.to_owned())], &opts);
    assert!(set.refused.is_empty(), "{:?}", set.refused);
    match &set.rules[0].plan.ops[0] {
        Op::Filter(p) => p.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn windows_routing_is_part_of_the_plan() {
    let p = plan_of(
        "title: t\nlogsource: {product: windows, category: image_load}\ndetection:\n  sel:\n    ImageLoaded|endswith: '\\x.dll'\n  condition: sel\n",
        Target::Windows,
    );
    let Predicate::And(parts) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        parts[0],
        Predicate::And(vec![
            Predicate::field(
                "Channel",
                Matcher::Equals {
                    value: "Microsoft-Windows-Sysmon/Operational".into(),
                    case_insensitive: true
                }
            ),
            Predicate::field(
                "EventID",
                Matcher::Equals {
                    value: "7".into(),
                    case_insensitive: true
                }
            ),
        ])
    );
}

#[test]
fn plain_value_lists_become_one_any_of() {
    let p = plan_of(
        "title: t\ndetection:\n  sel:\n    User: [a, b, 7]\n  condition: sel\n",
        Target::Raw,
    );
    assert_eq!(
        p,
        Predicate::field(
            "User",
            Matcher::AnyOf {
                values: vec!["a".into(), "b".into(), "7".into()],
                glob: false,
                case_insensitive: true
            }
        )
    );
}

#[test]
fn falcon_registry_paths_split_key_and_value_with_hives() {
    let p = plan_of(
        "title: t\nlogsource: {product: windows, category: registry_set}\ndetection:\n  sel:\n    TargetObject|endswith: '\\CurrentVersion\\Run\\evil'\n  condition: sel\n",
        Target::Falcon,
    );
    let text = format!("{p:?}");
    assert!(text.contains("RegValueName"), "{text}");
    assert!(text.contains("#event_simpleName"), "{text}");
    let p = plan_of(
        "title: t\nlogsource: {product: windows, category: registry_set}\ndetection:\n  sel:\n    TargetObject|startswith: 'HKLM\\SOFTWARE\\'\n  condition: sel\n",
        Target::Falcon,
    );
    assert!(
        format!("{p:?}").contains("\\\\REGISTRY\\\\MACHINE\\\\SOFTWARE"),
        "{p:?}"
    );
}

#[test]
fn modifier_conflicts_are_refused() {
    let set = load_sources(
        &[(
            PathBuf::from("r.yml"),
            "title: t\ndetection:\n  sel:\n    a|re|contains: x\n  condition: sel\n".into(),
        )],
        &Options::default(),
    );
    assert_eq!(set.refused.len(), 1);
    assert_eq!(set.refused[0].diagnostic.code, crate::codes::MODIFIER);
    let set = load_sources(
        &[(
            PathBuf::from("r.yml"),
            "title: t\ndetection:\n  sel:\n    a|re: '(?<=x)y'\n  condition: sel\n".into(),
        )],
        &Options::default(),
    );
    assert!(set.refused[0].diagnostic.message.contains("lookbehind"));
}

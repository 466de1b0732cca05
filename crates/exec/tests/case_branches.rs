//! `case` takes the first branch that yields output; a branch whose leading filter fails is
//! skipped, one whose later stage drops the event falls through to the next branch with the event
//! unchanged (<https://library.humio.com/data-analysis/syntax-conditional-evaluation-case.html>).

mod common;

use common::{get as field, run};

#[test]
fn first_matching_branch_wins_and_unmatched_events_are_dropped() {
    let rows = run(
        r#"case { a=1 | x:="one"; a=/^[12]$/ | x:="one or two" }"#,
        &[&[("a", "1")], &[("a", "2")], &[("a", "3")], &[("b", "1")]],
    );
    let xs: Vec<_> = rows.iter().map(|r| field(r, "x")).collect();
    assert_eq!(xs, vec![Some("one"), Some("one or two")]);
}

#[test]
fn a_branch_dropping_after_its_filter_falls_through_with_the_event_unchanged() {
    let rows = run(
        r#"case { a=1 | y:="set" | b=never | x:="first"; * | x:="fallback" }"#,
        &[&[("a", "1"), ("b", "other")]],
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(field(&rows[0], "x"), Some("fallback"));
    assert_eq!(
        field(&rows[0], "y"),
        None,
        "the failed branch's assignment is undone"
    );
}

#[test]
fn regex_groups_extracted_by_a_branch_filter_are_kept_and_readable() {
    let rows = run(
        r#"case { user=/(?<name>\w+)@corp/ name=admin | x:="admin"; user=/(?<name>\w+)@corp/ | x:=name }"#,
        &[
            &[("user", "admin@corp")],
            &[("user", "bob@corp")],
            &[("user", "eve@home")],
        ],
    );
    let xs: Vec<_> = rows
        .iter()
        .map(|r| (field(r, "x"), field(r, "name")))
        .collect();
    assert_eq!(
        xs,
        vec![(Some("admin"), Some("admin")), (Some("bob"), Some("bob"))]
    );
}

//! Snapshots of the normalised output of small EVTX files: an upstream change of the `evtx`
//! crate's rendering shows up here as a diff instead of silently different detections.

use std::ops::ControlFlow;
use std::path::Path;

use saker_io::write::NdjsonWriter;
use saker_io::{Input, ReadOptions, read_input};

fn check(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let input = Input::path(dir.join(format!("{name}.evtx")));
    let mut out = Vec::new();
    let mut bad = Vec::new();
    {
        let mut w = NdjsonWriter::new(&mut out);
        let stats = read_input(
            &input,
            &ReadOptions::default(),
            &mut |e| {
                let _ = w.write(&e);
                ControlFlow::Continue(())
            },
            &mut |m| bad.push(m.to_string()),
        );
        assert!(stats.is_ok_and(|s| s.events > 0));
        assert!(w.flush().is_ok());
    }
    assert!(bad.is_empty(), "{bad:?}");
    let expected_path = dir.join(format!("{name}.expected.ndjson"));
    if std::env::var_os("SAKER_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&expected_path, &out).expect("write snapshot");
        return;
    }
    let expected = std::fs::read(&expected_path).expect("snapshot file");
    let (got, want) = (
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&expected),
    );
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{name}: line {} differs", i + 1);
    }
    assert_eq!(
        got.lines().count(),
        want.lines().count(),
        "{name}: event count"
    );
}

#[test]
fn security_4688_certutil() {
    check("security_4688_certutil");
}

#[test]
fn log_cleared_104_1102() {
    check("log_cleared_104_1102");
}

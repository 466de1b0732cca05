//! Bad input: never a panic, never a silent drop; each bad record reported with its location.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

use saker_event::Event;
use saker_io::{Input, InputFormat, IoError, Malformed, ReadOptions, ReadStats, read_input};

fn read(
    path: &Path,
    opts: &ReadOptions,
) -> (Result<ReadStats, IoError>, Vec<Event>, Vec<Malformed>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let r = read_input(
        &Input::path(path),
        opts,
        &mut |e| {
            events.push(e);
            ControlFlow::Continue(())
        },
        &mut |m| bad.push(m),
    );
    (r, events, bad)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn broken_line_between_good_lines() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("x.ndjson");
    std::fs::write(&p, "{\"a\":\"1\"}\n{\"a\": tru\n\n{\"a\":\"3\"}\n").expect("write");
    let (r, events, bad) = read(&p, &ReadOptions::default());
    let stats = r.expect("lenient read succeeds");
    assert_eq!((stats.events, stats.malformed), (2, 1));
    assert_eq!(events.len(), 2);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].location, "line 2");
    assert!(
        bad[0]
            .to_string()
            .starts_with(&format!("{}:2: ", p.display()))
    );
    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let (r, events, bad) = read(&p, &strict);
    assert!(matches!(r, Err(IoError::Strict(ref m)) if m.location == "line 2"));
    assert_eq!(events.len(), 1);
    assert!(bad.is_empty());
}

#[test]
fn truncated_gzip_keeps_the_lines_before_and_reports_the_cut() {
    let lines: String = (0..20_000)
        .map(|i| format!("{{\"event_simpleName\":\"DnsRequest\",\"timestamp\":\"1604855100030\",\"n\":\"{i}\"}}\n"))
        .collect();
    let gz = gzip(lines.as_bytes());
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("cut.ndjson.gz");
    std::fs::write(&p, &gz[..gz.len() / 2]).expect("write");
    let (r, events, bad) = read(&p, &ReadOptions::default());
    let stats = r.expect("a truncated stream is a malformed record, not an error");
    assert!(stats.events > 0 && stats.events < 20_000, "{stats:?}");
    assert_eq!(events.len() as u64, stats.events);
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].reason.contains("gzip stream is truncated"),
        "{}",
        bad[0]
    );
    assert_eq!(bad[0].location, format!("line {}", stats.events + 1));
    // Every event that came out is whole.
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.get_by_name("n") == Some(&*i.to_string()))
    );
}

#[test]
fn gzip_and_zstd_are_detected_by_magic_bytes() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("no_extension");
    std::fs::write(&p, gzip(b"{\"a\":\"1\"}\n{\"a\":\"2\"}\n")).expect("write");
    let (r, events, bad) = read(&p, &ReadOptions::default());
    assert!(r.is_ok() && bad.is_empty());
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].get_by_name("a"), Some("2"));
    // A zstd frame of `{"a":"1"}\n` (written by `zstd -19`).
    let zst: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x0a, 0x51, 0x00, 0x00, 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22,
        0x31, 0x22, 0x7d, 0x0a, 0x3b, 0x5a, 0x0b, 0x8c,
    ];
    let p = dir.path().join("x.json");
    std::fs::write(&p, zst).expect("write");
    let (r, events, bad) = read(&p, &ReadOptions::default());
    assert!(r.is_ok(), "{r:?}");
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].get_by_name("a"), Some("1"));
}

#[test]
fn truncated_evtx_is_reported_without_panicking() {
    let bytes = std::fs::read(fixture("log_cleared_104_1102.evtx")).expect("fixture");
    let dir = tempfile::tempdir().expect("tmp");
    for cut in [100, 4096, 4096 + 512 + 3000, bytes.len() - 1000] {
        let p = dir.path().join(format!("cut{cut}.evtx"));
        std::fs::write(&p, &bytes[..cut]).expect("write");
        let (r, events, bad) = read(&p, &ReadOptions::default());
        let stats = r.expect("bad EVTX content is malformed, not an error");
        assert_eq!(stats.events, events.len() as u64);
        assert!(
            !bad.is_empty() || stats.events > 0,
            "cut {cut}: nothing reported"
        );
        for m in &bad {
            assert!(!m.reason.is_empty() && !m.location.is_empty());
        }
    }
    // Garbage after a valid header.
    let mut garbled = bytes.clone();
    for b in garbled.iter_mut().skip(4096 + 600).step_by(7) {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    let p = dir.path().join("garbled.evtx");
    std::fs::write(&p, &garbled).expect("write");
    let (r, _, bad) = read(&p, &ReadOptions::default());
    assert!(r.is_ok());
    assert!(!bad.is_empty());
}

#[test]
fn binary_garbage() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let garbage: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let dir = tempfile::tempdir().expect("tmp");
    for (name, format) in [
        ("g.ndjson", None),
        ("g.json", None),
        ("g.evtx", None),
        ("g.csv", None),
        ("g.bin", None),
        ("g.forced", Some(InputFormat::Ndjson)),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, &garbage).expect("write");
        let opts = ReadOptions {
            format,
            ..ReadOptions::default()
        };
        let (r, events, bad) = read(&p, &opts);
        let stats = r.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            stats.events + stats.malformed,
            events.len() as u64 + bad.len() as u64
        );
        if name != "g.bin" {
            assert!(!bad.is_empty(), "{name}: garbage not reported");
        }
    }
}

#[test]
fn a_50_mb_single_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let big = "x".repeat(50 << 20);
    let p = dir.path().join("big.ndjson");
    std::fs::write(
        &p,
        format!("{{\"a\":\"1\"}}\n{{\"big\":\"{big}\"}}\n{{\"a\":\"3\"}}\n"),
    )
    .expect("write");
    let (r, events, bad) = read(&p, &ReadOptions::default());
    assert!(r.is_ok() && bad.is_empty());
    assert_eq!(events.len(), 3);
    assert_eq!(events[1].get_by_name("big").map(str::len), Some(50 << 20));
    // The same line, unterminated: reported, the neighbours survive.
    std::fs::write(
        &p,
        format!("{{\"a\":\"1\"}}\n{{\"big\":\"{big}\n{{\"a\":\"3\"}}\n"),
    )
    .expect("write");
    let (r, events, bad) = read(&p, &ReadOptions::default());
    assert!(r.is_ok());
    assert_eq!(events.len(), 2);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].location, "line 2");
    assert!(
        bad[0].reason.len() < 300,
        "reason is short: {}",
        bad[0].reason.len()
    );
}

#[test]
fn deeply_nested_json_is_reported() {
    let dir = tempfile::tempdir().expect("tmp");
    let deep = format!("{}1{}", "{\"a\":".repeat(1_000_000), "}".repeat(1_000_000));
    let arrays = format!(
        "{{\"a\":{}1{}}}",
        "[".repeat(1_000_000),
        "]".repeat(1_000_000)
    );
    let ok_nesting = format!("{}\"x\"{}", "{\"a\":".repeat(100), "}".repeat(100));
    for (name, ext) in [("n", "ndjson"), ("d", "json")] {
        let p = dir.path().join(format!("{name}.{ext}"));
        std::fs::write(&p, format!("{deep}\n{arrays}\n{ok_nesting}\n")).expect("write");
        let (r, events, bad) = read(&p, &ReadOptions::default());
        assert!(r.is_ok());
        assert_eq!(events.len(), 1, "{ext}");
        assert_eq!(bad.len(), 2, "{ext}: {bad:?}");
        let name = format!("a{}", ".a".repeat(99));
        assert_eq!(events[0].get_by_name(&name), Some("x"));
    }
}

#[test]
fn unreadable_paths_are_errors() {
    let (r, _, _) = read(Path::new("/no/such/file.ndjson"), &ReadOptions::default());
    match r {
        Err(e @ IoError::Unreadable { .. }) => {
            assert!(e.to_string().contains("/no/such/file.ndjson"))
        }
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

#[test]
fn truncated_gzip_json_document_is_reported_not_fatal() {
    let doc: String = format!(
        "[{}]",
        (0..5000)
            .map(|i| format!("{{\"n\":\"{i}\"}}"))
            .collect::<Vec<_>>()
            .join(",\n")
    );
    let gz = gzip(doc.as_bytes());
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("cut.json.gz");
    std::fs::write(&p, &gz[..gz.len() / 2]).expect("write");
    let (r, events, bad) = read(&p, &ReadOptions::default());
    assert!(r.is_ok(), "{r:?}");
    assert!(!events.is_empty() && events.len() < 5000);
    assert!(
        bad.iter()
            .any(|m| m.reason.contains("gzip stream is truncated")),
        "{bad:?}"
    );
}

/// A large regular file is read through memory maps, whose chunks do not count lines ahead of
/// time; reports must still name the same lines as the sequential reader's.
#[test]
fn malformed_lines_of_a_large_mapped_file_are_reported_by_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.ndjson");
    let mut data = Vec::new();
    let mut expected = Vec::new();
    let mut line = 0u64;
    while data.len() < 20 << 20 {
        line += 1;
        if line % 50_000 == 7 {
            data.extend_from_slice(b"{\"broken\": \n");
            expected.push(format!("line {line}"));
        } else {
            writeln!(
                data,
                "{{\"n\":{line},\"pad\":\"{}\"}}",
                "x".repeat(line as usize % 200)
            )
            .expect("write");
        }
    }
    std::fs::write(&path, &data).expect("write file");

    let mut parallel_bad = Vec::new();
    let mut events = 0u64;
    let stats = saker_io::par_map_batches(
        &[Input::path(&path)],
        &ReadOptions::default(),
        |batch| batch.len() as u64,
        |n| events += n,
        |m| parallel_bad.push(m.location),
    )
    .expect("read");
    assert_eq!(parallel_bad, expected);
    assert_eq!(stats.malformed, expected.len() as u64);
    assert_eq!(events, line - expected.len() as u64);
    assert_eq!(stats.bytes, data.len() as u64);

    let (r, _, sequential_bad) = read(&path, &ReadOptions::default());
    r.expect("read");
    let sequential: Vec<String> = sequential_bad.into_iter().map(|m| m.location).collect();
    assert_eq!(sequential, expected);
}

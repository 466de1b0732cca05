//! Acceptance checks over the shared telemetry corpus (`../shared/data`); skipped when absent.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use saker_event::Event;
use saker_io::{Input, Malformed, ReadOptions, expand_inputs, par_map_batches, read_input};

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: corpus absent");
        None
    }
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<Input> {
    let inputs = expand_inputs(&[dir.to_path_buf()]).unwrap_or_default();
    inputs
        .into_iter()
        .filter(|i| {
            i.file_path()
                .and_then(|p| p.extension())
                .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        })
        .collect()
}

fn read_all(inputs: &[Input]) -> (Vec<Event>, Vec<Malformed>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let r = par_map_batches(
        inputs,
        &ReadOptions::default(),
        |b| b,
        |b| events.extend(b),
        |m| bad.push(m),
    );
    if let Err(e) = r {
        panic!("read failed: {e}");
    }
    (events, bad)
}

#[test]
fn sigma_regression_evtx_gives_238_events_with_sysmon_fields() {
    let Some(data) = data_dir() else { return };
    let inputs = files_with_ext(&data.join("sigma/regression_data"), "evtx");
    assert_eq!(inputs.len(), 202);
    let (events, bad) = read_all(&inputs);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(events.len(), 238);
    let certutil = events
        .iter()
        .find(|e| {
            e.get_by_name("CommandLine")
                .is_some_and(|c| c.contains("-addstore"))
        })
        .expect("the certutil -addstore record");
    assert_eq!(
        certutil.get_by_name("Image"),
        Some(r"C:\Windows\System32\certutil.exe")
    );
    assert_eq!(certutil.get_by_name("EventID"), Some("1"));
    assert!(events.iter().all(|e| e.timestamp().is_some()
        && e.get_by_name("Channel").is_some()
        && e.get_by_name("EventID").is_some()));
}

#[test]
fn sigma_regression_json_rendering_matches_evtx() {
    let Some(data) = data_dir() else { return };
    let evtx = files_with_ext(&data.join("sigma/regression_data"), "evtx");
    let mut compared = 0;
    for input in &evtx {
        let Some(json_path) = input.file_path().map(|p| p.with_extension("json")) else {
            continue;
        };
        if !json_path.exists() {
            continue;
        }
        let (a, bad_a) = read_all(std::slice::from_ref(input));
        let (b, bad_b) = read_all(&[Input::path(json_path.clone())]);
        assert!(bad_a.is_empty() && bad_b.is_empty(), "{bad_a:?} {bad_b:?}");
        assert_eq!(a.len(), b.len(), "{}", json_path.display());
        for (x, y) in a.iter().zip(&b) {
            for key in [
                "EventID",
                "Channel",
                "Computer",
                "Image",
                "CommandLine",
                "TargetObject",
                "@timestamp",
            ] {
                // The JSON files were rendered by another tool that trims trailing blanks.
                assert_eq!(
                    x.get_by_name(key).map(str::trim_end),
                    y.get_by_name(key).map(str::trim_end),
                    "{key} in {}",
                    json_path.display()
                );
            }
        }
        compared += 1;
    }
    assert!(compared >= 190, "only {compared} EVTX/JSON pairs");
}

#[test]
fn evtx_corpus_gives_every_record() {
    let Some(data) = data_dir() else { return };
    let inputs = files_with_ext(&data.join("evtx"), "evtx");
    let (events, bad) = read_all(&inputs);
    for m in &bad {
        println!("{m}");
    }
    assert_eq!(
        events.len() as u64 + bad.len() as u64,
        18_270,
        "{} malformed",
        bad.len()
    );
    assert!(bad.is_empty());
}

#[test]
fn falcon_samples_get_tags_and_timestamps_and_gzip_gives_the_same() {
    let Some(data) = data_dir() else { return };
    let inputs = files_with_ext(&data.join("falcon"), "ndjson");
    assert_eq!(inputs.len(), 4);
    let (events, bad) = read_all(&inputs);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(events.len(), 16 + 9 + 4 + 63);
    // Events without any time field (4 hand-edited Panther fixtures) get no @timestamp; every
    // other one does.
    let has_time_field = |e: &Event| {
        ["timestamp", "ContextTimeStamp", "ProcessStartTime"]
            .iter()
            .any(|k| e.get_by_name(k).is_some())
    };
    for e in &events {
        assert!(e.get_by_name("#event_simpleName").is_some(), "{e:?}");
        assert_eq!(e.timestamp().is_some(), has_time_field(e), "{e:?}");
    }
    assert_eq!(
        events.iter().filter(|e| e.timestamp().is_some()).count(),
        92 - 4
    );
    let dir = tempfile::tempdir().expect("temp dir");
    for input in &inputs {
        let Some(path) = input.file_path() else {
            continue;
        };
        let bytes = std::fs::read(path).expect("sample");
        let gz_path = dir.path().join("copy.ndjson.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, &bytes).expect("gzip");
        std::fs::write(&gz_path, enc.finish().expect("gzip")).expect("write");
        let mut plain = Vec::new();
        let mut gz = Vec::new();
        let opts = ReadOptions::default();
        read_input(
            input,
            &opts,
            &mut |e| {
                plain.push(e);
                ControlFlow::Continue(())
            },
            &mut |_| {},
        )
        .expect("plain");
        read_input(
            &Input::path(&gz_path),
            &opts,
            &mut |e| {
                gz.push(e);
                ControlFlow::Continue(())
            },
            &mut |_| {},
        )
        .expect("gz");
        assert_eq!(plain, gz, "{}", path.display());
    }
}

#[test]
fn mde_sample_gets_properties_at_top_level() {
    let Some(data) = data_dir() else { return };
    let inputs = files_with_ext(&data.join("mde"), "ndjson");
    let (events, bad) = read_all(&inputs);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(events.len(), 6);
    for e in &events {
        assert!(e.get_by_name("DeviceName").is_some(), "{e:?}");
        assert!(e.timestamp().is_some(), "{e:?}");
        assert!(e.get_by_name("properties.ActionType").is_none());
    }
}

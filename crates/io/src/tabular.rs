//! CSV with a header row: one event per row, the header naming the fields.

use std::io::Read;
use std::ops::ControlFlow;

use saker_event::Event;

use crate::error::Malformed;
use crate::symcache::EventBuilder;
use crate::time::parse_timestamp_ms;

#[derive(Default, Debug)]
pub(crate) struct CsvCounts {
    pub(crate) events: u64,
    pub(crate) malformed: u64,
}

const TIME_COLUMNS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "Timestamp",
    "time",
    "TimeCreated",
];

/// Reads CSV rows. Each row's `@rawstring` is the row written back as CSV; `@timestamp` comes from
/// the first time column that parses. A row with the wrong number of cells is malformed.
pub(crate) fn read_csv(
    reader: impl Read,
    input: &str,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
    malformed: &mut dyn FnMut(Malformed) -> ControlFlow<()>,
) -> CsvCounts {
    let mut counts = CsvCounts::default();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let mut report = |line: u64, reason: String, counts: &mut CsvCounts| {
        counts.malformed += 1;
        malformed(Malformed {
            input: input.to_owned(),
            location: format!("line {line}"),
            reason,
        })
    };
    let headers: Vec<String> = match rdr.byte_headers() {
        Ok(h) => h
            .iter()
            .map(|c| String::from_utf8_lossy(c).trim().to_owned())
            .collect(),
        Err(e) => {
            let _ = report(1, format!("unreadable CSV header: {e}"), &mut counts);
            return counts;
        }
    };
    let time_columns: Vec<usize> = TIME_COLUMNS
        .iter()
        .filter_map(|t| headers.iter().position(|h| h == t))
        .collect();
    let mut builder = EventBuilder::acquire();
    let mut record = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(line);
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} cells where the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_owned(),
                    _ => format!("invalid CSV: {e}"),
                };
                if report(line, reason, &mut counts).is_break() {
                    break;
                }
                continue;
            }
        }
        builder.begin(headers.len() + 2);
        if let Some(ms) = time_columns
            .iter()
            .find_map(|&i| record.get(i).and_then(parse_timestamp_ms))
        {
            builder.push_fixed(saker_event::names::TIMESTAMP, &ms.to_string());
        }
        for (name, value) in headers.iter().zip(record.iter()) {
            builder.push(name, value);
        }
        if !builder.has(saker_event::names::RAWSTRING) {
            builder.push(saker_event::names::RAWSTRING, &row_text(&record));
        }
        counts.events += 1;
        if emit(builder.finish()).is_break() {
            break;
        }
    }
    builder.release();
    counts
}

fn row_text(record: &csv::StringRecord) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(record);
    let bytes = w.into_inner().unwrap_or_default();
    let mut s = String::from_utf8_lossy(&bytes).into_owned();
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_events_and_bad_rows_are_reported() {
        let data = "time,Image,CommandLine\n2022-11-09T19:17:43.575Z,a.exe,\"x, y\"\nonly-one\n2022-11-09T19:17:44Z,b.exe,z\n";
        let mut events = Vec::new();
        let mut bad = Vec::new();
        let c = read_csv(
            data.as_bytes(),
            "f.csv",
            &mut |e| {
                events.push(e);
                ControlFlow::Continue(())
            },
            &mut |m| {
                bad.push(m.to_string());
                ControlFlow::Continue(())
            },
        );
        assert_eq!((c.events, c.malformed), (2, 1));
        assert_eq!(events[0].get_by_name("CommandLine"), Some("x, y"));
        assert_eq!(events[0].get_by_name("@timestamp"), Some("1668021463575"));
        assert_eq!(
            events[0].rawstring(),
            Some("2022-11-09T19:17:43.575Z,a.exe,\"x, y\"")
        );
        assert_eq!(bad, vec!["f.csv:3: 1 cells where the header has 3"]);
    }
}

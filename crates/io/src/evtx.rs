//! Windows event logs through the `evtx` crate (pinned: its JSON shape changes between releases).
//!
//! Records are rendered to JSON bytes by the crate (straight from the BinXML tree) and decoded with
//! the same flattener as JSON input, normalised by the Windows profile; the JSON rendering is the
//! event's `@rawstring`. Per-record and per-chunk failures are reported and counted; the file goes on.

use std::error::Error as _;
use std::ops::ControlFlow;

use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};
use saker_event::Event;

use crate::decode::Flattener;
use crate::error::Malformed;
use crate::format::Profile;

#[derive(Default, Debug)]
pub(crate) struct EvtxCounts {
    pub(crate) events: u64,
    pub(crate) malformed: u64,
}

/// Where an EVTX input's bytes come from.
pub(crate) enum EvtxSource<'a> {
    Path(&'a std::path::Path),
    Buffer(Vec<u8>),
}

/// On a rayon worker (a file unit of the parallel pipeline) the file is parsed on that thread:
/// the crate's own chunk parallelism blocks a worker on work queued behind it and can deadlock
/// the pool. Elsewhere its chunks are parsed on all cores.
fn settings() -> ParserSettings {
    let threads = if rayon::current_thread_index().is_some() {
        1
    } else {
        0
    };
    ParserSettings::new().num_threads(threads).indent(false)
}

pub(crate) fn read_evtx(
    source: EvtxSource<'_>,
    input: &str,
    profile: Option<Profile>,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
    malformed: &mut dyn FnMut(Malformed) -> ControlFlow<()>,
) -> EvtxCounts {
    let (parser_result, size) = match source {
        EvtxSource::Path(p) => {
            let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            (
                records(EvtxParser::from_path(p), input, profile, emit, malformed),
                size,
            )
        }
        EvtxSource::Buffer(b) => {
            let size = b.len() as u64;
            (
                records(EvtxParser::from_buffer(b), input, profile, emit, malformed),
                size,
            )
        }
    };
    let (mut counts, chunk_count) = parser_result;
    // The crate stops quietly at the end of the data; a file shorter than its header says is cut.
    if let Some(chunks) = chunk_count {
        let expected = FILE_HEADER_SIZE + u64::from(chunks) * CHUNK_SIZE;
        if size < expected {
            counts.malformed += 1;
            let _ = malformed(Malformed {
                input: input.to_owned(),
                location: format!(
                    "chunk {}",
                    (size.saturating_sub(FILE_HEADER_SIZE)) / CHUNK_SIZE
                ),
                reason: format!(
                    "file is truncated: {size} bytes, its header lists {chunks} chunks ({expected} bytes)"
                ),
            });
        }
    }
    counts
}

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

fn records<T: std::io::Read + std::io::Seek>(
    parser: evtx::err::Result<EvtxParser<T>>,
    input: &str,
    profile: Option<Profile>,
    emit: &mut dyn FnMut(Event) -> ControlFlow<()>,
    malformed: &mut dyn FnMut(Malformed) -> ControlFlow<()>,
) -> (EvtxCounts, Option<u16>) {
    let mut counts = EvtxCounts::default();
    let mut parser = match parser {
        Ok(p) => p.with_configuration(settings()),
        Err(e) => {
            counts.malformed += 1;
            let _ = malformed(Malformed {
                input: input.to_owned(),
                location: "file header".to_owned(),
                reason: format!("not a readable EVTX file: {}", error_chain(&e)),
            });
            return (counts, None);
        }
    };
    let chunk_count = parser.header().chunk_count;
    let profile = profile.unwrap_or(Profile::Windows);
    let mut flattener = Flattener::new();
    let mut last_id: Option<u64> = None;
    for record in parser.records_json_bytes() {
        let outcome = match record {
            Ok(r) => {
                last_id = Some(r.event_record_id);
                match String::from_utf8(r.data) {
                    Ok(raw) => flattener
                        .decode_text(&raw, Some(profile))
                        .map_err(|reason| (format!("record {}", r.event_record_id), reason)),
                    Err(_) => Err((
                        format!("record {}", r.event_record_id),
                        "rendering is not valid UTF-8".to_owned(),
                    )),
                }
            }
            Err(e) => Err((location(&e, last_id), error_chain(&e))),
        };
        let flow = match outcome {
            Ok(event) => {
                counts.events += 1;
                emit(event)
            }
            Err((location, reason)) => {
                counts.malformed += 1;
                malformed(Malformed {
                    input: input.to_owned(),
                    location,
                    reason,
                })
            }
        };
        if flow.is_break() {
            break;
        }
    }
    flattener.release();
    (counts, Some(chunk_count))
}

fn location(e: &EvtxError, last_id: Option<u64>) -> String {
    match e {
        EvtxError::FailedToParseChunk { chunk_id, .. } => format!("chunk {chunk_id}"),
        EvtxError::FailedToParseRecord { record_id, .. } => format!("record {record_id}"),
        EvtxError::FailedToReadRecordAt {
            chunk: Some(c),
            offset,
            ..
        } => format!("chunk {c} offset {offset}"),
        _ => match last_id {
            Some(id) => format!("record after {id}"),
            None => "first record".to_owned(),
        },
    }
}

/// The error and its causes, `outer: inner: …`.
fn error_chain(e: &EvtxError) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    crate::decode::short_reason(&s)
}

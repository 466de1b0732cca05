//! Reading one input on the calling thread.

use std::io::{BufRead, Read};
use std::ops::ControlFlow;

use saker_event::Event;

use crate::error::{IoError, Malformed};
use crate::evtx::{EvtxSource, read_evtx};
use crate::format::InputFormat;
use crate::input::{
    Compression, Input, Opened, first_line_is_object, open, read_error, sniff_format,
};
use crate::lines::{LineKind, decode_chunk, detect_profile};
use crate::mapped::{Chunker, LineResolver, resolve_location};
use crate::{ReadOptions, ReadStats};

/// Chunk size when streaming lines on one thread.
const SEQUENTIAL_CHUNK: usize = 1 << 20;

/// Reads every record of `input`, calling `on_event` for each event (in input order; `Break` stops
/// reading) and `on_malformed` for each record that cannot be decoded.
///
/// Errors: the input cannot be opened or read ([`IoError::Unreadable`], [`IoError::Read`]), or, with
/// [`ReadOptions::strict`], the first malformed record ([`IoError::Strict`], not passed to
/// `on_malformed`). A truncated compressed stream is a malformed record at the line it cut.
pub fn read_input(
    input: &Input,
    opts: &ReadOptions,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
    on_malformed: &mut dyn FnMut(Malformed),
) -> Result<ReadStats, IoError> {
    let mut strict_failure: Option<Malformed> = None;
    let mut malformed = |m: Malformed| {
        if opts.strict {
            strict_failure = Some(m);
            ControlFlow::Break(())
        } else {
            on_malformed(m);
            ControlFlow::Continue(())
        }
    };
    let result = read_with(input, opts, on_event, &mut malformed);
    if let Some(m) = strict_failure {
        return Err(IoError::Strict(m));
    }
    result
}

/// Reads `input` with a malformed-record callback that may stop the read.
pub(crate) fn read_with(
    input: &Input,
    opts: &ReadOptions,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
    malformed: &mut dyn FnMut(Malformed) -> ControlFlow<()>,
) -> Result<ReadStats, IoError> {
    let mut opened = open(input, opts.progress.clone())?;
    let format = resolve_format(input, opts, &mut opened)?;
    let mut stats = ReadStats {
        files: 1,
        ..ReadStats::default()
    };
    let name = input.name();
    match format {
        InputFormat::Ndjson | InputFormat::Text => {
            let kind = if format == InputFormat::Ndjson {
                LineKind::Ndjson
            } else {
                LineKind::Text
            };
            let compression = opened.compression;
            let (mut chunker, stored_bytes) = Chunker::new(
                input,
                opened,
                SEQUENTIAL_CHUNK,
                |_| SEQUENTIAL_CHUNK,
                &opts.progress,
            )?;
            // Reports of mapped chunks name bytes; number their lines here, in input order.
            let mut resolver: Option<LineResolver> = None;
            let mut malformed = |mut m: Malformed| {
                if m.location.starts_with("byte ")
                    && resolver.is_none()
                    && let Some(f) = input.file_path().and_then(|p| std::fs::File::open(p).ok())
                {
                    resolver = Some(LineResolver::new(f));
                }
                if let Some(r) = &mut resolver {
                    resolve_location(&mut m.location, r);
                }
                malformed(m)
            };
            let malformed = &mut malformed;
            let mut profile = opts.profile;
            loop {
                let (chunk, stream_error) = match chunker.next_chunk() {
                    Ok(Some(c)) => (Some(c), None),
                    Ok(None) => break,
                    Err(e) => (e.lines_before, Some((e.line, e.error))),
                };
                if let Some(chunk) = chunk {
                    if profile.is_none() && kind == LineKind::Ndjson {
                        profile = detect_profile(&chunk);
                    }
                    let mut flattener = crate::decode::Flattener::with_fields(opts.fields.clone());
                    let (counts, flow) = decode_chunk(
                        &chunk,
                        kind,
                        profile,
                        opts.prefilter.as_ref(),
                        opts.prefilter.as_ref().and(opts.finder.as_ref()),
                        name,
                        &mut flattener,
                        on_event,
                        malformed,
                    );
                    flattener.release();
                    stats.events += counts.events;
                    stats.malformed += counts.malformed;
                    stats.prefiltered += counts.prefiltered;
                    if flow.is_break() {
                        break;
                    }
                }
                if let Some((line, error)) = stream_error {
                    if compression == Compression::None {
                        return Err(read_error(input, error));
                    }
                    stats.malformed += 1;
                    let _ = malformed(truncated_stream(name, compression, line, &error));
                    break;
                }
            }
            stats.bytes = stored_bytes.load(std::sync::atomic::Ordering::Relaxed);
        }
        InputFormat::Json => {
            let bytes = read_all_lenient(input, &mut opened, malformed, &mut stats)?;
            let counts =
                crate::json::read_document(&bytes, name, opts.profile, on_event, malformed);
            stats.events = counts.events;
            stats.malformed = counts.malformed;
            stats.bytes = opened
                .stored_bytes
                .load(std::sync::atomic::Ordering::Relaxed);
        }
        InputFormat::Csv => {
            let counts = crate::tabular::read_csv(&mut opened.reader, name, on_event, malformed);
            stats.events = counts.events;
            stats.malformed = counts.malformed;
            stats.bytes = opened
                .stored_bytes
                .load(std::sync::atomic::Ordering::Relaxed);
        }
        InputFormat::Evtx => {
            let source = match (opened.compression, input.file_path()) {
                (Compression::None, Some(path)) => {
                    let size = input.size().unwrap_or(0);
                    if let Some(p) = &opts.progress {
                        p.fetch_add(size, std::sync::atomic::Ordering::Relaxed);
                    }
                    stats.bytes = size;
                    EvtxSource::Path(path)
                }
                _ => {
                    let buffer = read_all_lenient(input, &mut opened, malformed, &mut stats)?;
                    stats.bytes = opened
                        .stored_bytes
                        .load(std::sync::atomic::Ordering::Relaxed);
                    EvtxSource::Buffer(buffer)
                }
            };
            let counts = read_evtx(source, name, opts.profile, on_event, malformed);
            stats.events = counts.events;
            stats.malformed += counts.malformed;
        }
    }
    Ok(stats)
}

/// The format to read `input` as: forced, else by file name (a `.json` file whose first line is a
/// whole object is read as NDJSON), else by content.
pub(crate) fn resolve_format(
    input: &Input,
    opts: &ReadOptions,
    opened: &mut Opened,
) -> Result<InputFormat, IoError> {
    if let Some(f) = opts.format {
        return Ok(f);
    }
    let head = opened.reader.fill_buf().map_err(|e| read_error(input, e))?;
    Ok(match input.format_from_name() {
        Some(InputFormat::Json) if first_line_is_object(head) => InputFormat::Ndjson,
        Some(f) => f,
        None => sniff_format(head),
    })
}

/// Reads the whole (decompressed) input. A compressed stream that breaks off is reported as a
/// malformed record and what was decompressed is kept; other read errors are errors.
fn read_all_lenient(
    input: &Input,
    opened: &mut Opened,
    malformed: &mut dyn FnMut(Malformed) -> ControlFlow<()>,
    stats: &mut ReadStats,
) -> Result<Vec<u8>, IoError> {
    let mut bytes = Vec::new();
    if let Err(e) = opened.reader.read_to_end(&mut bytes) {
        if opened.compression == Compression::None {
            return Err(read_error(input, e));
        }
        let line = memchr::memchr_iter(b'\n', &bytes).count() as u64 + 1;
        stats.malformed += 1;
        let _ = malformed(truncated_stream(input.name(), opened.compression, line, &e));
    }
    Ok(bytes)
}

pub(crate) fn truncated_stream(
    input: &str,
    compression: Compression,
    line: u64,
    error: &std::io::Error,
) -> Malformed {
    let kind = match compression {
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
        Compression::None => "input",
    };
    Malformed {
        input: input.to_owned(),
        location: format!("line {line}"),
        reason: format!(
            "{kind} stream is truncated or corrupt ({error}); rest of the input skipped"
        ),
    }
}

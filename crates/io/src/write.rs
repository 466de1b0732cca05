//! Writers for events and result rows: NDJSON, CSV, an aligned terminal table, a JSON array.
//!
//! All writers keep field order: the given `columns`, or (when empty) every field in the order of
//! its first appearance across the rows.

use std::io::{self, Write};
use std::str::FromStr;

use saker_event::{Event, Sym};
use unicode_width::UnicodeWidthChar;

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// One compact JSON object per line.
    Ndjson,
    /// Aligned columns for a terminal; long values truncated with `…`.
    Table,
    /// CSV with a header row of the column names.
    Csv,
    /// One JSON array of objects.
    Json,
}

impl OutputFormat {
    pub const NAMES: &'static [&'static str] = &["ndjson", "table", "csv", "json"];
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" => OutputFormat::Ndjson,
            "table" => OutputFormat::Table,
            "csv" => OutputFormat::Csv,
            "json" => OutputFormat::Json,
            _ => {
                return Err(format!(
                    "unknown output format `{s}` (expected one of: {})",
                    OutputFormat::NAMES.join(", ")
                ));
            }
        })
    }
}

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OutputFormat::Ndjson => "ndjson",
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
        })
    }
}

/// Widest a table column gets, in terminal cells, before values are truncated.
pub const MAX_TABLE_WIDTH: usize = 60;

/// Writes `rows` in `format`. `columns` selects and orders fields; empty = all fields in order of
/// first appearance. A field absent from a row is left out (NDJSON, JSON) or empty (CSV, table).
pub fn write_rows(
    format: OutputFormat,
    columns: &[String],
    rows: &[Event],
    out: &mut dyn Write,
) -> io::Result<()> {
    let cols = resolve_columns(columns, rows);
    match format {
        OutputFormat::Ndjson => {
            let mut w = NdjsonWriter::new(out);
            for row in rows {
                w.write_selected(row, &cols)?;
            }
            w.flush()
        }
        OutputFormat::Json => write_json_array(&cols, rows, out),
        OutputFormat::Csv => write_csv(&cols, rows, out),
        OutputFormat::Table => write_table(&cols, rows, out),
    }
}

/// The columns to print: `columns` interned, or every field of `rows` in order of first appearance.
pub fn resolve_columns(columns: &[String], rows: &[Event]) -> Vec<Sym> {
    if !columns.is_empty() {
        return columns.iter().map(|c| Sym::new(c)).collect();
    }
    let mut seen = std::collections::HashSet::new();
    let mut cols = Vec::new();
    for row in rows {
        for (k, _) in row.iter() {
            if seen.insert(k) {
                cols.push(k);
            }
        }
    }
    cols
}

/// Streams events as NDJSON: one compact JSON object per line, fields in event order.
pub struct NdjsonWriter<'w> {
    out: io::BufWriter<&'w mut dyn Write>,
}

impl<'w> NdjsonWriter<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        NdjsonWriter {
            out: io::BufWriter::with_capacity(256 * 1024, out),
        }
    }

    /// Writes every field of `event`.
    pub fn write(&mut self, event: &Event) -> io::Result<()> {
        write_object(&mut self.out, event.iter())?;
        self.out.write_all(b"\n")
    }

    /// Writes the fields `cols` (those present) in that order.
    pub fn write_selected(&mut self, event: &Event, cols: &[Sym]) -> io::Result<()> {
        write_object(
            &mut self.out,
            cols.iter().filter_map(|&c| event.get(c).map(|v| (c, v))),
        )?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn write_object<'a>(
    out: &mut impl Write,
    fields: impl Iterator<Item = (Sym, &'a str)>,
) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_json_string(out, k.as_str())?;
        out.write_all(b":")?;
        write_json_string(out, v)?;
    }
    out.write_all(b"}")
}

/// Writes `s` as a JSON string literal (RFC 8259 escaping).
pub fn write_json_string(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        if escape.is_empty() {
            write!(out, "\\u{b:04x}")?;
        } else {
            out.write_all(escape)?;
        }
        start = i + 1;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

fn write_json_array(cols: &[Sym], rows: &[Event], out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    out.write_all(b"[")?;
    for (i, row) in rows.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        write_object(
            &mut out,
            cols.iter().filter_map(|&c| row.get(c).map(|v| (c, v))),
        )?;
    }
    out.write_all(if rows.is_empty() { b"]\n" } else { b"\n]\n" })?;
    out.flush()
}

fn write_csv(cols: &[Sym], rows: &[Event], out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    let header: Vec<&str> = cols.iter().map(|c| c.as_str()).collect();
    w.write_record(&header).map_err(io::Error::other)?;
    for row in rows {
        w.write_record(cols.iter().map(|&c| row.get(c).unwrap_or("")))
            .map_err(io::Error::other)?;
    }
    w.flush()
}

/// A value as shown in a table cell: control characters escaped (`\n`, `\t`), at most `width`
/// terminal cells, truncated with `…`.
pub fn table_cell(value: &str, width: usize) -> String {
    let mut s = String::with_capacity(value.len().min(width * 4));
    let mut used = 0;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let shown: std::borrow::Cow<str> = match c {
            '\n' => "\\n".into(),
            '\r' => "\\r".into(),
            '\t' => "\\t".into(),
            c if c.is_control() => format!("\\u{{{:x}}}", c as u32).into(),
            c => c.to_string().into(),
        };
        let w: usize = shown.chars().map(|c| c.width().unwrap_or(0)).sum();
        let last = chars.peek().is_none();
        let room = if last { width } else { width.saturating_sub(1) };
        if used + w > room {
            s.push('…');
            return s;
        }
        used += w;
        s.push_str(&shown);
    }
    s
}

fn display_width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

fn write_table(cols: &[Sym], rows: &[Event], out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|&c| table_cell(r.get(c).unwrap_or(""), MAX_TABLE_WIDTH))
                .collect()
        })
        .collect();
    let headers: Vec<String> = cols
        .iter()
        .map(|c| table_cell(c.as_str(), MAX_TABLE_WIDTH))
        .collect();
    let widths: Vec<usize> = (0..cols.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| display_width(&r[i]))
                .chain(std::iter::once(display_width(&headers[i])))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut io::BufWriter<&mut dyn Write>, row: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                text.push_str(" | ");
            }
            text.push_str(cell);
            if i + 1 < row.len() {
                text.extend(std::iter::repeat_n(' ', widths[i] - display_width(cell)));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(&mut out, &headers)?;
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    writeln!(out, "{}", rule.join("-+-"))?;
    for row in &cells {
        line(&mut out, row)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, &str)]) -> Event {
        pairs.iter().copied().collect()
    }

    fn render(format: OutputFormat, cols: &[&str], rows: &[Event]) -> String {
        let cols: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let r = write_rows(format, &cols, rows, &mut out);
        assert!(r.is_ok());
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn ndjson_keeps_field_order_and_escapes() {
        let rows = [ev(&[("b", "1"), ("a", "x\"y\\z\n\u{1}")])];
        let s = render(OutputFormat::Ndjson, &[], &rows);
        assert_eq!(s, "{\"b\":\"1\",\"a\":\"x\\\"y\\\\z\\n\\u0001\"}\n");
        let back: serde_json::Value = serde_json::from_str(s.trim()).unwrap_or_default();
        assert_eq!(back["a"], "x\"y\\z\n\u{1}");
    }

    #[test]
    fn csv_header_is_the_columns() {
        let rows = [ev(&[("a", "1"), ("b", "x,y")]), ev(&[("b", "2")])];
        let s = render(OutputFormat::Csv, &["b", "a"], &rows);
        assert_eq!(s, "b,a\n\"x,y\",1\n2,\n");
    }

    #[test]
    fn table_aligns_and_truncates() {
        let long = "x".repeat(100);
        let rows = [ev(&[("a", "1"), ("b", &long)]), ev(&[("a", "222")])];
        let s = render(OutputFormat::Table, &[], &rows);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "a   | b");
        assert!(lines[1].starts_with("----+-"));
        assert!(lines[2].ends_with('…'));
        assert_eq!(display_width(lines[2]), 6 + MAX_TABLE_WIDTH);
        assert_eq!(lines[3], "222 |");
    }

    #[test]
    fn json_array() {
        let rows = [ev(&[("a", "1")]), ev(&[("a", "2")])];
        let s = render(OutputFormat::Json, &[], &rows);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(v[1]["a"], "2");
    }
}

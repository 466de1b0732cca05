//! Time functions: `formatTime`, `parseTimestamp`, `time:*`, `formatDuration`, and span parsing.

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use saker_event::{Sym, parse_number};

use super::{map, out_field};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::StageSpec;

pub(super) fn stage(_c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    Ok(Some(match name {
        "duration" => {
            let d = a.required_text("duration")?;
            let ms = parse_duration_ms(&d).ok_or_else(|| {
                a.err(format!("invalid duration {d:?} (expected e.g. 5m, 1h, 2d)"))
            })?;
            let out = out_field(a, "_duration");
            map(move |e| e.set(out, compact_str::format_compact!("{ms}")))
        }
        "formattime" => {
            let format = a.required_text("format")?;
            let field = super::in_field(a, "@timestamp");
            let out = Sym::new(&a.required_text("as")?);
            let tz = zone(a)?;
            let unit = a.text_or("unit", "auto").to_ascii_lowercase();
            let pattern = strftime_pattern(&format);
            map(move |e| {
                let Some(x) = e.number(field) else { return };
                let ms = match unit.as_str() {
                    "seconds" => x * 1000.0,
                    "milliseconds" => x,
                    _ if x.abs() <= 100_000_000_000.0 => x * 1000.0,
                    _ => x,
                };
                if let Some(z) = zoned(ms as i64, &tz) {
                    e.set(out, render(&z, &pattern, ms as i64));
                }
            })
        }
        "parsetimestamp" => {
            let format = a.text_or("format", "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXXXX");
            let field = super::required_field(a)?;
            let out = out_field(a, "@timestamp");
            let tz = a
                .text("timezone")
                .map(|t| parse_zone(&t))
                .transpose()
                .map_err(|m| a.err(m))?;
            let add_errors = a.bool_or("addErrors", true)?;
            let err_sym = Sym::new("@error");
            map(move |e| {
                let Some(v) = e.get(field) else { return };
                match parse_time(&format, v, tz.as_ref()) {
                    Some(ms) => e.set(out, compact_str::format_compact!("{ms}")),
                    None if add_errors => e.set(err_sym, "true"),
                    None => {}
                }
            })
        }
        "formatduration" => {
            let field = super::required_field(a)?;
            let out = a.text("as").map_or(field, |s| Sym::new(&s));
            let from = a.text_or("from", "ms");
            let factor = unit_ms(&from).ok_or_else(|| a.err(format!("unknown unit `{from}`")))?;
            let precision = a.num_or("precision", 0.0)? as usize;
            // "The value of the field being formatted must be an integer. If you have a floating
            // point input value, the value will not be converted."
            map(move |e| {
                let whole = e.get(field).and_then(|v| v.trim().parse::<i64>().ok());
                if let Some(x) = whole {
                    e.set(out, format_duration(x as f64 * factor, precision));
                }
            })
        }
        n if n.starts_with("time:") => {
            let part = n[5..].to_owned();
            let field = super::in_field(a, "@timestamp");
            let default = match part.as_str() {
                "dayofmonth" => "_dayOfMonth",
                "dayofweek" => "_dayOfWeek",
                "dayofweekname" => "_dayOfWeekName",
                "dayofyear" => "_dayOfYear",
                "weekofyear" => "_weekOfYear",
                "monthname" => "_monthName",
                "hour" => "_hour",
                "minute" => "_minute",
                "second" => "_second",
                "millisecond" => "_millisecond",
                "year" => "_year",
                "month" => "_month",
                _ => {
                    return Err(crate::error::ExecError::Unsupported(format!(
                        "function {n}()"
                    )));
                }
            };
            let out = out_field(a, default);
            let tz = zone(a)?;
            map(move |e| {
                let Some(ms) = e.number(field) else { return };
                let Some(z) = zoned(ms as i64, &tz) else {
                    return;
                };
                let v = match part.as_str() {
                    "dayofmonth" => z.day().to_string(),
                    "dayofweek" => z.weekday().to_monday_one_offset().to_string(),
                    "dayofweekname" => z.strftime("%A").to_string(),
                    "dayofyear" => z.day_of_year().to_string(),
                    "weekofyear" => z.date().iso_week_date().week().to_string(),
                    "monthname" => z.strftime("%B").to_string(),
                    "hour" => z.hour().to_string(),
                    "minute" => z.minute().to_string(),
                    "second" => z.second().to_string(),
                    "millisecond" => z.millisecond().to_string(),
                    "year" => z.year().to_string(),
                    _ => z.month().to_string(),
                };
                e.set(out, v);
            })
        }
        _ => return Ok(None),
    }))
}

fn zone(a: &Args) -> Result<TimeZone> {
    match a.text("timezone") {
        None => Ok(TimeZone::UTC),
        Some(t) => parse_zone(&t).map_err(|m| a.err(m)),
    }
}

pub(crate) fn parse_zone(t: &str) -> Result<TimeZone, String> {
    let t = t.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("gmt")
    {
        return Ok(TimeZone::UTC);
    }
    if let Some(off) = parse_offset(t) {
        return Ok(TimeZone::fixed(off));
    }
    TimeZone::get(t).map_err(|e| format!("unknown time zone `{t}`: {e}"))
}

fn parse_offset(t: &str) -> Option<jiff::tz::Offset> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

pub(crate) fn zoned(ms: i64, tz: &TimeZone) -> Option<Zoned> {
    Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_zoned(tz.clone()))
}

/// LogScale's formatTime letters mapped to jiff's (`%L` millis, `%N` nanos, `%Q` epoch ms are
/// handled in [`render`]).
fn strftime_pattern(f: &str) -> String {
    f.replace("%L", "%3f").replace("%N", "%9f")
}

fn render(z: &Zoned, pattern: &str, ms: i64) -> String {
    let p = pattern.replace("%Q", &ms.to_string());
    let mut out = String::new();
    use std::fmt::Write;
    if write!(out, "{}", z.strftime(&p)).is_err() {
        return String::new();
    }
    out
}

/// A span such as `15m`, `1h`, `2 days`, `500ms` in milliseconds.
pub(crate) fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let n: f64 = if split == 0 {
        1.0
    } else {
        s[..split].parse().ok()?
    };
    let unit = s[split..].trim();
    let factor = if unit.is_empty() { 1.0 } else { unit_ms(unit)? };
    Some((n * factor) as i64)
}

fn unit_ms(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "ns" | "nanos" | "nanoseconds" => 1e-6,
        "us" | "micros" | "microseconds" => 1e-3,
        "ms" | "millis" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1e3,
        "m" | "min" | "mins" | "minute" | "minutes" => 60e3,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600e3,
        "d" | "day" | "days" => 86_400e3,
        "w" | "week" | "weeks" => 7.0 * 86_400e3,
        "y" | "year" | "years" => 365.0 * 86_400e3,
        _ => return None,
    })
}

fn format_duration(ms: f64, precision: usize) -> String {
    let units = [
        ("d", 86_400_000.0),
        ("h", 3_600_000.0),
        ("m", 60_000.0),
        ("s", 1000.0),
        ("ms", 1.0),
    ];
    let mut rest = ms.abs();
    let mut parts = Vec::new();
    for (name, size) in units {
        let n = (rest / size).floor();
        if n >= 1.0 {
            parts.push(format!("{n}{name}"));
            rest -= n * size;
        }
        if precision > 0 && parts.len() >= precision {
            break;
        }
    }
    if parts.is_empty() {
        parts.push("0ms".into());
    }
    // No separator: the page's example formats 23452553 ms as `6h30m52s553ms`.
    let s = parts.concat();
    if ms < 0.0 { format!("-{s}") } else { s }
}

/// Parses `v` with a `parseTimestamp` format: `seconds`/`unixtime`, `millis`, `nanos`, or a Java
/// date-time pattern (common letters).
fn parse_time(format: &str, v: &str, tz: Option<&TimeZone>) -> Option<i64> {
    let v = v.trim();
    match format.to_ascii_lowercase().as_str() {
        "seconds" | "unixtime" | "unixtimeseconds" => {
            return parse_number(v).map(|x| (x * 1000.0) as i64);
        }
        "millis" | "milliseconds" | "unixtimemillis" => return parse_number(v).map(|x| x as i64),
        "nanos" | "nanoseconds" => return parse_number(v).map(|x| (x / 1e6) as i64),
        _ => {}
    }
    if let Ok(ts) = v.parse::<Timestamp>() {
        return Some(ts.as_millisecond());
    }
    let pattern = java_to_strptime(format);
    if let Ok(z) = Zoned::strptime(&pattern, v) {
        return Some(z.timestamp().as_millisecond());
    }
    // Java's `X` patterns print a zero offset as `Z`.
    if let Some(head) = v.strip_suffix('Z') {
        for zero in ["+00:00", "+0000"] {
            if let Ok(z) = Zoned::strptime(&pattern, format!("{head}{zero}")) {
                return Some(z.timestamp().as_millisecond());
            }
        }
    }
    let dt = jiff::civil::DateTime::strptime(&pattern, v).ok()?;
    let tz = tz?;
    dt.to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

fn java_to_strptime(f: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = f.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                out.push(chars[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == '[' || c == ']' {
            i += 1;
            continue;
        }
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let spec = match (c, n) {
            ('y', 2) => "%y",
            ('y', _) | ('u', _) => "%Y",
            ('M', 1) | ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', _) => "%d",
            ('H', _) => "%H",
            ('h', _) => "%I",
            ('m', _) => "%M",
            ('s', _) => "%S",
            ('S', _) => "%f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            // `Z`..`ZZZ` and `X`/`XX` print `+HHMM`; `XXX` and longer `+HH:MM`.
            ('Z', 1..=3) | ('X', 1..=2) | ('x', 1..=2) => "%z",
            ('X', _) | ('x', _) | ('Z', _) => "%:z",
            ('z', _) | ('V', _) => "%Q",
            _ => {
                for _ in 0..n {
                    out.push(c);
                }
                i += n;
                continue;
            }
        };
        if c == 'S' && out.ends_with('.') {
            out.pop();
            out.push_str("%.f");
        } else {
            out.push_str(spec);
        }
        i += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_without_colon_and_zulu() {
        assert_eq!(
            parse_time("dd/MMM/yyyy:HH:mm:ss Z", "10/Oct/2000:13:55:36 -0700", None),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_time("yyyy-MM-dd HH:mm:ssXX", "2000-10-10 20:55:36+0000", None),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_time(
                "yyyy-MM-dd HH:mm:ss.SSSXXX",
                "2023-11-14 22:13:20.123Z",
                None
            ),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            parse_time(
                "yyyy-MM-dd HH:mm:ss.SSSXXX",
                "2023-11-14 23:13:20.123+01:00",
                None
            ),
            Some(1_700_000_000_123)
        );
    }

    #[test]
    fn spans() {
        assert_eq!(parse_duration_ms("15m"), Some(900_000));
        assert_eq!(parse_duration_ms("1h"), Some(3_600_000));
        assert_eq!(parse_duration_ms("2 days"), Some(172_800_000));
        assert_eq!(parse_duration_ms("x"), None);
    }

    #[test]
    fn parse_formats() {
        assert_eq!(parse_time("seconds", "1.5", None), Some(1500));
        assert_eq!(
            parse_time("yyyy-MM-dd'T'HH:mm:ssXXX", "2020-01-01T00:00:01Z", None),
            Some(1_577_836_801_000)
        );
        assert_eq!(
            parse_time(
                "yyyy-MM-dd HH:mm:ss",
                "2020-01-01 00:00:01",
                Some(&TimeZone::UTC)
            ),
            Some(1_577_836_801_000)
        );
        assert_eq!(
            parse_time("yyyy-MM-dd HH:mm:ss", "2020-01-01 00:00:01", None),
            None
        );
    }
}

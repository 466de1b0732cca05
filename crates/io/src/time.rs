//! Reading event times into `@timestamp` (milliseconds since the Unix epoch, UTC).

/// Parses a timestamp into epoch milliseconds.
///
/// Accepts ISO-8601 / RFC 3339 date-times (`2022-11-09T19:17:43.5752234Z`, `2025-11-27 07:40:10.132`
/// read as UTC when no offset is given) and epoch numbers, whose unit is read from their size the way
/// LogScale's `unit=auto` does for seconds vs milliseconds (≤ 100,000,000,000 → seconds, with
/// fraction), extended to microseconds (> 10^14) and nanoseconds (> 10^17).
pub fn parse_timestamp_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let first = *t.as_bytes().first()?;
    if first.is_ascii_digit() && t.len() >= 10 && t.as_bytes().get(4) == Some(&b'-') {
        return parse_datetime(t);
    }
    if first.is_ascii_digit() || first == b'-' {
        return parse_epoch(t);
    }
    None
}

fn parse_epoch(t: &str) -> Option<i64> {
    if let Ok(i) = t.parse::<i64>() {
        let a = i.unsigned_abs();
        return Some(if a > 100_000_000_000_000_000 {
            i / 1_000_000
        } else if a > 100_000_000_000_000 {
            i / 1_000
        } else if a > 100_000_000_000 {
            i
        } else {
            i.checked_mul(1000)?
        });
    }
    let f: f64 = t.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    let ms = if f.abs() > 1e17 {
        f / 1e6
    } else if f.abs() > 1e14 {
        f / 1e3
    } else if f.abs() > 1e11 {
        f
    } else {
        f * 1000.0
    };
    (ms.abs() < 9.0e18).then(|| ms.round() as i64)
}

fn parse_datetime(t: &str) -> Option<i64> {
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts.as_millisecond());
    }
    // No offset: read as UTC (Windows `UtcTime`, many exports).
    let dt: jiff::civil::DateTime = t.parse().ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(ts.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_units_by_magnitude() {
        assert_eq!(parse_timestamp_ms("1604855100030"), Some(1_604_855_100_030));
        assert_eq!(
            parse_timestamp_ms("1604855116.849"),
            Some(1_604_855_116_849)
        );
        assert_eq!(parse_timestamp_ms("1604855116"), Some(1_604_855_116_000));
        assert_eq!(
            parse_timestamp_ms("1604855100030123"),
            Some(1_604_855_100_030)
        );
        assert_eq!(
            parse_timestamp_ms("1604855100030123456"),
            Some(1_604_855_100_030)
        );
    }

    #[test]
    fn iso_8601_with_and_without_offset() {
        assert_eq!(
            parse_timestamp_ms("2022-11-09T19:17:43.5752234Z"),
            Some(1_668_021_463_575)
        );
        assert_eq!(
            parse_timestamp_ms("2022-11-09T20:17:43.575+01:00"),
            Some(1_668_021_463_575)
        );
        assert_eq!(
            parse_timestamp_ms("2022-11-09 19:17:43.575"),
            Some(1_668_021_463_575)
        );
    }

    #[test]
    fn garbage_is_not_a_time() {
        assert_eq!(parse_timestamp_ms(""), None);
        assert_eq!(parse_timestamp_ms("yesterday"), None);
        assert_eq!(parse_timestamp_ms("2022-13-45T00:00:00Z"), None);
        assert_eq!(parse_timestamp_ms("NaN"), None);
    }
}

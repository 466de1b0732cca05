//! `unit:convert(field, from, to, unit, binary=false, as=<field>)`: a value with a unit, such as
//! `5 MB` or `514 ms`, as a plain number in the base unit (`5000000`, `0.514`), or in the unit
//! given by `to` (<https://library.humio.com/data-analysis/functions-unit-convert.html>).
//!
//! The unit's first letters are read as an SI or binary prefix when something follows them (the
//! page's advice for a unit that begins with a prefix letter is to give `unit=`). A rate such as
//! `MB/min` is normalised to per second.

use saker_event::{Sym, format_number, parse_number};

use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::StageSpec;

pub(super) fn stage(_c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    if name != "unit:convert" {
        return Ok(None);
    }
    let field = super::required_field(a)?;
    let out = a.text("as").map_or(field, |s| Sym::new(&s));
    let binary = a.bool_or("binary", false)?;
    let from = a.text("from");
    let unit = a.text("unit");
    let to = a.text("to");
    let to_factor = match &to {
        Some(t) => Some(
            unit_factor(t, binary, None)
                .map(|(f, _)| f)
                .ok_or_else(|| a.err(format!("unknown unit `{t}`")))?,
        ),
        None => None,
    };
    Ok(Some(super::map(move |e| {
        let Some(v) = e.get(field) else { return };
        let v = v.trim();
        let split = v
            .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
            .unwrap_or(v.len());
        let (num, written) = (v[..split].trim(), v[split..].trim());
        let Some(x) = parse_number(num) else { return };
        let written = if written.is_empty() {
            from.as_deref().unwrap_or("")
        } else {
            written
        };
        let Some((factor, _)) = unit_factor(written, binary, unit.as_deref()) else {
            return;
        };
        let base = x * factor;
        let value = to_factor.map_or(base, |t| base / t);
        e.set(out, format_number(value));
    })))
}

const PREFIXES: [(&str, i32); 21] = [
    ("da", 1),
    ("Y", 24),
    ("Z", 21),
    ("E", 18),
    ("P", 15),
    ("T", 12),
    ("G", 9),
    ("M", 6),
    ("k", 3),
    ("K", 3),
    ("h", 2),
    ("d", -1),
    ("c", -2),
    ("m", -3),
    ("u", -6),
    ("µ", -6),
    ("n", -9),
    ("p", -12),
    ("f", -15),
    ("a", -18),
    ("z", -21),
];

const BINARY: [(&str, i32); 8] = [
    ("Ki", 1),
    ("Mi", 2),
    ("Gi", 3),
    ("Ti", 4),
    ("Pi", 5),
    ("Ei", 6),
    ("Zi", 7),
    ("Yi", 8),
];

/// The factor to the base unit of `unit` (a prefix, a prefixed unit, or a rate `X/time`), and the
/// base unit. With `expected`, the unit must end with it and only a prefix may precede it.
fn unit_factor(unit: &str, binary: bool, expected: Option<&str>) -> Option<(f64, String)> {
    let (unit, per) = match unit.split_once('/') {
        Some((u, t)) => (u, Some(seconds_in(t)?)),
        None => (unit, None),
    };
    let (prefix, base) = match expected {
        Some(b) => (unit.strip_suffix(b)?, b),
        None => split_prefix(unit),
    };
    let mut factor = prefix_factor(prefix, binary)?;
    if let Some(s) = per {
        factor /= s;
    }
    Some((factor, base.to_owned()))
}

/// A leading prefix counts only when a unit follows it; a bare prefix (`to=G`) is one too.
fn split_prefix(unit: &str) -> (&str, &str) {
    let all = BINARY
        .iter()
        .map(|(p, _)| *p)
        .chain(PREFIXES.iter().map(|(p, _)| *p));
    for p in all {
        if let Some(rest) = unit.strip_prefix(p)
            && (!rest.is_empty() || prefix_factor(unit, false).is_some())
        {
            return (p, rest);
        }
    }
    ("", unit)
}

fn prefix_factor(prefix: &str, binary: bool) -> Option<f64> {
    if prefix.is_empty() {
        return Some(1.0);
    }
    if let Some((_, n)) = BINARY.iter().find(|(p, _)| *p == prefix) {
        return Some(1024f64.powi(*n));
    }
    let (_, exp) = PREFIXES.iter().find(|(p, _)| *p == prefix)?;
    if binary && *exp >= 3 {
        return Some(1024f64.powi(exp / 3));
    }
    Some(10f64.powi(*exp))
}

fn seconds_in(t: &str) -> Option<f64> {
    Some(match t {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86_400.0,
        "w" | "week" => 604_800.0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_rates() {
        assert_eq!(unit_factor("MB", false, None).map(|x| x.0), Some(1e6));
        assert_eq!(
            unit_factor("MiB", false, None).map(|x| x.0),
            Some(1_048_576.0)
        );
        assert_eq!(unit_factor("kB", true, None).map(|x| x.0), Some(1024.0));
        assert_eq!(unit_factor("ms", false, None).map(|x| x.0), Some(1e-3));
        assert_eq!(unit_factor("B", false, None).map(|x| x.0), Some(1.0));
        assert_eq!(unit_factor("G", false, None).map(|x| x.0), Some(1e9));
        assert_eq!(
            unit_factor("MB/min", false, None).map(|x| x.0),
            Some(1e6 / 60.0)
        );
        assert_eq!(
            unit_factor("min", false, Some("min")).map(|x| x.0),
            Some(1.0)
        );
    }
}

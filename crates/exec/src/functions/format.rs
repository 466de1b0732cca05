//! `format()`: a subset of Java's `String.format` over field values.
//! <https://library.humio.com/data-analysis/functions-format.html>

use saker_event::{Event, Sym, parse_number};

use super::{map, out_field};
use crate::args::Args;
use crate::error::Result;
use crate::pipeline::StageSpec;

pub(super) fn stage(a: &Args) -> Result<StageSpec> {
    let format = a.required_text("format")?;
    let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
    let out = out_field(a, "_format");
    let tz = match a.text("timezone") {
        Some(t) => super::time::parse_zone(&t).map_err(|m| a.err(m))?,
        None => jiff::tz::TimeZone::UTC,
    };
    let spec = parse(&format).map_err(|m| a.err(m))?;
    Ok(map(move |e| {
        if let Some(s) = render(&spec, &fields, e, &tz) {
            e.set(out, s);
        }
    }))
}

#[derive(Debug)]
enum Piece {
    Lit(String),
    Conv {
        /// `None` = next argument; `Some(i)` explicit (0-based); `<` = previous.
        arg: ArgRef,
        flags: String,
        width: Option<usize>,
        precision: Option<usize>,
        conv: char,
        time: Option<char>,
    },
}

#[derive(Debug, Clone, Copy)]
enum ArgRef {
    Next,
    Index(usize),
    Previous,
}

fn parse(f: &str) -> Result<Vec<Piece>, String> {
    let chars: Vec<char> = f.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            lit.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&c) = chars.get(i) else {
            return Err("format ends with `%`".into());
        };
        if c == '%' {
            lit.push('%');
            i += 1;
            continue;
        }
        if c == 'n' {
            lit.push('\n');
            i += 1;
            continue;
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        let mut arg = ArgRef::Next;
        // argument index `n$` or `<`
        let start = i;
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        if j > start && chars.get(j) == Some(&'$') {
            let n: usize = chars[start..j]
                .iter()
                .collect::<String>()
                .parse()
                .unwrap_or(1);
            arg = ArgRef::Index(n.saturating_sub(1));
            i = j + 1;
        } else if chars.get(i) == Some(&'<') {
            arg = ArgRef::Previous;
            i += 1;
        }
        let mut flags = String::new();
        while let Some(&c) = chars.get(i) {
            if "-#+ 0,(".contains(c) {
                flags.push(c);
                i += 1;
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
            width.push(c);
            i += 1;
        }
        let mut precision = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = String::new();
            while let Some(&c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                p.push(c);
                i += 1;
            }
            precision = p.parse().ok();
        }
        let Some(&conv) = chars.get(i) else {
            return Err("incomplete conversion in format".into());
        };
        i += 1;
        let mut time = None;
        if conv == 't' || conv == 'T' {
            time = chars.get(i).copied();
            i += 1;
            if time.is_none() {
                return Err("incomplete %t conversion".into());
            }
        }
        out.push(Piece::Conv {
            arg,
            flags,
            width: width.parse().ok(),
            precision,
            conv,
            time,
        });
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

fn render(spec: &[Piece], fields: &[Sym], e: &Event, tz: &jiff::tz::TimeZone) -> Option<String> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut prev = 0usize;
    for p in spec {
        match p {
            Piece::Lit(s) => out.push_str(s),
            Piece::Conv {
                arg,
                flags,
                width,
                precision,
                conv,
                time,
            } => {
                let idx = match arg {
                    ArgRef::Next => {
                        next += 1;
                        next - 1
                    }
                    ArgRef::Index(i) => *i,
                    ArgRef::Previous => prev,
                };
                prev = idx;
                let v = e.get(*fields.get(idx)?)?;
                let s = convert(v, flags, *precision, *conv, *time, tz)?;
                pad(&mut out, &s, *width, flags);
            }
        }
    }
    Some(out)
}

fn pad(out: &mut String, s: &str, width: Option<usize>, flags: &str) {
    let n = s.chars().count();
    let w = width.unwrap_or(0);
    if n >= w {
        out.push_str(s);
    } else if flags.contains('-') {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', w - n));
    } else if flags.contains('0') {
        let (sign, digits) = match s.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", s),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', w - n));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', w - n));
        out.push_str(s);
    }
}

fn group_thousands(digits: &str) -> String {
    let (sign, d) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn convert(
    v: &str,
    flags: &str,
    precision: Option<usize>,
    conv: char,
    time: Option<char>,
    tz: &jiff::tz::TimeZone,
) -> Option<String> {
    let int = || -> Option<i128> {
        let x = parse_number(v)?;
        (x.fract() == 0.0).then_some(x as i128)
    };
    Some(match conv {
        's' | 'S' => {
            let s = match precision {
                Some(p) => v.chars().take(p).collect(),
                None => v.to_owned(),
            };
            if conv == 'S' { s.to_uppercase() } else { s }
        }
        'd' | 'i' => {
            let n = int()?;
            let s = n.to_string();
            let s = if flags.contains(',') {
                group_thousands(&s)
            } else {
                s
            };
            if flags.contains('+') && n >= 0 {
                format!("+{s}")
            } else {
                s
            }
        }
        'x' => format!("{:x}", int()?),
        'X' => format!("{:X}", int()?),
        'o' => format!("{:o}", int()?),
        'f' => {
            let x = parse_number(v)?;
            let s = format!("{:.*}", precision.unwrap_or(6), x);
            if flags.contains(',') {
                let (i, f) = s.split_once('.').unwrap_or((&s, ""));
                let g = group_thousands(i);
                if f.is_empty() { g } else { format!("{g}.{f}") }
            } else {
                s
            }
        }
        'e' | 'E' => {
            let x = parse_number(v)?;
            let s = format!("{:.*e}", precision.unwrap_or(6), x);
            // Java prints a signed two-digit exponent: 1.5e+03.
            let (m, exp) = s.split_once('e')?;
            let exp: i32 = exp.parse().ok()?;
            let s = format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
            if conv == 'E' { s.to_uppercase() } else { s }
        }
        'g' | 'G' => {
            let x = parse_number(v)?;
            format!("{x}")
        }
        'b' | 'B' => {
            let b = !(v.is_empty() || v.eq_ignore_ascii_case("false"));
            b.to_string()
        }
        'c' | 'C' => {
            let code = parse_number(v)? as u32;
            char::from_u32(code)?.to_string()
        }
        't' | 'T' => {
            let ms = parse_number(v)? as i64;
            let z = super::time::zoned(ms, tz)?;
            let spec = match time? {
                'H' => "%H",
                'I' => "%I",
                'k' => "%k",
                'l' => "%l",
                'M' => "%M",
                'S' => "%S",
                'L' => "%3f",
                'N' => "%9f",
                'p' => "%P",
                'z' => "%z",
                'Z' => "%Z",
                's' => return Some((ms.div_euclid(1000)).to_string()),
                'Q' => return Some(ms.to_string()),
                'B' => "%B",
                'b' | 'h' => "%b",
                'A' => "%A",
                'a' => "%a",
                'C' => "%C",
                'Y' => "%Y",
                'y' => "%y",
                'j' => "%j",
                'm' => "%m",
                'd' => "%d",
                'e' => "%-d",
                'R' => "%H:%M",
                'T' => "%H:%M:%S",
                'r' => "%I:%M:%S %p",
                'D' => "%m/%d/%y",
                'F' => "%Y-%m-%d",
                'c' => "%a %b %d %H:%M:%S %Z %Y",
                _ => return None,
            };
            let s = z.strftime(spec).to_string();
            if conv == 'T' { s.to_uppercase() } else { s }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(f: &str, vals: &[(&str, &str)]) -> Option<String> {
        let e: Event = vals.iter().copied().collect();
        let fields: Vec<Sym> = vals.iter().map(|(k, _)| Sym::new(k)).collect();
        render(&parse(f).unwrap(), &fields, &e, &jiff::tz::TimeZone::UTC)
    }

    #[test]
    fn java_conversions() {
        assert_eq!(
            fmt("%s,%s", &[("a", "x"), ("b", "y")]).as_deref(),
            Some("x,y")
        );
        assert_eq!(fmt("0x%X", &[("n", "255")]).as_deref(), Some("0xFF"));
        assert_eq!(fmt("%.2f", &[("n", "3.14159")]).as_deref(), Some("3.14"));
        assert_eq!(
            fmt("%,d", &[("n", "1234567")]).as_deref(),
            Some("1,234,567")
        );
        assert_eq!(fmt("%05d", &[("n", "-42")]).as_deref(), Some("-0042"));
        assert_eq!(fmt("%-4s|", &[("n", "ab")]).as_deref(), Some("ab  |"));
        assert_eq!(
            fmt("%2$s %1$s", &[("a", "x"), ("b", "y")]).as_deref(),
            Some("y x")
        );
        assert_eq!(
            fmt("%d", &[("n", "abc")]),
            None,
            "non-numeric for %d gives nothing"
        );
        assert_eq!(
            fmt("%s %s", &[("a", "x")]),
            None,
            "missing argument gives nothing"
        );
        assert_eq!(
            fmt("%tH:%<tM", &[("t", "1700000000000")]).as_deref(),
            Some("22:13")
        );
        assert_eq!(fmt("100%%", &[]).as_deref(), Some("100%"));
    }
}

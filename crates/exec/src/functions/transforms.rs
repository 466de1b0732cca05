//! Per-event functions: renaming, defaults, string functions, math, encodings, `regex`, `if`, …

use saker_event::{Event, Sym, Text, format_number, parse_number};
use saker_plan::ArgValue;

use super::{arg_expr, in_field, map, out_field, required_field, stream, value_expr};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::{ExecError, Result};
use crate::expr::CompiledExpr;
use crate::pipeline::{Out, StageSpec};
use crate::regex::CompiledRegex;

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    Ok(Some(match name {
        "rename" => rename(a)?,
        "drop" => {
            let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
            map(move |e| e.retain(|k, _| !fields.contains(&k)))
        }
        "select" => super::aggs::select(a)?,
        "default" => {
            let value = a.text("value").unwrap_or_default();
            let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
            let replace_empty = a.bool_or("replaceEmpty", false)?;
            map(move |e| {
                for f in &fields {
                    match e.get(*f) {
                        None => e.set(*f, value.as_str()),
                        Some("") if replace_empty => e.set(*f, value.as_str()),
                        _ => {}
                    }
                }
            })
        }
        "format" => super::format::stage(a)?,
        "lower" | "upper" | "lowercase" => {
            let field = required_field(a)?;
            let default = if name == "upper" { "_upper" } else { "_lower" };
            let out = if name == "lowercase" {
                field
            } else {
                out_field(a, default)
            };
            let upper = name == "upper";
            text_fn(field, out, move |v| {
                Some(if upper {
                    v.to_uppercase()
                } else {
                    v.to_lowercase()
                })
            })
        }
        "length" | "text:length" => {
            let src = if name == "length" {
                Some(CompiledExpr::Field(required_field(a)?))
            } else {
                arg_expr(c, a, "string")?
            };
            let src = src.ok_or_else(|| a.err("missing `string`"))?;
            let out = out_field(a, "_length");
            map(move |e| {
                if let Some(v) = src.eval(e) {
                    let n = v.into_text().chars().count();
                    e.set(out, compact_str::format_compact!("{n}"));
                }
            })
        }
        "concat" => {
            let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
            let out = out_field(a, "_concat");
            map(move |e| {
                let s: String = fields.iter().filter_map(|f| e.get(*f)).collect();
                e.set(out, s);
            })
        }
        "replace" => {
            let (p, f) = a
                .regex("regex", "m")
                .ok_or_else(|| a.err("missing `regex`"))?;
            let re = CompiledRegex::logscale(&p, &f)?;
            let with = a
                .text("with")
                .or_else(|| a.text("replacement"))
                .unwrap_or_default();
            let field = in_field(a, "@rawstring");
            let out = a.text("as").map_or(field, |s| Sym::new(&s));
            map(move |e| {
                if let Some(v) = e.get(field) {
                    let r = re.replace_all(v, &with);
                    e.set(out, r);
                }
            })
        }
        "regex" => regex_stage(a)?,
        "splitstring" => {
            let field = in_field(a, "@rawstring");
            let by = a.required_text("by")?;
            let re = CompiledRegex::logscale(&by, "")?;
            let out = a.text("as").unwrap_or_else(|| "_splitstring".into());
            let index = match a.text("index") {
                Some(t) => {
                    Some(parse_number(&t).ok_or_else(|| a.err("`index` must be a number"))? as i64)
                }
                None => None,
            };
            let out_sym = Sym::new(&out);
            map(move |e| {
                let Some(v) = e.get(field) else { return };
                let mut parts = Vec::new();
                let mut last = 0;
                for (s, end) in re.find_ranges(v) {
                    if end == s {
                        continue;
                    }
                    parts.push(v[last..s].to_owned());
                    last = end;
                }
                parts.push(v[last..].to_owned());
                match index {
                    Some(i) => {
                        let i = if i < 0 { parts.len() as i64 + i } else { i };
                        if let Some(p) = usize::try_from(i).ok().and_then(|i| parts.get(i)) {
                            e.set(out_sym, p.as_str());
                        }
                    }
                    None => {
                        for (i, p) in parts.into_iter().enumerate() {
                            e.set(Sym::new(&format!("{out}[{i}]")), p);
                        }
                    }
                }
            })
        }
        "split" => split(a)?,
        "round" => {
            let field = required_field(a)?;
            let out = a.text("as").map_or(field, |s| Sym::new(&s));
            let how = a.text_or("how", "round");
            let f: fn(f64) -> f64 = match how.as_str() {
                "floor" => f64::floor,
                "ceil" => f64::ceil,
                "round" => |x: f64| (x + 0.5).floor(),
                other => return Err(a.err(format!("unknown how=`{other}`"))),
            };
            num_fn(field, out, move |x| Some(f(x)))
        }
        "shannonentropy" => {
            let field = required_field(a)?;
            let out = out_field(a, "_shannonentropy");
            map(move |e| {
                if let Some(v) = e.get(field) {
                    let h = entropy(v);
                    e.set(out, format_number(h));
                }
            })
        }
        "urldecode" => {
            let field = required_field(a)?;
            let out = out_field(a, "_urldecode");
            text_fn(field, out, |v| Some(url_decode(v)))
        }
        "urlencode" => {
            let field = required_field(a)?;
            let out = out_field(a, "_urlencode");
            text_fn(field, out, |v| Some(url_encode(v)))
        }
        "base64decode" => {
            let field = required_field(a)?;
            let out = out_field(a, "_base64Decode");
            let charset = a.text_or("charset", "UTF-8").to_ascii_uppercase();
            text_fn(field, out, move |v| base64_decode(v, &charset))
        }
        "crypto:md5" | "crypto:sha1" | "crypto:sha256" => {
            let fields: Vec<Sym> = a.list("field").iter().map(|f| Sym::new(f)).collect();
            let algo = name.trim_start_matches("crypto:").to_owned();
            let out = out_field(a, &format!("_{algo}"));
            map(move |e| {
                let mut data = String::new();
                for f in &fields {
                    match e.get(*f) {
                        Some(v) => data.push_str(v),
                        None => return,
                    }
                }
                e.set(out, digest(&algo, data.as_bytes()));
            })
        }
        "coalesce" => {
            let exprs = match a.raw("expressions") {
                Some(ArgValue::Array(items)) => items
                    .iter()
                    .map(|v| value_expr(c, a, v))
                    .collect::<Result<Vec<_>>>()?,
                Some(v) => vec![value_expr(c, a, v)?],
                None => return Err(a.err("missing expressions")),
            };
            let ignore_empty = a.bool_or("ignoreEmpty", true)?;
            let out = out_field(a, "_coalesce");
            map(move |e| {
                for x in &exprs {
                    if let Some(v) = x.eval(e) {
                        let t = v.into_text();
                        if !(ignore_empty && t.is_empty()) {
                            e.set(out, t);
                            return;
                        }
                    }
                }
            })
        }
        "if" => {
            let cond = arg_expr(c, a, "condition")?.ok_or_else(|| a.err("missing condition"))?;
            let then = arg_expr(c, a, "then")?.ok_or_else(|| a.err("missing `then`"))?;
            let els = arg_expr(c, a, "else")?.ok_or_else(|| a.err("missing `else`"))?;
            let out = out_field(a, "_if");
            map(move |e| {
                let pick = if cond.eval(e).is_some_and(|v| v.truthy()) {
                    &then
                } else {
                    &els
                };
                if let Some(v) = pick.eval(e) {
                    e.set(out, v.into_text());
                }
            })
        }
        "setfield" => {
            let target = arg_expr(c, a, "target")?.ok_or_else(|| a.err("missing `target`"))?;
            // `target` is an expression: a bare word reads the field holding the name.
            let value = arg_expr(c, a, "value")?.ok_or_else(|| a.err("missing `value`"))?;
            map(move |e| {
                if let (Some(t), Some(v)) = (target.eval(e), value.eval(e)) {
                    let name = t.into_text();
                    e.set(Sym::new(&name), v.into_text());
                }
            })
        }
        "getfield" => {
            let source = arg_expr(c, a, "source")?.ok_or_else(|| a.err("missing `source`"))?;
            let out = out_field(a, "_getField");
            map(move |e| {
                if let Some(name) = source.eval(e) {
                    let name = name.into_text();
                    if let Some(v) = Sym::lookup(&name).and_then(|s| e.get(s)).map(Text::from) {
                        e.set(out, v);
                    }
                }
            })
        }
        "text:substring" => {
            let s = arg_expr(c, a, "string")?.ok_or_else(|| a.err("missing `string`"))?;
            let begin = arg_expr(c, a, "begin")?;
            let end = arg_expr(c, a, "end")?;
            let out = out_field(a, "_string");
            map(move |e| {
                let Some(s) = s.eval(e) else { return };
                let chars: Vec<char> = s.into_text().chars().collect();
                let idx = |x: &Option<CompiledExpr>, default: usize| -> Option<usize> {
                    match x {
                        None => Some(default),
                        Some(x) => {
                            let n = x.eval(e)?.as_num()?;
                            Some((n.max(0.0) as usize).min(chars.len()))
                        }
                    }
                };
                let (Some(b), Some(en)) = (idx(&begin, 0), idx(&end, chars.len())) else {
                    return;
                };
                if b <= en {
                    e.set(out, chars[b..en].iter().collect::<String>());
                }
            })
        }
        "text:positionof" => {
            let s = arg_expr(c, a, "string")?.ok_or_else(|| a.err("missing `string`"))?;
            let ch = arg_expr(c, a, "character")?.ok_or_else(|| a.err("missing `character`"))?;
            let occurrence = a.num_or("occurrence", 1.0)?.max(1.0) as usize;
            let begin = a.num_or("begin", 0.0)?.max(0.0) as usize;
            let out = out_field(a, "_position");
            map(move |e| {
                let (Some(s), Some(ch)) = (s.eval(e), ch.eval(e)) else {
                    return;
                };
                let s = s.into_text();
                let ch = ch.into_text();
                let chars: Vec<char> = s.chars().collect();
                let needle: Vec<char> = ch.chars().collect();
                if needle.is_empty() {
                    return;
                }
                let mut seen = 0;
                let mut i = begin;
                while i + needle.len() <= chars.len() {
                    if chars[i..i + needle.len()] == needle[..] {
                        seen += 1;
                        if seen == occurrence {
                            e.set(out, compact_str::format_compact!("{i}"));
                            return;
                        }
                    }
                    i += 1;
                }
                e.set(out, "-1");
            })
        }
        "parseint" => {
            let field = required_field(a)?;
            let out = a.text("as").map_or(field, |s| Sym::new(&s));
            let radix = a.num_or("radix", 16.0)? as u32;
            if !(2..=36).contains(&radix) {
                return Err(a.err("radix must be between 2 and 36"));
            }
            let little = a.text_or("endian", "big").eq_ignore_ascii_case("little");
            text_fn(field, out, move |v| {
                let mut t = v.trim().to_owned();
                if radix == 16 {
                    t = t
                        .trim_start_matches("0x")
                        .trim_start_matches("0X")
                        .to_owned();
                    if little && t.len() % 2 == 0 {
                        let bytes: Vec<&str> =
                            (0..t.len()).step_by(2).map(|i| &t[i..i + 2]).collect();
                        t = bytes.into_iter().rev().collect();
                    }
                }
                u128::from_str_radix(&t, radix).ok().map(|n| n.to_string())
            })
        }
        "now" => {
            let out = out_field(a, "_now");
            let now = c.opts.now_ms;
            map(move |e| e.set(out, compact_str::format_compact!("{now}")))
        }
        "start" | "end" => {
            let out = out_field(a, &format!("_{name}"));
            let v = if name == "start" {
                c.opts.start_ms
            } else {
                c.opts.end_ms
            };
            let v = v.ok_or_else(|| {
                ExecError::Unsupported(format!(
                    "{name}() without a search interval (--start/--end)"
                ))
            })?;
            map(move |e| e.set(out, compact_str::format_compact!("{v}")))
        }
        "eventsize" => {
            let out = out_field(a, "_eventSize");
            map(move |e| {
                let n = e.rawstring().map_or(0, str::len);
                e.set(out, compact_str::format_compact!("{n}"));
            })
        }
        "eval" => {
            return Err(ExecError::Invalid(
                "eval() arguments must be assignments".into(),
            ));
        }
        "dropevent" => stream(|_| Out::Drop),
        n if n.starts_with("math:") => math(a, &n[5..])?,
        "bitfield:extractflags"
        | "bitfield:extractflagsasstring"
        | "bitfield:extractflagsasarray" => bitfield(a, name)?,
        _ => return Ok(None),
    }))
}

fn rename(a: &Args) -> Result<StageSpec> {
    let pairs: Vec<(Sym, Sym)> = match a.raw("field") {
        Some(ArgValue::Array(items)) if items.iter().all(|i| matches!(i, ArgValue::Array(_))) => {
            items
                .iter()
                .filter_map(|i| match i {
                    ArgValue::Array(p) if p.len() == 2 => {
                        Some((Sym::new(&a.scalar(&p[0])?), Sym::new(&a.scalar(&p[1])?)))
                    }
                    _ => None,
                })
                .collect()
        }
        _ => {
            let from = a.required_text("field")?;
            let to = a.required_text("as")?;
            vec![(Sym::new(&from), Sym::new(&to))]
        }
    };
    Ok(map(move |e| {
        for (from, to) in &pairs {
            e.rename(*from, *to);
        }
    }))
}

fn regex_stage(a: &Args) -> Result<StageSpec> {
    let (p, f) = a
        .regex("regex", "m")
        .ok_or_else(|| a.err("missing `regex`"))?;
    let re = CompiledRegex::logscale(&p, &f)?;
    let field = in_field(a, "@rawstring");
    let strict = a.bool_or("strict", true)?;
    let repeat = a.bool_or("repeat", false)?;
    let limit = a.limit_or("limit", 100, 10_000)?;
    let negated = a.call.negated;
    Ok(stream(move |mut e| {
        let Some(v) = e.get(field) else {
            return if strict != negated {
                if negated { Out::One(e) } else { Out::Drop }
            } else {
                Out::One(e)
            };
        };
        if negated {
            return if re.is_match(v) {
                Out::Drop
            } else {
                Out::One(e)
            };
        }
        if repeat {
            let all = re.captures_all(v);
            if all.is_empty() {
                return if strict { Out::Drop } else { Out::One(e) };
            }
            let events = all
                .into_iter()
                .take(limit)
                .map(|groups| {
                    let mut x = e.clone();
                    for (k, v) in groups {
                        x.set(k, v);
                    }
                    x
                })
                .collect();
            return Out::Many(events);
        }
        match re.captures(v) {
            Some(groups) => {
                for (k, v) in groups {
                    e.set(k, v);
                }
                Out::One(e)
            }
            None if strict => Out::Drop,
            None => Out::One(e),
        }
    }))
}

/// `split(field=_events)`: one event per array element, the element in `field` and its index in
/// `_index`.
fn split(a: &Args) -> Result<StageSpec> {
    let field = a.text("field").unwrap_or_else(|| "_events".into());
    let base = field.strip_suffix("[]").unwrap_or(&field).to_owned();
    let strip = a.bool_or("strip", false)?;
    let base_sym = Sym::new(&base);
    let index_sym = Sym::new("_index");
    Ok(stream(move |e| {
        let prefix = format!("{base}[");
        let mut indices: Vec<usize> = e
            .iter()
            .filter_map(|(k, _)| {
                let rest = k.as_str().strip_prefix(prefix.as_str())?;
                rest.split(']').next()?.parse().ok()
            })
            .collect();
        indices.sort_unstable();
        indices.dedup();
        if indices.is_empty() {
            return Out::One(e);
        }
        let mut out = Vec::with_capacity(indices.len());
        for i in indices {
            let elem = format!("{base}[{i}]");
            let mut x = Event::new();
            for (k, v) in e.iter() {
                let ks = k.as_str();
                if ks.starts_with(prefix.as_str()) {
                    if let Some(rest) = ks.strip_prefix(elem.as_str()) {
                        let name = if rest.is_empty() {
                            base.clone()
                        } else if strip {
                            rest.trim_start_matches('.').to_owned()
                        } else {
                            format!("{base}{rest}")
                        };
                        x.set(Sym::new(&name), v);
                    }
                } else if k != base_sym {
                    x.set(k, v);
                }
            }
            x.set(index_sym, compact_str::format_compact!("{i}"));
            out.push(x);
        }
        Out::Many(out)
    }))
}

fn text_fn(
    field: Sym,
    out: Sym,
    f: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
) -> StageSpec {
    map(move |e| {
        if let Some(r) = e.get(field).and_then(&f) {
            e.set(out, r);
        }
    })
}

fn num_fn(
    field: Sym,
    out: Sym,
    f: impl Fn(f64) -> Option<f64> + Send + Sync + 'static,
) -> StageSpec {
    map(move |e| {
        if let Some(r) = e.number(field).and_then(&f).filter(|r| r.is_finite()) {
            e.set(out, format_number(r));
        }
    })
}

fn math(a: &Args, op: &str) -> Result<StageSpec> {
    let out_default = format!("_{op}");
    if op == "arctan2" {
        let y = Sym::new(&a.required_text("y")?);
        let x = Sym::new(&a.required_text("x")?);
        let out = out_field(a, "_arctan2");
        return Ok(map(move |e| {
            if let (Some(y), Some(x)) = (e.number(y), e.number(x)) {
                e.set(out, format_number(y.atan2(x)));
            }
        }));
    }
    let field = required_field(a)?;
    let out = out_field(a, &out_default);
    if op == "pow" || op == "mod" || op == "log" && a.has("base") {
        let pname = match op {
            "pow" => "exponent",
            "mod" => "divisor",
            _ => "base",
        };
        let param = a.required_text(pname)?;
        let literal = parse_number(&param);
        let param_field = Sym::new(&param);
        let op = op.to_owned();
        return Ok(map(move |e| {
            let Some(x) = e.number(field) else { return };
            let Some(p) = literal.or_else(|| e.number(param_field)) else {
                return;
            };
            let r = match op.as_str() {
                "pow" => x.powf(p),
                "mod" if p == 0.0 => return,
                "mod" => x - p * (x / p).floor(),
                _ => x.ln() / p.ln(),
            };
            if r.is_finite() {
                e.set(out, format_number(r));
            }
        }));
    }
    let f: fn(f64) -> f64 = match op {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "sqrt" => f64::sqrt,
        "cbrt" => f64::cbrt,
        "exp" => f64::exp,
        "expm1" => f64::exp_m1,
        "log" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "log1p" => f64::ln_1p,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "arcsin" | "asin" => f64::asin,
        "arccos" | "acos" => f64::acos,
        "arctan" | "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "deg2rad" => f64::to_radians,
        "rad2deg" => f64::to_degrees,
        "signum" => f64::signum,
        "rint" => f64::round_ties_even,
        _ => return Err(ExecError::Unsupported(format!("function math:{op}()"))),
    };
    Ok(num_fn(field, out, move |x| Some(f(x))))
}

fn bitfield(a: &Args, name: &str) -> Result<StageSpec> {
    let field = required_field(a)?;
    let pname = if name == "bitfield:extractflags" {
        "output"
    } else {
        "flagNames"
    };
    let flags: Vec<(u32, String)> = match a.raw(pname) {
        Some(ArgValue::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                ArgValue::Array(p) if p.len() == 2 => {
                    let bit = parse_number(&a.scalar(&p[0])?)? as u32;
                    Some((bit, a.scalar(&p[1])?))
                }
                _ => None,
            })
            .collect(),
        _ => return Err(a.err(format!("missing `{pname}`"))),
    };
    let only_true = a.bool_or("onlyTrue", false)?;
    let separator = a.text_or("separator", " ");
    let out = out_field(a, "_flags");
    let as_array = a.text("asArray").unwrap_or_else(|| "_flags[]".into());
    let kind = name.to_owned();
    Ok(map(move |e| {
        let Some(v) = e.get(field) else { return };
        let t = v.trim();
        let n = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u128::from_str_radix(h, 16).ok()
        } else {
            t.parse::<u128>().ok()
        };
        let Some(n) = n else { return };
        let set = |bit: u32| bit < 128 && n & (1u128 << bit) != 0;
        match kind.as_str() {
            "bitfield:extractflags" => {
                for (bit, flag) in &flags {
                    let on = set(*bit);
                    if on || !only_true {
                        e.set(Sym::new(flag), if on { "true" } else { "false" });
                    }
                }
            }
            "bitfield:extractflagsasstring" => {
                let names: Vec<&str> = flags
                    .iter()
                    .filter(|(b, _)| set(*b))
                    .map(|(_, f)| f.as_str())
                    .collect();
                e.set(out, names.join(&separator));
            }
            _ => {
                let base = as_array.strip_suffix("[]").unwrap_or(&as_array).to_owned();
                for (i, (_, f)) in flags.iter().filter(|(b, _)| set(*b)).enumerate() {
                    e.set(Sym::new(&format!("{base}[{i}]")), f.as_str());
                }
            }
        }
    }))
}

fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn base64_decode(s: &str, charset: &str) -> Option<String> {
    use base64::Engine;
    let t = s.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(t)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(t.trim_end_matches('='))
        })
        .or_else(|_| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.trim_end_matches('='))
        })
        .ok()?;
    Some(match charset {
        "UTF-16LE" | "UTF16LE" => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        "ISO-8859-1" | "LATIN1" => bytes.iter().map(|&b| b as char).collect(),
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    })
}

fn digest(algo: &str, data: &[u8]) -> String {
    use sha2::Digest;
    let bytes: Vec<u8> = match algo {
        "md5" => md5::Md5::digest(data).to_vec(),
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        _ => sha2::Sha256::digest(data).to_vec(),
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip() {
        assert_eq!(url_decode("a%20b+c%2Fd%zz"), "a b c/d%zz");
        assert_eq!(url_encode("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn shannon_entropy() {
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn base64_utf16() {
        // "hi" in UTF-16LE
        assert_eq!(base64_decode("aABpAA==", "UTF-16LE").as_deref(), Some("hi"));
        assert_eq!(base64_decode("aGk=", "UTF-8").as_deref(), Some("hi"));
    }
}

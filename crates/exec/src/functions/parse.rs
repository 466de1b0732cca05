//! Parsers and event sources: `kvParse`, `parseJson`, `parseUrl`, `parseCsv`, `createEvents`.

use saker_event::{Event, Sym};
use saker_plan::ArgValue;

use super::{agg, map};
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::{AggState, StageSpec};

pub(super) fn stage(_c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    Ok(Some(match name {
        "kvparse" => {
            let field = super::in_field(a, "@rawstring");
            let over = a.bool_or("override", false)?;
            let prefix = a
                .text("prefix")
                .or_else(|| a.text("as"))
                .unwrap_or_default();
            let sep = a.text_or("separator", "=");
            let exclude_empty = a.bool_or("excludeEmpty", false)?;
            map(move |e| {
                let Some(v) = e.get(field) else { return };
                let pairs = kv_pairs(v, &sep);
                for (k, val) in pairs {
                    if exclude_empty && val.is_empty() {
                        continue;
                    }
                    let sym = Sym::new(&format!("{prefix}{k}"));
                    if over || !e.contains(sym) {
                        e.set(sym, val);
                    }
                }
            })
        }
        "parsejson" => {
            let field = super::in_field(a, "@rawstring");
            let prefix = a.text_or("prefix", "");
            let exclude_empty = a.bool_or("excludeEmpty", false)?;
            let handle_null = a.text_or("handleNull", "keep").to_ascii_lowercase();
            let exclude = a.list("exclude");
            let include = a.list("include");
            map(move |e| {
                let Some(v) = e.get(field) else { return };
                let Ok(json) = serde_json::from_str::<serde_json::Value>(v.trim()) else {
                    return;
                };
                let mut out = Vec::new();
                flatten(&json, prefix.trim_end_matches('.').to_owned(), &mut out);
                for (k, v) in out {
                    let v = match v {
                        None if handle_null == "discard" => continue,
                        None if handle_null == "empty" => String::new(),
                        None => "null".to_owned(),
                        Some(v) => v,
                    };
                    if exclude_empty && v.is_empty() {
                        continue;
                    }
                    let excluded = exclude.iter().any(|p| path_prefix(p, &k))
                        && !include.iter().any(|p| path_prefix(p, &k));
                    if excluded {
                        continue;
                    }
                    e.set(Sym::new(&k), v);
                }
            })
        }
        "parseurl" | "parseuri" => {
            let field = super::in_field(a, "url");
            let prefix = a.text("as").unwrap_or_else(|| field.as_str().to_owned());
            let names: Vec<Sym> = URL_PARTS
                .iter()
                .map(|p| Sym::new(&format!("{prefix}.{p}")))
                .collect();
            map(move |e| {
                let Some(v) = e.get(field) else { return };
                let parts = url_parts(v);
                for (sym, part) in names.iter().zip(parts) {
                    if let Some(part) = part.filter(|p| !p.is_empty()) {
                        e.set(*sym, part);
                    }
                }
            })
        }
        "parsecsv" => {
            let field = super::in_field(a, "@rawstring");
            let columns: Vec<Sym> = a.list("columns").iter().map(|c| Sym::new(c)).collect();
            if columns.is_empty() {
                return Err(a.err("parseCsv() needs columns=[…]"));
            }
            let delim = a.text_or("delimiter", ",");
            let delim = delim.chars().next().unwrap_or(',');
            let exclude_empty = a.bool_or("excludeEmpty", false)?;
            let trim = a.bool_or("trim", false)?;
            map(move |e| {
                let Some(v) = e.get(field) else { return };
                let values = csv_values(v, delim);
                for (col, val) in columns.iter().zip(values) {
                    let val = if trim { val.trim().to_owned() } else { val };
                    if exclude_empty && val.is_empty() {
                        continue;
                    }
                    e.set(*col, val);
                }
            })
        }
        "createevents" => {
            let raws: Vec<String> = match a.raw("rawstring") {
                Some(ArgValue::Array(items)) => items.iter().filter_map(|v| a.scalar(v)).collect(),
                Some(v) => a.scalar(v).into_iter().collect(),
                None => return Err(a.err("missing events")),
            };
            StageSpec::Agg(agg(move || Emit {
                rows: raws
                    .iter()
                    .map(|r| {
                        let mut e = Event::new();
                        e.set(Sym::rawstring(), r.as_str());
                        e
                    })
                    .collect(),
            }))
        }
        _ => return Ok(None),
    }))
}

/// An aggregate that ignores its input and emits fixed rows (`createEvents`, `readFile`).
pub(super) struct Emit {
    pub rows: Vec<Event>,
}

impl AggState for Emit {
    fn add(&mut self, _e: &Event) {}
    fn finish(&mut self, out: &mut Vec<Event>) {
        out.append(&mut self.rows);
    }
}

/// `key=value` pairs; values may be quoted with `"` or `'`.
fn kv_pairs(s: &str, sep: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find(sep) {
        let before = &rest[..at];
        let key: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || "_.-@#[]".contains(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let after = &rest[at + sep.len()..];
        let (value, consumed) =
            if let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = &after[1..];
                match body.find(q) {
                    Some(end) => (body[..end].to_owned(), end + 2),
                    None => (body.to_owned(), after.len()),
                }
            } else {
                let end = after
                    .find(|c: char| c.is_whitespace() || c == ',' || c == ';')
                    .unwrap_or(after.len());
                (after[..end].to_owned(), end)
            };
        if !key.is_empty() {
            out.push((key, value));
        }
        rest = &after[consumed.min(after.len())..];
    }
    out
}

/// `parseJson`'s `exclude`/`include` match: the pattern is a prefix of the flattened name (`query`
/// also drops `queryString`, `a.b` drops `a.b.c`), and `[*]` stands for any array index.
fn path_prefix(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (pattern, name);
    loop {
        match p.find("[*]") {
            None => return n.starts_with(p),
            Some(at) => {
                let Some(rest) = n.strip_prefix(&p[..at]).and_then(|r| r.strip_prefix('[')) else {
                    return false;
                };
                let digits =
                    rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let Some(rest) = rest[digits..].strip_prefix(']').filter(|_| digits > 0) else {
                    return false;
                };
                p = &p[at + 3..];
                n = rest;
            }
        }
    }
}

/// Flattens JSON into `a.b`, `a[0]` names; `None` for JSON null.
pub(crate) fn flatten(
    v: &serde_json::Value,
    prefix: String,
    out: &mut Vec<(String, Option<String>)>,
) {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            for (k, x) in m {
                flatten(x, saker_event::path::join_key(&prefix, k), out);
            }
        }
        J::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(x, saker_event::path::join_index(&prefix, i), out);
            }
        }
        J::Null => out.push((prefix, None)),
        J::String(s) => out.push((prefix, Some(s.clone()))),
        J::Bool(b) => out.push((prefix, Some(b.to_string()))),
        J::Number(n) => out.push((prefix, Some(n.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_patterns() {
        assert!(path_prefix("a.b", "a.b.c"));
        assert!(path_prefix("query", "queryString"));
        assert!(path_prefix("a.b[*].c", "a.b[12].c"));
        assert!(!path_prefix("a.b[*].c", "a.b[1].d"));
        assert!(!path_prefix("a.b[*].c", "a.b[].c"));
        assert!(!path_prefix("x", "a.x"));
    }

    #[test]
    fn key_values() {
        let kv = kv_pairs("a=1 b=\"x y\" c=, d='q'", "=");
        assert_eq!(
            kv,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "".into()),
                ("d".into(), "q".into())
            ]
        );
    }
}

/// Output suffixes of `parseUrl()`, in the order [`url_parts`] returns them.
const URL_PARTS: [&str; 8] = [
    "scheme", "username", "password", "host", "port", "path", "query", "fragment",
];

/// Splits a URL into scheme, user, password, host, port, path, query and fragment.
fn url_parts(s: &str) -> [Option<String>; 8] {
    let s = s.trim();
    let (rest, fragment) = match s.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (s, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.split_once("://") {
        Some((sc, r))
            if !sc.is_empty()
                && sc
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (Some(sc), r)
        }
        _ => (None, rest),
    };
    let (authority, path) = if scheme.is_some() {
        match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        }
    } else {
        ("", Some(rest))
    };
    let (user_info, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (user, password) = match user_info.map(|u| u.split_once(':').unwrap_or((u, ""))) {
        Some((u, p)) => (Some(u), Some(p)),
        None => (None, None),
    };
    let (host, port) = if let Some(end) = host_port.strip_prefix('[').and_then(|h| h.find(']')) {
        let port = host_port[end + 2..].strip_prefix(':');
        (&host_port[1..end + 1], port)
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
            _ => (host_port, None),
        }
    };
    let own = |o: Option<&str>| o.map(str::to_owned);
    [
        own(scheme),
        own(user),
        own(password),
        own(Some(host)),
        own(port),
        own(path),
        own(query),
        own(fragment),
    ]
}

/// One CSV record: fields split on `delim`, `"…"` quoting with `""` as an escaped quote.
fn csv_values(s: &str, delim: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if cur.is_empty() => quoted = true,
            c if c == delim && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod url_csv_tests {
    use super::*;

    #[test]
    fn url_components() {
        let p = url_parts("https://u:pw@ex.com:8443/p/q?a=1#f");
        let got: Vec<_> = p.iter().map(|x| x.as_deref().unwrap_or("-")).collect();
        assert_eq!(
            got,
            ["https", "u", "pw", "ex.com", "8443", "/p/q", "a=1", "f"]
        );
        let p = url_parts("http://[::1]:80/");
        assert_eq!(p[3].as_deref(), Some("::1"));
        assert_eq!(p[4].as_deref(), Some("80"));
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(csv_values(r#"x,"y,z",w"#, ','), ["x", "y,z", "w"]);
        assert_eq!(csv_values(r#""a""b",,c"#, ','), ["a\"b", "", "c"]);
    }
}

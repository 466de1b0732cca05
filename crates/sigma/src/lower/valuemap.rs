//! Value rewriting for targets that store a Sigma field's value differently (NT device paths,
//! file names only, numeric codes, one field per hash algorithm). A value that cannot be
//! rewritten without changing what it matches is refused with the field named.

use super::Leaf;
use crate::builtin::{NameTable, ValueMap};
use crate::value::{Part, SigmaString};

/// Leaves rewritten for the target, and the ways the rewrite matches more than the rule.
pub(super) struct Mapped {
    pub leaves: Vec<Leaf>,
    pub widened: Vec<String>,
}

/// The field being mapped: its Sigma name and the target field(s) it is renamed to.
pub(super) struct FieldNames<'a> {
    pub sigma: &'a str,
    pub target: &'a [String],
}

impl FieldNames<'_> {
    fn target(&self) -> String {
        if self.target.is_empty() {
            format!("`{}`", self.sigma)
        } else {
            self.target
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" / ")
        }
    }
}

pub(super) fn map_leaves(
    map: &ValueMap,
    names: &FieldNames,
    leaves: Vec<Leaf>,
    case_insensitive: bool,
) -> Result<Mapped, String> {
    let mut out = Mapped {
        leaves: Vec::with_capacity(leaves.len()),
        widened: Vec::new(),
    };
    for leaf in leaves {
        match map {
            ValueMap::DevicePath => out.leaves.push(match &leaf {
                Leaf::Str(s) => device_path(s, case_insensitive).unwrap_or(leaf),
                _ => leaf,
            }),
            ValueMap::FileName { separator } => {
                out.leaves
                    .push(file_name(leaf, *separator, names, &mut out.widened)?);
            }
            ValueMap::Names(table) => out.leaves.extend(named(leaf, table, names)?),
            ValueMap::Hashes(table) => out.leaves.push(hashes(leaf, table, names)?),
            ValueMap::IpFamily { v4, v6 } => out.leaves.push(ip_family(leaf, v4, v6)),
        }
    }
    Ok(out)
}

/// The value as written in a rule (wildcards `*` `?`, literal ones escaped).
pub(super) fn sigma_text(s: &SigmaString) -> String {
    let mut out = String::new();
    for p in &s.parts {
        match p {
            Part::Lit(l) => {
                for c in l.chars() {
                    if matches!(c, '*' | '?') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Part::AnyRun => out.push('*'),
            Part::AnyChar => out.push('?'),
        }
    }
    out
}

const DEVICE_VOLUME: &str = r"\\Device\\HarddiskVolume[0-9]+\\";

/// `C:\…` (any drive letter, also `?:\…` and `*:\…`) → a regex on `\Device\HarddiskVolumeN\…`.
/// `None`: the value names no drive and is kept as it is.
fn device_path(s: &SigmaString, case_insensitive: bool) -> Option<Leaf> {
    let parts = &s.parts;
    let (i, pos) = parts.iter().enumerate().find_map(|(i, p)| match p {
        Part::Lit(l) => l.find(":\\").map(|pos| (i, pos)),
        _ => None,
    })?;
    let Part::Lit(lit) = &parts[i] else {
        return None;
    };
    let before = &lit[..pos];
    let prev = i.checked_sub(1).map(|j| &parts[j]);
    let mut keep_before = i;
    match (before.len(), before.chars().next()) {
        // `*:\…`: the wildcard stands for the drive; `?:\…`: the one character is the drive.
        (0, _) => match prev {
            Some(Part::AnyRun) => {}
            Some(Part::AnyChar) => keep_before = i - 1,
            _ => return None,
        },
        (1, Some(c)) if c.is_ascii_alphabetic() && matches!(prev, None | Some(Part::AnyRun)) => {}
        _ => return None,
    }
    let lead_any = parts.first() == Some(&Part::AnyRun);
    let trail_any = parts.len() > 1 && parts.last() == Some(&Part::AnyRun);
    let mut pattern = String::new();
    let mut wild = false;
    if !lead_any {
        pattern.push('^');
    }
    let mut piece = |p: &Part, pattern: &mut String| match p {
        Part::Lit(l) => pattern.push_str(&regex::escape(l)),
        Part::AnyRun => {
            wild = true;
            pattern.push_str(".*");
        }
        Part::AnyChar => {
            wild = true;
            pattern.push('.');
        }
    };
    for p in &parts[usize::from(lead_any)..keep_before] {
        piece(p, &mut pattern);
    }
    pattern.push_str(DEVICE_VOLUME);
    pattern.push_str(&regex::escape(&lit[pos + 2..]));
    let end = parts.len() - usize::from(trail_any);
    for p in parts.get(i + 1..end).unwrap_or_default() {
        piece(p, &mut pattern);
    }
    if !trail_any {
        pattern.push('$');
    }
    let mut flags = String::new();
    if case_insensitive {
        flags.push('i');
    }
    if wild {
        flags.push('s');
    }
    Some(Leaf::Regex(pattern, flags))
}

/// A test on a full path, rewritten for a field holding only the file name.
fn file_name(
    leaf: Leaf,
    sep: char,
    names: &FieldNames,
    widened: &mut Vec<String>,
) -> Result<Leaf, String> {
    let field = names.sigma;
    let target = names.target();
    let s = match leaf {
        Leaf::Str(s) => s,
        Leaf::Regex(p, _) => {
            return Err(format!(
                "`{field}|re` (`{p}`) matches the whole path, but Falcon's {target} holds only the file name"
            ));
        }
        Leaf::FieldRef(_) => {
            return Err(format!(
                "`{field}|fieldref` compares a whole path, but Falcon's {target} holds only the file name"
            ));
        }
        other => return Ok(other),
    };
    let text = sigma_text(&s);
    let last_sep = s.parts.iter().enumerate().rev().find_map(|(i, p)| match p {
        Part::Lit(l) => l.rfind(sep).map(|pos| (i, pos)),
        _ => None,
    });
    let Some((i, pos)) = last_sep else {
        // No directory in the value: a whole-value or ends-with test reads the same on the file
        // name; any other shape could also match inside a directory name.
        return match s.parts.as_slice() {
            [Part::Lit(_)] | [Part::AnyRun, Part::Lit(_)] | [] => Ok(Leaf::Str(s)),
            _ => Err(format!(
                "`{field}` value `{text}` can match inside a directory of the path, but Falcon's {target} holds only the file name"
            )),
        };
    };
    let Part::Lit(lit) = &s.parts[i] else {
        return Err(format!("`{field}` value `{text}`: internal mapping error"));
    };
    let name = &lit[pos + sep.len_utf8()..];
    if i + 1 != s.parts.len() || name.is_empty() {
        return Err(format!(
            "`{field}` value `{text}` does not end in a file name, but Falcon's {target} holds only the file name"
        ));
    }
    let dir_literal = lit[..pos].to_owned();
    let prefix = &s.parts[..i];
    let exact = prefix == [Part::AnyRun] && dir_literal.is_empty();
    let full_path = prefix.is_empty();
    if exact {
        return Ok(Leaf::Str(SigmaString::literal(name)));
    }
    if full_path {
        widened.push(format!(
            "`{field}` value `{text}` is matched on the file name `{name}` in any directory (Falcon's {target} holds only the file name)"
        ));
        return Ok(Leaf::Str(SigmaString::literal(name)));
    }
    Err(format!(
        "`{field}` value `{text}` names directories, but Falcon's {target} holds only the file name"
    ))
}

/// A name → the target's values for it.
fn named(leaf: Leaf, table: &NameTable, names: &FieldNames) -> Result<Vec<Leaf>, String> {
    let field = names.sigma;
    let target = names.target();
    match leaf {
        Leaf::Str(s) => {
            let text = sigma_text(&s);
            let Some(plain) = s.as_plain() else {
                return Err(format!(
                    "`{field}` value `{text}` has wildcards, but Falcon's {target} holds codes for each {} ({})",
                    table.what,
                    table.names()
                ));
            };
            let values = table.lookup(&plain).ok_or_else(|| {
                format!(
                    "`{field}` value `{text}` is not a {} Falcon's {target} has a code for (one of {})",
                    table.what,
                    table.names()
                )
            })?;
            Ok(values
                .iter()
                .map(|v| Leaf::Str(SigmaString::literal(v)))
                .collect())
        }
        Leaf::Regex(p, _) => Err(format!(
            "`{field}|re` (`{p}`) cannot be rewritten to the codes Falcon's {target} holds"
        )),
        other => Ok(vec![other]),
    }
}

/// `ALGO=hex` in Sysmon's `Hashes` → a test on the target's field for that algorithm.
fn hashes(leaf: Leaf, table: &[(&str, Option<&str>)], names: &FieldNames) -> Result<Leaf, String> {
    let field = names.sigma;
    let s = match leaf {
        Leaf::Str(s) => s,
        Leaf::Null | Leaf::Exists(_) => return Ok(leaf),
        _ => {
            return Err(format!(
                "`{field}` is only mapped to Falcon for `ALGO=hex` values"
            ));
        }
    };
    let text = sigma_text(&s);
    let (lit, trail) = match s.parts.as_slice() {
        [Part::Lit(l)] | [Part::AnyRun, Part::Lit(l)] => (l, false),
        [Part::Lit(l), Part::AnyRun] | [Part::AnyRun, Part::Lit(l), Part::AnyRun] => (l, true),
        _ => {
            return Err(format!(
                "`{field}` value `{text}` is not one `ALGO=hex` item, the only form mapped to Falcon's hash fields"
            ));
        }
    };
    let Some((algo, hex)) = lit.split_once('=') else {
        return Err(format!(
            "`{field}` value `{text}` names no hash algorithm (`ALGO=hex`)"
        ));
    };
    let Some((_, target)) = table.iter().find(|(a, _)| a.eq_ignore_ascii_case(algo)) else {
        return Err(format!(
            "`{field}` value `{text}`: Falcon has no field for the {algo} hash"
        ));
    };
    let Some(target) = target else {
        return Err(format!(
            "`{field}` value `{text}`: Falcon has no reliable field for the {algo} hash"
        ));
    };
    let full = match algo.to_ascii_uppercase().as_str() {
        "MD5" | "IMPHASH" => 32,
        "SHA1" => 40,
        "SHA256" => 64,
        _ => usize::MAX,
    };
    let value = if hex.len() == full {
        SigmaString::literal(hex)
    } else if trail {
        // `MD5=abc` inside the list: the MD5 starts with `abc`.
        let mut v = SigmaString::literal(hex);
        v.append_any();
        v
    } else {
        return Err(format!(
            "`{field}` value `{text}` ends with a partial hash, which has no Falcon equivalent"
        ));
    };
    Ok(Leaf::OnField(
        (*target).to_owned(),
        Box::new(Leaf::Str(value)),
    ))
}

/// A whole address or a network goes to the field of its family; anything else stays on both.
fn ip_family(leaf: Leaf, v4: &str, v6: &str) -> Leaf {
    let family = |text: &str| {
        let addr = text.split('/').next().unwrap_or(text).trim();
        match addr.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => Some(v4),
            Ok(std::net::IpAddr::V6(_)) => Some(v6),
            Err(_) => None,
        }
    };
    let field = match &leaf {
        Leaf::Str(s) => s.as_plain().and_then(|p| family(&p)),
        Leaf::Cidr(net) => family(net),
        _ => None,
    };
    match field {
        Some(f) => Leaf::OnField(f.to_owned(), Box::new(leaf)),
        None => leaf,
    }
}

//! Detection → plan predicate: modifiers applied to values, searches combined by the condition.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use saker_diag::{Diagnostic, Kind};
use saker_plan::{BinaryOp, CmpOp, Expr, Matcher, Predicate, RegexDialect};

use crate::builtin::{FALCON_REGISTRY_PATH, ValueMap};
use crate::codes;
use crate::condition::{Cond, glob_match};
use crate::modifier::{self, Modifier, Val};
use crate::rule::{Detection, Item, RawValue, Search};
use crate::value::{Part, SigmaString};

/// Placeholder values for `|expand` (`%name%` → values).
pub type Placeholders = HashMap<String, Vec<String>>;

/// Everything lowering needs besides the detection.
pub struct LowerCtx<'a> {
    /// Sigma field name → target field names (several are alternatives).
    pub map_field: &'a dyn Fn(&str) -> Vec<String>,
    /// Sigma field name → how the target stores its values, when it differs.
    pub value_map: &'a dyn Fn(&str) -> Option<ValueMap>,
    pub placeholders: &'a Placeholders,
    /// Warnings collected while lowering (values matched less precisely by the target).
    pub notes: &'a RefCell<Vec<Diagnostic>>,
}

fn err(code: &'static str, msg: impl Into<String>, span: Range<usize>) -> Diagnostic {
    Diagnostic::error(Kind::Semantic, code, msg, span)
}

pub fn lower_detection(det: &Detection, ctx: &LowerCtx) -> Result<Predicate, Diagnostic> {
    let mut lowered: Vec<(&str, Predicate)> = Vec::with_capacity(det.searches.len());
    for s in &det.searches {
        lowered.push((&s.name, lower_search(s, ctx)?));
    }
    let alternatives: Vec<Predicate> = det
        .conditions
        .iter()
        .map(|c| lower_cond(c, &lowered))
        .collect();
    Ok(or(alternatives))
}

fn lower_cond(c: &Cond, searches: &[(&str, Predicate)]) -> Predicate {
    let matching = |pattern: &str| -> Vec<Predicate> {
        searches
            .iter()
            .filter(|(name, _)| {
                if pattern == "them" {
                    !name.starts_with('_')
                } else {
                    glob_match(pattern, name)
                }
            })
            .map(|(_, p)| p.clone())
            .collect()
    };
    match c {
        Cond::Ident(name) => searches
            .iter()
            .find(|(n, _)| n == name)
            .map_or(Predicate::False, |(_, p)| p.clone()),
        Cond::And(v) => and(v.iter().map(|c| lower_cond(c, searches)).collect()),
        Cond::Or(v) => or(v.iter().map(|c| lower_cond(c, searches)).collect()),
        Cond::Not(c) => lower_cond(c, searches).negate(),
        Cond::OneOf(p) => or(matching(p)),
        Cond::AllOf(p) => and(matching(p)),
    }
}

/// Alternatives of conditions as one condition.
pub fn or_cond(mut v: Vec<Cond>) -> Cond {
    if v.len() == 1 {
        v.remove(0)
    } else {
        Cond::Or(v)
    }
}

pub fn and(mut v: Vec<Predicate>) -> Predicate {
    if v.contains(&Predicate::False) {
        return Predicate::False;
    }
    v.retain(|p| *p != Predicate::True);
    match v.len() {
        0 => Predicate::True,
        1 => v.remove(0),
        _ => Predicate::And(v),
    }
}

pub fn or(mut v: Vec<Predicate>) -> Predicate {
    if v.contains(&Predicate::True) {
        return Predicate::True;
    }
    v.retain(|p| *p != Predicate::False);
    match v.len() {
        0 => Predicate::False,
        1 => v.remove(0),
        _ => Predicate::Or(v),
    }
}

fn lower_search(s: &Search, ctx: &LowerCtx) -> Result<Predicate, Diagnostic> {
    let mut groups = Vec::with_capacity(s.groups.len());
    for g in &s.groups {
        let mut items = Vec::with_capacity(g.len());
        for it in g {
            items.push(lower_item(it, ctx)?);
        }
        groups.push(and(items));
    }
    Ok(or(groups))
}

/// The modifiers of an item, sorted into what they do.
#[derive(Default)]
struct Mods {
    all: bool,
    cased: bool,
    neq: bool,
    re: bool,
    re_flags: String,
    cidr: bool,
    exists: bool,
    expand: bool,
    fieldref: bool,
    compare: Option<CmpOp>,
    /// Value transformations in the order written.
    transforms: Vec<Modifier>,
}

fn sort_modifiers(item: &Item) -> Result<Mods, Diagnostic> {
    let mut m = Mods::default();
    let bad = |msg: String| err(codes::MODIFIER, msg, item.span.clone());
    for &md in &item.modifiers {
        match md {
            Modifier::All => m.all = true,
            Modifier::Cased => m.cased = true,
            Modifier::Neq => m.neq = true,
            Modifier::Re => m.re = true,
            Modifier::ReIgnoreCase => m.re_flags.push('i'),
            Modifier::ReMultiline => m.re_flags.push('m'),
            Modifier::ReDotAll => m.re_flags.push('s'),
            Modifier::Cidr => m.cidr = true,
            Modifier::Exists => m.exists = true,
            Modifier::Expand => m.expand = true,
            Modifier::FieldRef => m.fieldref = true,
            Modifier::Gt => m.compare = Some(CmpOp::Gt),
            Modifier::Gte => m.compare = Some(CmpOp::Ge),
            Modifier::Lt => m.compare = Some(CmpOp::Lt),
            Modifier::Lte => m.compare = Some(CmpOp::Le),
            other => m.transforms.push(other),
        }
    }
    if !m.re_flags.is_empty() && !m.re {
        return Err(bad("the regex flags `i`, `m` and `s` need `re`".into()));
    }
    let specials = [m.re, m.cidr, m.exists, m.fieldref, m.compare.is_some()];
    if specials.iter().filter(|b| **b).count() > 1 {
        return Err(bad(
            "`re`, `cidr`, `exists`, `fieldref` and `gt`/`gte`/`lt`/`lte` cannot be combined"
                .into(),
        ));
    }
    if specials.iter().any(|b| *b) && !m.transforms.is_empty() {
        let names: Vec<String> = m
            .transforms
            .iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect();
        return Err(bad(format!(
            "{} cannot be combined with {}",
            names.join(", "),
            if m.re {
                "`re`"
            } else if m.cidr {
                "`cidr`"
            } else if m.exists {
                "`exists`"
            } else if m.fieldref {
                "`fieldref`"
            } else {
                "a numeric comparison"
            }
        )));
    }
    Ok(m)
}

fn lower_item(item: &Item, ctx: &LowerCtx) -> Result<Predicate, Diagnostic> {
    let m = sort_modifiers(item)?;
    let span = item.span.clone();
    if item.values.is_empty() {
        return Err(err(
            codes::VALUE,
            "an empty list of values matches nothing",
            span,
        ));
    }
    let fields: Option<Vec<String>> = item.field.as_deref().map(|f| (ctx.map_field)(f));
    if fields.is_none() && (m.exists || m.fieldref || m.cidr || m.compare.is_some()) {
        return Err(err(
            codes::MODIFIER,
            "`exists`, `fieldref`, `cidr` and numeric comparisons need a field name",
            span,
        ));
    }

    // Each value gives a predicate builder over one field (or free text).
    let mut per_value: Vec<Vec<Leaf>> = Vec::with_capacity(item.values.len());
    for v in &item.values {
        per_value.push(value_leaves(v, &m, item, ctx)?);
    }
    if let Some(cmp_values) = per_value.iter().flatten().find_map(|l| match l {
        Leaf::Regex(p, f) => Some((p, f)),
        _ => None,
    }) {
        let (pattern, flags) = cmp_values;
        check_regex(pattern, flags, &span)?;
    }

    let build = |field: Option<&str>| -> Predicate {
        let value_preds: Vec<Predicate> = per_value
            .iter()
            .map(|leaves| {
                or(leaves
                    .iter()
                    .map(|l| l.to_predicate(field, !m.cased))
                    .collect())
            })
            .collect();
        // Plain values on one field: one `AnyOf` test (cheaper than an OR chain).
        if !m.all && field.is_some() {
            let flat: Vec<Predicate> = per_value
                .iter()
                .flatten()
                .map(|l| l.to_predicate(field, !m.cased))
                .collect();
            if flat.len() > 1
                && let Some((name, values)) = plain_equals(&flat)
            {
                return Predicate::Field {
                    field: name,
                    matcher: Matcher::AnyOf {
                        values,
                        glob: false,
                        case_insensitive: !m.cased,
                    },
                };
            }
        }
        if m.all {
            and(value_preds)
        } else {
            or(value_preds)
        }
    };
    let pred = match &fields {
        None => build(None),
        Some(names) => or(names.iter().map(|f| build(Some(f))).collect()),
    };
    Ok(if m.neq { pred.negate() } else { pred })
}

/// The field and values when every predicate is a plain whole-value test on the same field.
fn plain_equals(preds: &[Predicate]) -> Option<(String, Vec<String>)> {
    let mut name: Option<&str> = None;
    let mut values = Vec::with_capacity(preds.len());
    for p in preds {
        let (field, value) = match p {
            Predicate::Field {
                field,
                matcher: Matcher::Equals { value, .. },
            } => (field, value),
            Predicate::Field {
                field,
                matcher:
                    Matcher::AnyOf {
                        values,
                        glob: false,
                        ..
                    },
            } if values.len() == 1 => (field, values.first()?),
            _ => return None,
        };
        if name.is_some_and(|n| n != field) {
            return None;
        }
        name = Some(field);
        values.push(value.clone());
    }
    Some((name?.to_owned(), values))
}

/// One test on one value, before it is bound to a field.
#[derive(Clone, Debug)]
pub(crate) enum Leaf {
    Str(SigmaString),
    Null,
    Exists(bool),
    Compare(CmpOp, f64),
    Cidr(String),
    Regex(String, String),
    FieldRef(String),
    /// The test applies to this target field instead of the item's (a value mapping moved it).
    OnField(String, Box<Leaf>),
}

impl Leaf {
    fn to_predicate(&self, field: Option<&str>, ci: bool) -> Predicate {
        let Some(field) = field else {
            // Keyword search: the value is looked for in the whole event.
            return match self {
                Leaf::Str(s) => Predicate::FreeText(s.to_matcher(ci)),
                Leaf::Regex(p, f) => Predicate::FreeText(Matcher::Regex {
                    pattern: p.clone(),
                    flags: f.clone(),
                    dialect: RegexDialect::Sigma,
                }),
                _ => Predicate::False,
            };
        };
        if let Leaf::OnField(other, inner) = self {
            return inner.to_predicate(Some(other), ci);
        }
        if field == FALCON_REGISTRY_PATH {
            return falcon_registry(self, ci);
        }
        let f = |matcher| Predicate::field(field, matcher);
        match self {
            Leaf::Str(s) => f(s.to_matcher(ci)),
            Leaf::Null => or(vec![
                f(Matcher::Absent),
                f(Matcher::Equals {
                    value: String::new(),
                    case_insensitive: false,
                }),
            ]),
            Leaf::Exists(true) => f(Matcher::Exists),
            Leaf::Exists(false) => f(Matcher::Absent),
            Leaf::Compare(op, v) => f(Matcher::Compare { op: *op, value: *v }),
            Leaf::Cidr(net) => f(Matcher::Cidr {
                subnets: vec![net.clone()],
            }),
            Leaf::Regex(p, fl) => f(Matcher::Regex {
                pattern: p.clone(),
                flags: fl.clone(),
                dialect: RegexDialect::Sigma,
            }),
            Leaf::FieldRef(other) => Predicate::Expr(Expr::Binary(
                BinaryOp::Eq,
                Box::new(Expr::Field(field.to_owned())),
                Box::new(Expr::Field(other.clone())),
            )),
            Leaf::OnField(other, inner) => inner.to_predicate(Some(other), ci),
        }
    }
}

fn value_leaves(
    v: &RawValue,
    m: &Mods,
    item: &Item,
    ctx: &LowerCtx,
) -> Result<Vec<Leaf>, Diagnostic> {
    let span = item.span.clone();
    let text = match v {
        RawValue::Null => {
            if m.exists || m.compare.is_some() || m.cidr || m.re || m.fieldref {
                return Err(err(
                    codes::VALUE,
                    "null cannot be used with this modifier",
                    span,
                ));
            }
            if item.field.is_none() {
                return Err(err(codes::VALUE, "a keyword cannot be null", span));
            }
            return Ok(vec![Leaf::Null]);
        }
        RawValue::Str(s) | RawValue::Literal(s) => s.clone(),
    };
    if m.exists {
        return match text.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(vec![Leaf::Exists(true)]),
            "false" | "no" => Ok(vec![Leaf::Exists(false)]),
            _ => Err(err(
                codes::VALUE,
                format!("`exists` takes true or false, not `{text}`"),
                span,
            )),
        };
    }
    if let Some(op) = m.compare {
        let n: f64 = text.trim().parse().map_err(|_| {
            err(
                codes::VALUE,
                format!("a numeric comparison needs a number, not `{text}`"),
                span.clone(),
            )
        })?;
        return Ok(vec![Leaf::Compare(op, n)]);
    }
    if m.cidr {
        if !valid_cidr(&text) {
            return Err(err(
                codes::VALUE,
                format!("`{text}` is not an IP network (a.b.c.d/n or IPv6/n)"),
                span,
            ));
        }
        return Ok(vec![Leaf::Cidr(text)]);
    }
    if m.re {
        return Ok(vec![Leaf::Regex(text, m.re_flags.clone())]);
    }
    if m.fieldref {
        return Ok((ctx.map_field)(&text)
            .into_iter()
            .map(Leaf::FieldRef)
            .collect());
    }

    let start = match v {
        RawValue::Literal(_) => SigmaString::literal(&text),
        _ => SigmaString::parse(&text),
    };
    let mut strings = vec![start];
    if m.expand {
        let mut out = Vec::new();
        for s in &strings {
            let expanded = modifier::expand_placeholders(s, &|name| ctx.placeholders.get(name).cloned())
                .map_err(|name| {
                    err(
                        codes::PLACEHOLDER,
                        format!("placeholder `%{name}%` has no value"),
                        span.clone(),
                    )
                    .with_help("give placeholder values with --placeholders FILE (a YAML mapping of name to list)")
                })?;
            out.extend(expanded);
        }
        strings = out;
    }
    let mut vals: Vec<Val> = strings.into_iter().map(Val::Str).collect();
    let keyword = item.field.is_none();
    let mut anchored_by_modifier = false;
    for t in &m.transforms {
        vals = apply_transform(*t, vals, &span)?;
        anchored_by_modifier |= matches!(
            t,
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith
        );
    }
    let mut leaves = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Val::Str(mut s) => {
                if keyword && !anchored_by_modifier {
                    // A keyword is found anywhere in the event.
                    s.prepend_any();
                    s.append_any();
                }
                leaves.push(Leaf::Str(s));
            }
            Val::Bytes(_) => {
                return Err(err(
                    codes::MODIFIER,
                    "a UTF-16 encoded value must be base64-encoded (`|base64` or `|base64offset`) to be matched",
                    span,
                ));
            }
        }
    }
    map_values(leaves, m, item, ctx)
}

/// Rewrites the leaves of a field whose values the target stores differently.
fn map_values(
    leaves: Vec<Leaf>,
    m: &Mods,
    item: &Item,
    ctx: &LowerCtx,
) -> Result<Vec<Leaf>, Diagnostic> {
    let Some(field) = item.field.as_deref() else {
        return Ok(leaves);
    };
    let Some(map) = (ctx.value_map)(field) else {
        return Ok(leaves);
    };
    let target = (ctx.map_field)(field);
    let names = valuemap::FieldNames {
        sigma: field,
        target: &target,
    };
    let mapped = valuemap::map_leaves(&map, &names, leaves, !m.cased)
        .map_err(|msg| err(codes::MAPPING, msg, item.span.clone()))?;
    ctx.notes
        .borrow_mut()
        .extend(mapped.widened.into_iter().map(|msg| {
            Diagnostic::warning(Kind::Lint, codes::MAPPING_WIDENED, msg, item.span.clone())
        }));
    Ok(mapped.leaves)
}

fn apply_transform(
    t: Modifier,
    vals: Vec<Val>,
    span: &Range<usize>,
) -> Result<Vec<Val>, Diagnostic> {
    let plain = |v: &Val| -> Result<Vec<u8>, Diagnostic> {
        match v {
            Val::Bytes(b) => Ok(b.clone()),
            Val::Str(s) => s.as_plain().map(String::into_bytes).ok_or_else(|| {
                err(
                    codes::MODIFIER,
                    "a value with wildcards cannot be encoded (base64, utf16)",
                    span.clone(),
                )
            }),
        }
    };
    let mut out = Vec::with_capacity(vals.len());
    for v in vals {
        match t {
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith => {
                let Val::Str(mut s) = v else {
                    return Err(err(
                        codes::MODIFIER,
                        "contains/startswith/endswith apply to text; put them after base64",
                        span.clone(),
                    ));
                };
                if t != Modifier::StartsWith {
                    s.prepend_any();
                }
                if t != Modifier::EndsWith {
                    s.append_any();
                }
                out.push(Val::Str(s));
            }
            Modifier::Windash => match v {
                Val::Str(s) => out.extend(modifier::windash(&s).into_iter().map(Val::Str)),
                Val::Bytes(_) => {
                    return Err(err(
                        codes::MODIFIER,
                        "windash applies before encodings",
                        span.clone(),
                    ));
                }
            },
            Modifier::Utf16Le | Modifier::Wide | Modifier::Utf16Be | Modifier::Utf16 => {
                let bytes = plain(&v)?;
                let text = String::from_utf8_lossy(&bytes);
                out.push(Val::Bytes(modifier::utf16(
                    &text,
                    t == Modifier::Utf16Be,
                    t == Modifier::Utf16,
                )));
            }
            Modifier::Base64 => {
                out.push(Val::Str(SigmaString::literal(&modifier::base64(&plain(
                    &v,
                )?))));
            }
            Modifier::Base64Offset => {
                out.extend(
                    modifier::base64_offsets(&plain(&v)?)
                        .into_iter()
                        .map(|s| Val::Str(SigmaString::literal(&s))),
                );
            }
            other => {
                return Err(err(
                    codes::MODIFIER,
                    format!("modifier {other:?} is not a value transformation"),
                    span.clone(),
                ));
            }
        }
    }
    Ok(out)
}

/// Checks the syntax only, with the regex crate's own parser and defaults: building the matcher
/// is left to the engine that runs the rule (it is costly, and this check ran for every regex of
/// every rule loaded).
fn check_regex(pattern: &str, flags: &str, span: &Range<usize>) -> Result<(), Diagnostic> {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .build()
        .parse(pattern)
        .map(|_| ())
        .map_err(|e| {
            let detail = e.to_string();
            let lookaround = ["(?=", "(?!", "(?<=", "(?<!"].iter().any(|l| pattern.contains(l));
            err(
                codes::REGEX,
                if lookaround {
                    "unsupported regex: lookahead/lookbehind (the regex engine is linear-time and has no lookaround)".to_owned()
                } else {
                    format!("invalid regex: {}", detail.lines().last().unwrap_or(&detail))
                },
                span.clone(),
            )
        })
}

fn valid_cidr(text: &str) -> bool {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let Ok(ip) = addr.trim().parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.is_none_or(|b| b.trim().parse::<u8>().is_ok_and(|n| n <= max))
}

/// Falcon keeps a registry key and value name apart and spells hives as `\REGISTRY\…`:
/// a Sigma `TargetObject` test becomes tests on `RegObjectName` / `RegValueName`.
fn falcon_registry(leaf: &Leaf, ci: bool) -> Predicate {
    let Leaf::Str(s) = leaf else {
        return leaf.to_predicate(Some("RegObjectName"), ci);
    };
    let s = normalise_hive(s);
    let key = |m| Predicate::field("RegObjectName", m);
    // The value name is the text after the last backslash of a literal ending the pattern.
    if let Some(Part::Lit(last)) = s.parts.last()
        && let Some(pos) = last.rfind('\\')
    {
        let value_name = &last[pos + 1..];
        let mut key_part = SigmaString {
            parts: s.parts[..s.parts.len() - 1].to_vec(),
        };
        if !last[..pos].is_empty() {
            key_part.parts.push(Part::Lit(last[..pos].to_owned()));
        }
        let name_match = SigmaString::literal(value_name).to_matcher(ci);
        // Either the last component is a value name, or the whole pattern names a key.
        return or(vec![
            and(vec![
                key(key_part.to_matcher(ci)),
                Predicate::field("RegValueName", name_match),
            ]),
            key(s.to_matcher(ci)),
        ]);
    }
    or(vec![
        key(s.to_matcher(ci)),
        Predicate::field("RegValueName", s.to_matcher(ci)),
    ])
}

fn normalise_hive(s: &SigmaString) -> SigmaString {
    let Some(Part::Lit(first)) = s.parts.first() else {
        return s.clone();
    };
    let upper = first.to_ascii_uppercase();
    const HIVES: [(&str, &str); 6] = [
        ("HKLM\\", "\\REGISTRY\\MACHINE\\"),
        ("HKEY_LOCAL_MACHINE\\", "\\REGISTRY\\MACHINE\\"),
        ("HKU\\", "\\REGISTRY\\USER\\"),
        ("HKEY_USERS\\", "\\REGISTRY\\USER\\"),
        ("HKCU\\", "\\REGISTRY\\USER\\*\\"),
        ("HKEY_CURRENT_USER\\", "\\REGISTRY\\USER\\*\\"),
    ];
    for (short, long) in HIVES {
        if upper.starts_with(short) {
            let rest = SigmaString::parse(&format!("{long}{}", &first[short.len()..]));
            let mut parts = rest.parts;
            parts.extend(s.parts[1..].iter().cloned());
            return SigmaString { parts };
        }
    }
    s.clone()
}

#[cfg(test)]
mod tests;
mod valuemap;

//! Value modifiers (`field|contains|all: …`) and the value encodings they apply.

use crate::value::{Part, SigmaString};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    /// `utf16`: little-endian with a byte-order mark.
    Utf16,
    /// `wide`: an alias of `utf16le`.
    Wide,
    Windash,
    Re,
    /// Regex flags `i` / `m` / `s` (also `ignorecase`, `multiline`, `dotall`).
    ReIgnoreCase,
    ReMultiline,
    ReDotAll,
    Cidr,
    Exists,
    Expand,
    FieldRef,
    Gt,
    Gte,
    Lt,
    Lte,
    Cased,
    Neq,
}

impl Modifier {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "contains" => Self::Contains,
            "startswith" => Self::StartsWith,
            "endswith" => Self::EndsWith,
            "all" => Self::All,
            "base64" => Self::Base64,
            "base64offset" => Self::Base64Offset,
            "utf16le" => Self::Utf16Le,
            "utf16be" => Self::Utf16Be,
            "utf16" => Self::Utf16,
            "wide" => Self::Wide,
            "windash" => Self::Windash,
            "re" => Self::Re,
            "i" | "ignorecase" => Self::ReIgnoreCase,
            "m" | "multiline" => Self::ReMultiline,
            "s" | "dotall" => Self::ReDotAll,
            "cidr" => Self::Cidr,
            "exists" => Self::Exists,
            "expand" => Self::Expand,
            "fieldref" => Self::FieldRef,
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "cased" => Self::Cased,
            "neq" => Self::Neq,
            _ => return None,
        })
    }

    pub fn is_regex_flag(self) -> bool {
        matches!(
            self,
            Self::ReIgnoreCase | Self::ReMultiline | Self::ReDotAll
        )
    }
}

/// A value while modifiers transform it: text with wildcards, or bytes after a UTF-16 encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Str(SigmaString),
    Bytes(Vec<u8>),
}

/// The characters `windash` substitutes for a leading `-` or `/` of a command-line switch
/// (pySigma: hyphen, slash, en dash, em dash, horizontal bar).
pub const WINDASH_CHARS: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// `windash`: every `-` or `/` that starts a word (`\B[-/]\b`) in every dash variant.
pub fn windash(s: &SigmaString) -> Vec<SigmaString> {
    s.expand_literals(&|lit: &str| {
        let chars: Vec<char> = lit.chars().collect();
        let mut alts = vec![String::new()];
        for (i, &c) in chars.iter().enumerate() {
            let prev_word = i > 0 && is_word(chars[i - 1]);
            let next_word = chars.get(i + 1).is_some_and(|&n| is_word(n));
            if (c == '-' || c == '/') && !prev_word && next_word {
                alts = alts
                    .iter()
                    .flat_map(|a| {
                        WINDASH_CHARS.iter().map(move |d| {
                            let mut s = a.clone();
                            s.push(*d);
                            s
                        })
                    })
                    .collect();
            } else {
                alts.iter_mut().for_each(|a| a.push(c));
            }
        }
        alts.into_iter().map(|a| SigmaString::literal(&a)).collect()
    })
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2 + 2);
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xFE, 0xFF]
        } else {
            &[0xFF, 0xFE]
        });
    }
    for unit in text.encode_utf16() {
        let b = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        out.extend_from_slice(&b);
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base64offset`: the three encodings of `data` at byte offsets 0, 1 and 2 inside a larger
/// encoded text, with the characters that depend on unknown neighbours cut off.
pub fn base64_offsets(data: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_CUT: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(data);
            let enc = base64(&padded);
            let cut = END_CUT[(data.len() + i) % 3];
            let end = enc.len().saturating_sub(cut);
            enc.get(START[i]..end).unwrap_or_default().to_owned()
        })
        .collect()
}

/// Replaces `%name%` placeholders in the literal parts with each of their values.
pub fn expand_placeholders(
    s: &SigmaString,
    lookup: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Result<Vec<SigmaString>, String> {
    let missing = std::cell::RefCell::new(None::<String>);
    let out = s.expand_literals(&|lit: &str| {
        let mut alts: Vec<SigmaString> = vec![SigmaString::default()];
        let mut rest = lit;
        while let Some(start) = rest.find('%') {
            let Some(len) = rest[start + 1..].find('%') else {
                break;
            };
            let name = &rest[start + 1..start + 1 + len];
            let before = SigmaString::literal(&rest[..start]);
            let values = match lookup(name) {
                Some(v) => v,
                None => {
                    missing.borrow_mut().get_or_insert_with(|| name.to_owned());
                    vec![format!("%{name}%")]
                }
            };
            alts = alts
                .iter()
                .flat_map(|a| {
                    values.iter().map(|v| {
                        let mut parts = a.parts.clone();
                        parts.extend(before.parts.iter().cloned());
                        parts.extend(SigmaString::parse(v).parts);
                        SigmaString { parts }
                    })
                })
                .collect();
            rest = &rest[start + 2 + len..];
        }
        let tail = SigmaString::literal(rest);
        alts.into_iter()
            .map(|mut a| {
                a.parts.extend(tail.parts.iter().cloned());
                a
            })
            .collect()
    });
    match missing.into_inner() {
        Some(name) => Err(name),
        None => Ok(out
            .into_iter()
            .map(|s| {
                // Re-join adjacent literals so matchers see one piece.
                let mut joined = SigmaString::default();
                for p in s.parts {
                    match (joined.parts.last_mut(), p) {
                        (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
                        (_, p) => joined.parts.push(p),
                    }
                }
                joined
            })
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn base64offset_gives_the_three_shifts() {
        // Values from the Sigma specification's base64offset example ("/bin/bash").
        assert_eq!(
            base64_offsets(b"/bin/bash"),
            vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
        // Each variant occurs in the encoding of the value at that offset.
        for prefix in ["", "x", "xy"] {
            let enc = base64(format!("{prefix}/bin/bash and more").as_bytes());
            assert!(
                base64_offsets(b"/bin/bash")
                    .iter()
                    .any(|v| enc.contains(v.as_str())),
                "{prefix}"
            );
        }
    }

    #[test]
    fn utf16_encodings() {
        assert_eq!(utf16("ab", false, false), vec![b'a', 0, b'b', 0]);
        assert_eq!(utf16("ab", true, false), vec![0, b'a', 0, b'b']);
        assert_eq!(utf16("a", false, true), vec![0xFF, 0xFE, b'a', 0]);
    }

    #[test]
    fn windash_expands_switch_dashes_only() {
        let v = windash(&SigmaString::parse(" -f a-b"));
        assert_eq!(v.len(), 5);
        let texts: Vec<_> = v.iter().filter_map(|s| s.as_plain()).collect();
        assert!(texts.contains(&" /f a-b".to_owned()));
        assert!(texts.contains(&" \u{2013}f a-b".to_owned()));
        // Two switches: every combination.
        assert_eq!(windash(&SigmaString::parse("-a -b")).len(), 25);
        // Wildcards survive.
        let w = windash(&SigmaString::parse("*-urlcache*"));
        assert_eq!(w[1].parts[0], Part::AnyRun);
    }

    #[test]
    fn placeholders_expand_to_each_value() {
        let lookup = |n: &str| (n == "dirs").then(|| vec!["C:\\a".to_owned(), "D:*".to_owned()]);
        let v = expand_placeholders(&SigmaString::parse("%dirs%\\x.exe"), &lookup).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].as_plain().as_deref(), Some("C:\\a\\x.exe"));
        assert!(v[1].has_wildcards());
        let err = expand_placeholders(&SigmaString::parse("%nope%"), &lookup).unwrap_err();
        assert_eq!(err, "nope");
    }
}

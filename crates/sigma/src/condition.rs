//! The condition language: `and`, `or`, `not`, parentheses, `1 of x*`, `all of them`, ….

/// A parsed condition. Precedence: `not` > `and` > `or`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    Ident(String),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// `1 of pattern` / `any of pattern` (pattern is a glob over search names, or `them`).
    OneOf(String),
    /// `all of pattern`.
    AllOf(String),
}

impl Cond {
    pub fn visit_idents(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Cond::Ident(n) => f(n),
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| c.visit_idents(f)),
            Cond::Not(c) => c.visit_idents(f),
            Cond::OneOf(_) | Cond::AllOf(_) => {}
        }
    }

    pub fn visit_patterns(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Cond::OneOf(p) | Cond::AllOf(p) => f(p),
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| c.visit_patterns(f)),
            Cond::Not(c) => c.visit_patterns(f),
            Cond::Ident(_) => {}
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Byte offset in the condition text.
    pub offset: usize,
    pub len: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Pipe,
    Word(String),
}

fn tokenize(text: &str) -> Vec<(Tok, usize, usize)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push((Tok::LParen, i, 1));
                i += 1;
            }
            b')' => {
                out.push((Tok::RParen, i, 1));
                i += 1;
            }
            b'|' => {
                out.push((Tok::Pipe, i, 1));
                i += 1;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')' | b'|')
                {
                    i += 1;
                }
                out.push((Tok::Word(text[start..i].to_owned()), start, i - start));
            }
        }
    }
    out
}

struct Parser {
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.pos) {
            Some((Tok::Word(w), _, _)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        let (offset, len) = self
            .toks
            .get(self.pos)
            .map_or((self.end, 0), |(_, o, l)| (*o, *l));
        ParseError {
            message: message.into(),
            offset,
            len,
        }
    }

    fn or(&mut self) -> Result<Cond, ParseError> {
        let mut items = vec![self.and()?];
        while self.peek_word().as_deref() == Some("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, ParseError> {
        let mut items = vec![self.not()?];
        while self.peek_word().as_deref() == Some("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, ParseError> {
        if self.peek_word().as_deref() == Some("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Cond, ParseError> {
        let Some((tok, _, _)) = self.toks.get(self.pos).cloned() else {
            return Err(self.error_here("the condition ends where a search name was expected"));
        };
        match tok {
            Tok::LParen => {
                self.pos += 1;
                let inner = self.or()?;
                match self.toks.get(self.pos) {
                    Some((Tok::RParen, _, _)) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.error_here("expected `)`")),
                }
            }
            Tok::RParen => Err(self.error_here("unexpected `)`")),
            Tok::Pipe => Err(self.error_here(
                "legacy aggregation (`| count() …`) is not supported: write a correlation rule",
            )),
            Tok::Word(w) => {
                let lower = w.to_ascii_lowercase();
                if matches!(lower.as_str(), "and" | "or") {
                    return Err(self.error_here(format!("`{w}` needs an operand before it")));
                }
                self.pos += 1;
                let quantifier = match lower.as_str() {
                    "1" | "any" => Some(true),
                    "all" => Some(false),
                    _ => None,
                };
                if let Some(one) = quantifier
                    && self.peek_word().as_deref() == Some("of")
                {
                    self.pos += 1;
                    let Some((Tok::Word(pattern), _, _)) = self.toks.get(self.pos).cloned() else {
                        return Err(
                            self.error_here("expected a search name pattern or `them` after `of`")
                        );
                    };
                    self.pos += 1;
                    let pattern = if pattern.eq_ignore_ascii_case("them") {
                        "them".to_owned()
                    } else {
                        pattern
                    };
                    return Ok(if one {
                        Cond::OneOf(pattern)
                    } else {
                        Cond::AllOf(pattern)
                    });
                }
                if self.peek_word().as_deref() == Some("of") {
                    self.pos -= 1;
                    return Err(self.error_here(format!(
                        "`{w} of` is not a quantifier: use `1 of`, `any of` or `all of`"
                    )));
                }
                Ok(Cond::Ident(w))
            }
        }
    }
}

pub fn parse(text: &str) -> Result<Cond, ParseError> {
    let mut p = Parser {
        toks: tokenize(text),
        pos: 0,
        end: text.len(),
    };
    if p.toks.is_empty() {
        return Err(ParseError {
            message: "empty condition".into(),
            offset: 0,
            len: 0,
        });
    }
    let c = p.or()?;
    if let Some((tok, _, _)) = p.toks.get(p.pos) {
        if *tok == Tok::Pipe {
            return Err(p.error_here(
                "legacy aggregation (`| count() …`) is not supported: write a correlation rule",
            ));
        }
        return Err(p.error_here("unexpected text after the condition (missing `and` / `or`?)"));
    }
    Ok(c)
}

/// Search-name patterns in `1 of sel_*`: `*` is any run of characters.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    if pattern == "them" {
        return true;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Cond {
        Cond::Ident(s.into())
    }

    #[test]
    fn precedence_not_and_or() {
        assert_eq!(
            parse("a or b and not c").unwrap(),
            Cond::Or(vec![
                id("a"),
                Cond::And(vec![id("b"), Cond::Not(Box::new(id("c")))])
            ])
        );
        assert_eq!(
            parse("(a or b) and c").unwrap(),
            Cond::And(vec![Cond::Or(vec![id("a"), id("b")]), id("c")])
        );
        assert_eq!(
            parse("not not a").unwrap(),
            Cond::Not(Box::new(Cond::Not(Box::new(id("a")))))
        );
    }

    #[test]
    fn quantifiers() {
        assert_eq!(parse("1 of sel*").unwrap(), Cond::OneOf("sel*".into()));
        assert_eq!(parse("any of them").unwrap(), Cond::OneOf("them".into()));
        assert_eq!(parse("all of them").unwrap(), Cond::AllOf("them".into()));
        assert_eq!(
            parse("all of sel_* and not 1 of filter_*").unwrap(),
            Cond::And(vec![
                Cond::AllOf("sel_*".into()),
                Cond::Not(Box::new(Cond::OneOf("filter_*".into())))
            ])
        );
        // Keywords are case-insensitive.
        assert_eq!(parse("A AND NOT B").unwrap(), parse("A and not B").unwrap());
    }

    #[test]
    fn errors_carry_offsets() {
        let e = parse("a and (b or c").unwrap_err();
        assert_eq!(e.offset, 13);
        let e = parse("sel | count() > 5").unwrap_err();
        assert!(e.message.contains("correlation"));
        assert_eq!(e.offset, 4);
        let e = parse("a b").unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(parse("2 of x").is_err());
        assert!(parse("and a").is_err());
    }

    #[test]
    fn name_patterns() {
        assert!(glob_match("sel*", "selection"));
        assert!(glob_match("*_x", "a_x"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("sel*", "filter"));
        assert!(glob_match("them", "anything"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }
}

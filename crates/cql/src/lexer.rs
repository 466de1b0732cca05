//! On-demand, mode-dependent tokenizer.
//!
//! CQL cannot be tokenized once up front: `/` starts a regex literal in a filter but divides in an
//! expression, and `a-b` is one word in a filter but a subtraction in an expression. The parser
//! therefore asks for the next token in a [`Mode`]; whitespace and comments (trivia) are the same in
//! every mode.

use std::ops::Range;

pub type Span = Range<usize>;

/// How the characters after the current position are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Filters, values and function arguments: words may contain pattern characters
    /// (`* + - : ~`), `/` starts a regex literal.
    Filter,
    /// Expressions (`:=`, `test()`, `eval()`): words are field names, numbers are numbers,
    /// `* / % + -` are operators.
    Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// An unquoted word (field name, value, keyword, function name), possibly with `[n]` indexes
    /// and back-quoted segments.
    Word,
    /// `"…"`.
    Str,
    /// `/…/flags`.
    Regex,
    /// A number (expression mode only).
    Number,
    /// `?name`, `?{name=default}` or `?"name"`.
    Param,
    /// `$name` or `$"name"` (a saved query reference; a `(` follows).
    Saved,
    Pipe,
    Comma,
    Semi,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `=`
    Eq,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `:=`
    Assign,
    /// `=~`
    FieldOp,
    /// `<=>`
    Link,
    /// `=>`
    Arrow,
    /// `!`
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// A character that cannot start any token, or an unterminated literal.
    Error(LexError),
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexError {
    UnterminatedString,
    UnterminatedRegex,
    UnterminatedComment,
    UnterminatedBackquote,
    UnterminatedParam,
    NoBreakSpace,
    Unexpected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn span(&self) -> Span {
        self.start..self.end
    }
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

/// A comment found in trivia.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    /// `// …` (runs to the end of the line) rather than `/* … */`.
    pub line: bool,
}

/// Characters allowed in unquoted field names (besides letters and digits).
fn is_field_punct(c: char) -> bool {
    matches!(c, '_' | '.' | '@' | '#' | '%' | '&' | '\\' | '^')
}

/// Extra characters allowed in unquoted values and free text.
fn is_pattern_punct(c: char) -> bool {
    matches!(c, '*' | '+' | '-' | ':' | '~')
}

fn is_letter(c: char) -> bool {
    c.is_alphanumeric() || (c as u32 > 0x7f && !c.is_whitespace() && !c.is_control())
}

pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0c')
}

/// Whether `c` may appear in an unquoted word in `mode` (not considering `[n]`, back-quotes and
/// the special handling of `:` and `\`).
fn is_word_char(c: char, mode: Mode) -> bool {
    match mode {
        Mode::Filter => is_letter(c) || is_field_punct(c) || is_pattern_punct(c),
        Mode::Expr => is_letter(c) || (is_field_punct(c) && c != '%' && c != '&'),
    }
}

pub struct Lexer<'a> {
    src: &'a str,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Self { src }
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|s| s.chars().next())
    }

    /// Skips whitespace and comments from `at`; returns the position of the next token and pushes
    /// the comments found (if `comments` is given). An unterminated block comment is returned as an
    /// error token position via `Err`.
    pub fn skip_trivia(&self, mut at: usize, mut comments: Option<&mut Vec<Comment>>) -> usize {
        let bytes = self.src.as_bytes();
        loop {
            match bytes.get(at) {
                Some(b' ' | b'\t' | b'\r' | b'\n' | 0x0c) => at += 1,
                Some(b'/') if bytes.get(at + 1) == Some(&b'/') => {
                    let end = self.src[at..].find('\n').map_or(self.src.len(), |i| at + i);
                    if let Some(c) = comments.as_deref_mut() {
                        c.push(Comment {
                            span: at..end,
                            line: true,
                        });
                    }
                    at = end;
                }
                Some(b'/') if bytes.get(at + 1) == Some(&b'*') => {
                    match self.src[at + 2..].find("*/") {
                        Some(i) => {
                            let end = at + 2 + i + 2;
                            if let Some(c) = comments.as_deref_mut() {
                                c.push(Comment {
                                    span: at..end,
                                    line: false,
                                });
                            }
                            at = end;
                        }
                        // Left for `lex` to report as an unterminated comment.
                        None => return at,
                    }
                }
                _ => return at,
            }
        }
    }

    /// The token starting at `at` (which must be past trivia).
    pub fn lex(&self, at: usize, mode: Mode) -> Token {
        let tok = |tok, end| Token {
            tok,
            start: at,
            end,
        };
        let Some(c) = self.char_at(at) else {
            return tok(Tok::Eof, at);
        };
        let next = self.char_at(at + c.len_utf8());
        match c {
            '|' => tok(Tok::Pipe, at + 1),
            ',' => tok(Tok::Comma, at + 1),
            ';' => tok(Tok::Semi, at + 1),
            '(' => tok(Tok::LParen, at + 1),
            ')' => tok(Tok::RParen, at + 1),
            '[' => tok(Tok::LBracket, at + 1),
            ']' => tok(Tok::RBracket, at + 1),
            '{' => tok(Tok::LBrace, at + 1),
            '}' => tok(Tok::RBrace, at + 1),
            '"' => self.string(at),
            '=' => match next {
                Some('=') => tok(Tok::EqEq, at + 2),
                Some('~') => tok(Tok::FieldOp, at + 2),
                Some('>') => tok(Tok::Arrow, at + 2),
                _ => tok(Tok::Eq, at + 1),
            },
            '!' => match next {
                Some('=') => tok(Tok::Ne, at + 2),
                _ => tok(Tok::Bang, at + 1),
            },
            '<' => match (next, self.char_at(at + 2)) {
                (Some('='), Some('>')) => tok(Tok::Link, at + 3),
                (Some('='), _) => tok(Tok::Le, at + 2),
                _ => tok(Tok::Lt, at + 1),
            },
            '>' => match next {
                Some('=') => tok(Tok::Ge, at + 2),
                _ => tok(Tok::Gt, at + 1),
            },
            ':' if next == Some('=') => tok(Tok::Assign, at + 2),
            '/' if next == Some('*') => {
                tok(Tok::Error(LexError::UnterminatedComment), self.src.len())
            }
            '/' => match mode {
                Mode::Filter => self.regex(at),
                Mode::Expr => tok(Tok::Slash, at + 1),
            },
            '?' => self.param(at),
            '$' => self.saved(at),
            '\u{a0}' => tok(Tok::Error(LexError::NoBreakSpace), at + c.len_utf8()),
            _ if mode == Mode::Expr && c.is_ascii_digit() => self.number_or_word(at),
            '*' if mode == Mode::Expr => tok(Tok::Star, at + 1),
            '+' if mode == Mode::Expr => tok(Tok::Plus, at + 1),
            '-' if mode == Mode::Expr => tok(Tok::Minus, at + 1),
            '%' if mode == Mode::Expr => tok(Tok::Percent, at + 1),
            '`' => self.word(at, mode),
            _ if is_word_char(c, mode) => self.word(at, mode),
            _ => tok(Tok::Error(LexError::Unexpected), at + c.len_utf8()),
        }
    }

    fn string(&self, at: usize) -> Token {
        let mut it = self.src[at + 1..].char_indices();
        while let Some((i, c)) = it.next() {
            match c {
                '\\' => {
                    it.next();
                }
                '"' => {
                    return Token {
                        tok: Tok::Str,
                        start: at,
                        end: at + 1 + i + 1,
                    };
                }
                _ => {}
            }
        }
        Token {
            tok: Tok::Error(LexError::UnterminatedString),
            start: at,
            end: self.src.len(),
        }
    }

    /// `/body/flags`: the body runs to the next unescaped `/` outside a character class. A regex
    /// whose class never closes is re-read without class tracking.
    fn regex(&self, at: usize) -> Token {
        self.regex_body(at, true)
            .or_else(|| self.regex_body(at, false))
            .unwrap_or(Token {
                tok: Tok::Error(LexError::UnterminatedRegex),
                start: at,
                end: self.src[at..].find('\n').map_or(self.src.len(), |i| at + i),
            })
    }

    fn regex_body(&self, at: usize, classes: bool) -> Option<Token> {
        let mut it = self.src[at + 1..].char_indices().peekable();
        let mut in_class = false;
        while let Some((i, c)) = it.next() {
            match c {
                '\\' => {
                    it.next();
                }
                '[' if classes && !in_class => {
                    in_class = true;
                    // `[]…]` and `[^]…]`: a leading `]` is literal.
                    if let Some((_, '^')) = it.peek() {
                        it.next();
                    }
                    if let Some((_, ']')) = it.peek() {
                        it.next();
                    }
                }
                ']' if in_class => in_class = false,
                '/' if !in_class => {
                    let body_end = at + 1 + i + 1;
                    let flags = self.src[body_end..]
                        .char_indices()
                        .find(|(_, c)| !c.is_ascii_alphabetic())
                        .map_or(self.src.len(), |(j, _)| body_end + j);
                    return Some(Token {
                        tok: Tok::Regex,
                        start: at,
                        end: flags,
                    });
                }
                '\n' => return None,
                _ => {}
            }
        }
        None
    }

    fn param(&self, at: usize) -> Token {
        let rest = &self.src[at + 1..];
        let end = if rest.starts_with('{') {
            match rest.find('}') {
                Some(i) => at + 1 + i + 1,
                None => {
                    return Token {
                        tok: Tok::Error(LexError::UnterminatedParam),
                        start: at,
                        end: self.src.len(),
                    };
                }
            }
        } else if rest.starts_with('"') {
            self.string(at + 1).end
        } else {
            self.word_end(at + 1, Mode::Filter)
        };
        Token {
            tok: Tok::Param,
            start: at,
            end,
        }
    }

    fn saved(&self, at: usize) -> Token {
        let rest = &self.src[at + 1..];
        let end = if rest.starts_with('"') {
            let s = self.string(at + 1);
            if matches!(s.tok, Tok::Error(_)) {
                return Token { start: at, ..s };
            }
            s.end
        } else {
            // Package queries: `$falcon/investigate:cid_name()`.
            let mut end = at + 1;
            loop {
                let e = self.word_end(end, Mode::Filter);
                if self.char_at(e) == Some('/') {
                    end = e + 1;
                } else {
                    end = e;
                    break;
                }
            }
            end
        };
        Token {
            tok: Tok::Saved,
            start: at,
            end,
        }
    }

    fn number_or_word(&self, at: usize) -> Token {
        let end = self.word_end(at, Mode::Expr);
        let text = &self.src[at..end];
        let is_number = {
            let mut parts = text.splitn(2, '.');
            let int = parts.next().unwrap_or("");
            let frac = parts.next();
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        };
        Token {
            tok: if is_number { Tok::Number } else { Tok::Word },
            start: at,
            end,
        }
    }

    fn word(&self, at: usize, mode: Mode) -> Token {
        let end = self.word_end(at, mode);
        if end == at {
            return Token {
                tok: Tok::Error(LexError::UnterminatedBackquote),
                start: at,
                end: self.src.len(),
            };
        }
        Token {
            tok: Tok::Word,
            start: at,
            end,
        }
    }

    /// End of an unquoted word starting at `at`: word characters, `\x` escapes, back-quoted
    /// segments and `[n]`/`[]` index suffixes. A `:` is not part of a word when `=` follows
    /// (`x:=…`), and in expression mode only when a letter follows (`text:contains`).
    fn word_end(&self, at: usize, mode: Mode) -> usize {
        let mut i = at;
        while let Some(c) = self.char_at(i) {
            let next = self.char_at(i + c.len_utf8());
            match c {
                '\\' => {
                    i += 1;
                    if let Some(n) = next.filter(|n| !is_space(*n)) {
                        i += n.len_utf8();
                    }
                }
                '`' => match self.src[i + 1..].find('`') {
                    Some(j) if !self.src[i + 1..i + 1 + j].contains('\n') => i += j + 2,
                    _ => break,
                },
                '[' if i > at => match self.index_suffix(i) {
                    Some(end) => i = end,
                    None => break,
                },
                ':' if next == Some('=') => break,
                ':' if mode == Mode::Expr => {
                    if next.is_some_and(|n| n.is_alphabetic()) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                _ if is_word_char(c, mode) => i += c.len_utf8(),
                _ => break,
            }
        }
        i
    }

    /// `[digits]` or `[]` at `at`; returns the end.
    fn index_suffix(&self, at: usize) -> Option<usize> {
        let rest = self.src.get(at + 1..)?;
        let close = rest.find(']')?;
        let inside = &rest[..close];
        inside
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then_some(at + 1 + close + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str, mode: Mode) -> Vec<(Tok, &str)> {
        let lx = Lexer::new(src);
        let mut at = 0;
        let mut out = Vec::new();
        loop {
            at = lx.skip_trivia(at, None);
            let t = lx.lex(at, mode);
            if t.tok == Tok::Eof {
                return out;
            }
            out.push((t.tok, t.text(src)));
            at = t.end;
        }
    }

    #[test]
    fn regex_keeps_pipe_and_slash_in_class() {
        let t = toks(r"f=/[-/][ix]|a/i | x", Mode::Filter);
        assert_eq!(t[2], (Tok::Regex, r"/[-/][ix]|a/i"));
        assert_eq!(t[3].0, Tok::Pipe);
    }

    #[test]
    fn pattern_words_in_filter_mode_split_in_expr_mode() {
        assert_eq!(toks("a-b", Mode::Filter), vec![(Tok::Word, "a-b")]);
        assert_eq!(
            toks("a-b", Mode::Expr),
            vec![(Tok::Word, "a"), (Tok::Minus, "-"), (Tok::Word, "b")]
        );
        assert_eq!(
            toks("m/fisk/i", Mode::Expr)
                .iter()
                .map(|t| t.0)
                .collect::<Vec<_>>(),
            vec![Tok::Word, Tok::Slash, Tok::Word, Tok::Slash, Tok::Word]
        );
    }

    #[test]
    fn assign_splits_from_word_and_indexes_stay() {
        assert_eq!(
            toks("x:=a.b[0].c", Mode::Filter),
            vec![
                (Tok::Word, "x"),
                (Tok::Assign, ":="),
                (Tok::Word, "a.b[0].c")
            ]
        );
        assert_eq!(
            toks("user.`e-mail`[]", Mode::Filter),
            vec![(Tok::Word, "user.`e-mail`[]")]
        );
    }

    #[test]
    fn comments_are_trivia_but_not_inside_strings() {
        assert_eq!(
            toks("a // c\n\"//x\" /* y */ b", Mode::Filter),
            vec![(Tok::Word, "a"), (Tok::Str, "\"//x\""), (Tok::Word, "b")]
        );
    }

    #[test]
    fn params_and_saved() {
        assert_eq!(
            toks("?{x=*} ?y $\"a b\" $n", Mode::Filter)
                .iter()
                .map(|t| t.0)
                .collect::<Vec<_>>(),
            vec![Tok::Param, Tok::Param, Tok::Saved, Tok::Saved]
        );
    }
}

//! Recursive-descent parser with error recovery at `|`, `)` and `}`.
//!
//! Filters: `and` (or juxtaposition) < `or` < `not`/`!` (OR binds tighter than AND, as LogScale
//! documents). Expressions: comparisons < `+ -` < `* / %` < unary, by precedence climbing.

use std::collections::HashSet;

use saker_diag::{Diagnostic, Kind};
use saker_plan::catalog::{self, ParamKind};

use crate::ast::*;
use crate::codes;
use crate::lexer::{Comment, LexError, Lexer, Mode, Span, Tok, Token};
use crate::text;

/// How the formatter should space a token; set by the parser, which knows the token's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Atom,
    /// A function name; its `(` follows without a space.
    CallName,
    /// `(`, `[` of calls, arrays and groups.
    Open,
    Close,
    /// `{` of a subquery.
    BraceOpen,
    BraceClose,
    /// `{` of `case`/`match`: always laid out one clause per line.
    BlockOpen,
    BlockClose,
    /// Filter comparison operators and the `=` of named arguments: no spaces around.
    Tight,
    /// `:=`, `=~`, `=>`, `<=>`, expression operators, `and`/`or`/`like`/`match`.
    Spaced,
    /// `!`, `not`, unary `-`: attaches to what follows (`not` keeps one space).
    Prefix,
    Comma,
    Semi,
    Pipe,
    /// `name:` before a correlate subquery or option.
    Label,
}

#[derive(Clone, Copy, Debug)]
pub struct RecordedToken {
    pub token: Token,
    pub role: Role,
}

/// What ends the pipeline being parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Top,
    /// A `{ … }` subquery.
    Brace,
    /// A `case`/`match` clause: ends at `;` or `}`.
    Clause,
}

pub struct Parsed {
    pub query: Query,
    pub diagnostics: Vec<Diagnostic>,
    pub tokens: Vec<RecordedToken>,
    pub comments: Vec<Comment>,
}

pub fn parse(src: &str) -> Parsed {
    let mut p = Parser {
        src,
        lx: Lexer::new(src),
        pos: 0,
        diags: Vec::new(),
        tokens: Vec::new(),
        reported: HashSet::new(),
    };
    let pipeline = p.pipeline(Ctx::Top);
    let comments = p.collect_comments();
    Parsed {
        query: Query { pipeline },
        diagnostics: p.diags,
        tokens: p.tokens,
        comments,
    }
}

struct Parser<'a> {
    src: &'a str,
    lx: Lexer<'a>,
    /// End of the last consumed token.
    pos: usize,
    diags: Vec<Diagnostic>,
    tokens: Vec<RecordedToken>,
    /// Start offsets of lexical errors already reported.
    reported: HashSet<usize>,
}

fn is_word(t: &Token, src: &str, kw: &str) -> bool {
    t.tok == Tok::Word && t.text(src).eq_ignore_ascii_case(kw)
}

fn describe(t: &Token, src: &str) -> String {
    match t.tok {
        Tok::Eof => "end of query".into(),
        Tok::Error(_) => "an invalid token".into(),
        _ => {
            let text = t.text(src);
            let short: String = text.chars().take(30).collect();
            if short.len() < text.len() {
                format!("`{short}…`")
            } else {
                format!("`{short}`")
            }
        }
    }
}

impl<'a> Parser<'a> {
    // ---- token access -------------------------------------------------------------------------

    /// The next token in `mode`. Stray characters (no-break spaces, `'`) are reported once and
    /// skipped.
    fn peek(&mut self, mode: Mode) -> Token {
        loop {
            let at = self.lx.skip_trivia(self.pos, None);
            let t = self.lx.lex(at, mode);
            match t.tok {
                Tok::Error(e @ (LexError::NoBreakSpace | LexError::Unexpected)) => {
                    self.lex_error(t, e);
                    self.pos = t.end;
                }
                _ => return t,
            }
        }
    }

    /// The token after the next one (`n` = 1) or further, without consuming or reporting.
    fn peek_nth(&self, mode: Mode, n: usize) -> Token {
        let mut at = self.pos;
        let mut t = Token {
            tok: Tok::Eof,
            start: at,
            end: at,
        };
        for _ in 0..=n {
            at = self.lx.skip_trivia(at, None);
            t = self.lx.lex(at, mode);
            if t.tok == Tok::Eof {
                return t;
            }
            at = t.end;
        }
        t
    }

    fn bump(&mut self, mode: Mode, role: Role) -> Token {
        let t = self.peek(mode);
        if t.tok != Tok::Eof {
            self.pos = t.end;
            if let Tok::Error(e) = t.tok {
                self.lex_error(t, e);
            }
            self.tokens.push(RecordedToken { token: t, role });
        }
        t
    }

    fn text(&self, t: &Token) -> &'a str {
        t.text(self.src)
    }

    fn error(&mut self, code: &'static str, msg: impl Into<String>, span: Span) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(Kind::Syntax, code, msg, span));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn lex_error(&mut self, t: Token, e: LexError) {
        if !self.reported.insert(t.start) {
            return;
        }
        // One no-break-space warning per query is enough.
        if e == LexError::NoBreakSpace && !self.reported.insert(usize::MAX) {
            return;
        }
        let span = t.span();
        let d = match e {
            LexError::UnterminatedString => Diagnostic::error(
                Kind::Syntax,
                codes::UNTERMINATED_STRING,
                "unterminated string",
                span,
            )
            .with_label("this string has no closing `\"`"),
            LexError::UnterminatedRegex => Diagnostic::error(
                Kind::Syntax,
                codes::UNTERMINATED_REGEX,
                "unterminated regex literal",
                span,
            )
            .with_label("no closing `/` on this line")
            .with_help("escape a literal slash as `\\/`"),
            LexError::UnterminatedComment => Diagnostic::error(
                Kind::Syntax,
                codes::UNTERMINATED_COMMENT,
                "unterminated block comment",
                t.start..t.start + 2,
            )
            .with_label("this `/*` is never closed"),
            LexError::UnterminatedBackquote | LexError::UnterminatedParam => Diagnostic::error(
                Kind::Syntax,
                codes::UNTERMINATED_NAME,
                "unterminated back-quoted name or parameter",
                t.start..t.start + 1,
            ),
            LexError::NoBreakSpace => Diagnostic::warning(
                Kind::Syntax,
                codes::BAD_CHARACTER,
                "no-break space (U+00A0) is not whitespace in CQL",
                span,
            )
            .with_label("copy/paste artefact, read as a space")
            .with_help("replace it with an ordinary space; LogScale rejects the query as written"),
            LexError::Unexpected => {
                let c = self.src[t.start..].chars().next().unwrap_or(' ');
                Diagnostic::error(
                    Kind::Syntax,
                    codes::BAD_CHARACTER,
                    format!("character `{}` is not allowed here", c.escape_debug()),
                    span,
                )
                .with_help("quote values that contain reserved characters")
            }
        };
        self.diags.push(d);
    }

    fn expect_close(&mut self, close: Tok, open: Span, what: &str, role: Role) -> Span {
        let t = self.peek(Mode::Filter);
        if t.tok == close {
            self.bump(Mode::Filter, role);
            return t.span();
        }
        let at = self.lx.skip_trivia(self.pos, None);
        let span = if t.tok == Tok::Eof {
            self.src.len()..self.src.len()
        } else {
            self.pos..self.pos
        };
        let found = describe(&t, self.src);
        self.error(
            codes::UNCLOSED,
            format!("expected `{what}`, found {found}"),
            span,
        )
        .label(format!("expected `{what}` here"))
        .secondary(open, format!("unclosed `{}`", open_of(what)));
        let _ = at;
        self.pos..self.pos
    }

    /// Skips tokens (balancing brackets) until one of `stops` at nesting depth 0 or the end.
    fn recover(&mut self, stops: &[Tok]) {
        let mut depth = 0usize;
        loop {
            let t = self.peek(Mode::Filter);
            match t.tok {
                Tok::Eof => return,
                _ if depth == 0 && stops.contains(&t.tok) => return,
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.bump(Mode::Filter, Role::Atom);
        }
    }

    fn collect_comments(&self) -> Vec<Comment> {
        let mut out = Vec::new();
        let mut at = 0;
        for t in &self.tokens {
            self.comments_between(at, t.token.start, &mut out);
            at = at.max(t.token.end);
        }
        self.comments_between(at, self.src.len(), &mut out);
        out.sort_by_key(|c| c.span.start);
        out.dedup();
        out
    }

    /// Comments in `from..to`, stepping over characters that are neither trivia nor tokens
    /// (skipped no-break spaces).
    fn comments_between(&self, mut from: usize, to: usize, out: &mut Vec<Comment>) {
        while from < to {
            let next = self.lx.skip_trivia(from, Some(out));
            if next >= to {
                break;
            }
            from = next + self.src[next..].chars().next().map_or(1, char::len_utf8);
        }
    }

    // ---- pipelines ----------------------------------------------------------------------------

    fn is_end(&self, t: &Token, ctx: Ctx) -> bool {
        match ctx {
            Ctx::Top => t.tok == Tok::Eof,
            Ctx::Brace => matches!(t.tok, Tok::Eof | Tok::RBrace | Tok::RParen | Tok::RBracket),
            Ctx::Clause => matches!(
                t.tok,
                Tok::Eof | Tok::RBrace | Tok::RParen | Tok::RBracket | Tok::Semi
            ),
        }
    }

    fn pipeline(&mut self, ctx: Ctx) -> Pipeline {
        let start = self.lx.skip_trivia(self.pos, None);
        let mut stages = Vec::new();
        let mut expect_stage = true;
        loop {
            let t = self.peek(Mode::Filter);
            if self.is_end(&t, ctx) {
                if expect_stage && !stages.is_empty() {
                    stages.push(Stage {
                        kind: StageKind::Empty,
                        span: t.start..t.start,
                    });
                }
                break;
            }
            if t.tok == Tok::Pipe {
                self.bump(Mode::Filter, Role::Pipe);
                if expect_stage {
                    stages.push(Stage {
                        kind: StageKind::Empty,
                        span: t.start..t.start,
                    });
                }
                expect_stage = true;
                continue;
            }
            if !expect_stage {
                let what = match ctx {
                    Ctx::Top => "`|` or the end of the query",
                    Ctx::Brace => "`|` or `}`",
                    Ctx::Clause => "`|`, `;` or `}`",
                };
                let found = describe(&t, self.src);
                let code = if matches!(t.tok, Tok::RParen | Tok::RBracket | Tok::RBrace) {
                    codes::UNMATCHED_CLOSE
                } else {
                    codes::UNEXPECTED
                };
                self.error(code, format!("expected {what}, found {found}"), t.span())
                    .label("unexpected here");
                let before = self.pos;
                self.recover(&[Tok::Pipe, Tok::Semi]);
                if self.pos == before {
                    self.bump(Mode::Filter, Role::Atom);
                }
                continue;
            }
            let before = self.pos;
            let stage = self.stage(ctx);
            stages.push(stage);
            expect_stage = false;
            if self.pos == before {
                // Nothing consumed: the stage reported an error; skip the offending token.
                let t = self.peek(Mode::Filter);
                if !self.is_end(&t, ctx) && t.tok != Tok::Pipe {
                    self.bump(Mode::Filter, Role::Atom);
                }
            }
        }
        let end = self.pos.max(start);
        Pipeline {
            stages,
            span: start..end,
        }
    }

    fn stage(&mut self, ctx: Ctx) -> Stage {
        let t = self.peek(Mode::Filter);
        let n1 = self.peek_nth(Mode::Filter, 1);
        let start = t.start;
        let kind = if is_word(&t, self.src, "case") && n1.tok == Tok::LBrace {
            self.case()
        } else if t.tok == Tok::LBracket {
            self.stats()
        } else if matches!(t.tok, Tok::Word | Tok::Str) && n1.tok == Tok::Assign {
            let field = self.name();
            self.bump(Mode::Filter, Role::Spaced);
            let mut value = self.expr();
            // `x := fn(…)` is `fn(…, as=x)` (unless `as` is given).
            if let ExprKind::Call(c) = &mut value.kind {
                let has_as = c.args.iter().any(|a| {
                    a.name
                        .as_ref()
                        .is_some_and(|(n, _)| n.eq_ignore_ascii_case("as"))
                });
                if !has_as {
                    c.assign = Some(field.clone());
                }
            }
            StageKind::Assign { field, value }
        } else if matches!(t.tok, Tok::Word | Tok::Str)
            && is_word(&n1, self.src, "match")
            && self.peek_nth(Mode::Filter, 2).tok == Tok::LBrace
        {
            self.match_stage()
        } else {
            StageKind::Filter(self.filter_and(ctx))
        };
        Stage {
            kind,
            span: start..self.pos.max(start),
        }
    }

    fn case(&mut self) -> StageKind {
        self.bump(Mode::Filter, Role::Spaced);
        let open = self.bump(Mode::Filter, Role::BlockOpen).span();
        let mut clauses = Vec::new();
        loop {
            let clause = self.pipeline(Ctx::Clause);
            let t = self.peek(Mode::Filter);
            if !clause.stages.is_empty() {
                clauses.push(clause);
            }
            match t.tok {
                Tok::Semi => {
                    self.bump(Mode::Filter, Role::Semi);
                }
                _ => {
                    self.expect_close(Tok::RBrace, open, "}", Role::BlockClose);
                    break;
                }
            }
        }
        StageKind::Case { clauses }
    }

    fn match_stage(&mut self) -> StageKind {
        let field = self.name();
        self.bump(Mode::Filter, Role::Spaced);
        let open = self.bump(Mode::Filter, Role::BlockOpen).span();
        let mut arms = Vec::new();
        loop {
            let t = self.peek(Mode::Filter);
            match t.tok {
                Tok::Semi => {
                    self.bump(Mode::Filter, Role::Semi);
                    continue;
                }
                Tok::RBrace | Tok::Eof | Tok::RParen | Tok::RBracket => {
                    self.expect_close(Tok::RBrace, open, "}", Role::BlockClose);
                    break;
                }
                _ => {}
            }
            let guard = match self.guard() {
                // Guard functions read the match field.
                Guard::Call(mut c) => {
                    if !names_field(&c) {
                        c.receiver = Some(field.clone());
                    }
                    Guard::Call(c)
                }
                g => g,
            };
            let a = self.peek(Mode::Filter);
            if a.tok == Tok::Arrow {
                self.bump(Mode::Filter, Role::Spaced);
            } else {
                let found = describe(&a, self.src);
                self.error(
                    codes::UNEXPECTED,
                    format!("expected `=>` after the match guard, found {found}"),
                    a.span(),
                )
                .label("expected `=>`");
                self.recover(&[Tok::Semi]);
                continue;
            }
            let body = self.pipeline(Ctx::Clause);
            arms.push(MatchArm {
                guard,
                span: t.start..self.pos.max(t.start),
                body,
            });
        }
        StageKind::Match { field, arms }
    }

    fn guard(&mut self) -> Guard {
        let t = self.peek(Mode::Filter);
        let n1 = self.peek_nth(Mode::Filter, 1);
        match t.tok {
            Tok::Arrow => Guard::Empty(t.start..t.start),
            Tok::Word if n1.tok == Tok::LParen => Guard::Call(self.call(None)),
            Tok::Bang if n1.tok == Tok::Word => {
                self.bump(Mode::Filter, Role::Prefix);
                let mut c = self.call(None);
                c.negated = true;
                Guard::Call(c)
            }
            Tok::Word | Tok::Str | Tok::Regex | Tok::Param => Guard::Value(self.value()),
            _ => {
                let found = describe(&t, self.src);
                self.error(
                    codes::UNEXPECTED,
                    format!(
                        "expected a match guard (value, /regex/, function or `*`), found {found}"
                    ),
                    t.span(),
                );
                Guard::Empty(t.start..t.start)
            }
        }
    }

    fn stats(&mut self) -> StageKind {
        match self.arg_value(Some(ParamKind::Function), false) {
            ArgValue::Array(items, _) => StageKind::Stats { items },
            other => StageKind::Stats { items: vec![other] },
        }
    }

    // ---- filters ------------------------------------------------------------------------------

    fn starts_term(&self, t: &Token) -> bool {
        match t.tok {
            Tok::Word => !is_word(t, self.src, "and") && !is_word(t, self.src, "or"),
            Tok::Str | Tok::Regex | Tok::Param | Tok::LParen | Tok::Bang | Tok::Saved => true,
            _ => false,
        }
    }

    fn filter_and(&mut self, ctx: Ctx) -> Filter {
        let first = self.filter_or(ctx);
        let start = first.span.start;
        let mut items = vec![first];
        loop {
            let t = self.peek(Mode::Filter);
            if is_word(&t, self.src, "and") {
                self.bump(Mode::Filter, Role::Spaced);
            } else if !self.starts_term(&t) {
                break;
            }
            let before = self.pos;
            items.push(self.filter_or(ctx));
            if self.pos == before {
                break;
            }
        }
        if items.len() == 1 {
            return items.pop().unwrap_or(Filter {
                kind: FilterKind::Error,
                span: start..start,
            });
        }
        Filter {
            kind: FilterKind::And(items),
            span: start..self.pos,
        }
    }

    fn filter_or(&mut self, ctx: Ctx) -> Filter {
        let first = self.filter_unary(ctx);
        let start = first.span.start;
        let mut items = vec![first];
        while is_word(&self.peek(Mode::Filter), self.src, "or") {
            self.bump(Mode::Filter, Role::Spaced);
            items.push(self.filter_unary(ctx));
        }
        if items.len() == 1 {
            return items.pop().unwrap_or(Filter {
                kind: FilterKind::Error,
                span: start..start,
            });
        }
        Filter {
            kind: FilterKind::Or(items),
            span: start..self.pos,
        }
    }

    fn is_compare_op(&self, t: &Token) -> bool {
        matches!(
            t.tok,
            Tok::Eq
                | Tok::EqEq
                | Tok::Ne
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::Link
                | Tok::FieldOp
        ) || is_word(t, self.src, "like")
    }

    fn filter_unary(&mut self, ctx: Ctx) -> Filter {
        let t = self.peek(Mode::Filter);
        let negation = t.tok == Tok::Bang
            || (is_word(&t, self.src, "not")
                && !self.is_compare_op(&self.peek_nth(Mode::Filter, 1)));
        if negation {
            self.bump(Mode::Filter, Role::Prefix);
            let inner = self.filter_unary(ctx);
            return Filter {
                span: t.start..inner.span.end.max(t.end),
                kind: FilterKind::Not(Box::new(inner)),
            };
        }
        self.filter_primary(ctx)
    }

    /// Whether a word followed by `(` is a call: adjacent `(` always, a spaced one for known
    /// function names (so that free text followed by a group stays free text).
    fn is_call(&self, t: &Token, n1: &Token) -> bool {
        n1.tok == Tok::LParen
            && (t.tok == Tok::Saved || n1.start == t.end || catalog::lookup(self.text(t)).is_some())
    }

    fn filter_primary(&mut self, ctx: Ctx) -> Filter {
        let t = self.peek(Mode::Filter);
        let n1 = self.peek_nth(Mode::Filter, 1);
        let start = t.start;
        let kind = match t.tok {
            Tok::LParen => {
                let open = self.bump(Mode::Filter, Role::Open).span();
                let inner = self.filter_and(ctx);
                self.expect_close(Tok::RParen, open, ")", Role::Close);
                FilterKind::Paren(Box::new(inner))
            }
            Tok::Word | Tok::Saved if self.is_call(&t, &n1) => FilterKind::Call(self.call(None)),
            Tok::Word | Tok::Str if n1.tok == Tok::FieldOp => {
                let field = self.name();
                self.bump(Mode::Filter, Role::Spaced);
                let mut negated = false;
                loop {
                    let b = self.peek(Mode::Filter);
                    if b.tok == Tok::Bang || is_word(&b, self.src, "not") {
                        self.bump(Mode::Filter, Role::Prefix);
                        negated = !negated;
                    } else {
                        break;
                    }
                }
                let c = self.peek(Mode::Filter);
                let c1 = self.peek_nth(Mode::Filter, 1);
                if matches!(c.tok, Tok::Word | Tok::Saved) && c1.tok == Tok::LParen {
                    let mut call = self.call(Some(field));
                    call.negated = negated;
                    FilterKind::Call(call)
                } else {
                    let found = describe(&c, self.src);
                    self.error(
                        codes::UNEXPECTED,
                        format!("expected a function call after `=~`, found {found}"),
                        c.span(),
                    )
                    .label("`field =~ fn(…)` passes `field` to the function");
                    FilterKind::Error
                }
            }
            Tok::Word | Tok::Str if n1.tok == Tok::Link => {
                let left = self.name();
                self.bump(Mode::Filter, Role::Spaced);
                let r = self.peek(Mode::Filter);
                if matches!(r.tok, Tok::Word | Tok::Str) {
                    let right = self.name();
                    FilterKind::Link { left, right }
                } else {
                    let found = describe(&r, self.src);
                    self.error(
                        codes::EXPECTED_VALUE,
                        format!("expected a field after `<=>`, found {found}"),
                        r.span(),
                    );
                    FilterKind::Error
                }
            }
            Tok::Word | Tok::Str | Tok::Param if self.is_compare_op(&n1) => {
                let field = if t.tok == Tok::Param {
                    let tok = self.bump(Mode::Filter, Role::Atom);
                    Name {
                        text: self.text(&tok).to_string(),
                        span: tok.span(),
                        quoted: false,
                    }
                } else {
                    self.name()
                };
                let op_tok = self.peek(Mode::Filter);
                let (op, role) = match op_tok.tok {
                    Tok::Eq | Tok::EqEq => (FilterOp::Eq, Role::Tight),
                    Tok::Ne => (FilterOp::Ne, Role::Tight),
                    Tok::Lt => (FilterOp::Lt, Role::Tight),
                    Tok::Le => (FilterOp::Le, Role::Tight),
                    Tok::Gt => (FilterOp::Gt, Role::Tight),
                    Tok::Ge => (FilterOp::Ge, Role::Tight),
                    _ => (FilterOp::Like, Role::Spaced),
                };
                self.bump(Mode::Filter, role);
                let v = self.peek(Mode::Filter);
                if matches!(v.tok, Tok::Word | Tok::Str | Tok::Regex | Tok::Param) {
                    let value = self.value();
                    FilterKind::Compare { field, op, value }
                } else {
                    let found = describe(&v, self.src);
                    let at = self.pos;
                    self.error(
                        codes::EXPECTED_VALUE,
                        format!("expected a value after `{}`, found {found}", op.as_str()),
                        at..at,
                    )
                    .label("value missing here")
                    .help("use `field = *` to test that a field exists, `field = \"\"` for an empty value");
                    FilterKind::Error
                }
            }
            Tok::Word | Tok::Str | Tok::Regex | Tok::Param => FilterKind::Text(self.value()),
            Tok::Error(e) => {
                self.lex_error(t, e);
                self.bump(Mode::Filter, Role::Atom);
                FilterKind::Error
            }
            _ => {
                let found = describe(&t, self.src);
                let code = if matches!(t.tok, Tok::RParen | Tok::RBracket | Tok::RBrace) {
                    codes::UNMATCHED_CLOSE
                } else {
                    codes::UNEXPECTED
                };
                let span = if t.tok == Tok::Eof {
                    self.src.len()..self.src.len()
                } else {
                    t.span()
                };
                self.error(
                    code,
                    format!("expected a filter, function call or free text, found {found}"),
                    span,
                )
                .label("expected a filter here");
                FilterKind::Error
            }
        };
        Filter {
            kind,
            span: start..self.pos.max(start),
        }
    }

    /// A field name token (word, string or parameter), consumed.
    fn name(&mut self) -> Name {
        let t = self.bump(Mode::Filter, Role::Atom);
        let raw = self.text(&t);
        match t.tok {
            Tok::Str => Name {
                text: text::unescape_string(raw),
                span: t.span(),
                quoted: true,
            },
            _ => Name {
                text: text::unescape_name(raw),
                span: t.span(),
                quoted: false,
            },
        }
    }

    /// A word, string, regex or parameter value, consumed.
    fn value(&mut self) -> Value {
        let t = self.bump(Mode::Filter, Role::Atom);
        let raw = self.text(&t);
        let kind = match t.tok {
            Tok::Str => ValueKind::Str(text::unescape_string(raw)),
            Tok::Regex => {
                let (pattern, flags) = text::split_regex(raw);
                ValueKind::Regex { pattern, flags }
            }
            Tok::Param => {
                let (name, default) = text::split_param(raw);
                ValueKind::Param { name, default }
            }
            _ => ValueKind::Word(text::unescape_word(raw)),
        };
        Value {
            kind,
            span: t.span(),
        }
    }

    // ---- calls --------------------------------------------------------------------------------

    fn call(&mut self, receiver: Option<Name>) -> Call {
        let t = self.bump(Mode::Filter, Role::CallName);
        let raw = self.text(&t);
        let (name, saved) = if t.tok == Tok::Saved {
            (text::saved_name(raw), true)
        } else {
            (raw.to_string(), false)
        };
        let open = self.peek(Mode::Filter);
        let mut call = Call {
            name,
            name_span: t.span(),
            saved,
            negated: false,
            receiver,
            assign: None,
            args: Vec::new(),
            span: t.start..t.end,
        };
        if open.tok != Tok::LParen {
            let found = describe(&open, self.src);
            self.error(
                codes::UNEXPECTED,
                format!("expected `(` after the function name, found {found}"),
                open.span(),
            );
            return call;
        }
        let open = self.bump(Mode::Filter, Role::Open).span();
        let spec = if saved {
            None
        } else {
            catalog::lookup(&call.name)
        };
        let is_eval = call.name.eq_ignore_ascii_case("eval");
        loop {
            let t = self.peek(Mode::Filter);
            match t.tok {
                Tok::RParen => {
                    self.bump(Mode::Filter, Role::Close);
                    break;
                }
                Tok::Eof | Tok::Pipe | Tok::RBrace | Tok::Semi | Tok::RBracket => {
                    self.expect_close(Tok::RParen, open.clone(), ")", Role::Close);
                    break;
                }
                Tok::Comma => {
                    // Empty argument (`f(a,,b)` or a leading comma).
                    self.error(
                        codes::UNEXPECTED,
                        "expected an argument, found `,`",
                        t.span(),
                    );
                    self.bump(Mode::Filter, Role::Comma);
                    continue;
                }
                _ => {}
            }
            let before = self.pos;
            let arg = self.arg(spec, is_eval);
            call.args.push(arg);
            let t = self.peek(Mode::Filter);
            match t.tok {
                Tok::Comma => {
                    self.bump(Mode::Filter, Role::Comma);
                }
                Tok::RParen | Tok::Eof | Tok::Pipe | Tok::RBrace | Tok::Semi | Tok::RBracket => {}
                // correlate's `name: {…} include: […]` entries need no comma before the next.
                Tok::Word if self.text(&t).ends_with(':') => {}
                _ => {
                    let found = describe(&t, self.src);
                    self.error(
                        codes::UNEXPECTED,
                        format!("expected `,` or `)` in the argument list, found {found}"),
                        t.span(),
                    )
                    .label("unexpected here");
                    self.recover(&[Tok::Comma, Tok::RParen, Tok::Pipe, Tok::Semi]);
                    if self.pos == before {
                        self.bump(Mode::Filter, Role::Atom);
                    }
                    if self.peek(Mode::Filter).tok == Tok::Comma {
                        self.bump(Mode::Filter, Role::Comma);
                    }
                }
            }
        }
        call.span = t.start..self.pos;
        call
    }

    fn param_kind(
        spec: Option<&'static catalog::FunctionSpec>,
        name: Option<&str>,
        is_eval: bool,
    ) -> Option<ParamKind> {
        if is_eval && name.is_some() {
            return Some(ParamKind::Expr);
        }
        let spec = spec?;
        let pname = match name {
            Some(n) => n,
            None => spec.unnamed?,
        };
        spec.param(pname).map(|p| p.kind)
    }

    fn arg(&mut self, spec: Option<&'static catalog::FunctionSpec>, is_eval: bool) -> Arg {
        let t = self.peek(Mode::Filter);
        let n1 = self.peek_nth(Mode::Filter, 1);
        let start = t.start;
        let raw = self.text(&t);
        if t.tok == Tok::Word && raw.len() > 1 && raw.ends_with(':') && n1.tok == Tok::LBrace {
            // correlate(name: { … } include: [ … ], …)
            let name = raw.trim_end_matches(':').to_string();
            self.bump(Mode::Filter, Role::Label);
            let open = self.bump(Mode::Filter, Role::BraceOpen).span();
            let query = self.pipeline(Ctx::Brace);
            self.expect_close(Tok::RBrace, open, "}", Role::BraceClose);
            let mut options = Vec::new();
            loop {
                let k = self.peek(Mode::Filter);
                let k1 = self.peek_nth(Mode::Filter, 1);
                let ktext = self.text(&k);
                if k.tok == Tok::Word
                    && ktext.len() > 1
                    && ktext.ends_with(':')
                    && k1.tok != Tok::LBrace
                {
                    let key = ktext.trim_end_matches(':').to_string();
                    self.bump(Mode::Filter, Role::Label);
                    let v = self.arg_value(None, false);
                    options.push((key, k.span(), v));
                } else {
                    break;
                }
            }
            return Arg {
                name: Some((name, t.start..t.end - 1)),
                value: ArgValue::NamedQuery { query, options },
                span: start..self.pos,
            };
        }
        if t.tok == Tok::LParen
            && matches!(n1.tok, Tok::Word | Tok::Str)
            && self.peek_nth(Mode::Filter, 2).tok == Tok::Eq
        {
            // `f(a, (name=value))`: a parenthesised named argument.
            let open = self.bump(Mode::Filter, Role::Open).span();
            let inner = self.arg(spec, is_eval);
            self.expect_close(Tok::RParen, open, ")", Role::Close);
            return Arg {
                span: start..self.pos,
                ..inner
            };
        }
        if matches!(t.tok, Tok::Word | Tok::Str) && n1.tok == Tok::Eq {
            let name_tok = self.bump(Mode::Filter, Role::Atom);
            let name = if name_tok.tok == Tok::Str {
                text::unescape_string(self.text(&name_tok))
            } else {
                self.text(&name_tok).to_string()
            };
            self.bump(Mode::Filter, Role::Tight);
            let kind = Self::param_kind(spec, Some(&name), is_eval);
            let value = self.arg_value(kind, false);
            return Arg {
                name: Some((name, name_tok.span())),
                value,
                span: start..self.pos,
            };
        }
        let kind = Self::param_kind(spec, None, is_eval);
        let value = self.arg_value(kind, false);
        Arg {
            name: None,
            value,
            span: start..self.pos,
        }
    }

    fn arg_value(&mut self, kind: Option<ParamKind>, in_array: bool) -> ArgValue {
        let t = self.peek(Mode::Filter);
        let n1 = self.peek_nth(Mode::Filter, 1);
        match t.tok {
            Tok::LBracket => {
                let open = self.bump(Mode::Filter, Role::Open).span();
                let mut items = Vec::new();
                loop {
                    let t = self.peek(Mode::Filter);
                    match t.tok {
                        Tok::RBracket => {
                            self.bump(Mode::Filter, Role::Close);
                            break;
                        }
                        Tok::Eof | Tok::Pipe | Tok::RParen | Tok::RBrace | Tok::Semi => {
                            self.expect_close(Tok::RBracket, open.clone(), "]", Role::Close);
                            break;
                        }
                        Tok::Comma => {
                            self.bump(Mode::Filter, Role::Comma);
                            continue;
                        }
                        _ => {}
                    }
                    let before = self.pos;
                    items.push(self.arg_value(kind, true));
                    let t = self.peek(Mode::Filter);
                    match t.tok {
                        Tok::Comma => {
                            self.bump(Mode::Filter, Role::Comma);
                        }
                        Tok::RBracket | Tok::Eof | Tok::Pipe | Tok::RParen | Tok::RBrace => {}
                        _ => {
                            let found = describe(&t, self.src);
                            self.error(
                                codes::UNEXPECTED,
                                format!("expected `,` or `]` in the array, found {found}"),
                                t.span(),
                            );
                            self.recover(&[Tok::Comma, Tok::RBracket, Tok::Pipe]);
                            if self.pos == before {
                                self.bump(Mode::Filter, Role::Atom);
                            }
                        }
                    }
                }
                ArgValue::Array(items, open.start..self.pos)
            }
            Tok::LBrace => {
                let open = self.bump(Mode::Filter, Role::BraceOpen).span();
                let query = self.pipeline(Ctx::Brace);
                self.expect_close(Tok::RBrace, open, "}", Role::BraceClose);
                ArgValue::Query(query)
            }
            _ if kind == Some(ParamKind::Expr) => ArgValue::Expr(self.expr()),
            Tok::LParen => {
                let open = self.bump(Mode::Filter, Role::Open).span();
                let inner = self.arg_value(kind, in_array);
                self.expect_close(Tok::RParen, open, ")", Role::Close);
                inner
            }
            Tok::Word | Tok::Saved if self.is_call(&t, &n1) => ArgValue::Call(self.call(None)),
            Tok::Word | Tok::Str if in_array && n1.tok == Tok::Assign => {
                // `[x := min(y), …]` in a function list.
                let name = self.name();
                self.bump(Mode::Filter, Role::Spaced);
                let c = self.peek(Mode::Filter);
                let c1 = self.peek_nth(Mode::Filter, 1);
                if matches!(c.tok, Tok::Word | Tok::Saved) && c1.tok == Tok::LParen {
                    let mut call = self.call(None);
                    call.assign = Some(name);
                    ArgValue::Call(call)
                } else {
                    let found = describe(&c, self.src);
                    self.error(
                        codes::UNEXPECTED,
                        format!(
                            "expected a function call after `:=` in a function list, found {found}"
                        ),
                        c.span(),
                    );
                    ArgValue::Value(Value {
                        kind: ValueKind::Word(String::new()),
                        span: c.start..c.start,
                    })
                }
            }
            Tok::Bang if matches!(n1.tok, Tok::Word) => {
                self.bump(Mode::Filter, Role::Prefix);
                let mut call = self.call(None);
                call.negated = true;
                ArgValue::Call(call)
            }
            Tok::Word | Tok::Str | Tok::Regex | Tok::Param => ArgValue::Value(self.value()),
            _ => {
                let found = describe(&t, self.src);
                let at = if t.tok == Tok::Eof {
                    self.src.len()
                } else {
                    t.start
                };
                self.error(
                    codes::EXPECTED_VALUE,
                    format!("expected an argument value, found {found}"),
                    at..t.end.max(at),
                )
                .label("expected a value");
                ArgValue::Value(Value {
                    kind: ValueKind::Word(String::new()),
                    span: t.start..t.start,
                })
            }
        }
    }

    // ---- expressions --------------------------------------------------------------------------

    fn expr(&mut self) -> Expr {
        self.expr_bp(0)
    }

    fn bin_op(t: &Token) -> Option<BinOp> {
        Some(match t.tok {
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Slash => BinOp::Div,
            Tok::Percent => BinOp::Rem,
            Tok::EqEq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::Link => BinOp::Link,
            _ => return None,
        })
    }

    fn expr_bp(&mut self, min: u8) -> Expr {
        let mut lhs = self.expr_unary();
        loop {
            let t = self.peek(Mode::Expr);
            let Some(op) = Self::bin_op(&t) else { break };
            let prec = op.precedence();
            if prec < min {
                break;
            }
            self.bump(Mode::Expr, Role::Spaced);
            let rhs = self.expr_bp(prec + 1);
            let span = lhs.span.start..rhs.span.end.max(lhs.span.end);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        lhs
    }

    fn expr_unary(&mut self) -> Expr {
        let t = self.peek(Mode::Expr);
        let op = match t.tok {
            Tok::Minus => Some(UnaryOp::Neg),
            Tok::Bang => Some(UnaryOp::Not),
            _ => None,
        };
        if let Some(op) = op {
            self.bump(Mode::Expr, Role::Prefix);
            let inner = self.expr_unary();
            return Expr {
                span: t.start..inner.span.end.max(t.end),
                kind: ExprKind::Unary(op, Box::new(inner)),
            };
        }
        self.expr_primary()
    }

    fn expr_primary(&mut self) -> Expr {
        let t = self.peek(Mode::Expr);
        let n1 = self.peek_nth(Mode::Expr, 1);
        let start = t.start;
        let kind = match t.tok {
            Tok::Number => {
                let t = self.bump(Mode::Expr, Role::Atom);
                ExprKind::Num(self.text(&t).to_string())
            }
            Tok::Str => {
                let t = self.bump(Mode::Expr, Role::Atom);
                ExprKind::Str(text::unescape_string(self.text(&t)))
            }
            Tok::Param => {
                let t = self.bump(Mode::Expr, Role::Atom);
                let (name, default) = text::split_param(self.text(&t));
                ExprKind::Param { name, default }
            }
            Tok::LParen => {
                let open = self.bump(Mode::Expr, Role::Open).span();
                let inner = self.expr();
                self.expect_close(Tok::RParen, open, ")", Role::Close);
                ExprKind::Paren(Box::new(inner))
            }
            Tok::Word | Tok::Saved if self.is_call(&t, &n1) => {
                // Calls lex their name in filter mode (`array:contains`, `text:length`).
                ExprKind::Call(self.call(None))
            }
            Tok::Word if is_word(&t, self.src, "true") || is_word(&t, self.src, "false") => {
                let t = self.bump(Mode::Expr, Role::Atom);
                ExprKind::Bool(self.text(&t).eq_ignore_ascii_case("true"))
            }
            Tok::Word => {
                let t = self.bump(Mode::Expr, Role::Atom);
                let raw = self.text(&t);
                ExprKind::Field(Name {
                    text: text::unescape_name(raw),
                    span: t.span(),
                    quoted: false,
                })
            }
            _ => {
                let found = describe(&t, self.src);
                let span = if t.tok == Tok::Eof {
                    self.src.len()..self.src.len()
                } else {
                    t.span()
                };
                self.error(
                    codes::EXPECTED_EXPR,
                    format!("expected an expression, found {found}"),
                    span,
                )
                .label("expected a number, string, field or function call");
                ExprKind::Error
            }
        };
        Expr {
            kind,
            span: start..self.pos.max(start),
        }
    }
}

/// Whether a call already passes `field` (by name or as its unnamed argument).
fn names_field(c: &Call) -> bool {
    let spec = catalog::lookup(&c.name);
    c.args.iter().any(|a| match &a.name {
        Some((n, _)) => n.eq_ignore_ascii_case("field"),
        None => spec.and_then(|s| s.unnamed) == Some("field"),
    })
}

/// In-place annotation of a diagnostic already pushed.
trait Annotate {
    fn label(&mut self, msg: impl Into<String>) -> &mut Self;
    fn secondary(&mut self, span: Span, msg: impl Into<String>) -> &mut Self;
    fn help(&mut self, msg: impl Into<String>) -> &mut Self;
}

impl Annotate for Diagnostic {
    fn label(&mut self, msg: impl Into<String>) -> &mut Self {
        self.label = Some(msg.into());
        self
    }
    fn secondary(&mut self, span: Span, msg: impl Into<String>) -> &mut Self {
        self.labels.push(saker_diag::Label {
            span,
            message: msg.into(),
        });
        self
    }
    fn help(&mut self, msg: impl Into<String>) -> &mut Self {
        self.help = Some(msg.into());
        self
    }
}

fn open_of(close: &str) -> &'static str {
    match close {
        ")" => "(",
        "]" => "[",
        _ => "{",
    }
}

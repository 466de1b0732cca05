//! The canonical layout.
//!
//! The formatter re-emits the tokens the parser consumed, in order, with new whitespace, so it
//! cannot change what a query means: only spacing and line breaks change, and comments stay
//! where they were relative to the tokens. Layout rules:
//! * one pipeline stage per line (`| ` at the start of the line), also inside multi-stage
//!   subqueries, which are indented by two spaces;
//! * `case`/`match` blocks: one clause per line, stages of a clause on that line;
//! * filter comparisons and named arguments without spaces (`f=v`, `limit=10`); `:=`, `=~`,
//!   `=>`, `<=>`, `like`, `and`/`or` and expression operators with one space on each side;
//! * `, ` between arguments and array items; argument lists holding a line comment or
//!   `correlate` subqueries one argument per line;
//! * `//` comments end their line; blank lines are dropped.

use crate::Diagnostic;
use crate::lexer::{Comment, Tok};
use crate::parser::{self, RecordedToken, Role};

pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = parser::parse(source);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(parsed.diagnostics);
    }
    let out = layout(source, &parsed.tokens, &parsed.comments);
    // Safety net: the layout must keep every token; if it did not, keep the query as written.
    let again = parser::parse(&out);
    let same =
        again.tokens.len() == parsed.tokens.len()
            && again.tokens.iter().zip(&parsed.tokens).all(|(a, b)| {
                a.token.tok == b.token.tok && a.token.text(&out) == b.token.text(source)
            })
            && again.comments.len() == parsed.comments.len();
    if same && !again.diagnostics.iter().any(Diagnostic::is_error) {
        Ok(out)
    } else {
        Ok(source.to_string())
    }
}

enum Item<'a> {
    Token(&'a RecordedToken),
    Comment(&'a Comment),
}

impl Item<'_> {
    fn start(&self) -> usize {
        match self {
            Item::Token(t) => t.token.start,
            Item::Comment(c) => c.span.start,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum GroupKind {
    /// `(` or `[`.
    Bracket,
    /// `{ … }` subquery.
    Brace,
    /// `case { … }` / `match { … }`.
    Block,
}

struct Group {
    kind: GroupKind,
    multiline: bool,
}

struct Writer<'a> {
    src: &'a str,
    out: String,
    indent: usize,
    line_start: bool,
    /// Text of the last token written (for glue checks) and its role.
    prev: Option<(&'a str, Role, Tok)>,
    stack: Vec<Group>,
}

fn opens(t: &RecordedToken) -> Option<GroupKind> {
    match (t.token.tok, t.role) {
        (_, Role::BlockOpen) => Some(GroupKind::Block),
        (Tok::LBrace, _) => Some(GroupKind::Brace),
        (Tok::LParen | Tok::LBracket, _) => Some(GroupKind::Bracket),
        _ => None,
    }
}

fn closes(t: &RecordedToken) -> bool {
    matches!(t.token.tok, Tok::RParen | Tok::RBracket | Tok::RBrace)
}

/// For every opening token (by index into `items`), whether its group is laid out on several
/// lines.
fn multiline_groups(src: &str, items: &[Item]) -> Vec<bool> {
    let mut result = vec![false; items.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Token(t) => {
                if let Some(kind) = opens(t) {
                    if kind == GroupKind::Block {
                        result[i] = true;
                    }
                    stack.push(i);
                    continue;
                }
                if closes(t) {
                    stack.pop();
                    continue;
                }
                if let Some(&open) = stack.last() {
                    let Item::Token(o) = &items[open] else {
                        continue;
                    };
                    let kind = opens(o);
                    let breaks = match kind {
                        Some(GroupKind::Brace) => matches!(t.token.tok, Tok::Pipe | Tok::Semi),
                        Some(GroupKind::Bracket) => t.role == Role::Label,
                        _ => false,
                    };
                    if breaks {
                        result[open] = true;
                    }
                }
            }
            Item::Comment(c) => {
                let is_line = c.line || src.get(c.span.clone()).is_some_and(|s| s.contains('\n'));
                if is_line && let Some(&open) = stack.last() {
                    result[open] = true;
                }
            }
        }
    }
    result
}

fn layout(src: &str, tokens: &[RecordedToken], comments: &[Comment]) -> String {
    let mut items: Vec<Item> = tokens
        .iter()
        .map(Item::Token)
        .chain(comments.iter().map(Item::Comment))
        .collect();
    items.sort_by_key(Item::start);
    let multiline = multiline_groups(src, &items);
    let mut w = Writer {
        src,
        out: String::with_capacity(src.len() + 16),
        indent: 0,
        line_start: true,
        prev: None,
        stack: Vec::new(),
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Comment(c) => w.comment(c),
            Item::Token(t) => w.token(t, multiline[i]),
        }
    }
    let mut out: String = w
        .out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

/// Whether writing `b` right after `a` would lex differently from `a b`.
fn glue_unsafe(a: &str, b: &str) -> bool {
    let (Some(x), Some(y)) = (a.chars().last(), b.chars().next()) else {
        return false;
    };
    matches!(
        (x, y),
        ('=', '~' | '=' | '>')
            | ('<' | '>' | '!' | ':', '=')
            | ('/', '/' | '*')
            | ('*', '/')
            | ('<', '>')
    ) || (is_wordish(x) && is_wordish(y))
}

fn is_wordish(c: char) -> bool {
    !c.is_whitespace() && !"|,;()[]{}=!<>\"/?$".contains(c)
}

impl<'a> Writer<'a> {
    fn newline(&mut self) {
        if !self.line_start {
            self.out.push('\n');
            self.line_start = true;
        }
    }

    fn write(&mut self, text: &str, space_before: bool) {
        if self.line_start {
            for _ in 0..self.indent {
                self.out.push_str("  ");
            }
            self.line_start = false;
        } else if space_before || self.prev.is_some_and(|(p, _, _)| glue_unsafe(p, text)) {
            self.out.push(' ');
        }
        self.out.push_str(text);
    }

    fn innermost(&self) -> Option<&Group> {
        self.stack.last()
    }

    fn comment(&mut self, c: &Comment) {
        let text = self.src.get(c.span.clone()).unwrap_or("");
        if c.line {
            if self.prev.is_none() && !self.out.is_empty() {
                self.newline();
            }
            self.write(text.trim_end(), true);
            self.newline();
            return;
        }
        self.write(text, true);
        if text.contains('\n') {
            self.newline();
        }
    }

    fn token(&mut self, t: &'a RecordedToken, multiline: bool) {
        let text = t.token.text(self.src);
        let tok = t.token.tok;
        let prev_role = self.prev.map(|(_, r, _)| r);
        let prev_tok = self.prev.map(|(_, _, k)| k);
        match tok {
            Tok::Pipe => {
                let breaks = match self.innermost() {
                    None => true,
                    Some(g) => g.kind == GroupKind::Brace && g.multiline,
                };
                if breaks {
                    if self.prev.is_some() {
                        self.newline();
                    }
                    self.write("|", false);
                } else {
                    self.write("|", true);
                }
            }
            Tok::Semi => {
                self.write(";", false);
                if self.innermost().is_some_and(|g| g.kind == GroupKind::Block) {
                    self.newline();
                }
            }
            Tok::Comma => {
                self.write(",", false);
                if self
                    .innermost()
                    .is_some_and(|g| g.kind == GroupKind::Bracket && g.multiline)
                {
                    self.newline();
                }
            }
            _ if opens(t).is_some() => {
                let kind = opens(t).unwrap_or(GroupKind::Bracket);
                let space = match kind {
                    GroupKind::Bracket => {
                        !(prev_role == Some(Role::CallName)
                            || matches!(prev_role, Some(Role::Open | Role::Tight | Role::Prefix))
                            || prev_tok.is_none())
                    }
                    _ => !matches!(prev_role, Some(Role::Open | Role::Tight)),
                };
                let space = space && !self.line_start && self.prev.is_some();
                self.write(
                    text,
                    space || matches!(prev_tok, Some(Tok::Pipe | Tok::Comma)),
                );
                self.stack.push(Group { kind, multiline });
                if multiline {
                    self.indent += 1;
                    self.newline();
                }
            }
            _ if closes(t) => {
                let group = self.stack.pop();
                let (kind, ml) =
                    group.map_or((GroupKind::Bracket, false), |g| (g.kind, g.multiline));
                if ml {
                    self.indent = self.indent.saturating_sub(1);
                    self.newline();
                }
                let space = kind != GroupKind::Bracket && !ml;
                self.write(text, space);
            }
            _ => {
                let space = match prev_role {
                    None => false,
                    Some(Role::Open) => false,
                    Some(Role::Tight) => false,
                    Some(Role::Prefix) => prev_tok == Some(Tok::Word),
                    Some(Role::Pipe | Role::Comma | Role::Label) => true,
                    _ => t.role != Role::Tight,
                };
                self.write(text, space);
            }
        }
        self.prev = Some((text, t.role, tok));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        format(s).unwrap_or_else(|e| panic!("{s}: {e:#?}"))
    }

    #[test]
    fn one_stage_per_line() {
        assert_eq!(
            fmt("a = 1 b=2|groupBy( [x,y] , function = count( ) )"),
            "a=1 b=2\n| groupBy([x, y], function=count())\n"
        );
    }

    #[test]
    fn case_blocks_and_comments() {
        let q = "x=1 // keep\n| case { a=1 | y := \"A\" ; * | y:=\"B\" }";
        assert_eq!(
            fmt(q),
            "x=1 // keep\n| case {\n    a=1 | y := \"A\";\n    * | y := \"B\"\n  }\n"
                .replace("    ", "  ")
                .replace("\n  }", "\n}")
        );
    }

    #[test]
    fn idempotent_on_tricky_spacing() {
        for q in [
            "f = ~x",
            "not f=/a\\/b/i or !in(x, values=[\"a\"])",
            "x := a - -1 * (b/2)",
            "| #event_simpleName=ProcessRollup2\n// c\n| table([a])",
            "join({a=1 | b=2}, field=x)",
            "correlate(a: { x=1 } include: [aid], b: { y=2 | aid <=> a.aid }, within=5m)",
        ] {
            let once = fmt(q);
            assert_eq!(fmt(&once), once, "{q}");
        }
    }
}

//! A diagnostic is data: front-ends produce them, only the CLI renders them.

use serde::Serialize;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Syntax,
    Semantic,
    Lint,
}

/// A secondary span with a message ("first defined here").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Range<usize>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub kind: Kind,
    /// Stable code, e.g. `CQL0001` (syntax), `CQL-L001` (lint). `saker explain CODE` describes it.
    pub code: &'static str,
    pub message: String,
    /// Byte range in the source text the diagnostic is about.
    pub span: Range<usize>,
    /// Message under the primary caret.
    pub label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        kind: Kind,
        code: &'static str,
        message: impl Into<String>,
        span: Range<usize>,
    ) -> Self {
        Self {
            severity,
            kind,
            code,
            message: message.into(),
            span,
            label: None,
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn error(
        kind: Kind,
        code: &'static str,
        message: impl Into<String>,
        span: Range<usize>,
    ) -> Self {
        Self::new(Severity::Error, kind, code, message, span)
    }

    pub fn warning(
        kind: Kind,
        code: &'static str,
        message: impl Into<String>,
        span: Range<usize>,
    ) -> Self {
        Self::new(Severity::Warning, kind, code, message, span)
    }

    pub fn note(
        kind: Kind,
        code: &'static str,
        message: impl Into<String>,
        span: Range<usize>,
    ) -> Self {
        Self::new(Severity::Note, kind, code, message, span)
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_secondary(mut self, span: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..floor_char_boundary(text, at)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The flat JSON record `saker check --format json` prints for one diagnostic.
#[derive(Clone, Debug, Serialize)]
pub struct Record<'a> {
    pub file: &'a str,
    pub severity: Severity,
    pub kind: Kind,
    pub code: &'a str,
    pub message: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub help: Option<&'a str>,
}

impl Diagnostic {
    pub fn record<'a>(&'a self, file: &'a str, text: &str) -> Record<'a> {
        let (line, column) = line_col(text, self.span.start);
        let (end_line, end_column) = line_col(text, self.span.end);
        Record {
            file,
            severity: self.severity,
            kind: self.kind,
            code: self.code,
            message: &self.message,
            line,
            column,
            end_line,
            end_column,
            help: self.help.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let t = "ab\ncdé\nf";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 7), (2, 4));
        assert_eq!(line_col(t, 100), (3, 2));
    }
}

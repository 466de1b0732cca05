//! Reading a [`Call`]'s bound arguments: fields, text, numbers, booleans, limits, regexes.

use saker_plan::{ArgValue, Call, Expr};

use crate::error::{ExecError, Result};
use crate::options::Options;

pub struct Args<'a> {
    pub call: &'a Call,
    pub opts: &'a Options,
}

impl<'a> Args<'a> {
    pub fn new(call: &'a Call, opts: &'a Options) -> Self {
        Args { call, opts }
    }

    pub fn name(&self) -> &str {
        &self.call.name
    }

    pub fn err(&self, message: impl Into<String>) -> ExecError {
        ExecError::arg(&self.call.name, message)
    }

    /// The raw argument, matching the parameter name case-insensitively. An unnamed argument the
    /// front-end could not bind (`_`) counts as the function's designated first parameter.
    pub fn raw(&self, name: &str) -> Option<&'a ArgValue> {
        let named = self
            .call
            .args
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| &a.value);
        named.or_else(|| {
            (unnamed_param(&self.call.name)?.eq_ignore_ascii_case(name))
                .then(|| self.call.args.iter().find(|a| a.name == "_"))
                .flatten()
                .map(|a| &a.value)
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// Text of a scalar argument (string, word, number, substituted parameter).
    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name).and_then(|v| self.scalar(v))
    }

    pub fn scalar(&self, v: &ArgValue) -> Option<String> {
        match v {
            ArgValue::Str(s) | ArgValue::Word(s) | ArgValue::Num(s) => Some(s.clone()),
            ArgValue::Param(p) => Some(
                self.opts
                    .params
                    .get(p)
                    .cloned()
                    .unwrap_or_else(|| "*".into()),
            ),
            ArgValue::Expr(Expr::Field(f))
            | ArgValue::Expr(Expr::Str(f))
            | ArgValue::Expr(Expr::Num(f)) => Some(f.clone()),
            ArgValue::Expr(Expr::Bool(b)) => Some(b.to_string()),
            ArgValue::Expr(Expr::Unary(saker_plan::UnaryOp::Neg, inner)) => match inner.as_ref() {
                Expr::Num(n) => Some(format!("-{n}")),
                _ => None,
            },
            ArgValue::Array(items) if items.len() == 1 => self.scalar(&items[0]),
            _ => None,
        }
    }

    pub fn text_or(&self, name: &str, default: &str) -> String {
        self.text(name).unwrap_or_else(|| default.to_owned())
    }

    pub fn required_text(&self, name: &str) -> Result<String> {
        self.text(name)
            .ok_or_else(|| self.err(format!("missing or non-text argument `{name}`")))
    }

    /// A list of field names (or values): `x`, `"x"`, `[a, b]`.
    pub fn list(&self, name: &str) -> Vec<String> {
        let v = match name {
            "field" => self.raw("field").or_else(|| self.raw("fields")),
            "fields" => self.raw("fields").or_else(|| self.raw("field")),
            _ => self.raw(name),
        };
        match v {
            None => Vec::new(),
            Some(ArgValue::Array(items)) => items.iter().filter_map(|v| self.scalar(v)).collect(),
            Some(v) => self.scalar(v).into_iter().collect(),
        }
    }

    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool> {
        match self.text(name) {
            None => Ok(default),
            Some(t) if t.eq_ignore_ascii_case("true") => Ok(true),
            Some(t) if t.eq_ignore_ascii_case("false") => Ok(false),
            Some(t) => Err(self.err(format!("`{name}` must be true or false, not `{t}`"))),
        }
    }

    pub fn num_or(&self, name: &str, default: f64) -> Result<f64> {
        match self.text(name) {
            None => Ok(default),
            Some(t) => saker_event::parse_number(&t)
                .ok_or_else(|| self.err(format!("`{name}` must be a number, not `{t}`"))),
        }
    }

    /// A row limit: a number, or `max` for `max`.
    pub fn limit_or(&self, name: &str, default: usize, max: usize) -> Result<usize> {
        match self.text(name) {
            None => Ok(default),
            Some(t) if t.eq_ignore_ascii_case("max") => Ok(max),
            Some(t) => match saker_event::parse_number(&t) {
                Some(n) if n >= 0.0 => Ok((n as usize).min(max)),
                _ => Err(self.err(format!("`{name}` must be a non-negative number or max"))),
            },
        }
    }

    /// A regex argument: `/re/flags` or a string pattern (then `flags=` applies).
    pub fn regex(&self, name: &str, default_flags: &str) -> Option<(String, String)> {
        let flags = self.text("flags");
        match self.raw(name)? {
            ArgValue::Regex { pattern, flags: f } => {
                let mut all = f.clone();
                if let Some(extra) = flags {
                    all.push_str(&extra);
                }
                Some((pattern.clone(), all))
            }
            v => Some((
                self.scalar(v)?,
                flags.unwrap_or_else(|| default_flags.to_owned()),
            )),
        }
    }

    /// Refuses arguments this implementation would otherwise ignore.
    pub fn reject(&self, names: &[&str]) -> Result<()> {
        for n in names {
            if self.has(n) {
                return Err(ExecError::Unsupported(format!(
                    "parameter `{n}` of {}()",
                    self.call.name
                )));
            }
        }
        Ok(())
    }
}

/// The parameter an unnamed argument binds to: the catalogue's, else the documented first parameter.
pub fn unnamed_param(function: &str) -> Option<&'static str> {
    if let Some(spec) = saker_plan::catalog::lookup(function) {
        return spec.unnamed;
    }
    let f = function.to_ascii_lowercase();
    Some(match f.as_str() {
        "regex" | "replace" => "regex",
        "format" | "formattime" | "parsetimestamp" => "format",
        "head" | "tail" => "limit",
        "default" => "value",
        "wildcard" => "pattern",
        "test" => "expression",
        "if" => "condition",
        "createevents" => "rawstring",
        "readfile" | "match" => "file",
        "join" | "definetable" => "query",
        "stats" | "accumulate" | "slidingwindow" | "slidingtimewindow" | "partition"
        | "session" | "window" => "function",
        "bucket" => "span",
        "timechart" => "series",
        "coalesce" => "expressions",
        "text:contains" | "text:startswith" | "text:endswith" | "text:length"
        | "text:substring" | "text:positionof" => "string",
        "array:contains" | "array:regex" | "array:exists" | "array:filter" | "array:eval"
        | "array:length" | "array:append" | "array:dedup" | "array:union"
        | "array:intersection" | "array:sort" | "array:drop" | "array:rename"
        | "array:reduceall" | "array:reducerow" | "array:reducecolumn" | "objectarray:eval"
        | "objectarray:exists" => "array",
        "collect" | "sort" | "table" | "select" | "drop" | "groupby" | "top" | "selectlast"
        | "concat" => "field",
        "neighbor" => "include",
        "setfield" => "target",
        "getfield" => "source",
        "sample" => "percentage",
        "duration" => "duration",
        _ => "field",
    })
}

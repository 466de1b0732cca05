//! Values computed by expressions. Fields hold text; numbers and booleans exist only while an
//! expression is evaluated and are printed back as LogScale prints them.

use saker_event::{Text, format_number, parse_number};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(Text),
    Num(f64),
    Bool(bool),
}

impl Value {
    pub fn text(s: impl Into<Text>) -> Self {
        Value::Text(s.into())
    }

    /// The value read as a number (`"2"` is usable as a number; booleans are not).
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Text(t) => parse_number(t),
            Value::Num(n) => Some(*n),
            Value::Bool(_) => None,
        }
    }

    /// Truthiness for `test()`/`if()`: `false`, `0` and empty are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0,
            Value::Text(t) => {
                let t = t.trim();
                !(t.is_empty() || t.eq_ignore_ascii_case("false") || parse_number(t) == Some(0.0))
            }
        }
    }

    pub fn into_text(self) -> Text {
        match self {
            Value::Text(t) => t,
            Value::Num(n) => format_number(n),
            Value::Bool(b) => Text::const_new(if b { "true" } else { "false" }),
        }
    }

    pub fn to_text(&self) -> Text {
        self.clone().into_text()
    }
}

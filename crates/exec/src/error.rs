//! Errors raised while compiling or running a plan.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ExecError {
    /// The plan uses something this engine does not implement (yet).
    #[error("{0} is not supported yet")]
    Unsupported(String),
    /// A regex the target dialect rejects, or that fails to compile.
    #[error("invalid regex /{pattern}/: {message}")]
    Regex { pattern: String, message: String },
    /// An argument that is missing or malformed.
    #[error("{function}(): {message}")]
    Argument { function: String, message: String },
    /// Anything else wrong with the plan (bad subnet, unknown parameter value, …).
    #[error("{0}")]
    Invalid(String),
    /// A failure while the plan runs (lookup file unreadable, …).
    #[error("{0}")]
    Runtime(String),
}

impl ExecError {
    pub fn arg(function: &str, message: impl Into<String>) -> Self {
        ExecError::Argument {
            function: function.to_owned(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = ExecError> = std::result::Result<T, E>;

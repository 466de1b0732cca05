//! saker's native engine: runs [`saker_plan::Plan`]s over event streams with LogScale's semantics.
//!
//! * [`predicate`]: filters compiled into fast matchers (shared with the Sigma engine);
//! * [`regex`]: LogScale (JitRex) and Sigma regex dialects on Rust engines.

pub mod error;
pub mod matcher;
pub mod predicate;
pub mod regex;
pub mod text;

pub use error::ExecError;
pub use predicate::{CompiledPredicate, EventFilter, FilterCompiler};

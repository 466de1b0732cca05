//! One module per subcommand; each exposes `Args` and `run`.

pub mod check;
pub mod convert;
pub mod coverage;
pub mod events;
pub mod explain;
pub mod fmt;
pub mod hunt;
pub mod run;
pub mod saved;
pub mod test;

use saker_plan::Plan;

use crate::{Conversion, Options, Refusal};

pub fn convert(_plan: &Plan, _options: &Options) -> Result<Conversion, Refusal> {
    Err(Refusal::new("not yet"))
}

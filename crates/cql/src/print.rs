//! Printing a plan as CQL text.

use saker_plan::Plan;

pub fn print(_plan: &Plan) -> String {
    String::new()
}

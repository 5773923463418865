//! The two phases that may let a request through, and the type that says
//! one did. A [`Permitted`] request is made only here: by `decide` (the
//! scope map allows it, or observe mode) and by `settle` (a human approved
//! exactly this request). The forward phase takes nothing else.

pub mod decide;
mod permitted;
pub mod settle;

pub use decide::{Decided, Next, decide};
pub use permitted::Permitted;

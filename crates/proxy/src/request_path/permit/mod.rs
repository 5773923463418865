//! The two phases that may let a request through, and the type that says
//! one did. A [`Permitted`] request is made only here: by `decide` (the
//! scope map allows it, or observe mode) and by `settle` (a human approved
//! exactly this request). The forward phase takes nothing else.

use bytes::Bytes;
use http::HeaderMap;

use crate::upstream::Forwardable;

use super::read::Inbound;

pub mod decide;
pub mod settle;

pub use decide::{Decided, Next, decide};

/// A request a decision let through.
#[derive(Debug)]
pub struct Permitted<T>(T);

impl<T> Permitted<T> {
    /// Private to this module and its children: only `decide` and `settle`
    /// permit requests.
    fn new(request: T) -> Self {
        Self(request)
    }
}

impl Permitted<Inbound> {
    /// The headers, to put the real secret where the surrogate was
    /// presented (`credential`): the one change made to a permitted request.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.0.parts.headers
    }
}

impl Forwardable for Permitted<Inbound> {
    fn into_request(self) -> (http::request::Parts, Bytes) {
        (self.0.parts, self.0.body)
    }
}

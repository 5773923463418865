//! The type that says a decision let a request through.

use bytes::Bytes;
use http::HeaderMap;

use crate::request_path::read::Inbound;
use crate::upstream::Forwardable;

/// A request a decision let through.
#[derive(Debug)]
pub struct Permitted<T>(T);

impl<T> Permitted<T> {
    /// Visible only inside `permit`: only `decide` and `settle` permit
    /// requests.
    pub(super) fn new(request: T) -> Self {
        Self(request)
    }

    /// A permitted request for unit tests outside `permit`.
    #[cfg(test)]
    pub(crate) fn for_test(request: T) -> Self {
        Self(request)
    }
}

impl Permitted<Inbound> {
    /// The headers, to put the real secret where the surrogate was
    /// presented (`credential`): the one change made to a permitted request.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.0.parts.headers
    }

    /// The whole request, for the one change that touches more than
    /// headers: an AWS surrogate's request signed again with the real key
    /// (`aws_key`: `Authorization`, a presigned query, chunk signatures).
    pub fn inbound_mut(&mut self) -> &mut Inbound {
        &mut self.0
    }
}

impl Permitted<Inbound> {
    /// The exact bytes inspected: a permitted WebSocket operation is
    /// forwarded as these.
    pub fn body(&self) -> &Bytes {
        &self.0.body
    }
}

impl Forwardable for Permitted<Inbound> {
    fn into_request(self) -> (http::request::Parts, Bytes) {
        (self.0.parts, self.0.body)
    }
}

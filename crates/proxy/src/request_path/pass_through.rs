//! A request to a non-provider host sent in absolute form, passed through
//! as the egress decision permits. Nothing is inspected: the host is not a
//! provider.

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;

use crate::body::Body;
use crate::egress::EgressPermit;
use crate::shared::State;
use crate::upstream::{Destination, Forwardable, forward as send};

use super::conn::Conn;
use super::forward::upstream_failure;
use super::read::{Limits, read_body};

/// A request the egress decision let through.
pub struct PassThrough {
    parts: http::request::Parts,
    body: Bytes,
}

impl PassThrough {
    /// Only with the egress decision's permit.
    pub fn new(_permit: EgressPermit, parts: http::request::Parts, body: Bytes) -> Self {
        Self { parts, body }
    }
}

impl Forwardable for PassThrough {
    fn into_request(self) -> (http::request::Parts, Bytes) {
        (self.parts, self.body)
    }
}

/// Reads the body and forwards the request untouched.
pub async fn forward(
    state: &State,
    conn: &Conn,
    permit: EgressPermit,
    req: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match read_body(&Limits::of(&state.config), body).await {
        Ok(b) => b,
        Err(refusal) => return refusal.answer(&state.metrics),
    };
    let timeout = state.config.proxy.upstream_timeout;
    let to = Destination {
        host: &conn.host,
        port: conn.port,
        scheme: conn.scheme,
    };
    match send(
        &state.client,
        PassThrough::new(permit, parts, body),
        to,
        timeout,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => upstream_failure(&e, &conn.host).answer(&state.metrics),
    }
}

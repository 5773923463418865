//! The admit phase: what is refused from the request head alone, before a
//! byte of the body is read.

use http::header::{CONTENT_LENGTH, HOST, UPGRADE};
use http::{Method, Request};
use scopegate_inspect::canonical_host;

use crate::respond::Refusal;

use super::conn::Conn;

/// A request head accepted for reading, with its body still unread.
#[derive(Debug)]
pub struct Admitted<B> {
    pub parts: http::request::Parts,
    pub body: B,
}

/// The request must be for the tunnel's host, must not upgrade the
/// protocol (nothing passes a provider host uninspected), and must not
/// declare a body over the limit.
pub fn admit<B>(conn: &Conn, max_body: usize, req: Request<B>) -> Result<Admitted<B>, Refusal> {
    let (parts, body) = req.into_parts();
    let authority = parts
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| parts.headers.get(HOST).and_then(|h| h.to_str().ok()));
    if let Some(a) = authority
        && canonical_host(a, conn.port).0 != conn.host
    {
        return Err(Refusal::AuthorityMismatch);
    }
    if parts.headers.contains_key(UPGRADE) || parts.method == Method::CONNECT {
        return Err(Refusal::Upgrade);
    }
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return Err(Refusal::BodyTooLarge { max: max_body });
    }
    Ok(Admitted { parts, body })
}

//! The admit phase: what is refused from the request head alone, before a
//! byte of the body is read.

use http::header::{HOST, UPGRADE};
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

/// The request must be for the tunnel's host and must not upgrade the
/// protocol (nothing passes a provider host uninspected; GraphQL over
/// WebSocket, where the catalogue marks it, is taken before this phase by
/// `websocket`). (A body declared
/// over the limit is the read phase's: it is refused as a decision.)
pub fn admit<B>(conn: &Conn, req: Request<B>) -> Result<Admitted<B>, Refusal> {
    let (parts, body) = req.into_parts();
    same_authority(conn, &parts.uri, &parts.headers)?;
    if parts.headers.contains_key(UPGRADE) || parts.method == Method::CONNECT {
        return Err(Refusal::Upgrade);
    }
    Ok(Admitted { parts, body })
}

/// The request names the tunnel's host (or none): a request for another
/// host is refused.
pub fn same_authority(
    conn: &Conn,
    uri: &http::Uri,
    headers: &http::HeaderMap,
) -> Result<(), Refusal> {
    let authority = uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| headers.get(HOST).and_then(|h| h.to_str().ok()));
    match authority {
        Some(a) if canonical_host(a, conn.port).0 != conn.host => Err(Refusal::AuthorityMismatch),
        _ => Ok(()),
    }
}

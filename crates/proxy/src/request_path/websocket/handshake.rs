//! The two handshakes scopegate makes for a socket: its own answer to the
//! client (the subprotocol chosen from what the client offered and the
//! catalogue allows; no extension, so nothing is compressed), and the
//! upgrade it sends the provider. Pure: no IO.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::upstream::strip_hop_by_hop;

use super::message::Protocol;

/// A client's upgrade, as accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub protocol: Protocol,
    /// `Sec-WebSocket-Accept` for the client's key.
    pub accept: String,
}

/// Whether a request asks to upgrade to WebSocket at all.
pub fn asks_websocket(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        })
}

/// Checks the client's handshake (RFC 6455 §4.2.1) and picks the first
/// subprotocol it offers that `allowed` lists; `None` refuses it.
pub fn accept(method: &Method, headers: &HeaderMap, allowed: &[String]) -> Option<Accepted> {
    let connection_upgrade = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
        });
    let version = headers.get(header::SEC_WEBSOCKET_VERSION)?;
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?;
    if *method != Method::GET || !connection_upgrade || version != "13" {
        return None;
    }
    let protocol = offered(headers)
        .into_iter()
        .find(|p| allowed.iter().any(|a| a == p))
        .and_then(|p| Protocol::parse(&p))?;
    Some(Accepted {
        protocol,
        accept: derive_accept_key(key.as_bytes()),
    })
}

fn offered(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The 101 answer.
pub fn switching(accepted: &Accepted) -> http::Response<crate::body::Body> {
    let mut resp = http::Response::new(crate::body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accepted.accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    h.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(accepted.protocol.name()),
    );
    resp
}

const WEBSOCKET_HEADERS: [HeaderName; 5] = [
    header::SEC_WEBSOCKET_KEY,
    header::SEC_WEBSOCKET_VERSION,
    header::SEC_WEBSOCKET_PROTOCOL,
    header::SEC_WEBSOCKET_EXTENSIONS,
    header::SEC_WEBSOCKET_ACCEPT,
];

/// The client's handshake headers that describe the client and its
/// credential: without hop-by-hop headers, `Host`, the body's framing and
/// the WebSocket handshake's own. Each operation is inspected under these,
/// and the provider's upgrade carries them.
pub fn client_headers(headers: &HeaderMap) -> HeaderMap {
    let mut h = headers.clone();
    strip_hop_by_hop(&mut h);
    for n in WEBSOCKET_HEADERS.iter().chain([
        &header::HOST,
        &header::CONTENT_LENGTH,
        &header::CONTENT_TYPE,
    ]) {
        h.remove(n);
    }
    h
}

/// The provider's upgrade: `headers` (the client's, its surrogate already
/// swapped) with a fresh key, offering only the protocol the client got.
pub fn upstream_headers(mut headers: HeaderMap, protocol: Protocol, key: &str) -> HeaderMap {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(
        header::SEC_WEBSOCKET_VERSION,
        HeaderValue::from_static("13"),
    );
    if let Ok(k) = HeaderValue::from_str(key) {
        headers.insert(header::SEC_WEBSOCKET_KEY, k);
    }
    headers.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.name()),
    );
    headers
}

/// Whether the provider's answer completes the upgrade scopegate asked
/// for: 101, the accept for `key`, and the protocol offered (or none).
pub fn upstream_agrees(
    status: StatusCode,
    headers: &HeaderMap,
    key: &str,
    protocol: Protocol,
) -> bool {
    let accept = headers.get(header::SEC_WEBSOCKET_ACCEPT);
    let chosen = headers.get(header::SEC_WEBSOCKET_PROTOCOL);
    status == StatusCode::SWITCHING_PROTOCOLS
        && accept.is_some_and(|a| a.as_bytes() == derive_accept_key(key.as_bytes()).as_bytes())
        && chosen.is_none_or(|c| c.as_bytes() == protocol.name().as_bytes())
        && !headers.contains_key(header::SEC_WEBSOCKET_EXTENSIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake(protocols: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        h.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(protocols).unwrap(),
        );
        h.insert(
            header::SEC_WEBSOCKET_EXTENSIONS,
            HeaderValue::from_static("permessage-deflate"),
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        h
    }

    #[test]
    fn picks_the_first_offered_protocol_the_catalogue_allows() {
        let allowed = vec!["graphql-transport-ws".to_owned(), "graphql-ws".to_owned()];
        let a = accept(
            &Method::GET,
            &handshake("graphql-ws, graphql-transport-ws"),
            &allowed,
        )
        .unwrap();
        assert_eq!(a.protocol, Protocol::Legacy);
        // RFC 6455's example key
        assert_eq!(a.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert!(accept(&Method::GET, &handshake("mqtt"), &allowed).is_none());
        let only = vec!["graphql-transport-ws".to_owned()];
        assert!(accept(&Method::GET, &handshake("graphql-ws"), &only).is_none());
        assert!(accept(&Method::POST, &handshake("graphql-ws"), &allowed).is_none());
    }

    #[test]
    fn the_provider_gets_no_extension_and_a_fresh_key() {
        let client = client_headers(&handshake("graphql-ws"));
        assert!(client.contains_key(header::AUTHORIZATION));
        assert!(!client.contains_key(header::SEC_WEBSOCKET_EXTENSIONS));
        assert!(!client.contains_key(header::SEC_WEBSOCKET_KEY));
        let up = upstream_headers(client, Protocol::TransportWs, "k2");
        assert_eq!(up[header::SEC_WEBSOCKET_KEY], "k2");
        assert_eq!(up[header::SEC_WEBSOCKET_PROTOCOL], "graphql-transport-ws");
        assert!(!up.contains_key(header::SEC_WEBSOCKET_EXTENSIONS));
    }
}

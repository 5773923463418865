//! GraphQL over WebSocket (docs/websocket.md): on an endpoint the
//! catalogue marks (`websocket = [...]`), an upgrade is accepted with a
//! protocol both sides read, and every message that carries an operation
//! is inspected, decided, held and recorded as the HTTP request it would
//! be. Every other upgrade stays refused (`admit`).

use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;

use crate::body::Body;
use crate::respond::Refusal;
use crate::shared::State;

use super::admit::same_authority;
use super::conn::Conn;

mod handshake;
mod init;
mod message;
mod operation;
mod session;

/// Whether this request is a WebSocket upgrade to an endpoint whose
/// catalogue entry speaks GraphQL over WebSocket.
pub fn wants<B>(state: &State, conn: &Conn, req: &Request<B>) -> bool {
    if !handshake::asks_websocket(req.headers()) {
        return false;
    }
    let engine = state.engine.borrow().clone();
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    !engine
        .inspector
        .websocket_protocols(&conn.host, target)
        .is_empty()
}

/// Answers the upgrade (101, a protocol from the catalogue's list) and
/// serves the socket in its own task; or refuses it.
pub fn upgrade(
    state: Arc<State>,
    conn: Arc<Conn>,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Refusal> {
    same_authority(&conn, req.uri(), req.headers())?;
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let engine = state.engine.borrow().clone();
    let allowed = engine.inspector.websocket_protocols(&conn.host, &target);
    let accepted =
        handshake::accept(req.method(), req.headers(), allowed).ok_or(Refusal::Upgrade)?;
    let opened = session::Opened {
        protocol: accepted.protocol,
        target,
        headers: handshake::client_headers(req.headers()),
    };
    let on = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on.await {
            Ok(io) => session::run(state, conn, opened, io).await,
            Err(e) => tracing::debug!(error = %e, "websocket upgrade did not complete"),
        }
    });
    Ok(handshake::switching(&accepted))
}

//! The fake provider's GraphQL-over-WebSocket side (`/graphql/v2` with an
//! `Upgrade: websocket`): speaks `graphql-transport-ws` and `graphql-ws`,
//! records every text message it receives, acknowledges
//! `connection_init` (late under `graphql-ws`), answers `ping`, and streams [`LOG_LINES`] log lines
//! for each operation before completing it.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

/// Log lines streamed for each operation.
pub const LOG_LINES: usize = 3;

/// How late the `connection_ack` comes under `graphql-ws`.
pub const LEGACY_ACK_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// What the fake's sockets received, in order: each text message, parsed.
pub type WsLog = Arc<Mutex<Vec<Value>>>;

/// Whether a request asks for a WebSocket upgrade.
pub fn asks(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Answers the upgrade (the first protocol offered) and serves the socket.
pub fn accept(req: &mut Request<Incoming>, log: WsLog) -> Response<BoxBody<Bytes, Infallible>> {
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()))
        .unwrap_or_default();
    let protocol = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|p| p.trim().to_owned())
        .unwrap_or_default();
    let legacy = protocol == "graphql-ws";
    let on = hyper::upgrade::on(req);
    tokio::spawn(async move {
        if let Ok(io) = on.await {
            let ws = WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, None).await;
            serve(ws, legacy, log).await;
        }
    });
    let mut r = Response::new(Full::new(Bytes::new()).boxed());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::CONNECTION, "upgrade".parse().unwrap());
    h.insert(header::UPGRADE, "websocket".parse().unwrap());
    h.insert(header::SEC_WEBSOCKET_ACCEPT, key.parse().unwrap());
    h.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol.parse().unwrap());
    r
}

async fn serve(
    mut ws: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    legacy: bool,
    log: WsLog,
) {
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        log.lock().unwrap().push(v.clone());
        let id = v["id"].clone();
        let replies: Vec<Value> = match v["type"].as_str().unwrap_or("") {
            "connection_init" => {
                // graphql-ws clients do not wait for the ack: a late one
                // shows that an early `start` is still taken
                if legacy {
                    tokio::time::sleep(LEGACY_ACK_DELAY).await;
                }
                vec![json!({"type": "connection_ack"})]
            }
            "ping" => vec![json!({"type": "pong"})],
            "subscribe" | "start" => {
                let next = if legacy { "data" } else { "next" };
                let mut r: Vec<Value> = (1..=LOG_LINES)
                    .map(|n| {
                        // the fields the Railway CLI's `LogFields` asks for
                        json!({"id": id, "type": next, "payload": {"data": {"deploymentLogs": [{
                            "message": format!("log line {n}"), "severity": "info",
                            "timestamp": format!("2026-01-01T00:00:0{n}Z"), "attributes": [],
                        }]}}})
                    })
                    .collect();
                r.push(json!({"id": id, "type": "complete"}));
                r
            }
            _ => Vec::new(),
        };
        for r in replies {
            if ws.send(Message::text(r.to_string())).await.is_err() {
                return;
            }
        }
    }
}

//! One socket, after the 101: wait for `connection_init`, read its
//! credential (refusing an ambiguous one), open the provider's socket with
//! surrogates swapped, then relay. Client messages that carry an operation
//! are decided (each in its own task: a held one does not stop the relay);
//! everything else is relayed as read, both ways.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Sink, SinkExt as _, Stream, StreamExt as _};
use http::HeaderMap;
use http_body_util::Full;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use scopegate_model::PresentedCredential;
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::engine::Engine;
use crate::request_path::Conn;
use crate::request_path::credential::swap_surrogate;
use crate::request_path::read::Inbound;
use crate::shared::State;

use super::handshake::{upstream_agrees, upstream_headers};
use super::init::{self, InitHeaders};
use super::message::{self, ClientMessage, Protocol, close};
use super::operation::{Outcome, Socket, decide_one};

type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// The accepted handshake, as the session needs it.
#[derive(Debug)]
pub struct Opened {
    pub protocol: Protocol,
    /// Path and query.
    pub target: String,
    /// `handshake::client_headers` of the client's upgrade.
    pub headers: HeaderMap,
}

/// Why the socket closes: the code and a sentence for the client.
type Close = (u16, String);

/// Time a client has to send `connection_init`.
const INIT_WAIT: Duration = Duration::from_secs(10);

/// Frames and messages are limited to the body limit.
fn limits(state: &State) -> WebSocketConfig {
    let max = state.config.proxy.max_body_bytes;
    WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}

/// Serves one upgraded client connection until either side closes.
pub async fn run(state: Arc<State>, conn: Arc<Conn>, opened: Opened, io: Upgraded) {
    let _guard = state.tracker.enter();
    let client =
        WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, Some(limits(&state)))
            .await;
    let (mut to_client, mut from_client) = client.split();
    let payload = match tokio::time::timeout(
        INIT_WAIT,
        first_init(&mut from_client, opened.protocol),
    )
    .await
    {
        Ok(Ok(p)) => p,
        Ok(Err(Some(c))) => return shut(&mut to_client, c).await,
        Ok(Err(None)) => return,
        Err(_) => {
            let c = (
                close::INIT_TIMEOUT,
                "connection initialisation timeout".into(),
            );
            return shut(&mut to_client, c).await;
        }
    };
    let engine = state.engine.borrow().clone();
    let (socket, upstream) = match open(&state, &engine, &conn, opened, payload).await {
        Ok(o) => o,
        Err(c) => return shut(&mut to_client, c).await,
    };
    relay(
        &state,
        &conn,
        Arc::new(socket),
        upstream,
        to_client,
        from_client,
    )
    .await;
}

/// Reads until `connection_init`: its payload, or why the socket closes
/// (`None`: the client went away).
async fn first_init<S>(
    from_client: &mut S,
    protocol: Protocol,
) -> Result<Map<String, Value>, Option<Close>>
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    loop {
        match from_client.next().await {
            None => return Err(None),
            Some(Err(e)) => return Err(unreadable(&e)),
            Some(Ok(Message::Text(t))) => {
                return match message::read(protocol, &t) {
                    Ok(ClientMessage::Init(p)) => Ok(p),
                    Ok(_) => Err(Some((
                        close::UNAUTHORIZED,
                        "Unauthorized: connection_init first".into(),
                    ))),
                    Err(u) => Err(Some((u.code, u.why))),
                };
            }
            Some(Ok(Message::Binary(_))) => return Err(Some(binary())),
            Some(Ok(Message::Close(_))) => return Err(None),
            Some(Ok(_)) => {}
        }
    }
}

fn binary() -> Close {
    (
        close::UNSUPPORTED_DATA,
        "binary messages are not GraphQL over WebSocket".into(),
    )
}

/// The close for a frame that cannot be read; `None` when the connection
/// is gone.
fn unreadable(e: &WsError) -> Option<Close> {
    match e {
        WsError::Capacity(c) => Some((close::TOO_BIG, format!("message refused: {c}"))),
        WsError::Protocol(ProtocolError::NonZeroReservedBits) => Some((
            close::PROTOCOL_ERROR,
            "a frame uses an extension (reserved bits set) that was not negotiated; compression is not supported".into(),
        )),
        WsError::Protocol(p) => Some((close::PROTOCOL_ERROR, format!("protocol error: {p}"))),
        WsError::Utf8(_) => Some((close::INVALID_DATA, "a text message is not UTF-8".into())),
        _ => None,
    }
}

/// Sends the close frame (best effort) and ends.
async fn shut<S>(to: &mut S, (code, why): Close)
where
    S: Sink<Message> + Unpin,
{
    tracing::info!(code, %why, "websocket closed by scopegate");
    let frame = CloseFrame {
        code: code.into(),
        reason: message::close_reason(&why).into(),
    };
    let _ = to.send(Message::Close(Some(frame))).await;
    let _ = to.close().await;
}

/// Reads the credential from the handshake and the `connection_init`
/// payload (refusing two different ones), swaps surrogates in both, opens
/// the provider's socket and sends it the `connection_init`.
async fn open(
    state: &State,
    engine: &Engine,
    conn: &Conn,
    opened: Opened,
    mut payload: Map<String, Value>,
) -> Result<(Socket, Ws), Close> {
    let forbidden = |why: String| (close::FORBIDDEN, format!("Forbidden: {why}"));
    let spec = engine
        .inspector
        .provider_for(&conn.host)
        .map(|c| c.credentials.clone())
        .unwrap_or_default();
    let is_credential = |n: &str| n == "authorization" || spec.headers.iter().any(|h| h == n);
    let from_init = init::read(&payload, is_credential).map_err(forbidden)?;
    let mut headers = opened.headers.clone();
    for (n, v) in from_init.headers() {
        headers.append(n.clone(), v.clone());
    }
    let socket = Socket {
        protocol: opened.protocol,
        target: opened.target,
        headers,
    };
    if let PresentedCredential::Ambiguous { why } =
        credential(engine, conn, &socket, &socket.headers)
    {
        return Err(forbidden(format!(
            "ambiguous credential ({why}); send one credential, in the handshake or in connection_init"
        )));
    }
    let mut upgrade = opened.headers;
    let presented = credential(engine, conn, &socket, &upgrade);
    swap_surrogate(engine, &presented, &mut upgrade).map_err(forbidden)?;
    swap_init(engine, conn, &socket, &from_init, &mut payload).map_err(forbidden)?;
    let mut upstream = connect(state, conn, &socket, upgrade).await?;
    let init = json!({ "type": "connection_init", "payload": payload }).to_string();
    upstream
        .send(Message::text(init))
        .await
        .map_err(|_| (close::UPSTREAM, "the provider closed the socket".into()))?;
    Ok((socket, upstream))
}

/// The real secret in the `connection_init` payload where a surrogate was.
fn swap_init(
    engine: &Engine,
    conn: &Conn,
    socket: &Socket,
    from_init: &InitHeaders,
    payload: &mut Map<String, Value>,
) -> Result<(), String> {
    if from_init.is_empty() {
        return Ok(());
    }
    let mut headers = HeaderMap::new();
    for (n, v) in from_init.headers() {
        headers.append(n.clone(), v.clone());
    }
    let presented = credential(engine, conn, socket, &headers);
    swap_surrogate(engine, &presented, &mut headers)?;
    from_init.write_back(&headers, payload);
    Ok(())
}

/// The credential `headers` present, as inspection reads it.
fn credential(
    engine: &Engine,
    conn: &Conn,
    socket: &Socket,
    headers: &HeaderMap,
) -> PresentedCredential {
    let mut inbound: Inbound = socket.inbound(Bytes::new());
    inbound.parts.headers = headers.clone();
    inbound
        .with_view(&conn.host, |view| engine.inspector.inspect(view))
        .credential
}

/// Opens the provider's socket through the upstream client (its verified
/// TLS and route overrides), offering the client's protocol and no
/// extension.
async fn connect(
    state: &State,
    conn: &Conn,
    socket: &Socket,
    headers: HeaderMap,
) -> Result<Ws, Close> {
    let failed = |why: &str| {
        tracing::warn!(host = %conn.host, %why, "websocket upstream failed");
        (
            close::UPSTREAM,
            format!("the provider's socket could not be opened: {why}"),
        )
    };
    let key = generate_key();
    let default_port = if conn.scheme == "https" { 443 } else { 80 };
    let uri = match conn.port == default_port {
        true => format!("{}://{}{}", conn.scheme, conn.host, socket.target),
        false => format!(
            "{}://{}:{}{}",
            conn.scheme, conn.host, conn.port, socket.target
        ),
    };
    let mut req = http::Request::get(uri)
        .body(Full::new(Bytes::new()))
        .map_err(|_| failed("bad request target"))?;
    *req.headers_mut() = upstream_headers(headers, socket.protocol, &key);
    let timeout = state.config.proxy.upstream_timeout;
    let resp = match tokio::time::timeout(timeout, state.sockets.request(req)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let e = crate::upstream::ForwardError::from(e);
            return Err(failed(crate::upstream_error::Cause::of(&e).as_str()));
        }
        Err(_) => return Err(failed("timeout")),
    };
    if !upstream_agrees(resp.status(), resp.headers(), &key, socket.protocol) {
        return Err(failed(&format!(
            "the provider answered {} to the upgrade",
            resp.status()
        )));
    }
    let io = hyper::upgrade::on(resp)
        .await
        .map_err(|_| failed("upgrade"))?;
    Ok(WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Client, None).await)
}

/// Relays both ways until either side closes.
async fn relay<C, R>(
    state: &Arc<State>,
    conn: &Arc<Conn>,
    socket: Arc<Socket>,
    upstream: Ws,
    mut to_client: C,
    mut from_client: R,
) where
    C: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, WsError>> + Unpin,
{
    let (mut to_up, mut from_up) = upstream.split();
    let mut decisions: JoinSet<(String, Outcome)> = JoinSet::new();
    // Operations being decided, with the stop message the client sent
    // meanwhile (relayed after the operation, if it is forwarded).
    let mut pending: HashMap<String, Option<String>> = HashMap::new();
    let mut acked = false;
    let mut shutdown = state.shutdown.clone();
    let closing: Close = loop {
        tokio::select! {
            m = from_client.next() => match m {
                None | Some(Ok(Message::Close(_))) => break (1000, String::new()),
                Some(Err(e)) => match unreadable(&e) {
                    Some(c) => break c,
                    None => break (1000, String::new()),
                },
                Some(Ok(Message::Binary(_))) => break binary(),
                Some(Ok(Message::Text(t))) => match message::read(socket.protocol, &t) {
                    Err(u) => break (u.code, u.why),
                    Ok(ClientMessage::Init(_)) => {
                        break (close::TOO_MANY_INIT, "Too many initialisation requests: the credential is fixed for the socket".into())
                    }
                    Ok(ClientMessage::Operation { id, payload }) => {
                        // graphql-ws (subscriptions-transport-ws) clients
                        // send queued operations right after
                        // connection_init; it went upstream first.
                        if !acked && socket.protocol == Protocol::TransportWs {
                            break (close::UNAUTHORIZED, "Unauthorized: the provider has not acknowledged connection_init".into());
                        }
                        if pending.insert(id.clone(), None).is_some() {
                            break (4409, format!("Subscriber for {id} already exists"));
                        }
                        let (state, conn, socket) = (state.clone(), conn.clone(), socket.clone());
                        decisions.spawn(async move {
                            let outcome = decide_one(&state, &conn, &socket, &id, &payload).await;
                            (id, outcome)
                        });
                    }
                    Ok(ClientMessage::Stop { id }) if pending.contains_key(&id) => {
                        pending.insert(id, Some(t.to_string()));
                    }
                    Ok(ClientMessage::Stop { .. } | ClientMessage::Other) => {
                        if to_up.send(Message::Text(t)).await.is_err() {
                            break (close::UPSTREAM, "the provider closed the socket".into());
                        }
                    }
                },
                Some(Ok(_)) => {}
            },
            m = from_up.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    acked |= message::is_ack(&t);
                    if to_client.send(Message::Text(t)).await.is_err() {
                        break (1000, String::new());
                    }
                }
                Some(Ok(Message::Binary(b))) => {
                    if to_client.send(Message::Binary(b)).await.is_err() {
                        break (1000, String::new());
                    }
                }
                Some(Ok(Message::Close(f))) => {
                    let (code, why) = f.map_or((1000, String::new()), |f| (f.code.into(), f.reason.to_string()));
                    break (code, why);
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => break (close::UPSTREAM, "the provider's socket ended".into()),
            },
            Some(done) = decisions.join_next(), if !decisions.is_empty() => {
                let Ok((id, outcome)) = done else { continue };
                let stop = pending.remove(&id).flatten();
                let sent = match outcome {
                    Outcome::Forward(text) => {
                        let mut ok = to_up.send(Message::text(text)).await.is_ok();
                        if let Some(stop) = stop {
                            ok &= to_up.send(Message::text(stop)).await.is_ok();
                        }
                        ok
                    }
                    Outcome::Refuse(text) if stop.is_none() => to_client.send(Message::text(text)).await.is_ok(),
                    Outcome::Refuse(_) => true,
                };
                if !sent {
                    break (close::UPSTREAM, "the socket ended".into());
                }
            }
            _ = shutdown.changed() => break (1001, "scopegate is shutting down".into()),
        }
    };
    let _ = to_up.send(Message::Close(None)).await;
    shut(&mut to_client, closing).await;
}

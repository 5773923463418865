//! GraphQL over WebSocket through scopegate (docs/websocket.md): a Rust
//! client over the proxy's CONNECT tunnel against the fake's socket. Each
//! message that carries an operation is decided as the HTTP request would
//! be; refused ones get the protocol's `error` and never reach the fake;
//! the socket stays up for the rest. Unreadable frames close it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use scopegate_e2e::{
    Harness, Options, RAILWAY_HOST, RAILWAY_TOKEN, REAL_SECRET, STRANGER_TOKEN, SURROGATE, clients,
    standard_scope_map,
};
use scopegate_model::{
    ApprovalId, ApprovalQueue, BoxFut, Grant, HeldRequest, HoldOutcome, QueueError, Verdict,
};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

type Ws = WebSocketStream<TlsStream<TcpStream>>;

const LOGS: &str =
    r#"subscription Logs($id: String!) { deploymentLogs(deploymentId: $id) { message severity } }"#;
const VOLUME_DELETE: &str = r#"mutation { volumeDelete(volumeId: "vol-prod-db-1") }"#;

/// A socket to Railway's `/graphql/v2` through the proxy, offering
/// `protocol`, with `headers` on the upgrade.
async fn open(h: &Harness, protocol: &str, headers: &[(&'static str, String)]) -> Ws {
    let tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
    let mut req = format!("wss://{RAILWAY_HOST}/graphql/v2")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    for (n, v) in headers {
        req.headers_mut().insert(*n, v.parse().unwrap());
    }
    let (ws, resp) = tokio_tungstenite::client_async(req, tls).await.unwrap();
    assert_eq!(resp.headers()["sec-websocket-protocol"], protocol);
    ws
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next text message, parsed (control frames skipped).
async fn recv(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a readable message");
        match m {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}

/// Reads until the close frame: its code.
async fn closed_with(ws: &mut Ws) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Close(Some(f)))) => return f.code.into(),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                panic!("the socket ended without a close code")
            }
            Some(Ok(_)) => {}
        }
    }
}

async fn init(ws: &mut Ws, payload: Value) {
    send(ws, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(recv(ws).await["type"], "connection_ack");
}

fn subscribe(id: &str, query: &str) -> Value {
    json!({"id": id, "type": "subscribe", "payload": {
        "query": query, "variables": {"id": "dep-1"}
    }})
}

/// Reads the operation's log lines through to its `complete`.
async fn streams(ws: &mut Ws, id: &str, next: &str) {
    for n in 1..=3 {
        let m = recv(ws).await;
        assert_eq!(
            (m["id"].as_str(), m["type"].as_str()),
            (Some(id), Some(next)),
            "{m}"
        );
        assert_eq!(
            m["payload"]["data"]["deploymentLogs"][0]["message"],
            format!("log line {n}")
        );
    }
    assert_eq!(recv(ws).await, json!({"id": id, "type": "complete"}));
}

/// The protocol's `error` for `id`, refused by scopegate with `decision`.
fn assert_refused(m: &Value, id: &str, decision: &str, operation: &str) {
    assert_eq!(
        (m["id"].as_str(), m["type"].as_str()),
        (Some(id), Some("error")),
        "{m}"
    );
    let e = &m["payload"][0];
    assert_eq!(e["extensions"]["code"], "SCOPEGATE_REFUSED", "{m}");
    assert_eq!(e["extensions"]["scopegate"]["decision"], decision, "{m}");
    let ops = e["extensions"]["scopegate"]["operations"].to_string();
    assert!(ops.contains(operation), "{m}");
}

/// The operations the fake received (`subscribe` / `start` messages).
fn operations_received(h: &Harness) -> Vec<Value> {
    h.fake
        .ws_received()
        .into_iter()
        .filter(|m| m["type"] == "subscribe" || m["type"] == "start")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permitted_subscription_streams_and_a_mutation_after_it_is_refused_on_the_same_socket() {
    let h = Harness::start().await;
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    init(&mut ws, json!({})).await;
    send(&mut ws, subscribe("1", LOGS)).await;
    streams(&mut ws, "1", "next").await;

    // a destructive mutation after the permitted subscription: held for a
    // human, and with no approval queue refused, as over HTTP
    send(&mut ws, subscribe("2", VOLUME_DELETE)).await;
    assert_refused(&recv(&mut ws).await, "2", "approve", "railway:volumeDelete");
    // an allowed mutation, and the socket still serves
    let create = r#"mutation { customDomainCreate(input: {domain: "app.example.com", environmentId: "env-1", projectId: "prj-1", serviceId: "svc-web"}) { id } }"#;
    send(&mut ws, subscribe("3", create)).await;
    streams(&mut ws, "3", "next").await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");

    let got = operations_received(&h);
    let ids: Vec<&str> = got.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["1", "3"],
        "the refused mutation never reached the provider"
    );
    assert_eq!(got[0]["payload"]["query"], LOGS);
    // the upgrade carried the client's credential, and no extension
    let upgrade = &h.fake.received()[0];
    assert_eq!(
        upgrade.header("authorization").unwrap(),
        format!("Bearer {RAILWAY_TOKEN}")
    );
    assert!(upgrade.header("sec-websocket-extensions").is_none());

    let recs = h.sink.records();
    assert_eq!(recs.len(), 3, "one decision per operation message");
    assert!(
        recs.iter()
            .all(|r| r.method == "WEBSOCKET" && r.path == "/graphql/v2")
    );
    assert_eq!(
        recs.iter()
            .map(|r| (r.verdict, r.forwarded))
            .collect::<Vec<_>>(),
        [
            (Verdict::Allow, true),
            (Verdict::Hold, false),
            (Verdict::Allow, true)
        ]
    );
    assert_eq!(
        recs[0].operations[0].qualified_name(),
        "railway:deploymentLogs"
    );
    assert_eq!(recs[0].token.as_deref(), Some("railway-domains"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_fragments_and_batches_inside_payloads_are_read_as_over_http() {
    let h = Harness::start().await;
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    init(&mut ws, json!({})).await;
    // a destructive field under an allowed field's name
    send(
        &mut ws,
        subscribe(
            "alias",
            r#"mutation { deploymentLogs: volumeDelete(volumeId: "v") }"#,
        ),
    )
    .await;
    assert_refused(
        &recv(&mut ws).await,
        "alias",
        "approve",
        "railway:volumeDelete",
    );
    // a destructive field inside a fragment
    let fragment = r#"mutation M { ...F } fragment F on Mutation { volumeDelete(volumeId: "v") }"#;
    send(&mut ws, subscribe("frag", fragment)).await;
    assert_refused(
        &recv(&mut ws).await,
        "frag",
        "approve",
        "railway:volumeDelete",
    );
    // a batch: an allowed subscription with a destructive mutation
    let batch = json!({"id": "batch", "type": "subscribe", "payload": [
        {"query": LOGS, "variables": {"id": "dep-1"}},
        {"query": VOLUME_DELETE},
    ]});
    send(&mut ws, batch).await;
    assert_refused(
        &recv(&mut ws).await,
        "batch",
        "approve",
        "railway:volumeDelete",
    );
    // and the socket still serves
    send(&mut ws, subscribe("ok", LOGS)).await;
    streams(&mut ws, "ok", "next").await;
    let ids: Vec<Value> = operations_received(&h)
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!("ok")]);
    assert_eq!(h.sink.records().len(), 4);

    // a payload two parsers could read differently closes the socket
    let dup = r#"{"id":"dup","type":"subscribe","payload":{"query":"subscription { deploymentLogs(deploymentId: \"d\") { message } }","query":"mutation { volumeDelete(volumeId: \"v\") }"}}"#;
    ws.send(Message::text(dup)).await.unwrap();
    assert_eq!(closed_with(&mut ws).await, 4400);
    assert_eq!(operations_received(&h).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surrogate_in_connection_init_reaches_the_provider_as_the_real_secret() {
    let h = Harness::start().await;
    // the older protocol, the credential only in connection_init
    let mut ws = open(&h, "graphql-ws", &[]).await;
    init(
        &mut ws,
        json!({"headers": {"Authorization": format!("Bearer {SURROGATE}")}}),
    )
    .await;
    send(
        &mut ws,
        json!({"id": "1", "type": "start", "payload": {"query": LOGS, "variables": {"id": "d"}}}),
    )
    .await;
    streams(&mut ws, "1", "data").await;
    send(
        &mut ws,
        json!({"id": "2", "type": "start", "payload": {"query": VOLUME_DELETE}}),
    )
    .await;
    let m = recv(&mut ws).await;
    assert_eq!(
        (m["id"].as_str(), m["type"].as_str()),
        (Some("2"), Some("error")),
        "{m}"
    );
    // graphql-ws's error payload is one error object
    assert_eq!(
        m["payload"]["extensions"]["code"], "SCOPEGATE_REFUSED",
        "{m}"
    );

    let got = h.fake.ws_received();
    assert_eq!(
        got[0],
        json!({"type": "connection_init", "payload": {"headers": {"Authorization": format!("Bearer {REAL_SECRET}")}}})
    );
    assert!(!format!("{got:?}").contains(SURROGATE));
    assert_eq!(operations_received(&h).len(), 1);
    let recs = h.sink.records();
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.token.as_deref() == Some("agent")));

    // a surrogate on the upgrade itself is swapped there
    let mut ws = open(&h, "graphql-transport-ws", &bearer(SURROGATE)).await;
    init(&mut ws, json!({})).await;
    let upgrade = h.fake.received().last().unwrap().clone();
    assert_eq!(
        upgrade.header("authorization").unwrap(),
        format!("Bearer {REAL_SECRET}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_credential_or_a_second_init_closes_the_socket() {
    let h = Harness::start().await;
    // the upgrade names one token, connection_init another: ambiguous
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    send(&mut ws, json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {STRANGER_TOKEN}")}})).await;
    assert_eq!(closed_with(&mut ws).await, 4403);
    assert!(h.fake.received().is_empty(), "nothing reached the provider");

    // a field scopegate cannot read a credential from
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": {"authToken": STRANGER_TOKEN}}),
    )
    .await;
    assert_eq!(closed_with(&mut ws).await, 4403);
    assert!(h.fake.received().is_empty());

    // swapping credentials mid-connection: a second connection_init
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    init(&mut ws, json!({})).await;
    send(&mut ws, json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {SURROGATE}")}})).await;
    assert_eq!(closed_with(&mut ws).await, 4429);
    let inits: Vec<Value> = h.fake.ws_received();
    assert_eq!(inits, [json!({"type": "connection_init", "payload": {}})]);

    // an operation before connection_init
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    send(&mut ws, subscribe("1", LOGS)).await;
    assert_eq!(closed_with(&mut ws).await, 4401);
    assert!(operations_received(&h).is_empty());
    assert!(h.sink.records().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_frames_close_the_socket_with_a_clear_code() {
    let opts = Options {
        max_body_bytes: Some(4096),
        ..Options::default()
    };
    let h = Harness::start_with(&standard_scope_map(), opts).await;
    let ready = || async {
        let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
        init(&mut ws, json!({})).await;
        ws
    };
    // binary
    let mut ws = ready().await;
    ws.send(Message::binary(b"{}".to_vec())).await.unwrap();
    assert_eq!(closed_with(&mut ws).await, 1003);
    // over the limit in one frame
    let mut ws = ready().await;
    let big = subscribe("big", &format!("{LOGS} # {}", "x".repeat(5000)));
    ws.send(Message::text(big.to_string())).await.unwrap();
    assert_eq!(closed_with(&mut ws).await, 1009);
    // fragmented: small frames, over the limit together
    let mut ws = ready().await;
    let text = big.to_string().into_bytes();
    let mut chunks = text.chunks(1000).peekable();
    let mut first = true;
    while let Some(c) = chunks.next() {
        let op = if first {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        first = false;
        let f = Frame::message(c.to_vec(), op, chunks.peek().is_none());
        ws.send(Message::Frame(f)).await.unwrap();
    }
    assert_eq!(closed_with(&mut ws).await, 1009);
    // fragmented under the limit: read whole, decided, forwarded
    let mut ws = ready().await;
    let text = subscribe("frag", LOGS).to_string().into_bytes();
    let (a, b) = text.split_at(20);
    ws.send(Message::Frame(Frame::message(
        a.to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await
    .unwrap();
    ws.send(Message::Frame(Frame::message(
        b.to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await
    .unwrap();
    streams(&mut ws, "frag", "next").await;
    // compressed (RSV1: an extension never negotiated)
    let mut ws = ready().await;
    let mut f = Frame::message(
        subscribe("z", LOGS).to_string().into_bytes(),
        OpCode::Data(Data::Text),
        true,
    );
    f.header_mut().rsv1 = true;
    ws.send(Message::Frame(f)).await.unwrap();
    assert_eq!(closed_with(&mut ws).await, 1002);

    let ids: Vec<Value> = operations_received(&h)
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!("frag")]);
    assert_eq!(h.sink.records().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_elsewhere_stay_refused() {
    let h = Harness::start().await;
    let tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
    let mut req = format!("wss://{RAILWAY_HOST}/graphql/internal")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let err = tokio_tungstenite::client_async(req, tls).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    // a protocol the catalogue does not list
    let tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
    let mut req = format!("wss://{RAILWAY_HOST}/graphql/v2")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", "mqtt".parse().unwrap());
    assert!(tokio_tungstenite::client_async(req, tls).await.is_err());
    assert!(h.fake.received().is_empty());
}

/// An approval queue that holds, and approves when the test says so.
struct Gate(Arc<tokio::sync::Notify>, std::sync::atomic::AtomicBool);

impl ApprovalQueue for Gate {
    fn take_grant(&self, _: String) -> BoxFut<Result<Option<Grant>, QueueError>> {
        let approved = self.1.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            Ok(approved.then(|| Grant {
                approval_id: "apr_ws".into(),
                approved_by: Some("alice".into()),
            }))
        })
    }
    fn hold(&self, _: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>> {
        Box::pin(async { Ok(ApprovalId::new("apr_ws")) })
    }
    fn wait(&self, _: ApprovalId, _: Duration) -> BoxFut<Result<HoldOutcome, QueueError>> {
        let n = self.0.clone();
        Box::pin(async move {
            n.notified().await;
            Ok(HoldOutcome::Approved { by: "alice".into() })
        })
    }
    fn link(&self, id: &ApprovalId) -> String {
        format!("http://dashboard/approvals/{id}")
    }
    fn hold_for(&self) -> Duration {
        Duration::from_secs(20)
    }
    fn grant_window(&self) -> Duration {
        Duration::from_secs(60)
    }
    fn pending(&self) -> BoxFut<Result<u64, QueueError>> {
        Box::pin(async { Ok(1) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_mutation_waits_without_stopping_the_socket_and_passes_once_approved() {
    let notify = Arc::new(tokio::sync::Notify::new());
    let gate = Arc::new(Gate(notify.clone(), false.into()));
    let h = Harness::start_with_approvals(
        &standard_scope_map(),
        Options::default(),
        Some(gate.clone()),
    )
    .await;
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    init(&mut ws, json!({})).await;
    send(&mut ws, subscribe("held", VOLUME_DELETE)).await;
    // while it waits for a human, the socket serves the rest
    send(&mut ws, subscribe("logs", LOGS)).await;
    streams(&mut ws, "logs", "next").await;
    assert_eq!(operations_received(&h).len(), 1);
    gate.1.store(true, std::sync::atomic::Ordering::SeqCst);
    notify.notify_one();
    streams(&mut ws, "held", "next").await;
    let got = operations_received(&h);
    assert_eq!(got[1]["id"], "held");
    assert_eq!(got[1]["payload"]["query"], VOLUME_DELETE);
    let steps: Vec<Option<String>> = h
        .sink
        .records()
        .iter()
        .map(|r| r.approval.clone())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.as_deref().is_some_and(|s| s.starts_with("held apr_ws"))),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.as_deref().is_some_and(|s| s.starts_with("used apr_ws"))),
        "{steps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_graphql_ws_client_through_https_proxy() {
    let Some((node, dir)) = clients::node().await else {
        return;
    };
    if !dir.join("node_modules/graphql-ws/package.json").exists() {
        clients::missing("graphql-ws is not installed in tests/node (npm ci there)");
        return;
    }
    let h = Harness::start().await;
    let spec = json!({
        "url": format!("wss://{RAILWAY_HOST}/graphql/v2"),
        "connectionParams": {"Authorization": format!("Bearer {SURROGATE}")},
        "operations": [
            {"query": LOGS, "variables": {"id": "dep-1"}},
            {"query": VOLUME_DELETE},
            {"query": LOGS, "variables": {"id": "dep-2"}},
        ],
    });
    let ran = clients::node_graphql_ws(&node, &dir, &h.proxy_url(), &h.ca_path, &spec).await;
    let out = ran.json();
    let lines = |i: usize| -> Vec<Value> {
        out[i]["next"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["data"]["deploymentLogs"][0]["message"].clone())
            .collect()
    };
    assert_eq!(
        lines(0),
        [
            json!("log line 1"),
            json!("log line 2"),
            json!("log line 3")
        ],
        "{out}"
    );
    assert_eq!(out[0]["complete"], true);
    // the refused mutation: the client's error callback got scopegate's error
    assert_eq!(
        out[1]["error"][0]["extensions"]["code"], "SCOPEGATE_REFUSED",
        "{out}"
    );
    assert_eq!(
        out[1]["error"][0]["extensions"]["scopegate"]["decision"],
        "approve"
    );
    assert!(out[1]["next"].as_array().unwrap().is_empty());
    // and the same socket served the next subscription
    assert_eq!(lines(2).len(), 3, "{out}");

    let got = h.fake.ws_received();
    assert_eq!(
        got[0]["payload"]["Authorization"],
        format!("Bearer {REAL_SECRET}"),
        "the provider got the real secret in connection_init"
    );
    let vars: Vec<Value> = operations_received(&h)
        .iter()
        .map(|m| m["payload"]["variables"]["id"].clone())
        .collect();
    assert_eq!(vars, [json!("dep-1"), json!("dep-2")]);
    assert_eq!(h.fake.received().len(), 1, "one socket");
    let recs = h.sink.records();
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| r.token.as_deref() == Some("agent")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graphql_ws_client_may_start_before_the_ack() {
    let h = Harness::start().await;
    let mut ws = open(&h, "graphql-ws", &bearer(RAILWAY_TOKEN)).await;
    // subscriptions-transport-ws sends its queue right after the init
    send(&mut ws, json!({"type": "connection_init"})).await;
    send(
        &mut ws,
        json!({"id": "1", "type": "start", "payload": {"query": LOGS, "variables": {"id": "d"}}}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    streams(&mut ws, "1", "data").await;
    let got = h.fake.ws_received();
    assert_eq!(got[0]["type"], "connection_init");
    assert_eq!(got[1]["type"], "start");
    assert_eq!(h.sink.records().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_go_upstream_over_http1_when_h2_is_offered_to_providers() {
    let opts = Options {
        upstream: "http2 = true".into(),
        ..Options::default()
    };
    let h = Harness::start_with(&standard_scope_map(), opts).await;
    let mut ws = open(&h, "graphql-transport-ws", &bearer(RAILWAY_TOKEN)).await;
    init(&mut ws, json!({})).await;
    send(&mut ws, subscribe("1", LOGS)).await;
    streams(&mut ws, "1", "next").await;
    assert_eq!(h.fake.received()[0].version, http::Version::HTTP_11);
}

//! The fake providers: one HTTPS server on 127.0.0.1:0 (h2 and http/1.1 by
//! ALPN) with a certificate for every host the tests use. It records each
//! request it receives in full before answering, and counts connections, so
//! tests can prove what reached "upstream" and what never did.
//!
//! Routes:
//! - `POST /graphql/v2` → the Railway CLI's operations by name
//!   ([`crate::railway_answers`]), else `{"data":{"ok":true}}`
//! - `POST /graphql` (GitHub) → what `gh` expects for the document's shape:
//!   pull request 2 for `createPullRequest`, one open pull request for
//!   `pullRequests`, `acme/site` for
//!   `repository`, `octocat` for `viewer` (see [`github_graphql`])
//! - `GET /repos/{owner}/{repo}` → the repository as JSON
//! - `DELETE /repos/{owner}/{repo}` → 204
//! - `GET /repos/{owner}/{repo}/tarball/{ref}` → [`STREAM_TOTAL`] bytes,
//!   streamed: [`STREAM_FIRST`] bytes at once, the rest only after the test
//!   calls [`Fake::release_stream`] — so a client that sees the first part
//!   before the release proves the proxy does not buffer responses.
//! - the routes the providers' CLIs call ([`crate::cli_answers`]), by host,
//!   and `railway up`'s upload ([`crate::railway_answers::rest`])
//! - an upgrade to WebSocket → [`crate::fake_ws`] (GraphQL over WebSocket)
//! - anything else → `{"ok":true,"path":...}`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::{TestCa, fake_hosts};

/// Bytes of the streamed response sent before the test releases the rest.
pub const STREAM_FIRST: usize = 64 * 1024;
/// The streamed response's whole length.
pub const STREAM_TOTAL: usize = 1024 * 1024;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    /// Path and query, as sent.
    pub target: String,
    /// `:authority` or `Host`.
    pub authority: Option<String>,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The TLS server name the client asked for.
    pub sni: Option<String>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    connections: AtomicUsize,
    release: Notify,
    ws: crate::fake_ws::WsLog,
    lookup: Mutex<crate::railway_lookup::Lookup>,
    /// scopegate's own resolution lookups: not in `received` (what agents
    /// sent), so tests that count what reached the provider are unchanged.
    lookups: Mutex<Vec<Received>>,
    /// Headers every api.github.com answer carries, as GitHub's carry the
    /// presented token's scopes and expiry.
    github_headers: Mutex<Vec<(String, String)>>,
}

/// A running fake provider; stops when dropped.
pub struct Fake {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type FakeBody = BoxBody<Bytes, Infallible>;

impl Fake {
    pub async fn start(ca: &TestCa) -> Self {
        let hosts = fake_hosts();
        let config = ca.server_config(&hosts.iter().map(String::as_str).collect::<Vec<_>>());
        let acceptor = TlsAcceptor::from(config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                s.connections.fetch_add(1, Ordering::SeqCst);
                // as providers do: small WebSocket messages go out at once
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let s = s.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let sni = tls.get_ref().1.server_name().map(str::to_owned);
                    let svc = service_fn(move |req| {
                        let s = s.clone();
                        let sni = sni.clone();
                        async move {
                            let github = sni.as_deref() == Some(crate::GITHUB_HOST);
                            let mut resp = handle(&s, sni, req).await;
                            if github {
                                for (k, v) in s.github_headers.lock().unwrap().iter() {
                                    if let (Ok(k), Ok(v)) = (
                                        http::HeaderName::try_from(k.as_str()),
                                        http::HeaderValue::try_from(v.as_str()),
                                    ) {
                                        resp.headers_mut().insert(k, v);
                                    }
                                }
                            }
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
        Self { addr, shared, task }
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Every api.github.com answer from now on carries these headers
    /// (`x-oauth-scopes`, ...), as GitHub's answers to a token do.
    pub fn github_headers(&self, headers: &[(&str, &str)]) {
        *self.shared.github_headers.lock().unwrap() = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every text message the fake's sockets received, parsed, in order.
    pub fn ws_received(&self) -> Vec<serde_json::Value> {
        self.shared.ws.lock().unwrap().clone()
    }

    /// Lets the streamed response send the rest of its body.
    pub fn release_stream(&self) {
        self.shared.release.notify_one();
    }

    /// How the fake answers scopegate's resolution lookups from now on.
    pub fn answer_lookups(&self, how: crate::railway_lookup::Lookup) {
        *self.shared.lookup.lock().unwrap() = how;
    }

    /// scopegate's resolution lookups received so far.
    pub fn lookups(&self) -> Vec<Received> {
        self.shared.lookups.lock().unwrap().clone()
    }

    /// Asserts the fake received nothing at all.
    pub fn assert_nothing_received(&self, what: &str) {
        let got = self.received();
        assert!(
            got.is_empty(),
            "{what}: the fake provider must receive nothing, got {:?}",
            got.iter()
                .map(|r| format!("{} {}", r.method, r.target))
                .collect::<Vec<_>>()
        );
    }
}

async fn handle(
    s: &Arc<Shared>,
    sni: Option<String>,
    mut req: Request<Incoming>,
) -> Response<FakeBody> {
    if crate::fake_ws::asks(&req) {
        s.received.lock().unwrap().push(Received {
            method: req.method().clone(),
            target: req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned(),
            authority: None,
            version: req.version(),
            headers: req.headers().clone(),
            body: Bytes::new(),
            sni,
        });
        return crate::fake_ws::accept(&mut req, s.ws.clone());
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|c| c.to_bytes()) else {
        return json(StatusCode::BAD_REQUEST, r#"{"message":"bad body"}"#);
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let authority = parts.uri.authority().map(ToString::to_string).or_else(|| {
        parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    });
    let host = authority.clone().unwrap_or_default();
    let github_lookup = crate::github_lookup::is_lookup(&parts.headers);
    let log = if crate::railway_lookup::is_lookup(&body) || github_lookup {
        &s.lookups
    } else {
        &s.received
    };
    log.lock().unwrap().push(Received {
        method: parts.method.clone(),
        target: target.clone(),
        authority,
        version: parts.version,
        headers: parts.headers,
        body: body.clone(),
        sni,
    });
    let path = target.split('?').next().unwrap_or("/");
    if github_lookup && parts.method == Method::GET {
        let how = *s.lookup.lock().unwrap();
        if let Some(answer) = crate::github_lookup::answer(how, path).await {
            return answer;
        }
    }
    if let Some((status, v)) = crate::cli_answers::answer(&host, &parts.method, path) {
        let body = if status == StatusCode::NO_CONTENT {
            String::new()
        } else {
            v.to_string()
        };
        return json(status, &body);
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (&parts.method, segs.as_slice()) {
        (&Method::POST, ["graphql", "v2"]) if crate::railway_lookup::is_lookup(&body) => {
            let how = *s.lookup.lock().unwrap();
            crate::railway_lookup::answer(how, &body).await
        }
        (&Method::POST, ["graphql", "v2"]) => match crate::railway_answers::graphql(&body) {
            Some(v) => json(StatusCode::OK, &v.to_string()),
            None => json(StatusCode::OK, r#"{"data":{"ok":true}}"#),
        },
        (&Method::POST, ["graphql"]) => json(StatusCode::OK, &github_graphql(&body).to_string()),
        (&Method::GET, ["repos", owner, repo]) => json(
            StatusCode::OK,
            &serde_json::json!({
                "id": 1,
                "full_name": format!("{owner}/{repo}"),
                "private": false,
            })
            .to_string(),
        ),
        (&Method::DELETE, ["repos", _, _]) => {
            let mut r = Response::new(Full::new(Bytes::new()).boxed());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        (&Method::GET, ["repos", _, _, "tarball", ..]) => stream(s),
        _ => json(
            StatusCode::OK,
            &serde_json::json!({ "ok": true, "path": path }).to_string(),
        ),
    }
}

/// A JSON answer (for the answer modules).
pub fn json_answer(status: StatusCode, body: &str) -> Response<FakeBody> {
    json(status, body)
}

/// GitHub GraphQL answers shaped for `gh`: by the root fields the document
/// asks for (a fake, not a GraphQL server: it looks for their names).
pub fn github_graphql(body: &[u8]) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let query = doc["query"].as_str().unwrap_or_default();
    let owner = serde_json::json!({ "id": "O_1", "login": "acme" });
    let repository = serde_json::json!({
        "id": "R_1",
        "name": "site",
        "nameWithOwner": "acme/site",
        "owner": owner,
        "description": "the site",
        "url": "https://github.com/acme/site",
        "visibility": "PUBLIC",
        "defaultBranchRef": { "name": "main" },
        "viewerPermission": "WRITE",
    });
    if query.contains("createPullRequest") {
        let pr = serde_json::json!({ "id": "PR_2", "url": "https://github.com/acme/site/pull/2" });
        serde_json::json!({ "data": { "createPullRequest": { "pullRequest": pr } } })
    } else if query.contains("pullRequests") {
        let pr = serde_json::json!({
            "id": "PR_1",
            "number": 1,
            "title": "Fix the site",
            "state": "OPEN",
            "url": "https://github.com/acme/site/pull/1",
            "headRefName": "fix",
            "baseRefName": "main",
            "isDraft": false,
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "author": { "login": "octocat" },
            "labels": { "nodes": [], "totalCount": 0 },
        });
        let mut repo = repository;
        repo["pullRequests"] = serde_json::json!({
            "totalCount": 1,
            "nodes": [pr],
            "pageInfo": { "hasNextPage": false, "endCursor": null },
        });
        serde_json::json!({ "data": { "repository": repo } })
    } else if query.contains("repository") {
        serde_json::json!({ "data": { "repository": repository } })
    } else {
        serde_json::json!({ "data": { "viewer": { "login": "octocat" } } })
    }
}

fn json(status: StatusCode, body: &str) -> Response<FakeBody> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert("x-fake", http::HeaderValue::from_static("1"));
    r
}

fn stream(s: &Arc<Shared>) -> Response<FakeBody> {
    let (tx, rx) = mpsc::channel::<Bytes>(2);
    let s = s.clone();
    tokio::spawn(async move {
        if tx
            .send(Bytes::from(vec![b'a'; STREAM_FIRST]))
            .await
            .is_err()
        {
            return;
        }
        // One permit: a release sent before this point still counts.
        s.release.notified().await;
        for _ in 1..STREAM_TOTAL / STREAM_FIRST {
            if tx
                .send(Bytes::from(vec![b'b'; STREAM_FIRST]))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut r = Response::new(ChannelBody(rx).boxed());
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/octet-stream"),
    );
    r
}

/// A body fed from a channel: data frames as they come, end when closed.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

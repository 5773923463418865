//! A TLS-terminating forwarder in front of moto: it answers TLS for the
//! AWS hosts ([`AWS_HOSTS`], a certificate from the [`TestCa`]), reads each
//! HTTP request (HTTP/1.1 or h2), records it as the client sent it, and
//! forwards it over plain HTTP/1.1 to moto with its `Host` unchanged (moto
//! picks the service from the host and the signature's credential scope).
//!
//! scopegate reaches it through a route (`[upstream.routes]`,
//! `"s3.amazonaws.com:443" = "<addr>"`, see [`AwsForwarder::routes`]) and
//! trusts the CA through `extra_ca_files` ([`AwsForwarder::ca_pem`]). For
//! the harness test without scopegate, a [`crate::CorpProxy`] sends every
//! CONNECT to it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::TestCa;

/// The names the forwarder's certificate holds: the global and the
/// us-east-1 endpoints, S3's virtual-hosted buckets, and the hosts routed
/// by name in [`AwsForwarder::routes`].
pub const AWS_HOSTS: &[&str] = &[
    "s3.amazonaws.com",
    "sts.amazonaws.com",
    "ec2.us-east-1.amazonaws.com",
    "sts.us-east-1.amazonaws.com",
    "dynamodb.us-east-1.amazonaws.com",
    "rds.us-east-1.amazonaws.com",
    // the CLI's RDS endpoint in us-east-1 (not rds.us-east-1)
    "rds.amazonaws.com",
    "lambda.us-east-1.amazonaws.com",
    "iam.amazonaws.com",
    "*.amazonaws.com",
    "*.us-east-1.amazonaws.com",
    "*.s3.amazonaws.com",
    "*.s3.us-east-1.amazonaws.com",
];

/// One request as the client sent it (after TLS).
#[derive(Debug, Clone)]
pub struct AwsRequest {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// `Host` (or h2's `:authority`).
    pub host: String,
    /// In order; names lower-cased (as hyper reads them).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl AwsRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    moto: SocketAddr,
    seen: Mutex<Vec<AwsRequest>>,
}

/// A running forwarder; stops when dropped.
pub struct AwsForwarder {
    pub addr: SocketAddr,
    ca_pem: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for AwsForwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AwsForwarder {
    /// Listens on 127.0.0.1:0 and forwards to `moto` (plain HTTP).
    pub async fn start(ca: &TestCa, moto: SocketAddr) -> Self {
        let acceptor = TlsAcceptor::from(ca.server_config(AWS_HOSTS));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            moto,
            seen: Mutex::default(),
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve(s.clone(), acceptor.clone(), tcp));
            }
        });
        Self {
            addr,
            ca_pem: ca.pem.clone(),
            shared,
            task,
        }
    }

    /// The CA that signed the forwarder's certificate (PEM): what a client
    /// (`AWS_CA_BUNDLE`) or scopegate (`extra_ca_files`) must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// `[upstream.routes]` entries for scopegate: each named AWS host's
    /// `host:443` to the forwarder. (A route names one host: S3's
    /// virtual-hosted buckets need a route each, see [`Self::route`].)
    pub fn routes(&self) -> Vec<(String, SocketAddr)> {
        AWS_HOSTS
            .iter()
            .filter(|h| !h.starts_with('*'))
            .map(|h| self.route(h))
            .collect()
    }

    /// One `[upstream.routes]` entry: `host:443` to the forwarder.
    pub fn route(&self, host: &str) -> (String, SocketAddr) {
        (format!("{host}:443"), self.addr)
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<AwsRequest> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Forgets what was received (to record one command's requests).
    pub fn clear(&self) {
        self.shared.seen.lock().unwrap().clear();
    }
}

async fn serve(s: Arc<Shared>, acceptor: TlsAcceptor, tcp: TcpStream) {
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    let svc = service_fn(move |req| {
        let s = s.clone();
        async move { Ok::<_, Infallible>(handle(&s, req).await) }
    });
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(tls), svc)
        .await;
}

async fn handle(s: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return answer(StatusCode::BAD_REQUEST, format!("body: {e}")),
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let seen = AwsRequest {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.to_string()),
        host,
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect(),
        body,
    };
    s.seen.lock().unwrap().push(seen.clone());
    match forward(s.moto, seen).await {
        Ok(resp) => resp,
        Err(e) => answer(StatusCode::BAD_GATEWAY, format!("to moto: {e}")),
    }
}

/// Sends one request to moto over a fresh HTTP/1.1 connection.
async fn forward(moto: SocketAddr, r: AwsRequest) -> anyhow::Result<Response<Full<Bytes>>> {
    let tcp = TcpStream::connect(moto).await?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let mut req = Request::builder().method(r.method.as_str()).uri(&r.target);
    let mut has_host = false;
    for (n, v) in &r.headers {
        // the whole body is sent at once: nothing to wait for
        if n == "expect" {
            continue;
        }
        has_host |= n == "host";
        req = req.header(n, v);
    }
    if !has_host {
        req = req.header("host", &r.host);
    }
    let resp = send.send_request(req.body(Full::new(r.body))?).await?;
    let (mut parts, body) = resp.into_parts();
    let body = body.collect().await?.to_bytes();
    parts.headers.remove(http::header::TRANSFER_ENCODING);
    parts.headers.remove(http::header::CONNECTION);
    Ok(Response::from_parts(parts, Full::new(body)))
}

fn answer(status: StatusCode, why: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(why)));
    *r.status_mut() = status;
    r
}

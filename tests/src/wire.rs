//! Rust clients on the wire: a raw CONNECT, TLS with a chosen SNI and ALPN,
//! and HTTP/1.1 or HTTP/2 over whatever stream results.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Request bodies the Rust clients send.
pub type ReqBody = Full<Bytes>;

/// How long any single wire step may take before a test fails instead of
/// hanging. Not a timing assertion: the steps take milliseconds.
pub const STEP: Duration = Duration::from_secs(10);

/// A whole response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", self.text()))
    }
}

/// Collects a response body.
pub async fn collect(resp: Response<Incoming>) -> Resp {
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(STEP, body.collect())
        .await
        .expect("response body in time")
        .expect("response body")
        .to_bytes();
    Resp {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
    }
}

/// Reads a response head (up to and including the blank line), byte by
/// byte so nothing after it is consumed.
pub async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(STEP, s.read(&mut byte))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "head"))??;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "closed after {} bytes of head: {:?}",
                    head.len(),
                    String::from_utf8_lossy(&head)
                ),
            ));
        }
        head.push(byte[0]);
        assert!(head.len() < 64 * 1024, "response head too long");
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The status code of a response head.
pub fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response head: {head:?}"))
}

/// Sends `CONNECT authority` (with extra header lines) and reads the answer's
/// head. Returns the status, the head, and the stream (a tunnel on 200).
pub async fn connect(
    proxy: SocketAddr,
    authority: &str,
    headers: &[(&str, &str)],
) -> (u16, String, TcpStream) {
    let mut tcp = TcpStream::connect(proxy).await.unwrap();
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let head = read_head(&mut tcp).await.expect("CONNECT answer");
    (status_of(&head), head, tcp)
}

/// A rustls client config trusting the PEM certificates in `ca_pem`.
pub fn client_config(ca_pem: &str, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// TLS over `tcp` with server name `sni`, verifying against `ca_pem`.
pub async fn tls<S: AsyncRead + AsyncWrite + Unpin>(
    tcp: S,
    sni: &str,
    ca_pem: &str,
    alpn: &[&[u8]],
) -> std::io::Result<TlsStream<S>> {
    let connector = TlsConnector::from(client_config(ca_pem, alpn));
    let name = ServerName::try_from(sni.to_owned()).unwrap();
    tokio::time::timeout(STEP, connector.connect(name, tcp))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake"))?
}

/// TLS over `tcp` without a server name (no SNI extension), verifying the
/// certificate against `name` and `ca_pem`.
pub async fn tls_without_sni<S: AsyncRead + AsyncWrite + Unpin>(
    tcp: S,
    name: &str,
    ca_pem: &str,
    alpn: &[&[u8]],
) -> std::io::Result<TlsStream<S>> {
    let mut config = (*client_config(ca_pem, alpn)).clone();
    config.enable_sni = false;
    let connector = TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from(name.to_owned()).unwrap();
    tokio::time::timeout(STEP, connector.connect(name, tcp))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake"))?
}

/// An HTTP/1.1 connection over `io`.
pub async fn h1_conn<S>(io: S) -> http1::SendRequest<ReqBody>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::handshake(TokioIo::new(io)).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
}

/// An HTTP/2 connection over `io`.
pub async fn h2_conn<S>(io: S) -> http2::SendRequest<ReqBody>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
}

fn full(req: Request<Bytes>) -> Request<ReqBody> {
    req.map(Full::new)
}

/// One request on an HTTP/1.1 connection.
pub async fn send_h1(sender: &mut http1::SendRequest<ReqBody>, req: Request<Bytes>) -> Resp {
    sender.ready().await.expect("h1 connection ready");
    let resp = tokio::time::timeout(STEP, sender.send_request(full(req)))
        .await
        .expect("response in time")
        .expect("response");
    collect(resp).await
}

/// One request on an HTTP/2 connection.
pub async fn send_h2(sender: &mut http2::SendRequest<ReqBody>, req: Request<Bytes>) -> Resp {
    sender.ready().await.expect("h2 connection ready");
    let resp = tokio::time::timeout(STEP, sender.send_request(full(req)))
        .await
        .expect("response in time")
        .expect("response");
    collect(resp).await
}

/// One request on a fresh HTTP/1.1 connection over `io`.
pub async fn h1_once<S>(io: S, req: Request<Bytes>) -> Resp
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut sender = h1_conn(io).await;
    send_h1(&mut sender, req).await
}

/// What a peer did after we wrote something it should reject.
#[derive(Debug)]
pub enum Outcome {
    /// It answered (the bytes it sent, up to its close).
    Answered(Vec<u8>),
    /// It closed (or reset) without a byte.
    Closed,
}

impl Outcome {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Answered(b) => std::str::from_utf8(b)
                .ok()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok(),
            Self::Closed => None,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Self::Answered(b) => String::from_utf8_lossy(b).into_owned(),
            Self::Closed => String::new(),
        }
    }
}

/// Reads until the peer closes. Panics if it neither answers nor closes
/// within [`STEP`]: a proxy that leaves a connection hanging fails the test.
pub async fn until_closed<S: AsyncRead + Unpin>(s: &mut S) -> Outcome {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match tokio::time::timeout(STEP, s.read(&mut chunk)).await {
            Err(_) => panic!(
                "the proxy neither answered nor closed the connection (read so far: {:?})",
                String::from_utf8_lossy(&buf)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    if buf.is_empty() {
        Outcome::Closed
    } else {
        Outcome::Answered(buf)
    }
}

/// Reads the body that follows a response head read by [`read_head`]
/// (`Content-Length` bytes).
pub async fn read_body<S: AsyncRead + Unpin>(head: &str, s: &mut S) -> Vec<u8> {
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no content-length in {head:?}"));
    let mut body = vec![0u8; len];
    tokio::time::timeout(STEP, s.read_exact(&mut body))
        .await
        .expect("body in time")
        .expect("body");
    body
}

/// A request body fed from a channel, for bodies that stop half way.
pub struct ChannelBody(pub tokio::sync::mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|o| o.map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// Like [`connect`], but `None` instead of panicking when the proxy is gone
/// (tests that kill it).
pub async fn connect_opt(proxy: SocketAddr, authority: &str) -> Option<(u16, String, TcpStream)> {
    let mut tcp = TcpStream::connect(proxy).await.ok()?;
    let req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.ok()?;
    let head = read_head(&mut tcp).await.ok()?;
    if head.is_empty() {
        return None;
    }
    Some((status_of(&head), head, tcp))
}

/// Like [`h1_once`], but `None` on any failure (the proxy died mid-request).
pub async fn h1_once_opt<S>(io: S, req: Request<Bytes>) -> Option<Resp>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = http1::handshake(TokioIo::new(io)).await.ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender.ready().await.ok()?;
    let resp = sender.send_request(full(req)).await.ok()?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.ok()?.to_bytes();
    Some(Resp {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
    })
}

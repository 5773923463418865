//! Opening a tunnel through the upstream proxy: read the credentials,
//! connect to the proxy, send `CONNECT target`, and read its answer. A
//! 2xx gives the stream (the tunnel) and any bytes the proxy sent after
//! its head; anything else is a [`ProxyError`].

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::handshake::{self, Head};
use super::{Credentials, ProxyAuth, ProxyError, ProxyFailure, UpstreamProxy};

/// Time allowed to resolve and connect to the proxy, and again for its
/// answer to `CONNECT`.
const STEP: Duration = Duration::from_secs(10);

/// An open tunnel: the stream, and bytes already read past the answer's
/// head (normally none: the client speaks first in TLS).
pub struct Opened {
    pub stream: TcpStream,
    pub early: Vec<u8>,
}

/// Opens a tunnel to `target` (`host:port`) through `proxy`.
pub async fn open(proxy: &UpstreamProxy, target: &str) -> Result<Opened, ProxyError> {
    let fail = |failure| ProxyError {
        proxy: proxy.to_string(),
        failure,
    };
    let credentials = credentials(proxy).map_err(fail)?;
    let request = handshake::connect_request(target, credentials.as_ref())
        .ok_or(fail(ProxyFailure::Protocol))?;
    let mut stream = connect(proxy).await.map_err(fail)?;
    let answer = async {
        stream
            .write_all(&request)
            .await
            .map_err(|_| ProxyFailure::Connect)?;
        read_answer(&mut stream).await
    };
    let early = tokio::time::timeout(STEP, answer)
        .await
        .map_err(|_| fail(ProxyFailure::Timeout))?
        .map_err(fail)?;
    Ok(Opened { stream, early })
}

/// The credentials to send, read now (a variable or file may have been
/// rotated). What could not be read is logged: its name, never a value.
fn credentials(proxy: &UpstreamProxy) -> Result<Option<Credentials>, ProxyFailure> {
    let (text, from) = match &proxy.auth {
        None => return Ok(None),
        Some(ProxyAuth::Inline(c)) => return Ok(Some(c.clone())),
        Some(ProxyAuth::Env(var)) => (
            std::env::var(var).ok(),
            format!("environment variable {var}"),
        ),
        Some(ProxyAuth::File(path)) => (
            std::fs::read_to_string(path).ok(),
            format!("file {}", path.display()),
        ),
    };
    let Some(text) = text else {
        tracing::warn!(proxy = %proxy, "upstream proxy credentials: {from} cannot be read");
        return Err(ProxyFailure::Credentials);
    };
    match Credentials::parse(&text) {
        Some(c) => Ok(Some(c)),
        None => {
            tracing::warn!(proxy = %proxy, "upstream proxy credentials: {from} does not hold user:password");
            Err(ProxyFailure::Credentials)
        }
    }
}

/// Resolves the proxy's name and connects to its first address that answers.
async fn connect(proxy: &UpstreamProxy) -> Result<TcpStream, ProxyFailure> {
    let host = proxy.host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout(STEP, tokio::net::lookup_host((host, proxy.port))).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(_)) => Vec::new(),
            Err(_) => return Err(ProxyFailure::Timeout),
        };
    if addrs.is_empty() {
        return Err(ProxyFailure::Dns);
    }
    let mut failure = ProxyFailure::Connect;
    for addr in addrs {
        match tokio::time::timeout(STEP, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(_)) => failure = ProxyFailure::Connect,
            Err(_) => failure = ProxyFailure::Timeout,
        }
    }
    Err(failure)
}

/// Reads the answer's head and judges its status; the bytes after it.
async fn read_answer(stream: &mut TcpStream) -> Result<Vec<u8>, ProxyFailure> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| ProxyFailure::Connect)?;
        if n == 0 {
            return Err(ProxyFailure::Protocol);
        }
        buf.extend_from_slice(&chunk[..n]);
        match handshake::read_head(&buf) {
            Head::Incomplete => continue,
            Head::Malformed => return Err(ProxyFailure::Protocol),
            Head::Complete { status, len } => {
                handshake::judge(status)?;
                return Ok(buf.split_off(len));
            }
        }
    }
}

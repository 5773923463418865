//! CONNECTs to hosts that are not providers, once egress permits them
//! (`egress`): the tunnel's first bytes are screened before anything goes
//! upstream (`screen`), since its TLS server name must be the CONNECT host
//! and never a provider's; then the destination is connected to (directly,
//! or through the upstream proxy) and bytes are copied both ways untouched.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::client_hello::Hello;
use crate::egress::{EgressPermit, Hop};
use crate::screen::{self, First};
use crate::shared::State;
use crate::upstream_proxy::dial;

/// Who asked for a tunnel, and to where (canonical host).
pub struct Tunnel {
    pub host: String,
    pub port: u16,
    pub peer: SocketAddr,
    pub agent: Option<String>,
}

/// Screens the client's first bytes; then connects upstream, sends them on,
/// and copies both ways until either side closes. A refused tunnel never
/// connects upstream: it is counted, logged and closed.
pub async fn serve(state: Arc<State>, t: Tunnel, upgraded: Upgraded, permit: EgressPermit) {
    let mut client = TokioIo::new(upgraded);
    let timeout = state.config.proxy.header_timeout;
    let (first, hello) = match screen::read_first(&mut client, timeout).await {
        First::Read(bytes, hello) => (bytes, hello),
        First::Gone => return,
        First::Refused(r) => return close_refused(&state, &t, client, None, r).await,
    };
    let verdict = screen::rule(
        &hello,
        &t.host,
        t.port,
        state.config.proxy.missing_sni,
        |sni| state.engine.borrow().inspector.provider_for(sni).is_some(),
    );
    if let Err(r) = verdict {
        return close_refused(&state, &t, client, Some(&hello), r).await;
    }
    state.metrics.tunnels.fetch_add(1, Ordering::Relaxed);
    let upstream = match permit.hop() {
        Hop::Direct(addrs) => connect(addrs).await.map(|s| (s, Vec::new())),
        Hop::Proxy { proxy, target } => match dial::open(proxy, target).await {
            Ok(opened) => Ok((opened.stream, opened.early)),
            Err(e) => {
                // The client's CONNECT was answered before its first bytes
                // were screened: all it can get now is a closed connection.
                state.metrics.upstream_failure(e.failure.label());
                tracing::warn!(
                    peer = %t.peer,
                    connect = %t.host,
                    port = t.port,
                    agent = t.agent.as_deref().unwrap_or("-"),
                    cause = e.failure.label(),
                    "tunnel closed, nothing sent upstream: {e}"
                );
                return;
            }
        },
    };
    let result = match upstream {
        Ok((upstream, early)) => splice(client, &first, upstream, &early).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::debug!(peer = %t.peer, host = %t.host, error = %e, "tunnel ended");
    }
}

async fn close_refused(
    state: &State,
    t: &Tunnel,
    mut client: TokioIo<Upgraded>,
    hello: Option<&Hello>,
    r: screen::Refused,
) {
    state.metrics.refused(r.reason);
    let sni = match hello {
        Some(Hello::Parsed { sni: Some(s), .. }) => s.as_str(),
        _ => "-",
    };
    tracing::warn!(
        peer = %t.peer,
        connect = %t.host,
        port = t.port,
        sni,
        agent = t.agent.as_deref().unwrap_or("-"),
        reason = r.reason,
        "tunnel refused before anything was sent upstream: {}",
        r.message
    );
    if r.tls {
        let alert = async {
            client.write_all(&screen::ACCESS_DENIED).await?;
            client.shutdown().await
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), alert).await;
    }
}

/// Connects to the first of `addrs` that answers.
async fn connect(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = None;
    for &addr in addrs {
        match tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr)).await {
            Ok(Ok(upstream)) => {
                let _ = upstream.set_nodelay(true);
                return Ok(upstream);
            }
            Ok(Err(e)) => last = Some(e),
            Err(_) => {
                last = Some(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connect timed out",
                ))
            }
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no address")))
}

/// Sends `first` (the bytes the screen read) upstream and `early` (bytes
/// the upstream proxy sent past its answer) to the client, then copies
/// both ways until either side closes.
async fn splice(
    mut client: TokioIo<Upgraded>,
    first: &[u8],
    mut upstream: TcpStream,
    early: &[u8],
) -> std::io::Result<()> {
    upstream.write_all(first).await?;
    if !early.is_empty() {
        client.write_all(early).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

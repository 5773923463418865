//! The client connections the proxy listener accepts: proxy
//! authentication, then CONNECT (intercept a provider host, tunnel or
//! refuse anything else) or an absolute-form request (neonctl and friends
//! send `https://` URLs in clear to an `http://` proxy).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use scopegate_inspect::canonical_host;
use scopegate_model::Fingerprint;
use tokio::net::TcpStream;

use crate::body::{Body, empty};
use crate::config::ProxyConfig;
use crate::egress;
use crate::interception;
use crate::request_path::{self, Conn, pass_through};
use crate::respond::Refusal;
use crate::shared::State;
use crate::tunnel;

pub fn serve(state: Arc<State>, stream: TcpStream, peer: SocketAddr) {
    let timeout = state.config.proxy.header_timeout;
    let svc_state = state.clone();
    let svc = service_fn(move |req| {
        let state = svc_state.clone();
        async move { Ok::<_, Infallible>(handle(state, peer, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), svc)
        .with_upgrades();
    // An upgradeable connection is not a `GracefulConnection`; drain it by hand.
    let mut shutdown = state.shutdown.clone();
    let guard = state.tracker.enter();
    tokio::spawn(async move {
        let _guard = guard;
        let mut conn = std::pin::pin!(conn);
        let result = tokio::select! {
            r = conn.as_mut() => r,
            _ = shutdown.changed() => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        if let Err(e) = result {
            tracing::debug!(%peer, error = %e, "client connection ended with an error");
        }
    });
}

async fn handle(state: Arc<State>, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    match route(&state, peer, req).await {
        Ok(resp) => resp,
        Err(refusal) => refusal.answer(&state.metrics),
    }
}

/// Authenticates the client, then sends the request where it belongs.
async fn route(
    state: &Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Refusal> {
    let agent = authenticate(&state.config, req.headers()).map_err(|()| Refusal::ProxyAuth)?;
    if req.method() == Method::CONNECT {
        return connect(state.clone(), peer, agent, req).await;
    }
    let authority = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or(Refusal::NotAProxyRequest)?;
    let scheme = req
        .uri()
        .scheme_str()
        .unwrap_or("http")
        .to_ascii_lowercase();
    let (host, port) = canonical_host(&authority, if scheme == "https" { 443 } else { 80 });
    check_authority(&authority, &host)?;
    if is_provider(state, &host) {
        // Provider requests sent in clear are inspected and forwarded over TLS.
        let port = if scheme == "http" && port == 80 {
            443
        } else {
            port
        };
        let ctx = Arc::new(Conn {
            host,
            port,
            agent,
            peer,
            scheme: "https",
        });
        return Ok(request_path::handle(state.clone(), ctx, req).await);
    }
    let permit = egress::check(&state.config, &host, port)
        .await
        .map_err(Refusal::Egress)?;
    let ctx = Conn {
        host,
        port,
        agent,
        peer,
        scheme: if scheme == "https" { "https" } else { "http" },
    };
    Ok(pass_through::forward(state, &ctx, permit, req).await)
}

fn is_provider(state: &State, host: &str) -> bool {
    state.engine.borrow().inspector.provider_for(host).is_some()
}

async fn connect(
    state: Arc<State>,
    peer: SocketAddr,
    agent: Option<String>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Refusal> {
    let authority = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or(Refusal::BadConnect)?;
    let (host, port) = canonical_host(&authority, 443);
    if host.is_empty() {
        return Err(Refusal::BadConnect);
    }
    check_authority(&authority, &host)?;
    if is_provider(&state, &host) {
        let ctx = Arc::new(Conn {
            host,
            port,
            agent,
            peer,
            scheme: "https",
        });
        tokio::spawn(async move {
            match hyper::upgrade::on(req).await {
                Ok(upgraded) => interception::serve_tls(state, ctx, upgraded).await,
                Err(e) => tracing::debug!(%peer, error = %e, "CONNECT upgrade failed"),
            }
        });
        return Ok(Response::new(empty()));
    }
    let permit = match egress::check(&state.config, &host, port).await {
        Ok(p) => p,
        Err(e) => {
            let refusal = Refusal::Egress(e);
            let reason = refusal.metric_label().unwrap_or("-");
            tracing::info!(%peer, %host, port, reason, "CONNECT refused");
            return Err(refusal);
        }
    };
    tracing::debug!(%peer, %host, port, agent = agent.as_deref().unwrap_or("-"), "tunnel");
    let t = tunnel::Tunnel {
        host,
        port,
        peer,
        agent,
    };
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => tunnel::serve(state, t, upgraded, permit).await,
            Err(e) => tracing::debug!(%peer, error = %e, "CONNECT upgrade failed"),
        }
    });
    Ok(Response::new(empty()))
}

/// A proxy request's authority must be a bare `host[:port]`: userinfo
/// (`agent@host`) is refused rather than stripped, so no credential in a
/// URL is passed on and no host is compared with something in front of
/// it; a host must be a DNS name or an IP literal.
fn check_authority(authority: &str, host: &str) -> Result<(), Refusal> {
    if authority.contains('@') {
        // Only what follows the last `@`: the userinfo may be a credential.
        let host = authority.rsplit('@').next().unwrap_or_default();
        tracing::warn!(host, "proxy request with userinfo in its authority refused");
        return Err(Refusal::Userinfo);
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let valid = if bare.len() != host.len() {
        host.starts_with('[') && bare.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        host.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    };
    if valid { Ok(()) } else { Err(Refusal::BadHost) }
}

/// The agent named by `Proxy-Authorization` (Basic `agent:key` or Bearer
/// `key`). `Err` means 407: credentials required and missing, or wrong.
fn authenticate(config: &ProxyConfig, headers: &http::HeaderMap) -> Result<Option<String>, ()> {
    let Some(value) = headers.get(http::header::PROXY_AUTHORIZATION) else {
        return if config.proxy.auth.required {
            Err(())
        } else {
            Ok(None)
        };
    };
    let value = value.to_str().map_err(|_| ())?;
    let (scheme, rest) = value.split_once(' ').ok_or(())?;
    let rest = rest.trim();
    let matched = if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| ())?;
        let decoded = String::from_utf8(decoded).map_err(|_| ())?;
        let (name, key) = decoded.split_once(':').ok_or(())?;
        let fp = Fingerprint::of(key.as_bytes());
        config
            .proxy
            .auth
            .agents
            .iter()
            .find(|a| a.name == name && a.key == fp)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        let fp = Fingerprint::of(rest.as_bytes());
        config.proxy.auth.agents.iter().find(|a| a.key == fp)
    } else {
        None
    };
    matched.map(|a| Some(a.name.clone())).ok_or(())
}

#[cfg(test)]
mod tests;

//! An intercepted tunnel to a provider host: TLS with a leaf for the
//! CONNECT host (the client's server name must agree), then HTTP/1.1 or
//! HTTP/2 by ALPN, each request going down the request path.

use std::sync::Arc;

use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use scopegate_inspect::canonical_host;
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;

use crate::request_path::{self, Conn};
use crate::respond::Closed;
use crate::shared::State;

/// Serves one intercepted tunnel until the client or shutdown ends it.
pub async fn serve_tls(state: Arc<State>, conn: Arc<Conn>, upgraded: Upgraded) {
    match handshake(&state, &conn, upgraded).await {
        Ok(tls) => serve_http(state, conn, tls).await,
        Err(closed) => closed.count(&state.metrics),
    }
}

/// TLS as the CONNECT host, with scopegate's leaf for it.
async fn handshake(
    state: &State,
    conn: &Conn,
    upgraded: Upgraded,
) -> Result<TlsStream<TokioIo<Upgraded>>, Closed> {
    let timeout = state.config.proxy.header_timeout;
    let acceptor =
        LazyConfigAcceptor::new(rustls::server::Acceptor::default(), TokioIo::new(upgraded));
    // Borrowed, so the connection outlives the timeout: a refusal is
    // counted before the client sees the connection close.
    let mut acceptor = std::pin::pin!(acceptor);
    let start = match tokio::time::timeout(timeout, acceptor.as_mut()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::info!(peer = %conn.peer, host = %conn.host, error = %e, "intercepted connection did not start TLS; closed");
            return Err(Closed::NotTls);
        }
        Err(_) => return Err(Closed::TlsTimeout),
    };
    if let Some(sni) = start.client_hello().server_name() {
        let sni = canonical_host(sni, 443).0;
        if sni != conn.host {
            tracing::warn!(peer = %conn.peer, connect = %conn.host, %sni, "TLS server name differs from the CONNECT host; closed");
            return Err(Closed::SniMismatch);
        }
    }
    let config = state.leafs.server_config(&conn.host).map_err(|e| {
        tracing::error!(host = %conn.host, error = %e, "cannot mint a leaf certificate");
        Closed::LeafCert
    })?;
    match tokio::time::timeout(timeout, start.into_stream(config)).await {
        Ok(Ok(t)) => Ok(t),
        _ => Err(Closed::TlsHandshake),
    }
}

/// HTTP/1.1 or HTTP/2 inside the tunnel, each request down the request path.
async fn serve_http(state: Arc<State>, conn: Arc<Conn>, tls: TlsStream<TokioIo<Upgraded>>) {
    let timeout = state.config.proxy.header_timeout;
    let svc_state = state.clone();
    let svc_conn = conn.clone();
    let svc = service_fn(move |req| {
        let state = svc_state.clone();
        let conn = svc_conn.clone();
        async move { Ok::<_, std::convert::Infallible>(request_path::handle(state, conn, req).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024);
    let _guard = state.tracker.enter();
    let mut shutdown = state.shutdown.clone();
    let mut http = std::pin::pin!(builder.serve_connection_with_upgrades(TokioIo::new(tls), svc));
    let result = tokio::select! {
        r = http.as_mut() => r,
        _ = shutdown.changed() => {
            http.as_mut().graceful_shutdown();
            http.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(peer = %conn.peer, error = %e, "intercepted connection ended with an error");
    }
}

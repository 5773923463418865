//! How the upstream client reaches a host: directly (the system resolver,
//! or a route override's address), or through the upstream proxy by
//! `CONNECT` — to the route override's address when the host has one,
//! else to the host name, which the proxy resolves (docs/upstream-proxy.md).
//! TLS to the provider is then done over the tunnel by the caller, with
//! the provider's name, exactly as over a direct connection.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use super::Resolver;
use crate::upstream_proxy::{ProxyError, ProxyFailure, UpstreamProxy, dial};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The upstream client's connector, under its TLS.
#[derive(Clone)]
pub enum Dialer {
    Direct(HttpConnector<Resolver>),
    Chained(Arc<Chained>),
}

/// Connections through the upstream proxy.
pub struct Chained {
    pub proxy: UpstreamProxy,
    pub routes: Arc<BTreeMap<String, SocketAddr>>,
}

impl Service<Uri> for Dialer {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self {
            Self::Direct(http) => http.poll_ready(cx).map_err(Into::into),
            Self::Chained(_) => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        match self {
            Self::Direct(http) => {
                let connecting = http.call(uri);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
            Self::Chained(chained) => {
                let chained = chained.clone();
                Box::pin(async move { chained.open(&uri).await.map_err(Into::into) })
            }
        }
    }
}

impl Chained {
    async fn open(&self, uri: &Uri) -> Result<TokioIo<TcpStream>, ProxyError> {
        let protocol = ProxyError {
            proxy: self.proxy.to_string(),
            failure: ProxyFailure::Protocol,
        };
        let target = target(uri, &self.routes).ok_or_else(|| protocol.clone())?;
        let opened = dial::open(&self.proxy, &target).await?;
        // The client speaks first (TLS, or a plain request): a proxy that
        // sends tunnel bytes before it is not one to read from.
        if !opened.early.is_empty() {
            return Err(protocol);
        }
        Ok(TokioIo::new(opened.stream))
    }
}

/// What the upstream proxy is asked to `CONNECT` to for `uri`: the route
/// override's address, else `host:port` (the port from the URI or its
/// scheme).
pub fn target(uri: &Uri, routes: &BTreeMap<String, SocketAddr>) -> Option<String> {
    let host = uri.host()?.to_ascii_lowercase();
    if let Some(addr) = routes.get(&host) {
        return Some(addr.to_string());
    }
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("http") => 80,
        _ => 443,
    });
    Some(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_is_asked_for_the_route_or_the_name() {
        let mut routes = BTreeMap::new();
        let fake: SocketAddr = "127.0.0.1:9443".parse().unwrap();
        routes.insert("backboard.railway.com".to_owned(), fake);
        let at = |u: &str| target(&u.parse().unwrap(), &routes);
        assert_eq!(
            at("https://Backboard.Railway.com/graphql/v2").as_deref(),
            Some("127.0.0.1:9443")
        );
        assert_eq!(
            at("https://api.github.com/user").as_deref(),
            Some("api.github.com:443")
        );
        assert_eq!(
            at("http://mirror.example/x").as_deref(),
            Some("mirror.example:80")
        );
        assert_eq!(
            at("https://mirror.example:8443/").as_deref(),
            Some("mirror.example:8443")
        );
    }
}

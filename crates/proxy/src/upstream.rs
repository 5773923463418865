//! The upstream side: the pooled client over verified TLS, its resolver
//! (which honours route overrides) and connector (direct, or through the
//! upstream proxy: `dialer`), and sending a permitted request — only a
//! request some decision permitted (`Forwardable`) can be sent. The
//! response streams back untouched.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Version};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use scopegate_model::{AuthScheme, CredentialLocation};

use crate::body::Body;
use crate::config::UpstreamSettings;

mod dialer;

use dialer::{Chained, Dialer};

pub type UpstreamClient = Client<hyper_rustls::HttpsConnector<Dialer>, Full<Bytes>>;

/// A body sent upstream as it arrives: a streamed route's upload, decided
/// on its head (`railway up`).
pub type StreamedBody =
    http_body_util::combinators::UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// The client for streamed bodies (its own pool: uploads are rare).
pub type StreamingClient = Client<hyper_rustls::HttpsConnector<Dialer>, StreamedBody>;

/// DNS with route overrides: an overridden host resolves to its configured
/// address (port included); others go to the system resolver.
#[derive(Clone)]
pub struct Resolver {
    routes: Arc<BTreeMap<String, SocketAddr>>,
}

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let routes = self.routes.clone();
        Box::pin(async move {
            if let Some(addr) = routes.get(&name.as_str().to_ascii_lowercase()) {
                return Ok(vec![*addr].into_iter());
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            Ok(addrs.into_iter())
        })
    }
}

/// Idle upstream connections kept per provider host. Over HTTP/1.1 a burst
/// of N concurrent requests opens N connections; beyond this many, those
/// that fall idle are closed rather than held (each holds its TLS state
/// and buffers) for the idle timeout.
const POOL_IDLE_PER_HOST: usize = 256;

/// The pooled upstream client. HTTP/1.1 only unless `http2`: one upstream
/// connection per concurrent request, each served by its own small task,
/// costs the proxy less per request than h2's shared connection task with
/// its stream bookkeeping and flow control (docs/upstream-http1.md).
/// With an upstream proxy, every connection is a tunnel through it.
pub fn client<B>(
    tls: rustls::ClientConfig,
    upstream: &UpstreamSettings,
) -> Client<hyper_rustls::HttpsConnector<Dialer>, B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let routes = Arc::new(upstream.routes.clone());
    let dialer = match &upstream.proxy {
        Some(proxy) => Dialer::Chained(Arc::new(Chained {
            proxy: proxy.clone(),
            routes,
        })),
        None => {
            let mut http = HttpConnector::new_with_resolver(Resolver { routes });
            http.enforce_http(false);
            http.set_nodelay(true);
            http.set_connect_timeout(Some(Duration::from_secs(10)));
            Dialer::Direct(http)
        }
    };
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1();
    let https = if upstream.http2 {
        builder.enable_http2().wrap_connector(dialer)
    } else {
        builder.wrap_connector(dialer)
    };
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(POOL_IDLE_PER_HOST)
        .build(https)
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own; never forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
];

pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Headers named by Connection are hop-by-hop too.
    let named: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(n);
    }
}

/// Why a forward failed; the client gets 502 or 504.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("upstream did not answer within {0:?}")]
    Timeout(Duration),
    #[error("upstream request failed: {0}")]
    Upstream(#[from] hyper_util::client::legacy::Error),
    #[error("could not build the upstream request: {0}")]
    Build(#[from] http::Error),
}

/// A request a decision permitted: a policy decision
/// (`request_path::Permitted`) or the egress decision (`PassThrough`).
/// Nothing else can be sent upstream.
pub trait Forwardable {
    /// The head and the exact bytes to send.
    fn into_request(self) -> (http::request::Parts, Bytes);
}

/// Where a request goes upstream.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    pub host: &'a str,
    pub port: u16,
    pub scheme: &'a str,
}

/// Sends the permitted request (the exact bytes inspected) to
/// `scheme://host[:port]path`.
pub async fn forward(
    client: &UpstreamClient,
    request: impl Forwardable,
    to: Destination<'_>,
    timeout: Duration,
) -> Result<Response<Body>, ForwardError> {
    let (parts, body) = request.into_request();
    send(client, parts, Full::new(body), to, timeout).await
}

/// Sends a permitted head with its body streamed as it arrives: a route
/// the catalogue decides on its head alone. Nothing else may take this path.
pub async fn forward_streamed(
    client: &StreamingClient,
    head: impl Forwardable,
    body: StreamedBody,
    to: Destination<'_>,
    timeout: Duration,
) -> Result<Response<Body>, ForwardError> {
    let (parts, _empty) = head.into_request();
    send(client, parts, body, to, timeout).await
}

async fn send<B>(
    client: &Client<hyper_rustls::HttpsConnector<Dialer>, B>,
    mut parts: http::request::Parts,
    body: B,
    to: Destination<'_>,
    timeout: Duration,
) -> Result<Response<Body>, ForwardError>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Destination { host, port, scheme } = to;
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let default_port = if scheme == "https" { 443 } else { 80 };
    let uri = if port == default_port {
        format!("{scheme}://{host}{pq}")
    } else {
        format!("{scheme}://{host}:{port}{pq}")
    };
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    let mut req = Request::builder()
        .method(parts.method)
        .uri(uri)
        .version(Version::HTTP_11)
        .body(body)?;
    *req.headers_mut() = parts.headers;
    let resp = tokio::time::timeout(timeout, client.request(req))
        .await
        .map_err(|_| ForwardError::Timeout(timeout))??;
    let (mut rparts, rbody) = resp.into_parts();
    strip_hop_by_hop(&mut rparts.headers);
    Ok(Response::from_parts(rparts, rbody.boxed()))
}

/// Replaces the presented surrogate with the real secret at the place it
/// was presented, in the scheme it was presented with. Basic, cookies and
/// query parameters cannot be swapped; the caller refuses them before
/// forwarding.
pub fn swap_credential(
    headers: &mut HeaderMap,
    location: &CredentialLocation,
    secret: &str,
) -> Result<(), &'static str> {
    let value = |v: String| {
        HeaderValue::from_str(&v).map_err(|_| "the real secret is not a valid header value")
    };
    match location {
        CredentialLocation::Authorization(AuthScheme::Bearer) => {
            headers.insert(header::AUTHORIZATION, value(format!("Bearer {secret}"))?);
            Ok(())
        }
        CredentialLocation::Authorization(AuthScheme::Token) => {
            headers.insert(header::AUTHORIZATION, value(format!("token {secret}"))?);
            Ok(())
        }
        // A signature over the request, not a token: an AWS surrogate is
        // signed again (`request_path::aws_key`), never swapped.
        CredentialLocation::Authorization(AuthScheme::Other(scheme))
            if scheme == "aws4-hmac-sha256" =>
        {
            Err(
                "an AWS surrogate key needs surrogate_secret in its scope-map token, so that scopegate can re-sign its requests",
            )
        }
        // Another scheme a catalogue accepts (`FlyV1 …`): kept as presented,
        // since the provider reads the token by it.
        CredentialLocation::Authorization(AuthScheme::Other(scheme)) => {
            let presented = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().split_once(' '))
                .map(|(s, _)| s.to_owned())
                .filter(|s| s.eq_ignore_ascii_case(scheme))
                .ok_or("the surrogate is not in the Authorization header it was read from")?;
            headers.insert(
                header::AUTHORIZATION,
                value(format!("{presented} {secret}"))?,
            );
            Ok(())
        }
        CredentialLocation::Header(name) => {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| "bad header name")?;
            headers.insert(name, value(secret.to_owned())?);
            Ok(())
        }
        CredentialLocation::Cookie(name) => {
            let cookie = swap_cookie(headers, name, secret)?;
            headers.insert(header::COOKIE, value(cookie)?);
            Ok(())
        }
        CredentialLocation::Authorization(AuthScheme::Basic)
        | CredentialLocation::SessionCookie
        | CredentialLocation::Query(_) => Err(
            "a surrogate token must be sent in the Authorization header (not Basic) or a provider token header",
        ),
    }
}

/// The `Cookie` header with cookie `name`'s value replaced by `secret`,
/// every other cookie kept (the request's cookie headers joined in one).
fn swap_cookie(headers: &HeaderMap, name: &str, secret: &str) -> Result<String, &'static str> {
    let mut pairs = Vec::new();
    let mut swapped = false;
    for v in headers.get_all(header::COOKIE) {
        let v = v.to_str().map_err(|_| "the cookie header is not text")?;
        for pair in v.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            if pair.split_once('=').is_some_and(|(n, _)| n == name) {
                pairs.push(format!("{name}={secret}"));
                swapped = true;
            } else {
                pairs.push(pair.to_owned());
            }
        }
    }
    if !swapped {
        return Err("the surrogate is not in the cookie it was read from");
    }
    Ok(pairs.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_hop_by_hop_and_connection_named_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-secret-hop"),
        );
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert("proxy-authorization", HeaderValue::from_static("Basic x"));
        h.insert("te", HeaderValue::from_static("trailers"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("content-type"));
    }

    #[test]
    fn swaps_where_presented() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer sgs_x"));
        let at = |s: &str| s.parse::<CredentialLocation>().unwrap();
        swap_credential(&mut h, &at("authorization:bearer"), "real").unwrap();
        assert_eq!(h["authorization"], "Bearer real");
        swap_credential(&mut h, &at("authorization:token"), "real1").unwrap();
        assert_eq!(h["authorization"], "token real1");
        swap_credential(&mut h, &at("header:project-access-token"), "real2").unwrap();
        assert_eq!(h["project-access-token"], "real2");
        assert!(swap_credential(&mut h, &at("authorization:basic"), "x").is_err());
        // another scheme the provider accepts is kept as presented
        h.insert("authorization", HeaderValue::from_static("FlyV1 sgs_x"));
        swap_credential(&mut h, &at("authorization:flyv1"), "fm2_real").unwrap();
        assert_eq!(h["authorization"], "FlyV1 fm2_real");
        // ...and only if it is still the scheme presented
        h.insert("authorization", HeaderValue::from_static("Bearer sgs_x"));
        assert!(swap_credential(&mut h, &at("authorization:flyv1"), "x").is_err());
        assert!(swap_credential(&mut h, &at("query:access_token"), "x").is_err());
        assert!(swap_credential(&mut h, &at("header:cookie"), "x").is_err());
        // a named cookie, in place, the others kept
        h.insert(
            "cookie",
            HeaderValue::from_static("zenith=sgs_x; keycloak_token=sgs_x"),
        );
        swap_credential(&mut h, &at("cookie:zenith"), "real").unwrap();
        swap_credential(&mut h, &at("cookie:keycloak_token"), "real").unwrap();
        assert_eq!(h["cookie"], "zenith=real; keycloak_token=real");
        assert!(swap_credential(&mut h, &at("cookie:session"), "x").is_err());
    }
}

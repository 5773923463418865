//! Every answer scopegate gives in place of the provider's. One `Refusal`
//! names each reason a request is not forwarded; this module alone decides
//! its status code, the sentence the agent reads (a GraphQL `errors` array
//! on GraphQL endpoints, JSON elsewhere, with the `x-scopegate-*` headers)
//! and the metric label it is counted under.

use http::header::HeaderValue;
use http::{Response, StatusCode};

use crate::body::Body;
use crate::egress::EgressRefusal;
use crate::metrics::Metrics;
use crate::upstream_error::Cause;
use crate::upstream_proxy::ProxyFailure;

mod aws;
mod json;
mod phrases;
mod policy;

use json::problem;

pub use policy::{ApprovalLink, PolicyRefusal, Why};

/// Why an intercepted connection is closed before any request: there is
/// no HTTP to answer in; it is counted under its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    NotTls,
    TlsTimeout,
    /// The TLS server name is not the CONNECT host.
    SniMismatch,
    LeafCert,
    TlsHandshake,
}

impl Closed {
    pub fn label(self) -> &'static str {
        match self {
            Self::NotTls => "not-tls",
            Self::TlsTimeout => "tls-timeout",
            Self::SniMismatch => "sni-mismatch",
            Self::LeafCert => "leaf-cert",
            Self::TlsHandshake => "tls-handshake",
        }
    }

    pub fn count(self, metrics: &Metrics) {
        metrics.refused(self.label());
    }
}

/// Why scopegate answers instead of the provider.
#[derive(Debug)]
pub enum Refusal {
    /// Proxy credentials required, missing or wrong (407).
    ProxyAuth,
    /// An origin-form request sent to the proxy itself.
    NotAProxyRequest,
    /// A CONNECT without `host:port`.
    BadConnect,
    /// `user@host` in a proxy request's authority.
    Userinfo,
    /// The host is neither a DNS name nor an IP literal.
    BadHost,
    /// A non-provider destination the egress setting refuses.
    Egress(EgressRefusal),
    /// A request inside a tunnel names another host than the tunnel's.
    AuthorityMismatch,
    /// A protocol upgrade (WebSocket) to a provider host.
    Upgrade,
    BodyTooLarge {
        max: usize,
    },
    BodyTimeout,
    BodyUnreadable,
    /// The scope map refused it, or it is held for a human.
    Policy(Box<PolicyRefusal>),
    /// A hold the approval queue cannot take.
    QueueUnavailable,
    /// The decision could not be recorded, so it is not acted on.
    Unrecorded,
    /// The provider could not be reached.
    Upstream {
        cause: Cause,
        host: String,
    },
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::ProxyAuth => StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            Self::NotAProxyRequest
            | Self::BadConnect
            | Self::Userinfo
            | Self::BadHost
            | Self::BodyUnreadable => StatusCode::BAD_REQUEST,
            Self::Egress(EgressRefusal::Dns { .. }) => StatusCode::BAD_GATEWAY,
            Self::Policy(p) => p.why.status().unwrap_or(StatusCode::FORBIDDEN),
            Self::Egress(_) | Self::Upgrade => StatusCode::FORBIDDEN,
            Self::AuthorityMismatch => StatusCode::MISDIRECTED_REQUEST,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::QueueUnavailable | Self::Unrecorded => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream { cause, .. } => match cause {
                Cause::Timeout => StatusCode::GATEWAY_TIMEOUT,
                Cause::Proxy(p) if p.failure == ProxyFailure::Timeout => {
                    StatusCode::GATEWAY_TIMEOUT
                }
                Cause::Request => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            },
        }
    }

    /// The `scopegate_refused_total` label for refusals made before any
    /// policy decision; `None` for the rest (policy outcomes are counted by
    /// verdict, upstream failures in the decision log's outcome).
    pub fn metric_label(&self) -> Option<&'static str> {
        Some(match self {
            Self::ProxyAuth => "proxy-auth",
            Self::NotAProxyRequest => "not-a-proxy-request",
            Self::BadConnect => "bad-connect",
            Self::Userinfo => "userinfo",
            Self::BadHost => "bad-host",
            Self::Egress(e) => egress_label(e),
            Self::AuthorityMismatch => "authority-mismatch",
            Self::Upgrade => "upgrade",
            Self::BodyTooLarge { .. } => "body-too-large",
            Self::Policy(p) if matches!(p.why, Why::TooLarge { .. }) => "body-too-large",
            Self::BodyTimeout => "body-timeout",
            Self::BodyUnreadable => "body-read",
            Self::Policy(_) | Self::QueueUnavailable | Self::Unrecorded | Self::Upstream { .. } => {
                return None;
            }
        })
    }

    /// The sentence the client reads (after `scopegate: `), for every
    /// refusal but the policy's own (which explains its decision).
    pub(crate) fn message(&self) -> String {
        match self {
            Self::ProxyAuth => {
                "proxy authentication required: set HTTPS_PROXY=http://AGENT:KEY@host:port".into()
            }
            Self::NotAProxyRequest => "this is an HTTP proxy: use it through HTTPS_PROXY (CONNECT) or send absolute-form requests".into(),
            Self::BadConnect => "CONNECT needs host:port".into(),
            Self::Userinfo => "a user name or password in the authority (user@host) is refused: name the host alone; nothing was forwarded".into(),
            Self::BadHost => "the host is not a DNS name or an IP address; nothing was forwarded".into(),
            Self::Egress(e) => egress_message(e),
            Self::AuthorityMismatch => "the request names another host than the one this connection was opened to".into(),
            Self::Upgrade => "protocol upgrades to provider hosts are refused, except GraphQL over WebSocket (graphql-transport-ws, graphql-ws) where the catalogue says the endpoint speaks it: scopegate forwards nothing it cannot inspect".into(),
            Self::BodyTooLarge { max } => format!(
                "request bodies over {max} bytes are refused: scopegate forwards nothing it has not inspected"
            ),
            Self::BodyTimeout => "the request body did not arrive in time".into(),
            Self::BodyUnreadable => "the request body could not be read".into(),
            Self::QueueUnavailable => "this request needs a human's approval, and the approval queue is unavailable; nothing was forwarded".into(),
            Self::Unrecorded => "the decision could not be recorded, so it was not acted on; retry later or ask the scopegate operator".into(),
            Self::Upstream { cause, host } => cause.message(host),
            Self::Policy(p) => p.headline(),
        }
    }

    /// Counts the refusal under its label (an upstream failure under its
    /// cause), then answers it.
    pub fn answer(self, metrics: &Metrics) -> Response<Body> {
        if let Some(label) = self.metric_label() {
            metrics.refused(label);
        }
        if let Self::Upstream { cause, .. } = &self {
            metrics.upstream_failure(cause.as_str());
        }
        self.into_response()
    }

    /// The response the client gets.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        match self {
            Self::Policy(p) => p.into_response(status),
            Self::ProxyAuth => {
                let mut r = problem(status, &self.message());
                r.headers_mut().insert(
                    "proxy-authenticate",
                    HeaderValue::from_static("Basic realm=\"scopegate\""),
                );
                r
            }
            _ => problem(status, &self.message()),
        }
    }
}

fn egress_label(e: &EgressRefusal) -> &'static str {
    match e {
        EgressRefusal::IpLiteral { .. } => "ip-literal",
        EgressRefusal::NotAllowed { .. } => "egress-refused",
        EgressRefusal::Dns { .. } => "dns",
        EgressRefusal::Private { .. } => "private-address",
    }
}

fn egress_message(e: &EgressRefusal) -> String {
    match e {
        EgressRefusal::IpLiteral { host } => {
            format!("CONNECT to an IP address ({host}) is refused; connect by host name")
        }
        EgressRefusal::NotAllowed { host } => format!(
            "{host} is not a provider host and egress to other hosts is refused by this scopegate"
        ),
        EgressRefusal::Dns { host } => {
            format!("DNS: {host} does not resolve from scopegate's host")
        }
        EgressRefusal::Private { host } => {
            format!("{host} resolves to a private, loopback or link-local address; refused")
        }
    }
}

#[cfg(test)]
mod tests;

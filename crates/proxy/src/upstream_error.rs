//! Why the provider could not be reached, in the words an operator and an
//! agent need: the DNS name did not resolve, the connection was refused,
//! TLS failed (verification included), or it did not answer in time; or,
//! with an upstream proxy, what that proxy did (`ProxyError`).
//! One place decides the cause from the error chain; the response, the log
//! line and the decision log's outcome all use it.

use std::error::Error as StdError;
use std::fmt;

use crate::upstream::ForwardError;
use crate::upstream_proxy::ProxyError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    Dns,
    Refused,
    Tls,
    Timeout,
    /// Reset, closed early, a protocol error.
    Other,
    /// The request could not be built (the client's fault).
    Request,
    /// The upstream proxy could not open the tunnel.
    Proxy(ProxyError),
}

impl Cause {
    pub fn of(e: &ForwardError) -> Self {
        match e {
            ForwardError::Timeout(_) => Self::Timeout,
            ForwardError::Build(_) => Self::Request,
            ForwardError::Upstream(e) => chain_cause(e),
        }
    }

    /// The label and the error, for the log line and the decision log's
    /// outcome: an upstream proxy's own words where it is the cause.
    pub fn describe(&self, e: &ForwardError) -> String {
        match self {
            Self::Proxy(p) => format!("{}: {p}", self.as_str()),
            _ => format!("{}: {e}", self.as_str()),
        }
    }

    /// A short label for logs and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Proxy(p) => p.failure.label(),
            Self::Dns => "dns",
            Self::Refused => "refused",
            Self::Tls => "tls",
            Self::Timeout => "timeout",
            Self::Other => "upstream",
            Self::Request => "request",
        }
    }

    /// What the agent is told.
    pub fn message(&self, host: &str) -> String {
        match self {
            Self::Proxy(p) => p.message(host),
            Self::Dns => format!(
                "DNS: {host} does not resolve from scopegate's host; nothing was forwarded (check the name, or scopegate's DNS)"
            ),
            Self::Refused => {
                format!("the provider refused the connection ({host}); nothing was forwarded")
            }
            Self::Tls => format!(
                "the provider ({host}) could not be reached over verified TLS: its certificate did not verify or the handshake failed; nothing was forwarded"
            ),
            Self::Timeout => format!("the provider ({host}) did not answer in time"),
            Self::Other => {
                format!("the connection to the provider ({host}) failed before it answered")
            }
            Self::Request => "the request could not be forwarded".to_owned(),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn chain_cause(e: &(dyn StdError + 'static)) -> Cause {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    let mut timed_out = false;
    while let Some(err) = cur {
        if let Some(p) = err.downcast_ref::<ProxyError>() {
            return Cause::Proxy(p.clone());
        }
        if err.downcast_ref::<rustls::Error>().is_some() {
            return Cause::Tls;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Cause::Refused,
                std::io::ErrorKind::TimedOut => timed_out = true,
                _ => {}
            }
        }
        let text = err.to_string();
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            return Cause::Dns;
        }
        if text.contains("invalid peer certificate") || text.contains("tls handshake") {
            return Cause::Tls;
        }
        cur = err.source();
    }
    if timed_out {
        Cause::Timeout
    } else {
        Cause::Other
    }
}

//! Where a request or tunnel to a non-provider host may go: the egress
//! decision. Private, loopback and link-local targets (cloud metadata at
//! 169.254.169.254 and friends) are refused unless configured; IP literals
//! are refused unless routed. With an upstream proxy, names are not
//! resolved here: the proxy resolves them (docs/upstream-proxy.md). Only
//! an `EgressPermit` opens a tunnel or passes a request through, and only
//! `check` makes one.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use scopegate_policy::Glob;

use crate::config::{Egress, ProxyConfig, UpstreamProxy};

/// Why a non-provider destination is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EgressRefusal {
    /// An IP address with no route override: connect by name.
    IpLiteral { host: String },
    /// `egress = "refuse"` and the host is not in `egress_allow`.
    NotAllowed { host: String },
    /// The name does not resolve (not a policy decision: 502).
    Dns { host: String },
    /// It resolves to a private, loopback or link-local address.
    Private { host: String },
}

/// Permission to connect to a non-provider host, and how.
#[derive(Debug)]
pub struct EgressPermit {
    hop: Hop,
}

/// How a permitted destination is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    /// Directly, trying these addresses in order.
    Direct(Vec<SocketAddr>),
    /// Through the upstream proxy, asking it to `CONNECT` to `target`: the
    /// host name (the proxy resolves it) or a route override's address.
    Proxy {
        proxy: UpstreamProxy,
        target: String,
    },
}

impl EgressPermit {
    pub fn hop(&self) -> &Hop {
        &self.hop
    }
}

/// Decides a non-provider destination: checked before a CONNECT is
/// answered or an absolute-form request passed through. Host-level rules
/// (IP literals, `egress`/`egress_allow`) always apply; the address guard
/// applies to the addresses scopegate resolves, which with an upstream
/// proxy it does not (docs/upstream-proxy.md).
pub async fn check(
    config: &ProxyConfig,
    host: &str,
    port: u16,
) -> Result<EgressPermit, EgressRefusal> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let owned = || host.to_owned();
    let route = config.upstream.routes.get(host).copied();
    if bare.parse::<IpAddr>().is_ok() && route.is_none() {
        return Err(EgressRefusal::IpLiteral { host: owned() });
    }
    if config.proxy.egress == Egress::Refuse
        && !config
            .proxy
            .egress_allow
            .iter()
            .any(|g| Glob::new(g).matches(host))
    {
        return Err(EgressRefusal::NotAllowed { host: owned() });
    }
    let hop = match (&config.upstream.proxy, route) {
        (Some(proxy), _) => through(config, proxy, host, port, route)?,
        // Route overrides are the explicit exception to the private-range rule.
        (None, Some(addr)) => Hop::Direct(vec![addr]),
        (None, None) => Hop::Direct(resolve(config, host, port).await?),
    };
    Ok(EgressPermit { hop })
}

/// Through the upstream proxy: to the route's address, or to the name,
/// unless the name is loopback by definition (`localhost`).
fn through(
    config: &ProxyConfig,
    proxy: &UpstreamProxy,
    host: &str,
    port: u16,
    route: Option<SocketAddr>,
) -> Result<Hop, EgressRefusal> {
    let target = match route {
        Some(addr) => addr.to_string(),
        None if is_loopback_name(host) && !config.proxy.unsafe_allow_private => {
            return Err(EgressRefusal::Private {
                host: host.to_owned(),
            });
        }
        None => format!("{host}:{port}"),
    };
    Ok(Hop::Proxy {
        proxy: proxy.clone(),
        target,
    })
}

/// The name's addresses, none of them private unless allowed.
async fn resolve(
    config: &ProxyConfig,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, EgressRefusal> {
    let owned = || host.to_owned();
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::lookup_host((host, port)),
    )
    .await
    {
        Ok(Ok(a)) => a.collect(),
        _ => Vec::new(),
    };
    if addrs.is_empty() {
        return Err(EgressRefusal::Dns { host: owned() });
    }
    if !config.proxy.unsafe_allow_private && addrs.iter().any(|a| is_private(a.ip())) {
        return Err(EgressRefusal::Private { host: owned() });
    }
    Ok(addrs)
}

/// `localhost` and `*.localhost`: loopback whoever resolves them (RFC 6761).
pub fn is_loopback_name(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

/// Loopback, private, link-local, shared (CGNAT), unspecified, multicast and
/// broadcast addresses, including IPv4-mapped IPv6.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests;

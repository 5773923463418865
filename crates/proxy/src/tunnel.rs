//! CONNECTs to hosts that are not providers: tunnelled untouched or refused
//! by the egress setting; private, loopback and link-local targets (cloud
//! metadata at 169.254.169.254 and friends) refused unless configured. A
//! tunnel's first bytes are screened before anything goes upstream
//! (`screen`): its TLS server name must be the CONNECT host, never a
//! provider's.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use scopegate_policy::Glob;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::client_hello::Hello;
use crate::config::{Egress, ProxyConfig};
use crate::screen::{self, First};
use crate::state::State;

/// Who asked for a tunnel, and to where (canonical host).
pub struct Tunnel {
    pub host: String,
    pub port: u16,
    pub peer: SocketAddr,
    pub agent: Option<String>,
}

/// Why a CONNECT is refused: a metrics label and a sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: &'static str,
    pub message: String,
}

impl Refusal {
    /// A name that does not resolve is not a policy decision: 502, not 403.
    pub fn status(&self) -> http::StatusCode {
        if self.reason == "dns" {
            http::StatusCode::BAD_GATEWAY
        } else {
            http::StatusCode::FORBIDDEN
        }
    }
}

fn refuse(reason: &'static str, message: String) -> Refusal {
    Refusal { reason, message }
}

/// Where a non-provider CONNECT may go, checked before answering it.
pub async fn plan(config: &ProxyConfig, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refusal> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() && !config.upstream.routes.contains_key(host) {
        return Err(refuse(
            "ip-literal",
            format!("CONNECT to an IP address ({host}) is refused; connect by host name"),
        ));
    }
    if config.proxy.egress == Egress::Refuse
        && !config
            .proxy
            .egress_allow
            .iter()
            .any(|g| Glob::new(g).matches(host))
    {
        return Err(refuse(
            "egress-refused",
            format!(
                "{host} is not a provider host and egress to other hosts is refused by this scopegate"
            ),
        ));
    }
    if let Some(addr) = config.upstream.routes.get(host) {
        // Route overrides are the explicit exception to the private-range rule.
        return Ok(vec![*addr]);
    }
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::lookup_host((host, port)),
    )
    .await
    {
        Ok(Ok(a)) => a.collect(),
        _ => {
            return Err(refuse(
                "dns",
                format!("DNS: {host} does not resolve from scopegate's host"),
            ));
        }
    };
    if addrs.is_empty() {
        return Err(refuse(
            "dns",
            format!("DNS: {host} does not resolve from scopegate's host"),
        ));
    }
    if !config.proxy.unsafe_allow_private && addrs.iter().any(|a| is_private(a.ip())) {
        return Err(refuse(
            "private-address",
            format!("{host} resolves to a private, loopback or link-local address; refused"),
        ));
    }
    Ok(addrs)
}

/// Screens the client's first bytes; then connects upstream, sends them on,
/// and copies both ways until either side closes. A refused tunnel never
/// connects upstream: it is counted, logged and closed.
pub async fn serve(state: Arc<State>, t: Tunnel, upgraded: Upgraded, addrs: Vec<SocketAddr>) {
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
    if let Err(e) = run(client, &first, addrs).await {
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

/// Connects upstream, sends `first` (the bytes the screen read), then
/// copies both ways until either side closes.
async fn run(
    mut client: TokioIo<Upgraded>,
    first: &[u8],
    addrs: Vec<SocketAddr>,
) -> std::io::Result<()> {
    let mut last = None;
    for addr in addrs {
        match tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr)).await {
            Ok(Ok(mut upstream)) => {
                let _ = upstream.set_nodelay(true);
                upstream.write_all(first).await?;
                tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
                return Ok(());
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
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:169.254.169.254",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "140.82.112.6", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}

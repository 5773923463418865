//! `[upstream] proxy`: an HTTP proxy (a corporate one, say) that every
//! upstream connection scopegate makes goes through — intercepted requests,
//! pass-through requests and blind tunnels alike — by `CONNECT host:port`,
//! with Basic credentials when given (docs/upstream-proxy.md).
//!
//! This module is the pure part: the setting's URL read into an
//! [`UpstreamProxy`], credentials that never show in `Debug` or `Display`,
//! and [`ProxyError`], the failure an agent and an operator read (it names
//! the proxy, never its credentials). `handshake` builds the `CONNECT` and
//! reads the answer's head; `dial` is the IO.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;

pub(crate) mod dial;
pub(crate) mod handshake;

/// The proxy scopegate chains to: `http://[user:password@]host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamProxy {
    /// Lowercase; an IPv6 literal keeps its brackets.
    pub host: String,
    pub port: u16,
    pub auth: Option<ProxyAuth>,
}

impl fmt::Display for UpstreamProxy {
    /// `host:port`: how messages name the proxy (never its credentials).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Where the proxy credentials (`user:password`) come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyAuth {
    /// The URL's userinfo.
    Inline(Credentials),
    /// `proxy_auth = { env = "VAR" }`: read at each new upstream connection.
    Env(String),
    /// `proxy_auth = { file = "path" }`: read at each new upstream
    /// connection, so a rotated file needs no restart.
    File(PathBuf),
}

/// A user name and password for the proxy. `Debug` shows the user only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

impl Credentials {
    /// `user:password` as held in a variable or file (surrounding
    /// whitespace dropped). `None` without a colon or with an empty user.
    pub fn parse(text: &str) -> Option<Self> {
        let (user, password) = text.trim().split_once(':')?;
        (!user.is_empty()).then(|| Self {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The `Proxy-Authorization` value.
    pub fn basic(&self) -> String {
        let pair = format!("{}:{}", self.user, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// The password, for tests that check it is never shown.
    #[cfg(test)]
    pub fn password(&self) -> &str {
        &self.password
    }
}

/// Why `[upstream] proxy` cannot be used as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// No `scheme://`.
    NoScheme,
    /// A scheme other than `http` (lowercase, as written).
    Scheme(String),
    NoHost,
    BadHost,
    NoPort,
    BadPort,
    /// Anything after `host:port` but a lone `/`.
    Path,
    /// Userinfo without `user:password`, or with bad percent-encoding.
    Userinfo,
}

impl UrlProblem {
    /// The sentence for the settings problem; the URL is shown redacted.
    pub fn message(&self, url: &str) -> String {
        let shown = redact(url);
        match self {
            Self::NoScheme => format!("upstream.proxy `{shown}` has no scheme"),
            Self::Scheme(s) => format!(
                "upstream.proxy `{shown}`: {s}:// proxies are not supported, only http:// (scopegate opens CONNECT tunnels through the proxy and does TLS to the provider inside them)"
            ),
            Self::NoHost => format!("upstream.proxy `{shown}` names no host"),
            Self::BadHost => {
                format!("upstream.proxy `{shown}`: the host is not a DNS name or an IP address")
            }
            Self::NoPort => format!("upstream.proxy `{shown}` has no port"),
            Self::BadPort => {
                format!("upstream.proxy `{shown}`: the port is not a number from 1 to 65535")
            }
            Self::Path => format!(
                "upstream.proxy `{shown}` has a path; a proxy is named by host and port only"
            ),
            Self::Userinfo => format!(
                "upstream.proxy `{shown}`: credentials in the URL must be user:password (percent-encoded)"
            ),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> &'static str {
        match self {
            Self::Scheme(_) => {
                "write the proxy as http://host:port (the CONNECT proxy's own port, e.g. http://corp-proxy:3128); an https:// or SOCKS proxy cannot be chained"
            }
            Self::Userinfo => {
                "write http://user:password@host:port with %40 for @ and %3A for :, or better, keep them out of this file: proxy_auth = { env = \"VAR\" } or { file = \"path\" } holding user:password"
            }
            _ => "write the proxy as http://host:port, e.g. http://corp-proxy:3128",
        }
    }
}

impl UpstreamProxy {
    /// Reads `http://[user:password@]host:port[/]`. The port is required:
    /// proxies have no one default port.
    pub fn parse(url: &str) -> Result<Self, UrlProblem> {
        let (scheme, rest) = url.trim().split_once("://").ok_or(UrlProblem::NoScheme)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" {
            return Err(UrlProblem::Scheme(scheme));
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let hostport = hostport.strip_suffix('/').unwrap_or(hostport);
        if hostport.contains(['/', '?', '#']) {
            return Err(UrlProblem::Path);
        }
        let (host, port) = split_host_port(hostport)?;
        let auth = match userinfo {
            None => None,
            Some(u) => Some(ProxyAuth::Inline(userinfo_credentials(u)?)),
        };
        Ok(Self { host, port, auth })
    }
}

fn split_host_port(hostport: &str) -> Result<(String, u16), UrlProblem> {
    if hostport.is_empty() {
        return Err(UrlProblem::NoHost);
    }
    let (host, port) = if hostport.starts_with('[') {
        let end = hostport.find(']').ok_or(UrlProblem::BadHost)?;
        let (host, rest) = hostport.split_at(end + 1);
        if host[1..end].parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlProblem::BadHost);
        }
        (host, rest.strip_prefix(':').ok_or(UrlProblem::NoPort)?)
    } else {
        let (host, port) = hostport.rsplit_once(':').ok_or(UrlProblem::NoPort)?;
        let name_like = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if host.is_empty() {
            return Err(UrlProblem::NoHost);
        }
        if !name_like {
            return Err(UrlProblem::BadHost);
        }
        (host, port)
    };
    if port.is_empty() {
        return Err(UrlProblem::NoPort);
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => {
            Ok((host.to_ascii_lowercase(), p))
        }
        _ => Err(UrlProblem::BadPort),
    }
}

fn userinfo_credentials(userinfo: &str) -> Result<Credentials, UrlProblem> {
    let (user, password) = userinfo.split_once(':').ok_or(UrlProblem::Userinfo)?;
    let user = percent_decode(user).ok_or(UrlProblem::Userinfo)?;
    let password = percent_decode(password).ok_or(UrlProblem::Userinfo)?;
    if user.is_empty() {
        return Err(UrlProblem::Userinfo);
    }
    Ok(Credentials { user, password })
}

/// RFC 3986 percent-decoding to UTF-8; `None` on a bad escape.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `url` with any password replaced by `***` (the user kept), for
/// messages: everything before the last `@` is taken as userinfo.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return match url.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => url.to_owned(),
        };
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or("***", |(u, _)| u);
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

/// Why a connection through the upstream proxy failed: what the agent's
/// 502/504 says and the metric label it is counted under. Names the proxy
/// (`host:port`), never its credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("upstream proxy {proxy}: {failure}")]
pub struct ProxyError {
    /// `host:port`.
    pub proxy: String,
    pub failure: ProxyFailure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProxyFailure {
    #[error("its name does not resolve")]
    Dns,
    #[error("it refused the connection, or the connection to it failed")]
    Connect,
    #[error("it did not answer in time")]
    Timeout,
    #[error("scopegate's credentials for it could not be read")]
    Credentials,
    #[error("it refused scopegate's credentials, or asked for some (407)")]
    Auth,
    /// A non-2xx answer other than 407 and 5xx (403: its policy).
    #[error("it refused the CONNECT ({0})")]
    Denied(u16),
    /// 5xx: it could not reach the destination.
    #[error("it could not reach the destination ({0})")]
    BadGateway(u16),
    #[error("its answer to CONNECT could not be read")]
    Protocol,
}

impl ProxyFailure {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dns => "proxy-dns",
            Self::Connect => "proxy-connect",
            Self::Timeout => "proxy-timeout",
            Self::Credentials => "proxy-credentials",
            Self::Auth => "proxy-auth",
            Self::Denied(_) => "proxy-denied",
            Self::BadGateway(_) => "proxy-bad-gateway",
            Self::Protocol => "proxy-protocol",
        }
    }
}

impl ProxyError {
    /// What the agent is told about a request to `host`.
    pub fn message(&self, host: &str) -> String {
        let p = &self.proxy;
        let operator = "nothing was forwarded; the scopegate operator must fix";
        match self.failure {
            ProxyFailure::Dns => format!(
                "the upstream proxy scopegate goes through ({p}) does not resolve; {operator} [upstream] proxy"
            ),
            ProxyFailure::Connect => format!(
                "the upstream proxy scopegate goes through ({p}) refused the connection; nothing was forwarded to {host}"
            ),
            ProxyFailure::Timeout => format!(
                "the upstream proxy scopegate goes through ({p}) did not answer in time; nothing was forwarded to {host}"
            ),
            ProxyFailure::Credentials => format!(
                "scopegate's credentials for its upstream proxy ({p}) could not be read; {operator} [upstream] proxy_auth"
            ),
            ProxyFailure::Auth => format!(
                "the upstream proxy scopegate goes through ({p}) answered 407: it refused scopegate's credentials or wants some; {operator} [upstream] proxy_auth"
            ),
            ProxyFailure::Denied(s) => format!(
                "the upstream proxy scopegate goes through ({p}) refused to connect to {host} ({s}); nothing was forwarded"
            ),
            ProxyFailure::BadGateway(s) => format!(
                "the upstream proxy scopegate goes through ({p}) could not reach {host} ({s}); nothing was forwarded"
            ),
            ProxyFailure::Protocol => format!(
                "the upstream proxy scopegate goes through ({p}) gave an answer to CONNECT that scopegate could not read; nothing was forwarded to {host}"
            ),
        }
    }
}

#[cfg(test)]
mod tests;

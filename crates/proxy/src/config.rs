//! What the proxy needs to run, already validated: the `[proxy]`,
//! `[upstream]`, `[ca]` and `[admin]` sections of `scopegate serve`'s
//! settings file. The binary reads and checks the file
//! (`crates/cli/src/config`) and builds a [`ProxyConfig`] from it; tests may
//! build one directly.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use scopegate_model::Fingerprint;

pub use crate::upstream_proxy::{Credentials, ProxyAuth, UpstreamProxy, UrlProblem};

/// Everything [`crate::start`] needs.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The scope map the engine loads (and reloads on change).
    pub scope_map: PathBuf,
    /// scopegate's data folder: the generated CA lives in `ca/` inside it.
    pub data_dir: PathBuf,
    pub proxy: ProxySettings,
    pub upstream: UpstreamSettings,
    pub ca: CaSettings,
    pub admin: AdminSettings,
    pub resolve: ResolveSettings,
}

/// `[resolve]`: the resolution cache and active lookups
/// (docs/resource-context.md).
#[derive(Debug, Clone)]
pub struct ResolveSettings {
    /// `ttl_secs`: how long a resolved id's attributes are trusted.
    pub ttl: Duration,
    /// `max_entries`: the cache's bound (oldest out first).
    pub max_entries: usize,
    /// `lookup_timeout_ms`: time allowed for an active lookup.
    pub lookup_timeout: Duration,
}

impl Default for ResolveSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            max_entries: 10_000,
            lookup_timeout: Duration::from_millis(2000),
        }
    }
}

/// `[proxy]`: the agents' listener and what it accepts.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    pub listen: SocketAddr,
    pub max_body_bytes: usize,
    pub egress: Egress,
    /// Host patterns tunnelled even when egress is `refuse` (lowercase).
    pub egress_allow: Vec<String>,
    /// Tunnels that name no server (no SNI, ECH, not TLS): tunnel or refuse.
    pub missing_sni: MissingSni,
    pub unsafe_allow_private: bool,
    /// `header_timeout_secs`: time allowed for a request's head.
    pub header_timeout: Duration,
    /// `body_timeout_secs`: time allowed for a body once its head arrived.
    pub body_timeout: Duration,
    /// `upstream_timeout_secs`: time allowed for a provider's answer.
    pub upstream_timeout: Duration,
    /// Worker threads for the proxy's runtime; 0 means one per CPU.
    pub worker_threads: usize,
    /// `[proxy.auth]`.
    pub auth: AuthSettings,
}

/// `[proxy.auth]`: which agents may use the proxy.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    pub required: bool,
    pub agents: Vec<Agent>,
}

/// An agent allowed through the proxy (`[[proxy.auth.agents]]`).
#[derive(Debug, Clone)]
pub struct Agent {
    pub name: String,
    pub key: Fingerprint,
}

/// `[upstream]`: how the proxy reaches providers.
#[derive(Debug, Clone, Default)]
pub struct UpstreamSettings {
    /// CA bundles trusted for upstream TLS besides the system's.
    pub extra_ca_files: Vec<PathBuf>,
    /// `host` (lowercase, no port) → address; a test fake or staging mirror.
    pub routes: BTreeMap<String, SocketAddr>,
    /// Offer h2 to providers (ALPN); otherwise HTTP/1.1 only.
    pub http2: bool,
    /// `proxy` (and `proxy_auth`): every upstream connection goes through
    /// this HTTP proxy by CONNECT (docs/upstream-proxy.md).
    pub proxy: Option<UpstreamProxy>,
}

/// `[ca]`: the interception CA and the leaf certificates it signs.
#[derive(Debug, Clone)]
pub struct CaSettings {
    /// `cert` and `key`: a CA brought by the operator; otherwise one is
    /// generated in the data folder.
    pub files: Option<(PathBuf, PathBuf)>,
    /// The folder holding only the CA certificate, for agents.
    pub export: PathBuf,
    pub valid_days: i64,
    pub leaf_valid_days: i64,
    pub leaf_cache: usize,
}

/// `[admin]`: metrics, health and `/ca.pem`.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// `None` turns the admin listener off.
    pub listen: Option<SocketAddr>,
}

/// What to do with CONNECTs to hosts that are not providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Egress {
    Tunnel,
    Refuse,
}

/// What to do with a tunnel whose first bytes name no server: a TLS
/// ClientHello without SNI (or with the real name encrypted), or a protocol
/// other than TLS (docs/egress-and-sni.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingSni {
    Tunnel,
    Refuse,
}

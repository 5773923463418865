//! The settings file as written: serde structs (unknown keys refused) with
//! the documented defaults. [`super::sections`] turns them into the typed
//! sections.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    pub version: u32,
    pub scope_map: String,
    #[serde(default = "default_data_dir")]
    pub data_dir: String,
    /// Accept group-readable secrets and data folder (a Kubernetes fsGroup
    /// forces mode 0440 on Secret volumes); never others-readable.
    #[serde(default)]
    pub unsafe_group_readable_secrets: bool,
    #[serde(default)]
    pub proxy: RawProxy,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default)]
    pub ca: RawCa,
    #[serde(default)]
    pub upstream: RawUpstream,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub approvals: RawApprovals,
    #[serde(default)]
    pub resolve: RawResolve,
    /// Kept as a table here (for the one-key-per-knob checks); typed by
    /// `dashboard_settings::read` from the same document, in the same pass.
    #[serde(default)]
    pub dashboard: Option<toml::Table>,
}

/// `[resolve]` (docs/resource-context.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawResolve {
    pub ttl_secs: u64,
    pub max_entries: usize,
    pub lookup_timeout_ms: u64,
}

impl Default for RawResolve {
    fn default() -> Self {
        Self {
            ttl_secs: 300,
            max_entries: 10_000,
            lookup_timeout_ms: 2000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawApprovals {
    pub hold_secs: u64,
    pub pending_secs: u64,
    pub grant_window_secs: u64,
}

impl Default for RawApprovals {
    fn default() -> Self {
        Self {
            hold_secs: 25,
            pending_secs: 24 * 3600,
            grant_window_secs: 15 * 60,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    /// `postgres://...` or `sqlite://path`; default: SQLite in data_dir.
    pub url: Option<String>,
    /// Where the crash-safe journal lives; default: data_dir/journal.
    pub journal_dir: Option<String>,
}

pub fn default_data_dir() -> String {
    "data".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawProxy {
    pub listen: String,
    pub max_body_bytes: usize,
    pub egress: String,
    pub egress_allow: Vec<String>,
    pub missing_sni: String,
    pub unsafe_allow_private: bool,
    pub header_timeout_secs: u64,
    /// Time allowed for a request body once its head arrived; default: header_timeout_secs.
    pub body_timeout_secs: Option<u64>,
    pub upstream_timeout_secs: u64,
    /// Runtime worker threads; default (0): one per CPU.
    pub worker_threads: usize,
    pub auth: RawAuth,
}

impl Default for RawProxy {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 4 << 20,
            egress: "tunnel".into(),
            egress_allow: Vec::new(),
            missing_sni: "tunnel".into(),
            unsafe_allow_private: false,
            header_timeout_secs: 30,
            body_timeout_secs: None,
            upstream_timeout_secs: 120,
            worker_threads: 0,
            auth: RawAuth::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub agents: Vec<RawAgent>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgent {
    pub name: String,
    pub key_fingerprint: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAdmin {
    pub listen: Option<String>,
}

impl Default for RawAdmin {
    fn default() -> Self {
        Self {
            listen: Some("127.0.0.1:9090".into()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCa {
    pub cert: Option<String>,
    pub key: Option<String>,
    /// The folder agents get: only `ca.pem`; default: `ca-public` beside
    /// the data folder.
    pub export: Option<String>,
    pub valid_days: i64,
    pub leaf_valid_days: i64,
    pub leaf_cache: usize,
}

impl Default for RawCa {
    fn default() -> Self {
        Self {
            cert: None,
            key: None,
            export: None,
            valid_days: 365,
            leaf_valid_days: 7,
            leaf_cache: 1000,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    #[serde(default)]
    pub extra_ca_files: Vec<String>,
    #[serde(default)]
    pub routes: BTreeMap<String, String>,
    /// Offer h2 to providers; default: HTTP/1.1 only (docs/upstream-http1.md).
    #[serde(default)]
    pub http2: bool,
    /// `http://[user:password@]host:port`: chain to this proxy
    /// (docs/upstream-proxy.md).
    #[serde(default)]
    pub proxy: Option<String>,
    /// `{ env = "VAR" }` or `{ file = "path" }` holding `user:password`.
    /// Read as any value, so that serde never echoes one (a password
    /// written here by mistake) in its error; `sections` checks the shape.
    #[serde(default)]
    pub proxy_auth: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    pub format: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            format: "text".into(),
        }
    }
}

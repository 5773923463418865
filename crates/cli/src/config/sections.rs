//! One function per section: raw (as written) → typed, every problem
//! collected in [`Validate`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use scopegate_model::Fingerprint;
use scopegate_proxy::config::{
    AdminSettings, Agent, AuthSettings, CaSettings, Egress, MissingSni, ProxySettings,
    UpstreamSettings,
};

use super::raw::RawUpstream;
use super::raw::{
    RawAdmin, RawAgent, RawApprovals, RawAuth, RawCa, RawLog, RawProxy, RawResolve, RawStore,
};
use super::validate::{Validate, overlaps};
use super::{ApprovalSettings, LogFormat, LogSettings, StoreSettings};

impl Validate<'_, '_> {
    pub fn version(&mut self, version: u32) {
        if version != 1 {
            self.bad(
                &["version"],
                format!("unsupported version {version} (expected version = 1)"),
                Some("version = 1"),
            );
        }
    }

    /// `[proxy]` and `[proxy.auth]`.
    pub fn proxy(&mut self, raw: RawProxy) -> ProxySettings {
        let egress = self.choice(
            &["proxy", "egress"],
            &raw.egress,
            &[("tunnel", Egress::Tunnel), ("refuse", Egress::Refuse)],
        );
        let missing_sni = self.choice(
            &["proxy", "missing_sni"],
            &raw.missing_sni,
            &[
                ("tunnel", MissingSni::Tunnel),
                ("refuse", MissingSni::Refuse),
            ],
        );
        let header_timeout = self.secs(&["proxy", "header_timeout_secs"], raw.header_timeout_secs);
        let body_timeout = match raw.body_timeout_secs {
            Some(n) => self.secs(&["proxy", "body_timeout_secs"], n),
            None => header_timeout,
        };
        ProxySettings {
            listen: self.addr(&["proxy", "listen"], &raw.listen),
            max_body_bytes: raw.max_body_bytes,
            egress,
            egress_allow: raw
                .egress_allow
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            missing_sni,
            unsafe_allow_private: raw.unsafe_allow_private,
            header_timeout,
            body_timeout,
            upstream_timeout: self.secs(
                &["proxy", "upstream_timeout_secs"],
                raw.upstream_timeout_secs,
            ),
            worker_threads: raw.worker_threads,
            auth: self.auth(raw.auth),
        }
    }

    /// `[proxy.auth]`.
    fn auth(&mut self, raw: RawAuth) -> AuthSettings {
        let agents = self.agents(raw.agents);
        if raw.required && agents.is_empty() {
            self.bad(
                &["proxy", "auth", "required"],
                "proxy.auth.required needs at least one [[proxy.auth.agents]]",
                Some(
                    "add [[proxy.auth.agents]] with name and key_fingerprint, or required = false",
                ),
            );
        }
        AuthSettings {
            required: raw.required,
            agents,
        }
    }

    fn agents(&mut self, raw: Vec<RawAgent>) -> Vec<Agent> {
        let mut agents = Vec::new();
        for (i, a) in raw.into_iter().enumerate() {
            let index = i.to_string();
            match Fingerprint::parse(&a.key_fingerprint) {
                Some(key) => agents.push(Agent { name: a.name, key }),
                None => self.bad(
                    &["proxy", "auth", "agents", &index, "key_fingerprint"],
                    format!("agent {}: key_fingerprint must be sha256:<64 hex>", a.name),
                    Some("printf \"$KEY\" | scopegate token fingerprint"),
                ),
            }
        }
        agents
    }

    /// `[upstream]`.
    pub fn upstream(&mut self, raw: RawUpstream) -> UpstreamSettings {
        UpstreamSettings {
            extra_ca_files: raw.extra_ca_files.iter().map(|p| self.rel(p)).collect(),
            routes: self.routes(raw.routes),
            http2: raw.http2,
            proxy: self.upstream_proxy(raw.proxy.as_deref(), raw.proxy_auth.as_ref()),
        }
    }

    fn routes(&mut self, raw: BTreeMap<String, String>) -> BTreeMap<String, SocketAddr> {
        let mut routes = BTreeMap::new();
        for (from, to) in raw {
            let host = from
                .rsplit_once(':')
                .map_or(from.as_str(), |(h, _)| h)
                .to_ascii_lowercase();
            if let Ok(addr) = to.parse::<SocketAddr>() {
                routes.insert(host, addr);
            } else {
                self.bad(
                    &["upstream", "routes", &from],
                    format!("route {from}: `{to}` is not ip:port"),
                    Some("route a provider host to an address, e.g. \"127.0.0.1:9443\""),
                );
            }
        }
        routes
    }

    /// `[ca]`; the export folder defaults to `ca-public` beside `data_dir`.
    pub fn ca(&mut self, raw: RawCa, data_dir: &Path) -> CaSettings {
        let leaf_cache = if raw.leaf_cache == 0 {
            self.bad(
                &["ca", "leaf_cache"],
                "ca.leaf_cache must be at least 1",
                Some("the number of leaf certificates kept, e.g. 1000"),
            );
            1
        } else {
            raw.leaf_cache
        };
        CaSettings {
            files: self.ca_files(raw.cert, raw.key),
            export: self.ca_export(raw.export.as_deref(), data_dir),
            valid_days: self.within(&["ca", "valid_days"], raw.valid_days, 1..=3650),
            leaf_valid_days: self.within(&["ca", "leaf_valid_days"], raw.leaf_valid_days, 1..=397),
            leaf_cache,
        }
    }

    fn ca_files(
        &mut self,
        cert: Option<String>,
        key: Option<String>,
    ) -> Option<(PathBuf, PathBuf)> {
        match (cert, key) {
            (Some(c), Some(k)) => Some((self.rel(&c), self.rel(&k))),
            (None, None) => None,
            (c, _) => {
                let (set, unset) = if c.is_some() {
                    ("cert", "key")
                } else {
                    ("key", "cert")
                };
                self.bad(
                    &["ca", set],
                    "ca.cert and ca.key go together",
                    Some(&format!(
                        "set ca.{unset} too, or neither to have one generated"
                    )),
                );
                None
            }
        }
    }

    fn ca_export(&mut self, export: Option<&str>, data_dir: &Path) -> PathBuf {
        let ca_export = export.map_or_else(
            || {
                data_dir
                    .parent()
                    .map_or_else(|| self.rel("ca-public"), |p| p.join("ca-public"))
            },
            |e| self.rel(e),
        );
        if overlaps(&ca_export, data_dir) {
            let at: &[&str] = if export.is_some() {
                &["ca", "export"]
            } else {
                &["data_dir"]
            };
            self.bad(
                at,
                format!(
                    "ca.export ({}) must be outside data_dir ({}) and not contain it: agents are given the export folder",
                    ca_export.display(),
                    data_dir.display()
                ),
                Some("put ca.export beside data_dir, e.g. export = \"../ca-public\""),
            );
        }
        ca_export
    }

    /// `[admin]`.
    pub fn admin(&mut self, raw: RawAdmin) -> AdminSettings {
        AdminSettings {
            listen: raw
                .listen
                .as_deref()
                .map(|s| self.addr(&["admin", "listen"], s)),
        }
    }

    /// `[resolve]`.
    pub fn resolve(&mut self, raw: &RawResolve) -> scopegate_proxy::config::ResolveSettings {
        let path = ["resolve", "lookup_timeout_ms"];
        let ms = self.within(
            &path,
            i64::try_from(raw.lookup_timeout_ms).unwrap_or(i64::MAX),
            1..=30_000,
        );
        scopegate_proxy::config::ResolveSettings {
            ttl: self.secs(&["resolve", "ttl_secs"], raw.ttl_secs),
            max_entries: raw.max_entries,
            lookup_timeout: Duration::from_millis(u64::try_from(ms).unwrap_or(2000)),
        }
    }

    /// `[log]`.
    pub fn log(&mut self, raw: &RawLog) -> LogSettings {
        LogSettings {
            format: self.choice(
                &["log", "format"],
                &raw.format,
                &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            ),
        }
    }

    /// `[store]`: a relative `sqlite://` path is relative to the settings
    /// file; the defaults live in `data_dir`.
    pub fn store(&mut self, raw: RawStore, data_dir: &Path) -> StoreSettings {
        let url = match raw.url {
            Some(u)
                if u.starts_with("sqlite://")
                    && !u.starts_with("sqlite:///")
                    && !u.contains(":memory:") =>
            {
                format!("sqlite://{}", self.rel(&u["sqlite://".len()..]).display())
            }
            Some(u) => u,
            None => format!("sqlite://{}", data_dir.join("scopegate.db").display()),
        };
        if let Err(e) = scopegate_store::DbUrl::parse(&url) {
            self.bad(
                &["store", "url"],
                format!("store.url: {e}"),
                Some("postgres://user@host/db, or sqlite://path (relative to the settings file)"),
            );
        }
        StoreSettings {
            url,
            journal_dir: raw
                .journal_dir
                .as_deref()
                .map_or_else(|| data_dir.join("journal"), |j| self.rel(j)),
        }
    }

    /// `[approvals]`: `hold_secs = 0` answers at once.
    pub fn approvals(&mut self, raw: &RawApprovals) -> ApprovalSettings {
        ApprovalSettings {
            hold_for: Duration::from_secs(raw.hold_secs),
            pending_for: self.secs(&["approvals", "pending_secs"], raw.pending_secs),
            grant_window: self.secs(&["approvals", "grant_window_secs"], raw.grant_window_secs),
        }
    }

    /// Keys in `[dashboard]` that name a knob another key owns, or two keys
    /// for one knob (the table itself is read by [`crate::dashboard_settings`]).
    pub fn one_key_per_knob(&mut self, dashboard: Option<&toml::Table>) {
        let Some(d) = dashboard else { return };
        if d.contains_key("grant_window_secs") {
            self.bad(
                &["dashboard", "grant_window_secs"],
                "[dashboard] grant_window_secs is not read: the grant window is an approvals setting",
                Some("move it to [approvals] grant_window_secs"),
            );
        }
        if d.contains_key("session_key_env") && d.contains_key("session_key_file") {
            self.bad(
                &["dashboard", "session_key_file"],
                "[dashboard] session_key_file and session_key_env both name the session key (the variable would win)",
                Some("keep one: session_key_env, or session_key_file"),
            );
        }
    }
}

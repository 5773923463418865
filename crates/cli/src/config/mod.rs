//! `scopegate serve`'s settings file, owned by the binary: one TOML file
//! (unknown keys refused, paths relative to the file, documented defaults)
//! read into typed sections, every problem collected with its line and a
//! hint (docs/configuration.md). The proxy gets only its part,
//! [`Config::proxy_config`].
//!
//! - `raw`: the file as written (serde, defaults);
//! - `sections`: one function per section, raw → typed (`upstream_proxy`:
//!   `[upstream] proxy` and `proxy_auth`);
//! - `validate`: the checks the sections share;
//! - `problems`: the document with positions, and reading it key by key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use scopegate_proxy::ProxyConfig;
use scopegate_web::DashboardConfig;

pub mod problems;
mod raw;
mod sections;
mod upstream_proxy;
mod validate;

pub use problems::{Doc, Problem, SettingsError};
pub use scopegate_proxy::config::{
    AdminSettings, Agent, AuthSettings, CaSettings, Egress, MissingSni, ProxyAuth, ProxySettings,
    UpstreamProxy, UpstreamSettings,
};

/// The validated settings file, one field per section.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file read (its folder is where relative paths start).
    pub file: PathBuf,
    pub scope_map: PathBuf,
    pub data_dir: PathBuf,
    /// Group-readable secrets accepted (never others-readable).
    pub unsafe_group_readable_secrets: bool,
    pub proxy: ProxySettings,
    pub upstream: UpstreamSettings,
    pub ca: CaSettings,
    pub admin: AdminSettings,
    pub resolve: scopegate_proxy::config::ResolveSettings,
    pub log: LogSettings,
    pub store: StoreSettings,
    pub approvals: ApprovalSettings,
    /// `[dashboard]`, when the file has one (else the dashboard's defaults).
    pub dashboard: Option<DashboardConfig>,
}

/// `[log]`: scopegate's own log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `[store]`: where decisions and approvals are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// The decision log database URL (`sqlite://` paths resolved).
    pub url: String,
    /// The crash-safe journal decisions reach first.
    pub journal_dir: PathBuf,
}

/// `[approvals]`: how long holds, pending approvals and grants last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalSettings {
    /// `hold_secs`: how long a held request waits inline for a human.
    pub hold_for: Duration,
    /// `pending_secs`: how long an approval stays pending after its request
    /// gave up.
    pub pending_for: Duration,
    /// `grant_window_secs`: how long an approval's one-time grant stays
    /// usable.
    pub grant_window: Duration,
}

impl Config {
    pub fn load(file: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        Self::from_toml(file, &text)
    }

    pub fn from_toml(file: &Path, text: &str) -> anyhow::Result<Self> {
        Ok(Self::check(file, text)?)
    }

    /// The settings, or every problem in them (`[dashboard]` included),
    /// each with its line: the keys serde refuses first, then the values.
    pub fn check(file: &Path, text: &str) -> Result<Self, SettingsError> {
        let fail = |problems| SettingsError {
            file: file.display().to_string(),
            problems,
        };
        let doc = Doc::parse(text).map_err(|p| fail(vec![p]))?;
        match Self::read(file, &doc) {
            (Some(config), problems) if problems.is_empty() => Ok(config),
            (_, problems) => Err(fail(problems)),
        }
    }

    /// The settings in `doc` (read from `file`) and every problem in them.
    /// The settings are there whenever the file could be
    /// read into its sections; a value with a problem is then replaced by
    /// a harmless one.
    pub fn read(file: &Path, doc: &Doc<'_>) -> (Option<Self>, Vec<Problem>) {
        let mut problems = Vec::new();
        let raw: Option<raw::Raw> = doc.read(doc.root(), &[], &mut problems);
        let (dashboard, dashboard_problems) = crate::dashboard_settings::read(doc);
        let mut v = validate::Validate {
            doc,
            problems,
            base: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        let config = raw.map(|raw| v.build(file, raw, dashboard));
        let mut problems = v.problems;
        problems.extend(dashboard_problems);
        (config, problems)
    }

    /// What the proxy needs: its sections, the scope map and the data folder.
    pub fn proxy_config(&self) -> ProxyConfig {
        ProxyConfig {
            scope_map: self.scope_map.clone(),
            data_dir: self.data_dir.clone(),
            proxy: self.proxy.clone(),
            upstream: self.upstream.clone(),
            ca: self.ca.clone(),
            admin: self.admin.clone(),
            resolve: self.resolve.clone(),
        }
    }
}

impl validate::Validate<'_, '_> {
    fn build(&mut self, file: &Path, raw: raw::Raw, dashboard: Option<DashboardConfig>) -> Config {
        self.version(raw.version);
        self.one_key_per_knob(raw.dashboard.as_ref());
        let data_dir = self.rel(&raw.data_dir);
        Config {
            file: file.to_path_buf(),
            scope_map: self.rel(&raw.scope_map),
            unsafe_group_readable_secrets: raw.unsafe_group_readable_secrets,
            proxy: self.proxy(raw.proxy),
            upstream: self.upstream(raw.upstream),
            ca: self.ca(raw.ca, &data_dir),
            admin: self.admin(raw.admin),
            resolve: self.resolve(&raw.resolve),
            log: self.log(&raw.log),
            store: self.store(raw.store, &data_dir),
            approvals: self.approvals(&raw.approvals),
            dashboard,
            data_dir,
        }
    }
}

#[cfg(test)]
mod tests;

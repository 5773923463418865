//! A `State` for unit tests: the test engine's scope map, an in-memory
//! CA, an upstream client that is never used unless a test forwards, and
//! the sink and approval queue the test hands in. Binds nothing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use scopegate_model::{ApprovalQueue, DecisionSink};
use scopegate_tls::{CertificateAuthority, LeafCache};
use tokio::sync::watch;

use crate::config::{
    AdminSettings, AuthSettings, CaSettings, Egress, MissingSni, ProxyConfig, ProxySettings,
    UpstreamSettings,
};
use crate::drain::Tracker;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::shared::State;

/// The documented defaults, for a scope map in `dir`.
pub fn config(dir: &Path) -> ProxyConfig {
    ProxyConfig {
        scope_map: dir.join("scope.toml"),
        data_dir: dir.join("data"),
        proxy: ProxySettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_body_bytes: 4 << 20,
            egress: Egress::Tunnel,
            egress_allow: Vec::new(),
            missing_sni: MissingSni::Tunnel,
            unsafe_allow_private: false,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            upstream_timeout: Duration::from_secs(120),
            worker_threads: 0,
            auth: AuthSettings::default(),
        },
        upstream: UpstreamSettings::default(),
        ca: CaSettings {
            files: None,
            export: dir.join("ca-export"),
            valid_days: 1,
            leaf_valid_days: 1,
            leaf_cache: 8,
        },
        admin: AdminSettings { listen: None },
        resolve: crate::config::ResolveSettings::default(),
    }
}

pub fn state(
    dir: &Path,
    engine: Arc<Engine>,
    sink: Arc<dyn DecisionSink>,
    approvals: Option<Arc<dyn ApprovalQueue>>,
) -> State {
    let provider = scopegate_tls::provider();
    let ca = CertificateAuthority::generate("scopegate unit tests", 1).unwrap();
    let ca_pem = ca.cert_pem().to_owned();
    let tls = scopegate_tls::upstream_client_config(provider.clone(), &[]).unwrap();
    let config = config(dir);
    let client = crate::upstream::client(tls.clone(), &config.upstream);
    let streaming = crate::upstream::client(tls, &config.upstream);
    let resolution = Arc::new(crate::resolve::Resolution::new(config.resolve.clone()));
    State {
        leafs: LeafCache::new(Arc::new(ca), provider, 8, 1),
        engine: watch::channel(engine).1,
        config,
        client: client.clone(),
        sockets: client,
        streaming,
        metrics: Arc::new(Metrics::default()),
        resolution,
        sink,
        approvals,
        ca_pem,
        tracker: Arc::new(Tracker::default()),
        shutdown: watch::channel(false).1,
    }
}

//! A `State` for unit tests: the test engine's scope map, an in-memory
//! CA, an upstream client that is never used unless a test forwards, and
//! the sink and approval queue the test hands in. Binds nothing.

use std::path::Path;
use std::sync::Arc;

use scopegate_tls::{CertificateAuthority, LeafCache};
use tokio::sync::watch;

use crate::approvals::Approvals;
use crate::drain::Tracker;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::record::DecisionSink;
use crate::settings::Settings;
use crate::shared::State;

/// Settings with every default, for a scope map in `dir`.
pub fn settings(dir: &Path) -> Settings {
    let file = dir.join("scopegate.toml");
    let text = "version = 1\nscope_map = \"scope.toml\"\ndata_dir = \"data\"\n";
    Settings::from_toml(&file, text).unwrap()
}

pub fn state(
    dir: &Path,
    engine: Arc<Engine>,
    sink: Arc<dyn DecisionSink>,
    approvals: Option<Arc<dyn Approvals>>,
) -> State {
    let provider = scopegate_tls::provider();
    let ca = CertificateAuthority::generate("scopegate unit tests", 1).unwrap();
    let ca_pem = ca.cert_pem().to_owned();
    let tls = scopegate_tls::upstream_client_config(provider.clone(), &[]).unwrap();
    let settings = settings(dir);
    let client = crate::upstream::client(tls, settings.routes.clone(), false);
    State {
        leafs: LeafCache::new(Arc::new(ca), provider, 8, 1),
        engine: watch::channel(engine).1,
        settings,
        client,
        metrics: Metrics::default(),
        sink,
        approvals,
        ca_pem,
        tracker: Arc::new(Tracker::default()),
        shutdown: watch::channel(false).1,
    }
}

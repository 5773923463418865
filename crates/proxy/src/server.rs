//! Starting the proxy: everything built from its configuration, the listeners and
//! accept loop, the admin listener, reloads, and graceful shutdown.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use scopegate_tls::{CertificateAuthority, LeafCache};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ProxyConfig;
use crate::drain::Tracker;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::shared::State;
use crate::upstream::UpstreamClient;
use scopegate_model::{ApprovalQueue, DecisionSink, SharedResolutions};

/// A started proxy.
pub struct Running {
    pub proxy_addr: SocketAddr,
    pub admin_addr: Option<SocketAddr>,
    pub ca_cert_path: Option<PathBuf>,
    pub ca_generated: bool,
    pub state: Arc<State>,
    shutdown: watch::Sender<bool>,
    accept: JoinHandle<()>,
    reload_check: Arc<std::sync::OnceLock<crate::reload::ReloadCheck>>,
}

impl Running {
    /// Every reloaded policy must pass `check` before it is swapped in;
    /// one that fails keeps the previous policy, logged with the reason.
    /// Set once; later calls are ignored.
    pub fn check_reloads(&self, check: crate::reload::ReloadCheck) {
        let _ = self.reload_check.set(check);
    }

    /// Stops accepting, lets open connections finish (up to `drain`), returns.
    pub async fn shutdown(self, drain: Duration) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(drain + Duration::from_secs(1), self.accept).await;
    }
}

/// Builds everything from settings and starts serving, without an
/// approval queue (held requests are refused with "approval required").
pub async fn start(
    config: ProxyConfig,
    sink: Arc<dyn DecisionSink>,
    drain: Duration,
) -> anyhow::Result<Running> {
    start_with(config, sink, None, None, drain).await
}

/// Builds everything from settings and starts serving; resolved ids are
/// shared with other replicas through `shared_resolutions` when given.
pub async fn start_with(
    config: ProxyConfig,
    sink: Arc<dyn DecisionSink>,
    approvals: Option<Arc<dyn ApprovalQueue>>,
    shared_resolutions: Option<Arc<dyn SharedResolutions>>,
    drain: Duration,
) -> anyhow::Result<Running> {
    let engine = Arc::new(Engine::load(&config.scope_map)?);
    for w in engine.warnings() {
        tracing::warn!("{w}");
    }
    let tls = Tls::build(&config)?;
    let (listener, admin) = bind(&config).await?;
    let (proxy_addr, admin_addr) = (
        listener.local_addr()?,
        admin.as_ref().map(TcpListener::local_addr).transpose()?,
    );
    let (engine_tx, engine_rx) = watch::channel(engine);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let scope_map = config.scope_map.clone();
    let resolution = Arc::new(crate::resolve::Resolution::with_shared(
        config.resolve.clone(),
        shared_resolutions,
    ));
    let state = Arc::new(State {
        config,
        engine: engine_rx,
        leafs: tls.leafs,
        client: tls.client,
        streaming: tls.streaming,
        sockets: tls.sockets,
        metrics: Arc::new(Metrics::default()),
        resolution,
        sink,
        approvals,
        ca_pem: tls.ca_pem,
        tracker: Arc::new(Tracker::default()),
        shutdown: shutdown_rx.clone(),
    });
    let reload_check = Arc::new(std::sync::OnceLock::new());
    crate::reload::spawn(
        scope_map,
        engine_tx,
        shutdown_rx.clone(),
        reload_check.clone(),
    );
    if let Some(admin) = admin {
        let serve = crate::admin::serve(state.clone(), admin, shutdown_rx.clone());
        tokio::spawn(serve);
    }
    let accept = tokio::spawn(accept_loop(state.clone(), listener, shutdown_rx, drain));
    Ok(Running {
        proxy_addr,
        admin_addr,
        ca_cert_path: tls.ca_cert_path,
        ca_generated: tls.ca_generated,
        state,
        shutdown: shutdown_tx,
        accept,
        reload_check,
    })
}

/// Both sides of TLS: the interception CA with its leaf cache, and the
/// verifying upstream client.
struct Tls {
    leafs: LeafCache,
    client: UpstreamClient,
    streaming: crate::upstream::StreamingClient,
    sockets: UpstreamClient,
    ca_pem: String,
    ca_cert_path: Option<PathBuf>,
    ca_generated: bool,
}

impl Tls {
    fn build(config: &ProxyConfig) -> anyhow::Result<Self> {
        let provider = scopegate_tls::provider();
        let (ca, ca_generated) = match &config.ca.files {
            Some((cert, key)) => (CertificateAuthority::load(cert, key)?, false),
            None => CertificateAuthority::load_or_generate(
                &config.data_dir.join("ca"),
                config.ca.valid_days,
            )
            .context("interception CA")?,
        };
        let (ca_cert_path, ca_pem) = (ca.cert_path.clone(), ca.cert_pem().to_owned());
        let extra: Vec<&Path> = config
            .upstream
            .extra_ca_files
            .iter()
            .map(PathBuf::as_path)
            .collect();
        let tls = scopegate_tls::upstream_client_config(provider.clone(), &extra)?;
        let up = &config.upstream;
        let client = crate::upstream::client(tls.clone(), up);
        // A WebSocket upgrade is HTTP/1.1: with h2 offered, the provider
        // would pick it and never answer 101 (docs/websocket.md).
        let h1 = crate::config::UpstreamSettings {
            http2: false,
            ..up.clone()
        };
        let sockets = crate::upstream::client(tls.clone(), &h1);
        let streaming = crate::upstream::client(tls, &h1);
        let (cache, days) = (config.ca.leaf_cache, config.ca.leaf_valid_days);
        Ok(Self {
            leafs: LeafCache::new(Arc::new(ca), provider, cache, days),
            client,
            streaming,
            sockets,
            ca_pem,
            ca_cert_path,
            ca_generated,
        })
    }
}

/// The proxy listener, and the admin listener if configured.
async fn bind(config: &ProxyConfig) -> anyhow::Result<(TcpListener, Option<TcpListener>)> {
    let listen = config.proxy.listen;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let admin = match config.admin.listen {
        Some(a) => Some(
            TcpListener::bind(a)
                .await
                .with_context(|| format!("cannot listen on {a} (admin)"))?,
        ),
        None => None,
    };
    Ok((listener, admin))
}

async fn accept_loop(
    state: Arc<State>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    drain: Duration,
) {
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        state
            .metrics
            .connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::listener::serve(state.clone(), stream, peer);
    }
    drop(listener);
    tracing::info!("draining open connections");
    if tokio::time::timeout(drain, state.tracker.wait_idle())
        .await
        .is_err()
    {
        tracing::warn!("drain timed out; closing remaining connections");
    }
}

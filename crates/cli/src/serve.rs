//! `scopegate serve` and `scopegate ca`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use scopegate_cli::approval_steps;
use scopegate_cli::approvals::{OnNew, StoreApprovals};
use scopegate_cli::config::{Config, LogFormat, ProxyAuth};
use scopegate_cli::data_lock::{self, DataLock};
use scopegate_cli::log_format;
use scopegate_cli::private::{self, Private};
use scopegate_cli::shared_resolutions::StoreResolutions;
use scopegate_cli::sink::LogSink;
use scopegate_model::SharedResolutions;
use scopegate_store::{ApprovalHub, DecisionLog, Schema, Store};
use scopegate_web::{Dashboard, DashboardConfig, Notifier};

/// The `[dashboard]` table, with paths resolved against the settings file,
/// the session key kept in the data directory by default, the bootstrap
/// link written there, and the grant window the proxy uses.
fn dashboard_config(settings: &Config) -> DashboardConfig {
    let mut c = settings.dashboard.clone().unwrap_or_default();
    let base = settings
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    c.session_key_file = Some(match c.session_key_file.take() {
        Some(f) if f.is_relative() => base.join(f),
        Some(f) => f,
        None => settings.data_dir.join("dashboard-session.key"),
    });
    c.users_file = c.users_file.take().map(|f| base.join(f));
    // Secret files, like users_file, are relative to the settings file.
    if let Some(o) = c.oidc.as_mut() {
        o.client_secret_file = o.client_secret_file.take().map(|f| base.join(f));
    }
    if let Some(s) = c.slack.as_mut() {
        s.signing_secret_file = s.signing_secret_file.take().map(|f| base.join(f));
        s.bot_token_file = s.bot_token_file.take().map(|f| base.join(f));
    }
    c.bootstrap_file = Some(settings.data_dir.join("bootstrap-link"));
    c.grant_window_secs = settings.approvals.grant_window.as_secs();
    c
}

/// Everything that lets its reader approve, or read what scopegate keeps:
/// checked before `serve` touches anything.
fn private_paths(settings: &Config, dash: &DashboardConfig) -> Vec<Private> {
    let ca_key = settings.ca.files.as_ref().map_or_else(
        || settings.data_dir.join("ca").join("ca-key.pem"),
        |(_, key)| key.clone(),
    );
    let mut paths = vec![
        Private::folder(&settings.data_dir, "scopegate's data folder"),
        Private::secret(ca_key, "the interception CA's key"),
        Private::config(
            &settings.scope_map,
            "the scope map, which decides what is allowed",
        ),
        Private::config(&settings.file, "the settings"),
    ];
    if let Some(dir) = settings
        .scope_map
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        paths.push(Private::config(
            dir,
            "the scope map's folder (it is reloaded on change)",
        ));
    }
    if let Some(f) = &dash.session_key_file {
        paths.push(Private::secret(f, "the dashboard's session-signing key"));
    }
    if let Some(f) = &dash.bootstrap_file {
        paths.push(Private::secret(f, "the one-time bootstrap link"));
    }
    if let Some(f) = &dash.users_file {
        paths.push(Private::secret(f, "the dashboard users"));
    }
    match settings.upstream.proxy.as_ref().and_then(|p| p.auth.as_ref()) {
        Some(ProxyAuth::File(f)) => {
            paths.push(Private::secret(f, "the upstream proxy's credentials"));
        }
        Some(ProxyAuth::Inline(_)) => paths.push(Private::secret(
            &settings.file,
            "the settings, which hold the upstream proxy's password; or move it to [upstream] proxy_auth",
        )),
        Some(ProxyAuth::Env(_)) | None => {}
    }
    paths.extend(sign_in_and_slack_secrets(dash));
    paths.extend(scope_map_secret_files(&settings.scope_map));
    if !dash.users.is_empty() {
        paths.push(Private::secret(
            &settings.file,
            "the settings, which hold [[dashboard.users]]; or move them to [dashboard] users_file",
        ));
    }
    paths
}

/// The secret files the scope map at `scope_map` names (see
/// [`surrogate_secret_files`]). A scope map that does not parse names none
/// here; loading it reports why.
fn scope_map_secret_files(scope_map: &Path) -> Vec<Private> {
    let Ok(text) = std::fs::read_to_string(scope_map) else {
        return Vec::new();
    };
    let Ok(map) = scopegate_policy::ScopeMap::from_toml("", &text) else {
        return Vec::new();
    };
    surrogate_secret_files(&map, scope_map)
}

/// The files `map`'s surrogates name, relative to the map's file: a real
/// secret (whoever reads it needs no scopegate) and an AWS surrogate's
/// signing secret (whoever reads it can sign as that surrogate).
fn surrogate_secret_files(map: &scopegate_policy::ScopeMap, scope_map: &Path) -> Vec<Private> {
    let base = scope_map.parent().unwrap_or(Path::new(""));
    let file = |r: &scopegate_policy::SecretRef| match r {
        scopegate_policy::SecretRef::File(f) => Some(base.join(f)),
        scopegate_policy::SecretRef::Env(_) => None,
    };
    let mut out = Vec::new();
    for s in map.tokens.iter().filter_map(|t| t.surrogate.as_ref()) {
        if let Some(f) = file(&s.secret) {
            out.push(Private::secret(
                f,
                "a surrogate's real secret (scope map `secret`)",
            ));
        }
        if let Some(f) = s.signing.as_ref().and_then(file) {
            out.push(Private::secret(
                f,
                "an AWS surrogate's own secret (scope map `surrogate_secret`)",
            ));
        }
    }
    out
}

/// A reloaded scope map whose secret files group or others can read is
/// refused as one would be at start: the previous policy stays.
fn check_reloads(running: &scopegate_proxy::Running, settings: &Config) {
    let scope_map = settings.scope_map.clone();
    let allow_group = settings.unsafe_group_readable_secrets;
    running.check_reloads(Box::new(move |engine| {
        let files = surrogate_secret_files(&engine.scope_map, &scope_map);
        let problems = private::problems(&files, allow_group);
        if problems.is_empty() {
            return Ok(());
        }
        Err(format!(
            "its secret files must be readable only by scopegate's own user (docs/threat-model.md):\n  {}",
            problems.join("\n  ")
        ))
    }));
}

/// The identity provider's client secret and Slack's signing secret and
/// bot token, where they are files: each lets its reader sign someone in
/// or press a button as them.
fn sign_in_and_slack_secrets(dash: &DashboardConfig) -> Vec<Private> {
    let oidc = dash
        .oidc
        .as_ref()
        .and_then(|o| o.client_secret_file.as_ref());
    let slack = dash.slack.as_ref();
    [
        (oidc, "the identity provider's client secret"),
        (
            slack.and_then(|s| s.signing_secret_file.as_ref()),
            "Slack's signing secret",
        ),
        (
            slack.and_then(|s| s.bot_token_file.as_ref()),
            "Slack's bot token",
        ),
    ]
    .into_iter()
    .filter_map(|(f, what)| f.map(|f| Private::secret(f, what)))
    .collect()
}

pub fn run(config: &Path) -> anyhow::Result<i32> {
    let settings = Config::load(config)?;
    let dash_config = dashboard_config(&settings);
    // Before anything is read, created or served.
    private::check(
        &private_paths(&settings, &dash_config),
        settings.unsafe_group_readable_secrets,
    )?;
    private::create_folder(&settings.data_dir)?;
    // Held until serve returns: one scopegate per data folder.
    let _data_lock = data_lock::lock(&settings.data_dir)?;
    // Held until serve returns: dropping it flushes the log lines queued.
    let _log_writer = init_tracing(settings.log.format == LogFormat::Json);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if settings.proxy.worker_threads > 0 {
        rt.worker_threads(settings.proxy.worker_threads);
    }
    let rt = rt.enable_all().build()?;
    rt.block_on(serve(settings, dash_config))?;
    Ok(0)
}

/// The decision log and the approval queue `serve` keeps in the store.
struct Kept {
    store: Store,
    log: Arc<DecisionLog>,
    schema: Schema,
    hub: ApprovalHub,
}

/// Opens the store without waiting on the database: decisions go to the
/// journal first, and the log's writer migrates the database in the
/// background (retrying through an outage). Until it has, held requests
/// wait a little for it, then are refused as while the database is down.
async fn open_store(settings: &Config) -> anyhow::Result<Kept> {
    if let Some(path) = settings.store.url.strip_prefix("sqlite://")
        && let Some(dir) = Path::new(path).parent()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let store = Store::connect(&settings.store.url)
        .await
        .context("decision log database")?;
    let log = Arc::new(
        DecisionLog::open(store.clone(), &settings.store.journal_dir)
            .context("decision journal")?,
    );
    let schema = log.schema();
    let hub = ApprovalHub::default();
    hub.listen(&store);
    Ok(Kept {
        store,
        log,
        schema,
        hub,
    })
}

/// The approval queue the proxy holds requests in; new approvals are
/// announced by the dashboard's webhook.
fn approvals(
    settings: &Config,
    dash_config: &DashboardConfig,
    kept: &Kept,
) -> anyhow::Result<StoreApprovals> {
    let notifier = Arc::new(Notifier::new(dash_config).context("dashboard webhook")?);
    let on_new: OnNew = Arc::new(move |a| notifier.notify_new(a));
    Ok(StoreApprovals {
        store: kept.store.clone(),
        schema: kept.schema.clone(),
        hub: kept.hub.clone(),
        hold_for: settings.approvals.hold_for,
        pending_for: settings.approvals.pending_for,
        grant_window: settings.approvals.grant_window,
        public_url: dash_config.public_url(),
        on_new: Some(on_new),
    })
}

/// The resolution cache replicas share: on Postgres only (SQLite is one
/// process's).
fn shared_resolutions(kept: &Kept) -> Option<Arc<dyn SharedResolutions>> {
    match kept.store {
        Store::Pg(_) => Some(Arc::new(StoreResolutions::new(
            kept.store.clone(),
            kept.schema.clone(),
        ))),
        Store::Sqlite(_) => None,
    }
}

async fn serve(settings: Config, dash_config: DashboardConfig) -> anyhow::Result<()> {
    let kept = open_store(&settings).await?;
    let backend = kept.store.backend();
    let public_url = dash_config.public_url();
    let approvals = approvals(&settings, &dash_config, &kept)?;
    let running = scopegate_proxy::start_with(
        settings.proxy_config(),
        Arc::new(LogSink(kept.log.clone())),
        Some(Arc::new(approvals)),
        shared_resolutions(&kept),
        Duration::from_secs(10),
    )
    .await?;
    check_reloads(&running, &settings);
    let ca = scopegate_tls::export_certificate(&running.state.ca_pem, &settings.ca.export)
        .context("exporting the CA certificate for agents")?;
    print_scope_map(&settings, &running)?;
    scopegate_cli::outln!("decision log: {backend} (journal first, then the database)")?;
    let dash_listen = dash_config.listen;
    let dashboard = dashboard(dash_config, &kept, &running)?;
    let listener = tokio::net::TcpListener::bind(dash_listen)
        .await
        .with_context(|| format!("cannot listen on {dash_listen} (dashboard)"))?;
    scopegate_cli::outln!("dashboard for approvers: {public_url}")?;
    if let (Some(_), Some(file)) = (
        dashboard.bootstrap_link(),
        &dashboard.config().bootstrap_file,
    ) {
        scopegate_cli::outln!(
            "  no dashboard users are configured: the one-time admin sign-in link is in {} (readable only by scopegate's user)",
            shown(file)
        )?;
    }
    let (stop_dashboard, stopped) = tokio::sync::oneshot::channel::<()>();
    // The dashboard is bound now; it accepts once the database is
    // migrated (a fresh database takes a moment), or after a few
    // seconds without it, to say that it cannot reach its database.
    let dashboard_schema = kept.schema.clone();
    let dashboard_task = tokio::spawn(async move {
        dashboard_schema.wait_migrated(DASHBOARD_SCHEMA_WAIT).await;
        dashboard
            .serve(listener, async move {
                let _ = stopped.await;
            })
            .await
    });
    print_usage(&settings, &running, &shown(&ca))?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    let _ = stop_dashboard.send(());
    running.shutdown(Duration::from_secs(10)).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), dashboard_task).await;
    Ok(())
}

/// The dashboard, recording its approval steps in the decision log; the
/// expiry sweep started beside it.
fn dashboard(
    dash_config: DashboardConfig,
    kept: &Kept,
    running: &scopegate_proxy::Running,
) -> anyhow::Result<Dashboard> {
    let state = running.state.clone();
    let dashboard = Dashboard::new(
        dash_config,
        kept.store.clone(),
        kept.hub.clone(),
        move || Arc::new(state.engine.borrow().scope_map.clone()),
    )
    .context("dashboard")?;
    let words_state = running.state.clone();
    dashboard.catalog_words(move || words_state.engine.borrow().words());
    let metrics_state = running.state.clone();
    let count: approval_steps::CountStep =
        Arc::new(move |s| metrics_state.metrics.approval_step(s));
    dashboard.record_steps(approval_steps::dashboard_steps(
        kept.log.clone(),
        count.clone(),
    ));
    spawn_expiry(
        kept.store.clone(),
        kept.schema.clone(),
        kept.log.clone(),
        count,
    );
    let _ = running
        .state
        .metrics
        .store
        .set(kept.store.backend().to_string());
    Ok(dashboard)
}

/// The first line `serve` prints: the version and the scope map's size.
fn print_scope_map(settings: &Config, running: &scopegate_proxy::Running) -> anyhow::Result<()> {
    let engine = running.state.engine.borrow().clone();
    let map = &engine.scope_map;
    let rules: usize = map.tokens.iter().map(|t| t.rules.len()).sum();
    scopegate_cli::outln!(
        "scopegate {} · scope map {}: {} token(s), {rules} rule(s){}",
        env!("CARGO_PKG_VERSION"),
        shown(&settings.scope_map),
        map.tokens.len(),
        match map.warnings.len() {
            0 => String::new(),
            n => format!(", {n} warning(s) (logged)"),
        }
    )?;
    Ok(())
}

/// How to point an agent at the proxy (`ca`: the exported certificate).
fn print_usage(
    settings: &Config,
    running: &scopegate_proxy::Running,
    ca: &str,
) -> anyhow::Result<()> {
    scopegate_cli::outln!("scopegate is listening on {}", running.proxy_addr)?;
    scopegate_cli::outln!()?;
    scopegate_cli::outln!("  export HTTPS_PROXY=http://{}", running.proxy_addr)?;
    scopegate_cli::outln!(
        "  trust the interception CA: {ca}{}",
        if running.ca_generated {
            "  (generated now)"
        } else {
            ""
        }
    )?;
    scopegate_cli::outln!(
        "  give agents only {} (the certificate), never {} or this OS user",
        shown(&settings.ca.export),
        shown(&settings.data_dir)
    )?;
    scopegate_cli::outln!(
        "  e.g. curl --cacert {ca} https://backboard.railway.com/graphql/v2 ...  (`scopegate ca` shows every client)"
    )?;
    if let Some(a) = running.admin_addr {
        scopegate_cli::outln!("  metrics: http://{a}/metrics")?;
        scopegate_cli::outln!("  readiness: http://{a}/readyz")?;
    }
    scopegate_cli::outln!()?;
    Ok(())
}

/// How long the dashboard waits for the database's migrations before it
/// serves anyway (and answers 503 while the database is unreachable).
const DASHBOARD_SCHEMA_WAIT: Duration = Duration::from_secs(5);

/// Marks pending approvals and grants past their time as expired.
fn spawn_expiry(
    store: Store,
    schema: Schema,
    log: Arc<DecisionLog>,
    count: approval_steps::CountStep,
) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(*EXPIRY_SWEEP).await;
            if !schema.is_migrated() {
                continue;
            }
            match store.expire_approvals().await {
                Ok(expired) => {
                    for a in &expired {
                        count("expired");
                        let r = approval_steps::step_record(a, approval_steps::Step::Expired);
                        if let Err(e) = approval_steps::record(&log, r).await {
                            tracing::error!(approval = %a.id, error = %e, "approval expiry not recorded");
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "approval expiry sweep failed"),
            }
        }
    });
}

/// How often pending approvals and unused grants are checked for expiry.
/// `SCOPEGATE_EXPIRY_SWEEP_MS` shortens it (tests).
static EXPIRY_SWEEP: std::sync::LazyLock<Duration> = std::sync::LazyLock::new(|| {
    std::env::var("SCOPEGATE_EXPIRY_SWEEP_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(30), Duration::from_millis)
});

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Log lines go to stderr from a thread of their own, batched, so a request
/// never waits on a write to a terminal or a pipe (the decision log is the
/// journal, not these lines). Nothing is dropped.
fn init_tracing(json: bool) -> Option<scopegate_cli::log_writer::FlushGuard> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCOPEGATE_LOG")
        .unwrap_or_else(|_| "info".into());
    // If the writer thread cannot start, lines go to stderr directly, in the
    // same format.
    match scopegate_cli::log_writer::batched_stderr() {
        Ok((writer, guard)) => {
            install_tracing(filter, json, writer);
            Some(guard)
        }
        Err(_) => {
            install_tracing(filter, json, std::io::stderr);
            None
        }
    }
}

fn install_tracing<W>(filter: tracing_subscriber::EnvFilter, json: bool, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    // Colours only for a person at a terminal, never in files or pipes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer);
    if json {
        builder.event_format(log_format::JsonLines).init();
    } else {
        builder.fmt_fields(log_format::TextFields).init();
    }
}

/// A path as the operator should read it: absolute, `..` resolved.
fn shown(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

pub fn ca(config: &Path) -> anyhow::Result<i32> {
    let settings = Config::load(config)?;
    // The lock (when one was taken) is held until the certificate is exported.
    let (pem, generated, _data_lock) = ca_certificate(&settings)?;
    let path: PathBuf = scopegate_tls::export_certificate(&pem, &settings.ca.export)
        .context("exporting the CA certificate for agents")?;
    print_ca_usage(&settings, &shown(&path), generated)?;
    Ok(0)
}

/// The certificate's PEM, whether it was generated now, and the data
/// folder's lock if it was taken: from `[ca] cert` (the key is not
/// needed), or the generated CA's.
fn ca_certificate(settings: &Config) -> anyhow::Result<(String, bool, Option<DataLock>)> {
    Ok(match &settings.ca.files {
        Some((cert, _)) => (
            std::fs::read_to_string(cert)
                .with_context(|| format!("cannot read {}", cert.display()))?,
            false,
            None,
        ),
        None => {
            private::check(
                &[
                    Private::folder(&settings.data_dir, "scopegate's data folder"),
                    Private::secret(
                        settings.data_dir.join("ca/ca-key.pem"),
                        "the interception CA's key",
                    ),
                ],
                settings.unsafe_group_readable_secrets,
            )?;
            private::create_folder(&settings.data_dir)?;
            // Creating the CA writes the data folder: not while another
            // instance holds it, unless the CA is already there to read.
            let data_lock = match data_lock::lock(&settings.data_dir) {
                Ok(l) => Some(l),
                Err(data_lock::LockError::Held { .. })
                    if settings.data_dir.join("ca/ca.pem").exists() =>
                {
                    None
                }
                Err(e) => return Err(e.into()),
            };
            let (ca, generated) = scopegate_tls::CertificateAuthority::load_or_generate(
                &settings.data_dir.join("ca"),
                settings.ca.valid_days,
            )
            .context("interception CA")?;
            (ca.cert_pem().to_owned(), generated, data_lock)
        }
    })
}

/// Where the certificate is (`p`) and how each kind of client trusts it.
fn print_ca_usage(settings: &Config, p: &str, generated: bool) -> anyhow::Result<()> {
    scopegate_cli::outln!(
        "scopegate interception CA: {p}{}",
        if generated { " (generated now)" } else { "" }
    )?;
    scopegate_cli::outln!(
        "(the certificate only: give agents this file or its folder, never {})",
        shown(&settings.data_dir)
    )?;
    scopegate_cli::outln!(
        "
Trust it only in the environment of the agents that go through scopegate:

  curl            curl --cacert {p} ...            or  export CURL_CA_BUNDLE={p}
  Python requests export REQUESTS_CA_BUNDLE={p}
  Python httpx    export SSL_CERT_FILE={p}
  Node.js         export NODE_EXTRA_CA_CERTS={p}
  Go (gh, ...)    export SSL_CERT_FILE={p}
  Rust (rustls)   export SSL_CERT_FILE={p}       (native-roots / rustls-platform-verifier clients)
  Java            keytool -importcert -noprompt -alias scopegate -file {p} -keystore agent-truststore.jks -storepass changeit
                  java -Djavax.net.ssl.trustStore=agent-truststore.jks -Djavax.net.ssl.trustStorePassword=changeit ...
  Debian/Ubuntu   cp {p} /usr/local/share/ca-certificates/scopegate.crt && update-ca-certificates   (whole machine)

and point the agent at the proxy:  export HTTPS_PROXY=http://{}

The easy way: `scopegate run -- COMMAND` sets all of these (and the proxy)
for one command; `scopegate run --isolate -- COMMAND` (Linux) also leaves
it no way out but scopegate.",
        settings.proxy.listen
    )?;
    Ok(())
}

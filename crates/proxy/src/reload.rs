//! Live policy: the engine is rebuilt on SIGHUP and when a source file
//! changes, then swapped in through a watch; open connections pick it up on
//! their next request. A file that does not load keeps the old policy.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::engine::Engine;

/// A check a reloaded engine must pass before it is swapped in (`serve`:
/// the secret files its scope map names are private); `Err` says why not.
pub type ReloadCheck = Box<dyn Fn(&Engine) -> Result<(), String> + Send + Sync>;

pub fn spawn(
    scope_map: PathBuf,
    tx: watch::Sender<Arc<Engine>>,
    mut shutdown: watch::Receiver<bool>,
    check: Arc<OnceLock<ReloadCheck>>,
) {
    // Taken now, not when the task first runs: a change made right after
    // start would otherwise be taken for the state already loaded.
    let mut last_seen = tx.borrow().source_stamps();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            let hup_recv = async {
                match hup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hup_recv = std::future::pending::<Option<()>>();
            let why = tokio::select! {
                _ = hup_recv => "SIGHUP",
                _ = tokio::time::sleep(Duration::from_secs(1)) => {
                    let now = tx.borrow().source_stamps();
                    if now == last_seen { continue; }
                    last_seen = now;
                    "file change"
                }
                _ = shutdown.changed() => break,
            };
            let path = scope_map.clone();
            let checks = check.clone();
            let loaded = tokio::task::spawn_blocking(move || {
                let engine = Engine::load(&path)?;
                if let Some(check) = checks.get() {
                    check(&engine).map_err(anyhow::Error::msg)?;
                }
                Ok::<_, anyhow::Error>(engine)
            });
            match loaded.await {
                Ok(Ok(engine)) => {
                    last_seen = engine.source_stamps();
                    let tokens = engine.scope_map.tokens.len();
                    for w in engine.warnings() {
                        tracing::warn!(trigger = why, "{w}");
                    }
                    let _ = tx.send(Arc::new(engine));
                    tracing::info!(trigger = why, tokens, "policy reloaded");
                }
                Ok(Err(e)) => tracing::error!(
                    trigger = why,
                    "policy reload failed; keeping the previous policy: {e:#}"
                ),
                Err(e) => tracing::error!(
                    trigger = why,
                    "policy reload panicked; keeping the previous policy: {e}"
                ),
            }
        }
    });
}

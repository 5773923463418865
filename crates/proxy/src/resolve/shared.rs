//! The replicas' shared resolution cache, as [`super::Resolution`] uses
//! it: reads bounded in time, writes queued to a task of their own. Its failures
//! are misses, logged at debug (the store's error text; never a
//! credential).

use std::sync::Arc;
use std::time::Duration;

use scopegate_inspect::resolve::Derived;
use scopegate_model::SharedResolutions;
use tokio::sync::mpsc;

use super::CacheKey;
use crate::config::ResolveSettings;

/// The longest a read of the shared cache may take: the lookup timeout,
/// at most 500 ms (an active lookup follows a miss).
pub fn bound(settings: &ResolveSettings) -> Duration {
    settings.lookup_timeout.min(Duration::from_millis(500))
}

/// The shared entry and its age, or `None`: absent, expired, failed or
/// too slow.
pub async fn get(
    shared: &dyn SharedResolutions,
    key: &CacheKey,
    settings: &ResolveSettings,
) -> Option<(Derived, Duration)> {
    let read = shared.get(key.clone(), settings.ttl);
    match tokio::time::timeout(bound(settings), read).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            tracing::debug!(provider = %key.provider, error = %e, "resolve: shared cache read failed");
            None
        }
        Err(_) => {
            tracing::debug!(provider = %key.provider, "resolve: shared cache read timed out");
            None
        }
    }
}

/// Puts to the shared cache from one task, in the order given (a fill and
/// the fuller entry inserted after it must land in that order), never
/// waiting: when the queue is full, entries are dropped (it is a cache).
#[derive(Debug)]
pub struct Writer {
    tx: mpsc::Sender<Vec<(CacheKey, Derived)>>,
}

/// Batches queued before the writer drops entries.
const QUEUE: usize = 1024;

impl Writer {
    /// Starts the writing task; `None` outside a Tokio runtime.
    pub fn start(shared: Arc<dyn SharedResolutions>, settings: &ResolveSettings) -> Option<Self> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (tx, rx) = mpsc::channel(QUEUE);
        runtime.spawn(write(shared, rx, settings.ttl, settings.max_entries));
        Some(Self { tx })
    }

    /// Queues the entries.
    pub fn put(&self, entries: Vec<(CacheKey, Derived)>) {
        if self.tx.try_send(entries).is_err() {
            tracing::debug!("resolve: shared cache writes are behind; entries dropped");
        }
    }
}

/// Writes what is queued, coalescing what waited into one put (the last
/// of a key's entries wins), until every sender is gone.
async fn write(
    shared: Arc<dyn SharedResolutions>,
    mut rx: mpsc::Receiver<Vec<(CacheKey, Derived)>>,
    ttl: Duration,
    max_entries: usize,
) {
    while let Some(mut batch) = rx.recv().await {
        while let Ok(more) = rx.try_recv() {
            batch.extend(more);
        }
        if let Err(e) = shared.put(batch, ttl, max_entries).await {
            tracing::debug!(error = %e, "resolve: shared cache write failed");
        }
    }
}

#[cfg(test)]
mod tests;

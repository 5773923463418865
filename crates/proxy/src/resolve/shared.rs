//! The replicas' shared resolution cache, as [`super::Resolution`] uses
//! it: reads bounded in time, writes in a task of their own. Its failures
//! are misses, logged at debug (the store's error text; never a
//! credential).

use std::sync::Arc;
use std::time::Duration;

use scopegate_inspect::resolve::Derived;
use scopegate_model::SharedResolutions;

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

/// Puts the entries without waiting for them; nothing happens outside a
/// Tokio runtime.
pub fn spawn_put(
    shared: Arc<dyn SharedResolutions>,
    entries: Vec<(CacheKey, Derived)>,
    settings: &ResolveSettings,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let (ttl, max) = (settings.ttl, settings.max_entries);
    runtime.spawn(async move {
        if let Err(e) = shared.put(entries, ttl, max).await {
            tracing::debug!(error = %e, "resolve: shared cache write failed");
        }
    });
}

#[cfg(test)]
mod tests;

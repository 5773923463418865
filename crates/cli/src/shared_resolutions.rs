//! The resolution cache replicas share through Postgres, as the proxy's
//! `SharedResolutions`. Until the log's writer has migrated the database,
//! every call fails at once (a miss: the proxy looks the id up itself).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use scopegate_model::{BoxFut, ResolvedAttributes, ResolvedKey, SharedResolutions};
use scopegate_store::{Schema, Store};

/// How often one process prunes the table.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

pub struct StoreResolutions {
    store: Store,
    schema: Schema,
    /// When this process last pruned the table.
    pruned: Mutex<Option<Instant>>,
}

impl StoreResolutions {
    pub fn new(store: Store, schema: Schema) -> Self {
        Self {
            store,
            schema,
            pruned: Mutex::new(None),
        }
    }

    /// The store, once its schema is migrated.
    fn ready(&self) -> Result<Store, String> {
        if self.schema.is_migrated() {
            Ok(self.store.clone())
        } else {
            Err("the database's migrations have not run yet".into())
        }
    }

    /// Whether this put should prune (at most every [`PRUNE_EVERY`]).
    fn prune_due(&self) -> bool {
        let mut pruned = self.pruned.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if pruned.is_some_and(|at| now.saturating_duration_since(at) < PRUNE_EVERY) {
            return false;
        }
        *pruned = Some(now);
        true
    }
}

impl SharedResolutions for StoreResolutions {
    fn get(
        &self,
        key: ResolvedKey,
        ttl: Duration,
    ) -> BoxFut<Result<Option<(ResolvedAttributes, Duration)>, String>> {
        let store = self.ready();
        Box::pin(async move {
            store?
                .resolved_get(&key, ttl)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn put(
        &self,
        entries: Vec<(ResolvedKey, ResolvedAttributes)>,
        ttl: Duration,
        max_entries: usize,
    ) -> BoxFut<Result<(), String>> {
        let store = self.ready();
        let prune = store.is_ok() && self.prune_due();
        Box::pin(async move {
            let store = store?;
            store
                .resolved_put(&entries)
                .await
                .map_err(|e| e.to_string())?;
            if prune {
                store
                    .resolved_prune(ttl, max_entries)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }
}

//! The approval queue in the store, as the proxy's `Approvals`.

use std::sync::Arc;
use std::time::Duration;

use scopegate_proxy::approvals::BoxFut;
use scopegate_proxy::{Approvals, Grant, HoldOutcome, HoldRequest};
use scopegate_store::{ApprovalHub, NewHold, Schema, Store};

/// Called with each newly created approval.
pub type OnNew = Arc<dyn Fn(&scopegate_store::Approval) + Send + Sync>;

pub struct StoreApprovals {
    pub store: Store,
    /// Until the log's writer has migrated the database, the queue is
    /// unavailable (every call fails, as while the database is down).
    pub schema: Schema,
    pub hub: ApprovalHub,
    pub hold_for: Duration,
    pub pending_for: Duration,
    pub grant_window: Duration,
    /// Dashboard base URL for links.
    pub public_url: String,
    /// Called with each newly created approval (webhooks); must not block.
    pub on_new: Option<OnNew>,
}

pub fn approval_id() -> String {
    // Decision ids are unique and time-sortable; reuse their shape.
    let d = scopegate_proxy::new_decision_id();
    format!("apr_{}", &d[4..])
}

/// How long a held request waits for the database's migrations (a fresh
/// database, just after start) before the queue counts as unavailable.
const SCHEMA_WAIT: Duration = Duration::from_secs(5);

const NOT_MIGRATED: &str = "the approval queue's database is not ready: its migrations have not run yet (is the database reachable?)";

impl StoreApprovals {
    /// The store, once its schema is migrated (waiting a little for it).
    fn ready(&self) -> BoxFut<Result<Store, String>> {
        let (store, schema) = (self.store.clone(), self.schema.clone());
        Box::pin(async move {
            if schema.wait_migrated(SCHEMA_WAIT).await {
                Ok(store)
            } else {
                Err(NOT_MIGRATED.into())
            }
        })
    }
}

impl Approvals for StoreApprovals {
    fn take_grant(&self, grant_key: String) -> BoxFut<Result<Option<Grant>, String>> {
        let store = self.ready();
        Box::pin(async move {
            let store = store.await?;
            let used = store
                .take_grant(&grant_key)
                .await
                .map_err(|e| e.to_string())?;
            Ok(used.map(|g| Grant {
                approval_id: g.id,
                approved_by: g.decided_by,
            }))
        })
    }

    fn hold(&self, r: HoldRequest) -> BoxFut<Result<String, String>> {
        let store = self.ready();
        let hub = self.hub.clone();
        let on_new = self.on_new.clone();
        let hold = NewHold {
            grant_key: r.grant_key,
            decision_id: r.decision_id,
            token: r.token,
            fingerprint_prefix: r.fingerprint_prefix,
            agent: r.agent,
            provider: r.provider,
            host: r.host,
            method: r.method,
            path: r.path,
            rule: r.rule,
            reason: r.reason,
            detail: r.detail,
            pending_for: self.pending_for,
        };
        Box::pin(async move {
            let (a, new) = store
                .await?
                .hold(&hold, &approval_id())
                .await
                .map_err(|e| e.to_string())?;
            hub.publish(&a.id);
            if new && let Some(f) = on_new {
                f(&a);
            }
            Ok(a.id)
        })
    }

    fn wait(&self, approval_id: String, timeout: Duration) -> BoxFut<Result<HoldOutcome, String>> {
        let store = self.ready();
        let hub = self.hub.clone();
        Box::pin(async move {
            let a = store
                .await?
                .wait_decided(&hub, &approval_id, timeout)
                .await
                .map_err(|e| e.to_string())?;
            Ok(match a {
                Some(a) if a.state == "approved" || a.state == "used" => HoldOutcome::Approved {
                    by: a.decided_by.unwrap_or_default(),
                },
                Some(a) if a.state == "rejected" => HoldOutcome::Rejected {
                    by: a.decided_by.unwrap_or_default(),
                    note: a.note.unwrap_or_default(),
                },
                _ => HoldOutcome::Pending,
            })
        })
    }

    fn link(&self, approval_id: &str) -> String {
        format!(
            "{}/approvals/{approval_id}",
            self.public_url.trim_end_matches('/')
        )
    }

    fn hold_for(&self) -> Duration {
        self.hold_for
    }

    fn pending(&self) -> BoxFut<Result<u64, String>> {
        // readiness answers at once: not ready until migrated
        if !self.schema.is_migrated() {
            return Box::pin(async { Err(NOT_MIGRATED.to_owned()) });
        }
        let store = self.store.clone();
        Box::pin(async move { store.pending_count().await.map_err(|e| e.to_string()) })
    }

    fn grant_window(&self) -> Duration {
        self.grant_window
    }
}

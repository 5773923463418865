//! The approval queue in the store, as the proxy's `ApprovalQueue`.

use std::sync::Arc;
use std::time::Duration;

use scopegate_model::{
    ApprovalId, ApprovalQueue, ApprovalState, BoxFut, Grant, HeldRequest, HoldOutcome, QueueError,
};
use scopegate_store::{ApprovalHub, Schema, Store};

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

/// How long a held request waits for the database's migrations (a fresh
/// database, just after start) before the queue counts as unavailable.
const SCHEMA_WAIT: Duration = Duration::from_secs(5);

/// A database error from the store.
fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable {
        cause: e.to_string(),
    }
}

impl StoreApprovals {
    /// The store, once its schema is migrated (waiting a little for it).
    fn ready(&self) -> BoxFut<Result<Store, QueueError>> {
        let (store, schema) = (self.store.clone(), self.schema.clone());
        Box::pin(async move {
            if schema.wait_migrated(SCHEMA_WAIT).await {
                Ok(store)
            } else {
                Err(QueueError::NotReady)
            }
        })
    }
}

impl ApprovalQueue for StoreApprovals {
    fn take_grant(&self, grant_key: String) -> BoxFut<Result<Option<Grant>, QueueError>> {
        let store = self.ready();
        Box::pin(async move {
            store
                .await?
                .take_grant(&grant_key)
                .await
                .map_err(unavailable)
        })
    }

    fn hold(&self, held: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>> {
        let store = self.ready();
        let hub = self.hub.clone();
        let on_new = self.on_new.clone();
        let pending_for = self.pending_for;
        Box::pin(async move {
            let (a, new) = store
                .await?
                .hold(&held, pending_for, &scopegate_proxy::new_approval_id())
                .await
                .map_err(unavailable)?;
            hub.publish(&a.id);
            if new && let Some(f) = on_new {
                f(&a);
            }
            Ok(a.id)
        })
    }

    fn wait(
        &self,
        approval_id: ApprovalId,
        timeout: Duration,
    ) -> BoxFut<Result<HoldOutcome, QueueError>> {
        let store = self.ready();
        let hub = self.hub.clone();
        Box::pin(async move {
            let a = store
                .await?
                .wait_resolved(&hub, &approval_id, timeout)
                .await
                .map_err(unavailable)?;
            Ok(match a {
                Some(a) if matches!(a.state, ApprovalState::Approved | ApprovalState::Used) => {
                    HoldOutcome::Approved {
                        by: a.decided_by.unwrap_or_default(),
                    }
                }
                Some(a) if a.state == ApprovalState::Rejected => HoldOutcome::Rejected {
                    by: a.decided_by.unwrap_or_default(),
                    note: a.note.unwrap_or_default(),
                },
                _ => HoldOutcome::Pending,
            })
        })
    }

    fn link(&self, approval_id: &ApprovalId) -> String {
        format!(
            "{}/approvals/{approval_id}",
            self.public_url.trim_end_matches('/')
        )
    }

    fn hold_for(&self) -> Duration {
        self.hold_for
    }

    fn pending(&self) -> BoxFut<Result<u64, QueueError>> {
        // readiness answers at once: not ready until migrated
        if !self.schema.is_migrated() {
            return Box::pin(async { Err(QueueError::NotReady) });
        }
        let store = self.store.clone();
        Box::pin(async move { store.pending_count().await.map_err(unavailable) })
    }

    fn grant_window(&self) -> Duration {
        self.grant_window
    }
}

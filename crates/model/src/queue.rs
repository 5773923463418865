//! The approval queue, as the proxy uses it: held requests wait there for
//! a human, and an approval becomes a one-time grant for the identical
//! request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::{ApprovalId, HeldRequest};

/// A boxed future the queue answers with.
pub type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The approval queue cannot answer; no request can be held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueError {
    /// Its database's migrations have not run yet.
    NotReady,
    /// Its database failed or cannot be reached; `cause` is the database
    /// error's text.
    Unavailable { cause: String },
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotReady => f.write_str(
                "the approval queue's database is not ready: its migrations have not run yet (is the database reachable?)",
            ),
            Self::Unavailable { cause } => f.write_str(cause),
        }
    }
}

impl std::error::Error for QueueError {}

/// How a held request ended, as far as the waiting client is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    Approved {
        by: String,
    },
    Rejected {
        by: String,
        note: String,
    },
    /// Not resolved within the inline wait (or expired).
    Pending,
}

/// A grant taken for a request: the approval it came from and who
/// approved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub approval_id: ApprovalId,
    pub approved_by: Option<String>,
}

impl Grant {
    /// `(approved by alice)`, for the decision log.
    pub fn by(&self) -> String {
        format!(
            "(approved by {})",
            self.approved_by.as_deref().unwrap_or("an unknown approver")
        )
    }
}

/// The approval queue, as the proxy uses it.
pub trait ApprovalQueue: Send + Sync + 'static {
    /// Uses an approved, unused grant for exactly this request.
    fn take_grant(&self, grant_key: String) -> BoxFut<Result<Option<Grant>, QueueError>>;
    /// Creates the pending approval, or attaches to the one already pending
    /// for the same request. Returns its id.
    fn hold(&self, request: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>>;
    /// Waits up to `timeout` for a human.
    fn wait(
        &self,
        approval_id: ApprovalId,
        timeout: Duration,
    ) -> BoxFut<Result<HoldOutcome, QueueError>>;
    /// Where an approver resolves it.
    fn link(&self, approval_id: &ApprovalId) -> String;
    /// How long a held request waits inline.
    fn hold_for(&self) -> Duration;
    /// How long a grant stays usable after approval.
    fn grant_window(&self) -> Duration;
    /// Approvals waiting for a human; `Err` when the queue cannot be
    /// reached (then no request can be held: `/readyz` fails).
    fn pending(&self) -> BoxFut<Result<u64, QueueError>>;
}

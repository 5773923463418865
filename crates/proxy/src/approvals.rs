//! Holding requests for a human: the seam to the approval queue and the
//! grant key that binds an approval to exactly one request as read.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What the proxy knows about a request it holds.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub grant_key: String,
    pub decision_id: String,
    pub token: Option<String>,
    pub fingerprint_prefix: Option<String>,
    pub agent: Option<String>,
    pub provider: String,
    pub host: String,
    pub method: String,
    pub path: String,
    pub rule: String,
    pub reason: String,
    /// `{"operations": [...], "request": {...}}`, secrets redacted.
    pub detail: Value,
}

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
    /// Not decided within the inline wait (or expired).
    Pending,
}

/// A grant taken for a request: the approval it came from and who
/// approved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub approval_id: String,
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
pub trait Approvals: Send + Sync + 'static {
    /// Uses an approved, unused grant for exactly this request.
    fn take_grant(&self, grant_key: String) -> BoxFut<Result<Option<Grant>, String>>;
    /// Creates the pending approval, or attaches to the one already pending
    /// for the same request. Returns its id.
    fn hold(&self, request: HoldRequest) -> BoxFut<Result<String, String>>;
    /// Waits up to `timeout` for a human.
    fn wait(&self, approval_id: String, timeout: Duration) -> BoxFut<Result<HoldOutcome, String>>;
    /// Where an approver decides it.
    fn link(&self, approval_id: &str) -> String;
    /// How long a held request waits inline.
    fn hold_for(&self) -> Duration;
    /// How long a grant stays usable after approval.
    fn grant_window(&self) -> Duration;
    /// Approvals waiting for a human; `Err` when the queue cannot be
    /// reached (then no request can be held: `/readyz` fails).
    fn pending(&self) -> BoxFut<Result<u64, String>>;
}

/// "15 minutes", "90 seconds", "2 hours".
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} seconds"),
        120..=7199 => format!("{} minutes", s / 60),
        _ => format!("{} hours", s / 3600),
    }
}

/// Binds an approval to one request: the presented credential's full
/// fingerprint and the request's reading key
/// ([`scopegate_inspect::reading_key`]: every input inspection read and
/// everything it read them as).
pub fn grant_key(fingerprint_hex: &str, reading_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(fingerprint_hex.as_bytes());
    h.update(b"\n");
    h.update(reading_key.as_bytes());
    scopegate_model::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_keys_differ_by_request_and_token() {
        assert_ne!(grant_key("a", "d1"), grant_key("a", "d2"));
        assert_ne!(grant_key("a", "d1"), grant_key("b", "d1"));
        assert_eq!(grant_key("a", "d1"), grant_key("a", "d1"));
    }
}

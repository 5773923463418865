//! The canonical record of one decision: what the decision log stores.

use serde::{Deserialize, Serialize};

use crate::{Decision, DecisionId, Mode, Operation, Verdict};

/// One canonical record per decided request. Holds no credential and no
/// body: the token's name and fingerprint prefix, operations with resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub id: DecisionId,
    pub at_unix_ms: i64,
    pub agent: Option<String>,
    pub token: Option<String>,
    pub fingerprint_prefix: Option<String>,
    pub provider: String,
    pub host: String,
    pub method: String,
    pub path: String,
    /// SHA-256 over method, host, target and body: identifies the exact
    /// request without storing it (bodies carry secrets).
    pub request_digest: String,
    pub operations: Vec<Operation>,
    pub verdict: Verdict,
    pub mode: Mode,
    pub forwarded: bool,
    pub rule: String,
    pub reason: String,
    pub decide_micros: u64,
    pub upstream_status: Option<u16>,
    pub upstream_millis: Option<u64>,
    /// The approval step this record is: `held apr_…` (the proxy held the
    /// request), `approved apr_… by alice` / `rejected apr_… by bob` (an
    /// approver resolved it), `used apr_… (approved by alice)` (the waiting
    /// request was released), `granted apr_… (approved by alice)` (a resent
    /// request was released by the grant), `refused apr_… (rejected by bob)`
    /// (the waiting request was refused), `expired apr_…`, or `not held: …`
    /// (the approval queue was unavailable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// What the provider's answer said of the token's power (from the
    /// outcome; never part of the hashed record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breadth: Option<crate::Breadth>,
}

impl DecisionRecord {
    pub fn from_decision(id: DecisionId, d: &Decision) -> Self {
        Self {
            id,
            at_unix_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0),
            agent: None,
            token: d.token.clone(),
            fingerprint_prefix: None,
            provider: String::new(),
            host: String::new(),
            method: String::new(),
            path: String::new(),
            request_digest: String::new(),
            operations: d.operations.iter().map(|o| o.operation.clone()).collect(),
            verdict: d.verdict,
            mode: d.mode,
            forwarded: d.forwards(),
            rule: d.rule.0.clone(),
            reason: d.reason.clone(),
            decide_micros: 0,
            upstream_status: None,
            upstream_millis: None,
            approval: None,
            breadth: None,
        }
    }
}

/// What happened upstream to a forwarded request, recorded after its
/// decision (which is recorded before anything is forwarded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionOutcome {
    pub decision_id: DecisionId,
    pub upstream_status: Option<u16>,
    pub upstream_millis: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the answer said of the token's power (docs/token-breadth.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breadth: Option<crate::Breadth>,
}

/// One line of the decision journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JournalEntry {
    Outcome { outcome: DecisionOutcome },
    Record(Box<DecisionRecord>),
}

impl DecisionRecord {
    /// The same record with another timestamp (tests compare records).
    pub fn with_time(mut self, at_unix_ms: i64) -> Self {
        self.at_unix_ms = at_unix_ms;
        self
    }
}

/// The request digest: SHA-256 of method, host, target and body, each
/// length-prefixed so no two requests share an encoding.
pub fn request_digest(method: &str, host: &str, target: &str, body: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    for part in [method.as_bytes(), host.as_bytes(), target.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    crate::hex(&h.finalize())
}

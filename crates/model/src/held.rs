//! A request the proxy holds for a human: what the approval queue keeps,
//! the dashboard shows and the decision log's approval steps repeat.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{DecisionId, DecisionRecord, Operation};

/// Everything the approval queue knows about a held request. Holds no
/// credential: the token's name and fingerprint prefix, the operations
/// with their resources, and the request as the approver sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRequest {
    /// The decision that held it.
    pub decision_id: DecisionId,
    /// Binds an approval to exactly this request as read (see the proxy's
    /// `grant_key`).
    pub grant_key: String,
    pub token: Option<String>,
    pub fingerprint_prefix: Option<String>,
    pub agent: Option<String>,
    pub provider: String,
    pub host: String,
    pub method: String,
    pub path: String,
    pub rule: String,
    pub reason: String,
    pub operations: Vec<Operation>,
    /// The approver's view of the request
    /// (`scopegate_inspect::Inspector::approver_view`): the catalogued
    /// secrets already masked.
    pub request: Value,
}

/// How the operations and the request travel together as one JSON value,
/// `{"operations": [...], "request": {...}}`: the approval queue's `detail`
/// column and the dashboard API's `detail` field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldDetail {
    #[serde(default)]
    pub operations: Vec<Operation>,
    #[serde(default)]
    pub request: Value,
}

impl HeldRequest {
    /// The held request of `record` (its decision), bound by `grant_key`,
    /// with the approver's view of the request.
    pub fn of_record(record: &DecisionRecord, grant_key: String, request: Value) -> Self {
        Self {
            decision_id: record.id.clone(),
            grant_key,
            token: record.token.clone(),
            fingerprint_prefix: record.fingerprint_prefix.clone(),
            agent: record.agent.clone(),
            provider: record.provider.clone(),
            host: record.host.clone(),
            method: record.method.clone(),
            path: record.path.clone(),
            rule: record.rule.clone(),
            reason: record.reason.clone(),
            operations: record.operations.clone(),
            request,
        }
    }

    /// Operations and request as one JSON value (see [`HeldDetail`]).
    pub fn detail(&self) -> Value {
        serde_json::json!({
            "operations": self.operations,
            "request": self.request,
        })
    }

    /// Takes operations and request from a detail value.
    pub fn set_detail(&mut self, detail: HeldDetail) {
        self.operations = detail.operations;
        self.request = detail.request;
    }
}

impl HeldDetail {
    /// Reads a detail value; either part may be missing (then empty).
    pub fn from_value(v: Value) -> Result<Self, serde_json::Error> {
        if v.is_null() {
            return Ok(Self::default());
        }
        serde_json::from_value(v)
    }
}

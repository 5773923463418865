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
    /// The deciding rule's `note` from the scope map.
    pub rule_note: Option<String>,
    /// Why the agent says it sends the request (its `x-scopegate-reason`
    /// header): the agent's words, not verified.
    pub agent_reason: Option<String>,
    /// Who may approve it, from the deciding rule.
    pub who_decides: WhoDecides,
}

/// Who may approve a held request: how many different approvers, and
/// whether a dashboard user linked to the requesting token or agent may be
/// one of them. From the `approve` rule that held it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoDecides {
    pub approvers: u8,
    pub self_approval: bool,
}

impl Default for WhoDecides {
    fn default() -> Self {
        Self {
            approvers: 1,
            self_approval: true,
        }
    }
}

impl WhoDecides {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The most approvers a rule may require.
pub const MAX_APPROVERS: u8 = 5;

/// How the operations and the request travel together as one JSON value,
/// `{"operations": [...], "request": {...}}`: the approval queue's `detail`
/// column and the dashboard API's `detail` field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldDetail {
    #[serde(default)]
    pub operations: Vec<Operation>,
    #[serde(default)]
    pub request: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_reason: Option<String>,
    #[serde(default, skip_serializing_if = "WhoDecides::is_default")]
    pub who_decides: WhoDecides,
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
            rule_note: None,
            agent_reason: None,
            who_decides: WhoDecides::default(),
        }
    }

    /// Operations, request, rule note and agent reason as one JSON value
    /// (see [`HeldDetail`]).
    pub fn detail(&self) -> Value {
        let mut v = serde_json::json!({
            "operations": self.operations,
            "request": self.request,
        });
        if let Some(note) = &self.rule_note {
            v["rule_note"] = Value::from(note.as_str());
        }
        if let Some(reason) = &self.agent_reason {
            v["agent_reason"] = Value::from(reason.as_str());
        }
        if !self.who_decides.is_default() {
            v["who_decides"] = serde_json::to_value(self.who_decides).unwrap_or_default();
        }
        v
    }

    /// Takes operations, request, note and reason from a detail value.
    pub fn set_detail(&mut self, detail: HeldDetail) {
        self.operations = detail.operations;
        self.request = detail.request;
        self.rule_note = detail.rule_note;
        self.agent_reason = detail.agent_reason;
        self.who_decides = detail.who_decides;
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

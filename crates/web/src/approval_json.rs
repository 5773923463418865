//! An approval as the JSON API carries it: flat, with the held request's
//! operations and request under `detail`
//! (`{"operations": [...], "request": {...}}`), as before the held request
//! was typed. The grant key is never shown.

use scopegate_model::{ApprovalId, ApprovalState, DecisionId, HeldDetail, HeldRequest};
use scopegate_store::Approval;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The API's fields of an approval (the list adds `operations`, `summary`
/// and `link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalJson {
    pub id: ApprovalId,
    pub state: ApprovalState,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
    pub decision_id: DecisionId,
    pub attempts: i64,
    pub token: Option<String>,
    pub fingerprint_prefix: Option<String>,
    pub agent: Option<String>,
    pub provider: String,
    pub host: String,
    pub method: String,
    pub path: String,
    pub rule: String,
    pub reason: String,
    /// Operations with resources, and the masked request.
    pub detail: Value,
}

impl From<&Approval> for ApprovalJson {
    fn from(a: &Approval) -> Self {
        let h = &a.held;
        Self {
            id: a.id.clone(),
            state: a.state,
            created_ms: a.created_ms,
            expires_ms: a.expires_ms,
            decided_ms: a.decided_ms,
            decided_by: a.decided_by.clone(),
            note: a.note.clone(),
            decision_id: h.decision_id.clone(),
            attempts: a.attempts,
            token: h.token.clone(),
            fingerprint_prefix: h.fingerprint_prefix.clone(),
            agent: h.agent.clone(),
            provider: h.provider.clone(),
            host: h.host.clone(),
            method: h.method.clone(),
            path: h.path.clone(),
            rule: h.rule.clone(),
            reason: h.reason.clone(),
            detail: h.detail(),
        }
    }
}

impl ApprovalJson {
    /// The approval it shows. Its grant key is empty: the API never sends
    /// it. `Err` when `detail` is not operations and a request.
    pub fn into_approval(self) -> Result<Approval, serde_json::Error> {
        let mut held = HeldRequest {
            decision_id: self.decision_id,
            grant_key: String::new(),
            token: self.token,
            fingerprint_prefix: self.fingerprint_prefix,
            agent: self.agent,
            provider: self.provider,
            host: self.host,
            method: self.method,
            path: self.path,
            rule: self.rule,
            reason: self.reason,
            operations: Vec::new(),
            request: Value::Null,
            rule_note: None,
            agent_reason: None,
            who_decides: Default::default(),
        };
        held.set_detail(HeldDetail::from_value(self.detail)?);
        Ok(Approval {
            id: self.id,
            state: self.state,
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            decided_ms: self.decided_ms,
            decided_by: self.decided_by,
            note: self.note,
            attempts: self.attempts,
            held,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use scopegate_model::{OpClass, Operation};

    fn approval() -> Approval {
        let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
        op.add_resource("volumeId", "vol-1".into());
        Approval {
            id: "apr_1".into(),
            state: ApprovalState::Approved,
            created_ms: 1,
            expires_ms: 2,
            decided_ms: Some(3),
            decided_by: Some("alice".into()),
            note: Some("ok".into()),
            attempts: 2,
            held: HeldRequest {
                decision_id: "dec_1".into(),
                grant_key: "secret-ish key".into(),
                token: Some("t".into()),
                fingerprint_prefix: Some("abc".into()),
                agent: None,
                provider: "railway".into(),
                host: "backboard.railway.com".into(),
                method: "POST".into(),
                path: "/graphql/v2".into(),
                rule: "t/hold".into(),
                reason: "held".into(),
                operations: vec![op],
                request: serde_json::json!({"method": "POST"}),
                rule_note: None,
                agent_reason: None,
                who_decides: Default::default(),
            },
        }
    }

    #[test]
    fn the_api_keeps_the_fields_it_had_and_never_the_grant_key() {
        let v = serde_json::to_value(ApprovalJson::from(&approval())).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "id",
            "state",
            "created_ms",
            "expires_ms",
            "decided_ms",
            "decided_by",
            "note",
            "decision_id",
            "attempts",
            "token",
            "fingerprint_prefix",
            "agent",
            "provider",
            "host",
            "method",
            "path",
            "rule",
            "reason",
            "detail",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(v["state"], "approved");
        assert_eq!(v["id"], "apr_1");
        assert_eq!(v["decision_id"], "dec_1");
        assert_eq!(
            v["detail"],
            serde_json::json!({
                "operations": [{"provider": "railway", "name": "volumeDelete",
                    "class": "destructive", "resources": {"volumeId": ["vol-1"]}}],
                "request": {"method": "POST"}
            })
        );
        assert!(!v.to_string().contains("secret-ish key"));
    }

    #[test]
    fn the_client_reads_back_what_the_api_sent() {
        let a = approval();
        let json = serde_json::to_string(&ApprovalJson::from(&a)).unwrap();
        let back: ApprovalJson = serde_json::from_str(&json).unwrap();
        let mut want = a;
        want.held.grant_key = String::new();
        assert_eq!(back.into_approval().unwrap(), want);
    }
}

//! The refusal for a decided request: what the scope map (or a human)
//! decided, the operations and the rule, and what the agent should do, in
//! the shape its client understands.

use http::header::HeaderValue;
use http::{Response, StatusCode};
use scopegate_inspect::EndpointKind;
use scopegate_model::{ApprovalId, Decision, DecisionId, RuleRef, Verdict};
use serde_json::{Value, json};

use super::json::json_response;
use crate::body::Body;

const WHAT_TO_DO_DENY: &str = "Do not retry this request or look for another way to perform it (another token, endpoint, tool or host): that would be circumventing a security control. Stop and ask a human; if the operation is needed, they can change the scope map.";
const WHAT_TO_DO_APPROVE: &str = "This operation needs a human's approval. Do not retry it another way; stop and ask a human to approve it, then send the identical request again.";
const WHAT_TO_DO_GRANT_USED: &str = "Do not retry it another way. If this request is still needed, send the identical request again to ask a human for a new approval (each approval lets exactly one request through).";

/// A decided request that is not forwarded. The policy's decision is
/// carried as it was made; what the proxy adds is `why`.
#[derive(Debug)]
pub struct PolicyRefusal {
    pub endpoint: EndpointKind,
    pub decision: Decision,
    /// The decision record this refusal is (`x-scopegate-id`).
    pub id: DecisionId,
    pub why: Why,
}

/// What, beyond the policy's decision, this refusal is about.
#[derive(Debug)]
pub enum Why {
    /// The decision as made: deny, or approve with no approval queue.
    Decided,
    /// Allowed, but the real secret behind the presented surrogate could
    /// not be had (the sentence says which and where).
    NoSecret(String),
    /// Held, waiting for a human.
    Pending(ApprovalLink),
    /// A human rejected it.
    Rejected {
        approval: ApprovalLink,
        by: String,
        note: String,
    },
    /// A human approved it, and an identical request waiting on the same
    /// approval used its one-time grant.
    GrantUsed { approval: ApprovalLink, by: String },
    /// The body is over the limit: it was not read, so it is refused (413).
    TooLarge { max: usize },
}

impl Why {
    /// The status code, where it is not the policy's 403.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::TooLarge { .. } => Some(StatusCode::PAYLOAD_TOO_LARGE),
            _ => None,
        }
    }
}

/// The approval a refusal is about.
#[derive(Debug, Clone)]
pub struct ApprovalLink {
    pub id: ApprovalId,
    /// Where an approver decides it.
    pub link: String,
    /// How long a grant stays usable ("15 minutes").
    pub grant_window_hint: String,
}

impl PolicyRefusal {
    /// The verdict, rule and reason the agent is told: the policy's, except
    /// where a human rejected the request or its secret is missing.
    fn effective(&self) -> (Verdict, RuleRef, &str) {
        let d = &self.decision;
        match &self.why {
            Why::NoSecret(why) => (Verdict::Deny, RuleRef::builtin("surrogate"), why),
            Why::Rejected { .. } => (Verdict::Deny, d.rule.clone(), &d.reason),
            _ => (d.verdict, d.rule.clone(), &d.reason),
        }
    }

    pub(super) fn headline(&self) -> String {
        self.headline_and_advice().0
    }

    fn headline_and_advice(&self) -> (String, String) {
        let (verdict, _, reason) = self.effective();
        match &self.why {
            // The approver's note is their text, not scopegate's: it goes
            // in the details (`scopegate.approval.note`), never in the
            // message a client may rewrite.
            Why::Rejected { by, .. } => (
                format!(
                    "scopegate: a human rejected this request ({by}); their note is in the refusal's details — {reason}"
                ),
                WHAT_TO_DO_DENY.to_owned(),
            ),
            Why::TooLarge { max } => (
                format!("scopegate refused this request — {reason}"),
                format!(
                    "Send the request with a body of at most {max} bytes (split the work), or ask the scopegate operator; nothing was forwarded."
                ),
            ),
            Why::GrantUsed { approval, by } => (
                format!(
                    "scopegate: a human approved {} ({by}), and an identical request waiting on the same approval used its one-time grant; this request was not forwarded — {reason}",
                    approval.id
                ),
                WHAT_TO_DO_GRANT_USED.to_owned(),
            ),
            Why::Pending(a) => (
                format!(
                    "scopegate: this request is waiting for a human's approval ({}) — {reason}",
                    a.id
                ),
                format!(
                    "Do not retry it another way. Ask a human to approve {} at {}; once approved, send the identical request again within {}: it will pass once. Any other request (other arguments, another token) needs its own approval. To tell the approver why it is needed, send the request with the header `x-scopegate-reason: <one line>`.",
                    a.id, a.link, a.grant_window_hint
                ),
            ),
            Why::Decided | Why::NoSecret(_) if verdict == Verdict::Hold => (
                format!("scopegate: approval required — {reason}"),
                WHAT_TO_DO_APPROVE.to_owned(),
            ),
            Why::Decided | Why::NoSecret(_) => (
                format!("scopegate refused this request — {reason}"),
                WHAT_TO_DO_DENY.to_owned(),
            ),
        }
    }

    fn approval_json(&self) -> Value {
        let (a, state, by, note) = match &self.why {
            Why::Pending(a) => (a, "pending", None, None),
            Why::Rejected { approval, by, note } => (approval, "rejected", Some(by), Some(note)),
            Why::GrantUsed { approval, by } => (approval, "used", Some(by), None),
            Why::Decided | Why::NoSecret(_) | Why::TooLarge { .. } => return Value::Null,
        };
        json!({ "id": a.id, "state": state, "link": a.link, "decided_by": by, "note": note })
    }

    fn operations_json(&self) -> Vec<Value> {
        self.decision
            .operations
            .iter()
            .map(|o| {
                json!({
                    "operation": o.operation.qualified_name(),
                    "class": o.operation.class,
                    "resources": o.operation.resources,
                    "verdict": o.verdict,
                    "rule": o.rule,
                    "reason": o.reason,
                })
            })
            .collect()
    }

    /// The refusal as one GraphQL error (`message`, and `extensions` with
    /// `code` and the `scopegate` details): the `errors` element of a
    /// GraphQL refusal, and what a WebSocket `error` message carries.
    pub fn graphql_error(&self) -> Value {
        let (message, detail) = self.message_and_detail();
        json!({
            "message": message,
            "extensions": { "code": "SCOPEGATE_REFUSED", "scopegate": detail },
        })
    }

    fn message_and_detail(&self) -> (String, Value) {
        let (headline, what_to_do) = self.headline_and_advice();
        let (verdict, rule, reason) = self.effective();
        let detail = json!({
            "approval": self.approval_json(),
            "decision": verdict,
            "decision_id": self.id,
            "rule": rule,
            "reason": reason,
            "token": self.decision.token,
            "operations": self.operations_json(),
            "what_to_do": what_to_do,
        });
        let message = super::phrases::defused(&format!("{headline}. {what_to_do}"));
        (message, detail)
    }

    pub(super) fn into_response(self, status: StatusCode) -> Response<Body> {
        let (verdict, _, _) = self.effective();
        let (message, detail) = self.message_and_detail();
        let aws = super::aws::response(self.endpoint, status, &message, self.id.as_str(), &detail);
        let body = match self.endpoint {
            EndpointKind::Graphql => json!({
                "errors": [{
                    "message": message,
                    "extensions": { "code": "SCOPEGATE_REFUSED", "scopegate": detail },
                }],
                "data": null,
            }),
            // The envelope Cloudflare-style clients read `errors[].message`
            // from; 9109 is "unauthorized to access requested resource".
            EndpointKind::RestErrorsList => json!({
                "success": false,
                "errors": [{ "code": 9109, "message": message }],
                "messages": [],
                "result": null,
                "scopegate": detail,
            }),
            // The shape Vercel-style clients read `error.message` from.
            EndpointKind::RestErrorObject => json!({
                "error": { "code": "forbidden", "message": message },
                "scopegate": detail,
            }),
            _ => json!({ "message": message, "scopegate": detail }),
        };
        let mut resp = aws.unwrap_or_else(|| json_response(status, &body));
        let h = resp.headers_mut();
        h.insert(
            "x-scopegate-decision",
            HeaderValue::from_static(verdict.as_str()),
        );
        if let Ok(v) = HeaderValue::from_str(self.id.as_str()) {
            h.insert("x-scopegate-id", v);
        }
        resp
    }
}

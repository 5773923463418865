//! Every response scopegate makes itself: refusals shaped like the API's own
//! errors (a GraphQL `errors` array for GraphQL endpoints, JSON for REST),
//! and the one place failures become status codes, by whose fault they were.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use scopegate_inspect::EndpointKind;
use scopegate_model::{Decision, Verdict};
use serde_json::json;

pub type Body = BoxBody<Bytes, hyper::Error>;

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

pub fn empty() -> Body {
    full(Bytes::new())
}

const WHAT_TO_DO_DENY: &str = "Do not retry this request or look for another way to perform it (another token, endpoint, tool or host): that would be circumventing a security control. Stop and ask a human; if the operation is needed, they can change the scope map.";
const WHAT_TO_DO_APPROVE: &str = "This operation needs a human's approval. Do not retry it another way; stop and ask a human to approve it, then send the identical request again.";

/// The approval a refusal is about.
#[derive(Debug, Clone)]
pub struct ApprovalInfo {
    pub id: String,
    pub link: String,
    /// `pending`, `rejected`, or `used` (approved, and the one-time grant
    /// used by an identical request that waited on the same approval).
    pub state: &'static str,
    pub decided_by: Option<String>,
    pub note: Option<String>,
    pub grant_window_hint: String,
}

/// A refusal for a decided request (deny, or approve while approvals are
/// not available), with `x-scopegate-decision` and `x-scopegate-id`.
pub fn refusal(endpoint: EndpointKind, d: &Decision, id: &str) -> Response<Body> {
    refusal_with(endpoint, d, id, None)
}

/// A refusal, optionally about a held request's approval.
pub fn refusal_with(
    endpoint: EndpointKind,
    d: &Decision,
    id: &str,
    approval: Option<&ApprovalInfo>,
) -> Response<Body> {
    let ops: Vec<_> = d
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
        .collect();
    let (headline, what_to_do) = match (d.verdict, approval) {
        (_, Some(a)) if a.state == "rejected" => (
            format!(
                "scopegate: a human rejected this request ({}){} — {}",
                a.decided_by.as_deref().unwrap_or("approver"),
                a.note
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(|n| format!(": \"{n}\""))
                    .unwrap_or_default(),
                d.reason
            ),
            WHAT_TO_DO_DENY.to_owned(),
        ),
        (_, Some(a)) if a.state == "used" => (
            format!(
                "scopegate: a human approved {} ({}), and an identical request waiting on the same approval used its one-time grant; this request was not forwarded — {}",
                a.id,
                a.decided_by.as_deref().unwrap_or("approver"),
                d.reason
            ),
            "Do not retry it another way. If this request is still needed, send the identical request again to ask a human for a new approval (each approval lets exactly one request through).".to_owned(),
        ),
        (_, Some(a)) => (
            format!(
                "scopegate: this request is waiting for a human's approval ({}) — {}",
                a.id, d.reason
            ),
            format!(
                "Do not retry it another way. Ask a human to approve {} at {}; once approved, send the identical request again within {}: it will pass once. Any other request (other arguments, another token) needs its own approval.",
                a.id, a.link, a.grant_window_hint
            ),
        ),
        (Verdict::Approve, None) => (
            format!("scopegate: approval required — {}", d.reason),
            WHAT_TO_DO_APPROVE.to_owned(),
        ),
        _ => (
            format!("scopegate refused this request — {}", d.reason),
            WHAT_TO_DO_DENY.to_owned(),
        ),
    };
    let approval_json = approval.map(|a| {
        json!({ "id": a.id, "state": a.state, "link": a.link, "decided_by": a.decided_by, "note": a.note })
    });
    let detail = json!({
        "approval": approval_json,
        "decision": d.verdict,
        "decision_id": id,
        "rule": d.rule,
        "reason": d.reason,
        "token": d.token,
        "operations": ops,
        "what_to_do": what_to_do,
    });
    let body = match endpoint {
        EndpointKind::Graphql => json!({
            "errors": [{
                "message": format!("{headline}. {what_to_do}"),
                "extensions": { "code": "SCOPEGATE_REFUSED", "scopegate": detail },
            }],
            "data": null,
        }),
        _ => json!({
            "message": format!("{headline}. {what_to_do}"),
            "scopegate": detail,
        }),
    };
    let mut resp = json_response(StatusCode::FORBIDDEN, &body);
    let h = resp.headers_mut();
    h.insert(
        "x-scopegate-decision",
        HeaderValue::from_static(d.verdict.as_str()),
    );
    if let Ok(v) = HeaderValue::from_str(id) {
        h.insert("x-scopegate-id", v);
    }
    resp
}

/// A response scopegate makes for a problem that is not a policy decision.
pub fn problem(status: StatusCode, message: &str) -> Response<Body> {
    json_response(
        status,
        &json!({ "message": format!("scopegate: {message}"), "scopegate": { "status": status.as_u16() } }),
    )
}

fn json_response(status: StatusCode, v: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(full(v.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// 407 asking for proxy credentials.
pub fn proxy_auth_required() -> Response<Body> {
    let mut r = problem(
        StatusCode::PROXY_AUTHENTICATION_REQUIRED,
        "proxy authentication required: set HTTPS_PROXY=http://AGENT:KEY@host:port",
    );
    r.headers_mut().insert(
        "proxy-authenticate",
        HeaderValue::from_static("Basic realm=\"scopegate\""),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use scopegate_model::{Mode, OpClass, Operation, OperationVerdict, RuleRef};

    fn decision(v: Verdict) -> Decision {
        let op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
        Decision {
            verdict: v,
            mode: Mode::Enforce,
            rule: RuleRef("t/hold".into()),
            reason: "railway:volumeDelete (destructive) matched rule `hold`".into(),
            token: Some("t".into()),
            operations: vec![OperationVerdict {
                operation: op,
                verdict: v,
                rule: RuleRef("t/hold".into()),
                reason: "r".into(),
            }],
        }
    }

    async fn body_json(r: Response<Body>) -> serde_json::Value {
        let b = r.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&b).unwrap()
    }

    #[tokio::test]
    async fn graphql_refusals_are_errors_arrays() {
        let r = refusal(EndpointKind::Graphql, &decision(Verdict::Deny), "dec_1");
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()["x-scopegate-decision"], "deny");
        assert_eq!(r.headers()["x-scopegate-id"], "dec_1");
        let v = body_json(r).await;
        assert!(v["data"].is_null());
        let e = &v["errors"][0];
        assert!(e["message"].as_str().unwrap().contains("ask a human"));
        assert_eq!(e["extensions"]["scopegate"]["decision_id"], "dec_1");
        assert_eq!(e["extensions"]["scopegate"]["rule"], "t/hold");
        assert_eq!(
            e["extensions"]["scopegate"]["operations"][0]["operation"],
            "railway:volumeDelete"
        );
    }

    #[tokio::test]
    async fn a_grant_used_by_an_identical_request_is_not_called_pending() {
        let info = ApprovalInfo {
            id: "apr_1".into(),
            link: "http://d/approvals/apr_1".into(),
            state: "used",
            decided_by: Some("alice".into()),
            note: None,
            grant_window_hint: "60 seconds".into(),
        };
        let r = refusal_with(
            EndpointKind::Rest,
            &decision(Verdict::Approve),
            "dec_3",
            Some(&info),
        );
        let v = body_json(r).await;
        let m = v["message"].as_str().unwrap();
        assert!(m.contains("a human approved apr_1 (alice)"), "{m}");
        assert!(m.contains("used its one-time grant"), "{m}");
        assert!(m.contains("send the identical request again"), "{m}");
        assert!(!m.contains("waiting for a human"), "{m}");
        assert_eq!(v["scopegate"]["approval"]["state"], "used");
    }

    #[tokio::test]
    async fn rest_refusals_have_a_message() {
        let r = refusal(EndpointKind::Rest, &decision(Verdict::Approve), "dec_2");
        assert_eq!(r.headers()["x-scopegate-decision"], "approve");
        let v = body_json(r).await;
        assert!(v["message"].as_str().unwrap().contains("approval required"));
        assert_eq!(v["scopegate"]["decision"], "approve");
    }
}

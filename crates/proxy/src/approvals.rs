//! Holding requests for a human: the seam to the approval queue, the grant
//! key that binds an approval to exactly one request, and the redacted view
//! of a request an approver sees.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use scopegate_inspect::EndpointKind;
use serde_json::{Map, Value, json};
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

/// The approval queue, as the proxy uses it.
pub trait Approvals: Send + Sync + 'static {
    /// Uses an approved, unused grant for exactly this request; returns the
    /// approval id.
    fn take_grant(&self, grant_key: String) -> BoxFut<Result<Option<String>, String>>;
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
/// fingerprint and the request digest (method, host, target, body).
pub fn grant_key(fingerprint_hex: &str, request_digest: &str) -> String {
    let mut h = Sha256::new();
    h.update(fingerprint_hex.as_bytes());
    h.update(b"\n");
    h.update(request_digest.as_bytes());
    scopegate_model::hex(&h.finalize())
}

use scopegate_inspect::redact::{MASK, mask_json, secret_name as secret_key};

/// String literals after a secret-looking argument name in a document
/// (`value: "s3cret"`) are masked too.
fn mask_document(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let b = doc.as_bytes();
    let mut i = 0;
    let mut last_name = String::new();
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            // find the end of the string (block strings handled as plain)
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            if secret_key(&last_name) {
                out.push('"');
                out.push_str(MASK);
                out.push('"');
            } else {
                out.push_str(&doc[start..i]);
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            last_name = doc[start..i].to_owned();
            out.push_str(&doc[start..i]);
            continue;
        }
        if !(c == b':' || c.is_ascii_whitespace()) {
            last_name.clear();
        }
        let ch = doc[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The redacted request an approver sees: for GraphQL the documents,
/// variables and operation names with secret values masked; for REST only
/// method and path (bodies can carry anything).
pub fn redacted_request(endpoint: EndpointKind, method: &str, path: &str, body: &[u8]) -> Value {
    if endpoint == EndpointKind::Graphql {
        let parsed = scopegate_inspect::parse_strict_json(body).ok();
        let items: Vec<Value> = match parsed {
            Some(Value::Array(a)) => a,
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        let gql: Vec<Value> = items
            .iter()
            .map(|i| {
                json!({
                    "query": i.get("query").and_then(Value::as_str).map(mask_document),
                    "variables": mask_json(i.get("variables").unwrap_or(&Value::Object(Map::new())), 1),
                    "operationName": i.get("operationName"),
                })
            })
            .collect();
        return json!({ "method": method, "path": path, "graphql": gql });
    }
    json!({ "method": method, "path": path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_ids_kept() {
        let body = br#"{"query":"mutation { variableUpsert(input: {name: \"DB\", value: \"s3cret\", environmentId: \"env-1\"}) }","variables":{"input":{"projectId":"p-1","value":"hunter2","variables":{"A":"b"}},"id":"vol-1"}}"#;
        let v = redacted_request(EndpointKind::Graphql, "POST", "/graphql/v2", body);
        let text = v.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("hunter2") && !text.contains("\"b\""),
            "{text}"
        );
        assert!(
            text.contains("env-1")
                && text.contains("p-1")
                && text.contains("vol-1")
                && text.contains("name: \\\"DB\\\""),
            "{text}"
        );
        let rest = redacted_request(
            EndpointKind::Rest,
            "PUT",
            "/repos/a/b/contents/x",
            b"{\"content\":\"secret\"}",
        );
        assert!(!rest.to_string().contains("secret"));
    }

    #[test]
    fn grant_keys_differ_by_request_and_token() {
        assert_ne!(grant_key("a", "d1"), grant_key("a", "d2"));
        assert_ne!(grant_key("a", "d1"), grant_key("b", "d1"));
        assert_eq!(grant_key("a", "d1"), grant_key("a", "d1"));
    }
}

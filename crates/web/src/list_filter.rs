//! Which approvals a list asks for beyond their state: by operation, by
//! token, by resource, so two pending `volumeDelete`s can be told apart.
//! Pure: matched against what the proxy stored with each approval.

use scopegate_store::Approval;
use serde_json::{Map, Value, json};

use crate::view::{self, OpView};

/// With `operation`, `token` or `resource`, a list looks at this many of
/// the newest approvals (of the state asked for) at most, and says
/// `"truncated": true` when there were more it did not look at.
pub const FILTER_SCAN: i64 = 5000;

/// `operation=railway:volumeDelete` (or `volumeDelete`, any provider),
/// `token=NAME`, `resource=KIND=VALUE` (or `resource=VALUE`, any kind).
/// Every filter given must match; an operation filter and a resource
/// filter must match the same operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub operation: Option<String>,
    pub token: Option<String>,
    pub resource: Option<(Option<String>, String)>,
}

impl ListFilter {
    /// From the query's values; empty ones are no filter.
    pub fn new(operation: Option<&str>, token: Option<&str>, resource: Option<&str>) -> Self {
        let given = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);
        Self {
            operation: given(operation),
            token: given(token),
            resource: given(resource).map(|r| match r.split_once('=') {
                Some((kind, value)) => (Some(kind.to_owned()), value.to_owned()),
                None => (None, r),
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    pub fn matches(&self, a: &Approval) -> bool {
        if let Some(t) = &self.token
            && a.held.token.as_deref() != Some(t.as_str())
        {
            return false;
        }
        if self.operation.is_none() && self.resource.is_none() {
            return true;
        }
        view::operations(a)
            .iter()
            .any(|o| self.operation_matches(o) && self.resource_matches(o))
    }

    fn operation_matches(&self, o: &OpView) -> bool {
        match &self.operation {
            None => true,
            Some(want) if want.contains(':') => o.qualified() == *want,
            Some(want) => o.name == *want,
        }
    }

    fn resource_matches(&self, o: &OpView) -> bool {
        let Some((kind, value)) = &self.resource else {
            return true;
        };
        o.resources.iter().any(|(k, vs)| {
            kind.as_ref().is_none_or(|want| want == k) && vs.iter().any(|v| v == value)
        })
    }
}

/// An approval's operations as the API lists them:
/// `[{"operation": "railway:volumeDelete", "class": "destructive",
/// "resources": {"volumeId": ["vol-123"]}}]`.
pub fn operations_json(a: &Approval) -> Value {
    Value::Array(
        view::operations(a)
            .iter()
            .map(|o| {
                let resources: Map<String, Value> = o
                    .resources
                    .iter()
                    .map(|(k, vs)| (k.clone(), json!(vs)))
                    .collect();
                json!({
                    "operation": o.qualified(),
                    "class": o.class,
                    "resources": resources,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(token: &str, ops: Value) -> Approval {
        Approval {
            id: "apr_1".into(),
            state: scopegate_model::ApprovalState::Pending,
            created_ms: 0,
            expires_ms: 0,
            decided_ms: None,
            decided_by: None,
            note: None,
            attempts: 1,
            held: scopegate_model::HeldRequest {
                decision_id: "dec_1".into(),
                grant_key: String::new(),
                token: Some(token.into()),
                fingerprint_prefix: None,
                agent: None,
                provider: "railway".into(),
                host: "backboard.railway.com".into(),
                method: "POST".into(),
                path: "/graphql/v2".into(),
                rule: "r".into(),
                reason: "r".into(),
                operations: serde_json::from_value(ops).unwrap_or_default(),
                request: Value::Null,
                rule_note: None,
                agent_reason: None,
                who_decides: Default::default(),
            },
        }
    }

    fn two_ops() -> Approval {
        approval(
            "railway-domains",
            json!([
                {"provider": "railway", "name": "volumeDelete", "class": "destructive",
                 "resources": {"volumeId": ["vol-1"]}},
                {"provider": "railway", "name": "serviceDelete", "class": "destructive",
                 "resources": {"serviceId": ["svc-9"]}},
            ]),
        )
    }

    fn f(op: Option<&str>, token: Option<&str>, res: Option<&str>) -> bool {
        ListFilter::new(op, token, res).matches(&two_ops())
    }

    #[test]
    fn each_filter_alone() {
        assert!(f(None, None, None));
        assert!(f(Some("railway:volumeDelete"), None, None));
        assert!(
            f(Some("volumeDelete"), None, None),
            "a bare name, any provider"
        );
        assert!(!f(Some("github:volumeDelete"), None, None));
        assert!(!f(Some("railway:volume"), None, None), "no prefix match");
        assert!(f(None, Some("railway-domains"), None));
        assert!(!f(None, Some("railway"), None));
        assert!(f(None, None, Some("volumeId=vol-1")));
        assert!(f(None, None, Some("vol-1")), "a value of any kind");
        assert!(
            !f(None, None, Some("serviceId=vol-1")),
            "the kind must match"
        );
        assert!(!f(None, None, Some("vol-")), "no prefix match");
    }

    #[test]
    fn operation_and_resource_match_one_operation() {
        assert!(f(Some("railway:volumeDelete"), None, Some("vol-1")));
        assert!(
            !f(Some("railway:volumeDelete"), None, Some("svc-9")),
            "svc-9 belongs to the serviceDelete"
        );
        assert!(!f(
            Some("railway:volumeDelete"),
            Some("other"),
            Some("vol-1")
        ));
    }

    #[test]
    fn empty_values_are_no_filter() {
        assert!(ListFilter::new(Some(""), Some(""), Some("")).is_empty());
    }

    #[test]
    fn operations_are_listed_with_their_resources() {
        assert_eq!(
            operations_json(&two_ops()),
            json!([
                {"operation": "railway:volumeDelete", "class": "destructive",
                 "resources": {"volumeId": ["vol-1"]}},
                {"operation": "railway:serviceDelete", "class": "destructive",
                 "resources": {"serviceId": ["svc-9"]}},
            ])
        );
    }
}

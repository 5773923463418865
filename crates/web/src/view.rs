//! What an approval asks for, in forms a person reads: operations with
//! their class and resources, a one-line summary, and the GraphQL documents
//! with their variables, as the proxy read them. The proxy masked the
//! secrets the catalogue names before storing the request; nothing is
//! masked here by name, because a name a client chose decides nothing.
//! Everything returned is plain text: the pages escape it.

use scopegate_model::Operation;
use serde_json::Value;

use scopegate_store::Approval;

pub use scopegate_inspect::redact::MASK;

/// One operation of a held request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpView {
    pub provider: String,
    pub name: String,
    pub class: String,
    pub resources: Vec<(String, Vec<String>)>,
    pub note: Option<String>,
}

impl OpView {
    /// `railway:volumeDelete`
    pub fn qualified(&self) -> String {
        if self.provider.is_empty() {
            self.name.clone()
        } else {
            format!("{}:{}", self.provider, self.name)
        }
    }

    /// `volumeId vol-123, environmentId env-1`
    pub fn resources_text(&self) -> String {
        self.resources
            .iter()
            .map(|(k, vs)| format!("{k} {}", vs.join(" | ")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl OpView {
    /// `o` as shown; an operation without a provider is the request's.
    fn of(o: &Operation, provider: &str) -> Self {
        Self {
            provider: if o.provider.is_empty() {
                provider.to_owned()
            } else {
                o.provider.clone()
            },
            name: o.name.clone(),
            class: o.class.as_str().to_owned(),
            resources: o
                .resources
                .iter()
                .map(|(k, vs)| (k.clone(), vs.clone()))
                .collect(),
            note: o.note.clone(),
        }
    }
}

/// The operations the held request asked for.
pub fn operations(a: &Approval) -> Vec<OpView> {
    a.held
        .operations
        .iter()
        .map(|o| OpView::of(o, &a.held.provider))
        .collect()
}

/// "railway:volumeDelete — destructive — volumeId vol-123 — token
/// railway-domains — agent claude"; one clause per operation, then who.
pub fn summary(a: &Approval) -> String {
    let ops = operations(a);
    let h = &a.held;
    let mut parts: Vec<String> = Vec::new();
    if ops.is_empty() {
        parts.push(format!("{} {} {}", h.provider, h.method, h.path));
    }
    for o in &ops {
        let mut s = o.qualified();
        if !o.class.is_empty() {
            s.push_str(" — ");
            s.push_str(&o.class);
        }
        let r = o.resources_text();
        if !r.is_empty() {
            s.push_str(" — ");
            s.push_str(&r);
        }
        parts.push(s);
    }
    parts.push(format!(
        "token {}",
        h.token.as_deref().unwrap_or("(unknown token)")
    ));
    if let Some(agent) = &h.agent {
        parts.push(format!("agent {agent}"));
    }
    parts.join(" — ")
}

/// The blast radius of the held request in sentences (see
/// [`crate::blast_radius`]), from its operations' resolved attributes and
/// the catalogue's hints.
/// An operation without a provider is the request's, as in [`operations`].
pub fn blast(a: &Approval, now_ms: i64) -> Vec<crate::blast_radius::Sentence> {
    let mut ops = a.held.operations.clone();
    for o in ops.iter_mut().filter(|o| o.provider.is_empty()) {
        o.provider.clone_from(&a.held.provider);
    }
    crate::blast_radius::describe_bundled(&ops, now_ms)
}

/// [`blast`] as the dashboard's HTML block (escaped); empty when there is
/// nothing to say.
pub fn blast_html(a: &Approval, now_ms: i64) -> String {
    crate::blast_radius::html_block(&blast(a, now_ms))
}

/// The most severe class among the operations, for a badge.
pub fn top_class(ops: &[OpView]) -> &str {
    ["destructive", "unknown", "write", "read"]
        .into_iter()
        .find(|c| ops.iter().any(|o| o.class == *c))
        .unwrap_or("")
}

/// One GraphQL document from the request, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlView {
    pub operation_name: Option<String>,
    /// Pretty-printed when it parses; as sent otherwise.
    pub document: String,
    pub parsed: bool,
    /// Pretty JSON, or empty when there are none.
    pub variables: String,
}

/// The GraphQL documents of a held request, as the proxy read them: its
/// secrets were masked there, by the catalogue, and nothing else may be
/// (a value under a name like `target_env` decides what runs).
pub fn graphql(a: &Approval) -> Vec<GraphqlView> {
    let Some(items) = a.held.request.get("graphql").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|i| {
            let (document, parsed) = match i.get("document").and_then(Value::as_str) {
                Some(d) => (
                    d.trim_end().to_owned(),
                    i.get("parsed").and_then(Value::as_bool).unwrap_or(false),
                ),
                // Stored before the proxy rendered documents itself.
                None => {
                    let query = i.get("query").and_then(Value::as_str).unwrap_or("");
                    match pretty_graphql(query) {
                        Some(p) => (p, true),
                        None => (query.to_owned(), false),
                    }
                }
            };
            let variables = match i.get("variables") {
                None | Some(Value::Null) => String::new(),
                Some(Value::Object(m)) if m.is_empty() => String::new(),
                Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
            };
            GraphqlView {
                operation_name: i
                    .get("operationName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                document,
                parsed,
                variables,
            }
        })
        .collect()
}

/// The rest of the held request (content type and encoding, query, a REST
/// body: anything but the GraphQL documents), pretty JSON.
pub fn request_extra(a: &Approval) -> String {
    match &a.held.request {
        Value::Object(m) => {
            let rest: serde_json::Map<String, Value> = m
                .iter()
                // Method and path are shown with who asked; GraphQL on its own.
                .filter(|(k, _)| !matches!(k.as_str(), "graphql" | "method" | "path"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if rest.is_empty() {
                String::new()
            } else {
                serde_json::to_string_pretty(&Value::Object(rest)).unwrap_or_default()
            }
        }
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// Parses and re-prints a GraphQL document (two-space indentation).
pub fn pretty_graphql(query: &str) -> Option<String> {
    if query.len() > 256 * 1024 {
        return None;
    }
    let doc = graphql_parser::query::parse_query::<String>(query).ok()?;
    Some(doc.to_string().trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn approval(detail: Value) -> Approval {
        let mut held = scopegate_model::HeldRequest {
            decision_id: "dec_1".into(),
            grant_key: String::new(),
            token: Some("railway-domains".into()),
            fingerprint_prefix: None,
            agent: Some("claude".into()),
            provider: "railway".into(),
            host: "backboard.railway.com".into(),
            method: "POST".into(),
            path: "/graphql/v2".into(),
            rule: "railway-domains/hold-destructive".into(),
            reason: "held".into(),
            operations: Vec::new(),
            request: Value::Null,
            rule_note: None,
            agent_reason: None,
            who_decides: Default::default(),
        };
        held.set_detail(scopegate_model::HeldDetail::from_value(detail).unwrap());
        Approval {
            id: "apr_1".into(),
            state: scopegate_model::ApprovalState::Pending,
            created_ms: 0,
            expires_ms: 0,
            decided_ms: None,
            decided_by: None,
            note: None,
            attempts: 1,
            held,
        }
    }

    #[test]
    fn an_operation_without_a_provider_gets_the_requests_hints() {
        let a = approval(serde_json::json!({"operations": [
            {"provider": "", "name": "volumeDelete", "class": "destructive", "resources": {"volumeId": ["vol-1"]}}
        ]}));
        let said: Vec<String> = blast(&a, 0).iter().map(|s| s.plain()).collect();
        assert_eq!(
            said[0],
            "Delete volume `vol-1` (its backups are deleted with it)."
        );
    }

    #[test]
    fn summary_in_plain_words() {
        let a = approval(serde_json::json!({"operations": [
            {"provider": "railway", "name": "volumeDelete", "class": "destructive", "resources": {"volumeId": ["vol-123"]}}
        ]}));
        assert_eq!(
            summary(&a),
            "railway:volumeDelete — destructive — volumeId vol-123 — token railway-domains — agent claude"
        );
    }

    #[test]
    fn graphql_is_shown_as_read_with_nothing_masked_by_name() {
        let a = approval(
            serde_json::json!({"request": {"method": "POST", "graphql": [{
            "document": "mutation($target_env: String!) {\n  volumeDelete(volumeId: $target_env)\n}\n",
            "parsed": true,
            "variables": {"target_env": "vol-prod-db-1", "value": "shown", "token": "t"},
            "operationName": null
        }], "content_type": "application/json"}}),
        );
        let g = graphql(&a);
        assert_eq!(g.len(), 1);
        assert!(g[0].parsed);
        assert!(
            g[0].document
                .ends_with("volumeDelete(volumeId: $target_env)\n}"),
            "{}",
            g[0].document
        );
        for v in ["vol-prod-db-1", "shown", "\"t\""] {
            assert!(g[0].variables.contains(v), "{v} in {}", g[0].variables);
        }
        assert!(request_extra(&a).contains("application/json"));
    }

    #[test]
    fn unparsable_documents_are_kept_as_sent() {
        let a =
            approval(serde_json::json!({"request": {"graphql": [{"query": "mutation { oops("}]}}));
        let g = graphql(&a);
        assert!(!g[0].parsed);
        assert_eq!(g[0].document, "mutation { oops(");
    }
}

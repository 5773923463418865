//! What an approval asks for, in forms a person reads: operations with
//! their class and resources, a one-line summary, and the GraphQL documents
//! pretty-printed with their variables. The proxy already masks secrets in
//! the stored request; values under secret-looking names are masked here
//! again in case a stored request predates that or a name slipped by.
//! Everything returned is plain text: the pages escape it.

use serde_json::Value;

use scopegate_store::Approval;

use scopegate_inspect::redact::mask_json;
pub use scopegate_inspect::redact::{MASK, secret_name};

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

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The operations in an approval's detail; lenient about shape.
pub fn operations(a: &Approval) -> Vec<OpView> {
    let Some(ops) = a.detail.get("operations").and_then(Value::as_array) else {
        return Vec::new();
    };
    ops.iter()
        .map(|o| {
            let resources = match o.get("resources") {
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| {
                        let vals = match v {
                            Value::Array(vs) => vs.iter().map(|x| text(Some(x))).collect(),
                            other => vec![text(Some(other))],
                        };
                        (k.clone(), vals)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let provider = match text(o.get("provider")) {
                p if p.is_empty() => a.provider.clone(),
                p => p,
            };
            OpView {
                provider,
                name: text(o.get("name")),
                class: text(o.get("class")),
                resources,
                note: o.get("note").and_then(Value::as_str).map(str::to_owned),
            }
        })
        .collect()
}

/// "railway:volumeDelete — destructive — volumeId vol-123 — token
/// railway-domains — agent claude"; one clause per operation, then who.
pub fn summary(a: &Approval) -> String {
    let ops = operations(a);
    let mut parts: Vec<String> = Vec::new();
    if ops.is_empty() {
        parts.push(format!("{} {} {}", a.provider, a.method, a.path));
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
        a.token.as_deref().unwrap_or("(unknown token)")
    ));
    if let Some(agent) = &a.agent {
        parts.push(format!("agent {agent}"));
    }
    parts.join(" — ")
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

/// The GraphQL documents of an approval's redacted request.
pub fn graphql(a: &Approval) -> Vec<GraphqlView> {
    let Some(items) = a
        .detail
        .get("request")
        .and_then(|r| r.get("graphql"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    items
        .iter()
        .map(|i| {
            let query = i.get("query").and_then(Value::as_str).unwrap_or("");
            let (document, parsed) = match pretty_graphql(query) {
                Some(p) => (p, true),
                None => (query.to_owned(), false),
            };
            let variables = match i.get("variables") {
                None | Some(Value::Null) => String::new(),
                Some(Value::Object(m)) if m.is_empty() => String::new(),
                Some(v) => serde_json::to_string_pretty(&mask_json(v, 0)).unwrap_or_default(),
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

/// The rest of the redacted request (method, path, anything but the
/// GraphQL documents), pretty JSON.
pub fn request_extra(a: &Approval) -> String {
    match a.detail.get("request") {
        Some(Value::Object(m)) => {
            let rest: serde_json::Map<String, Value> = m
                .iter()
                // Method and path are shown with who asked; GraphQL on its own.
                .filter(|(k, _)| !matches!(k.as_str(), "graphql" | "method" | "path"))
                .map(|(k, v)| (k.clone(), mask_json(v, 1)))
                .collect();
            if rest.is_empty() {
                String::new()
            } else {
                serde_json::to_string_pretty(&Value::Object(rest)).unwrap_or_default()
            }
        }
        Some(Value::Null) | None => String::new(),
        Some(other) => serde_json::to_string_pretty(&mask_json(other, 1)).unwrap_or_default(),
    }
}

type Doc<'a> = graphql_parser::query::Document<'a, String>;
type GValue<'a> = graphql_parser::query::Value<'a, String>;
type GSelectionSet<'a> = graphql_parser::query::SelectionSet<'a, String>;

/// Parses and re-prints a GraphQL document (two-space indentation), with
/// string literals under secret-looking argument or field names masked.
pub fn pretty_graphql(query: &str) -> Option<String> {
    if query.len() > 256 * 1024 {
        return None;
    }
    let mut doc: Doc<'_> = graphql_parser::query::parse_query::<String>(query).ok()?;
    for def in &mut doc.definitions {
        use graphql_parser::query::{Definition, OperationDefinition};
        match def {
            Definition::Operation(OperationDefinition::SelectionSet(s)) => mask_selection(s),
            Definition::Operation(OperationDefinition::Query(q)) => {
                for v in &mut q.variable_definitions {
                    if let Some(d) = &mut v.default_value {
                        mask_gvalue(d, secret_name(&v.name));
                    }
                }
                mask_selection(&mut q.selection_set);
            }
            Definition::Operation(OperationDefinition::Mutation(m)) => {
                for v in &mut m.variable_definitions {
                    if let Some(d) = &mut v.default_value {
                        mask_gvalue(d, secret_name(&v.name));
                    }
                }
                mask_selection(&mut m.selection_set);
            }
            Definition::Operation(OperationDefinition::Subscription(s)) => {
                mask_selection(&mut s.selection_set)
            }
            Definition::Fragment(f) => mask_selection(&mut f.selection_set),
        }
    }
    Some(doc.to_string().trim_end().to_owned())
}

fn mask_selection(s: &mut GSelectionSet<'_>) {
    use graphql_parser::query::Selection;
    for item in &mut s.items {
        match item {
            Selection::Field(f) => {
                for (name, v) in &mut f.arguments {
                    mask_gvalue(v, secret_name(name));
                }
                mask_selection(&mut f.selection_set);
            }
            Selection::InlineFragment(i) => mask_selection(&mut i.selection_set),
            Selection::FragmentSpread(_) => {}
        }
    }
}

fn mask_gvalue(v: &mut GValue<'_>, secret: bool) {
    match v {
        GValue::String(s) if secret && s != MASK => *s = MASK.to_owned(),
        GValue::Int(_) | GValue::Float(_) if secret => *v = GValue::String(MASK.to_owned()),
        GValue::List(items) => items.iter_mut().for_each(|x| mask_gvalue(x, secret)),
        GValue::Object(m) => {
            for (k, x) in m.iter_mut() {
                mask_gvalue(x, secret || secret_name(k));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn approval(detail: Value) -> Approval {
        Approval {
            id: "apr_1".into(),
            grant_key: String::new(),
            state: "pending".into(),
            created_ms: 0,
            expires_ms: 0,
            decided_ms: None,
            decided_by: None,
            note: None,
            decision_id: "dec_1".into(),
            attempts: 1,
            token: Some("railway-domains".into()),
            fingerprint_prefix: None,
            agent: Some("claude".into()),
            provider: "railway".into(),
            host: "backboard.railway.com".into(),
            method: "POST".into(),
            path: "/graphql/v2".into(),
            rule: "railway-domains/hold-destructive".into(),
            reason: "held".into(),
            detail,
        }
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
    fn graphql_is_pretty_printed_and_secrets_masked() {
        let a = approval(
            serde_json::json!({"request": {"method": "POST", "graphql": [{
                "query": "mutation($v: String = \"dflt\") { variableUpsert(input: {name: \"DB\", value: \"s3cret\", environmentId: \"env-1\"}) volumeDelete(volumeId: \"vol-1\") }",
                "variables": {"input": {"value": "hunter2", "projectId": "p-1"}},
                "operationName": null
            }]}}),
        );
        let g = graphql(&a);
        assert_eq!(g.len(), 1);
        assert!(g[0].parsed);
        assert!(g[0].document.contains("mutation"), "{}", g[0].document);
        assert!(
            g[0].document
                .contains("\n  volumeDelete(volumeId: \"vol-1\")"),
            "{}",
            g[0].document
        );
        assert!(!g[0].document.contains("s3cret"), "{}", g[0].document);
        assert!(g[0].document.contains("env-1") && g[0].document.contains("\"DB\""));
        assert!(
            !g[0].variables.contains("hunter2") && g[0].variables.contains("p-1"),
            "{}",
            g[0].variables
        );
        assert_eq!(request_extra(&a), "");
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

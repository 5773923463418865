//! What an approver is shown of a held request, built from the same
//! reading the decision used: the GraphQL documents and variables the
//! inspector extracted (never the body re-parsed as JSON regardless of its
//! content type), or a REST request's query and decoded body. Only values
//! that are secrets are masked: those the catalogue marks, and credential
//! query parameters. Everything that decides *what* runs stays visible.

use serde_json::{Map, Value, json};

use crate::content::{MediaType, parse_urlencoded};
use crate::graphql::mask::mask_request;
use crate::inspector::{Inspection, Reading, RequestView};
use crate::redact::{MASK, mask_at};
use crate::{Inspector, decode, rest};

/// REST bodies longer than this are shown cut, with their length.
const SHOWN_TEXT: usize = 8 << 10;

impl Inspector {
    /// The held request as the approver sees it (see the module docs).
    pub fn approver_view(&self, req: &RequestView<'_>, inspection: &Inspection) -> Value {
        let path = req.target.split('?').next().unwrap_or(req.target);
        let mut out = Map::new();
        out.insert("method".into(), json!(req.method));
        out.insert("path".into(), json!(path));
        for name in ["content-type", "content-encoding"] {
            let values: Vec<String> = req
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                .collect();
            if !values.is_empty() {
                out.insert(name.replace('-', "_"), json!(values.join(", ")));
            }
        }
        let Some(catalog) = self.provider_for(req.host) else {
            return Value::Object(out);
        };
        match &inspection.reading {
            Reading::Nothing => {}
            Reading::Graphql(requests) => {
                let schema = catalog
                    .graphql_endpoint(
                        &rest::normalize_path(path, catalog.case_insensitive_paths)
                            .unwrap_or_default(),
                    )
                    .and_then(|ep| ep.schema.clone())
                    .unwrap_or_default();
                let shown: Vec<Value> = requests
                    .iter()
                    .map(|r| {
                        let m = mask_request(&schema, r);
                        json!({
                            "document": m.document,
                            "parsed": m.parsed,
                            "variables": m.variables,
                            "operationName": m.operation_name,
                        })
                    })
                    .collect();
                out.insert("graphql".into(), Value::Array(shown));
            }
            Reading::Rest { query, secret } => {
                if !query.is_empty() {
                    out.insert("query".into(), shown_query(query));
                }
                if let Some(body) = self.rest_body(req, secret) {
                    out.insert("body".into(), body);
                }
            }
        }
        Value::Object(out)
    }

    /// A REST body as the provider will read it: decoded, parsed by its
    /// content type, the route's secret fields masked.
    fn rest_body(&self, req: &RequestView<'_>, secret: &[Vec<String>]) -> Option<Value> {
        if req.body.is_empty() {
            return None;
        }
        let header = |name: &'static str| {
            req.headers
                .iter()
                .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
                .filter_map(|(_, v)| std::str::from_utf8(v).ok())
        };
        let encodings: Vec<&str> = header("content-encoding").collect();
        let limits = self.limits();
        let Ok(body) = decode::decode(
            req.body,
            &encodings,
            limits.max_decoded_body,
            limits.max_encodings,
        ) else {
            return Some(json!({ "bytes": req.body.len(), "readable": false }));
        };
        let essence = header("content-type")
            .next()
            .and_then(MediaType::parse)
            .map(|m| m.essence);
        let is_json = essence
            .as_deref()
            .is_some_and(|e| e == "application/json" || e.ends_with("+json"));
        if is_json && let Ok(mut v) = crate::parse_strict_json(&body) {
            for p in secret {
                mask_at(&mut v, p);
            }
            return Some(v);
        }
        if essence.as_deref() == Some("application/x-www-form-urlencoded")
            && let Some(pairs) = parse_urlencoded(&body)
        {
            let mut m = Map::new();
            for (k, v) in pairs {
                let v = if secret.iter().any(|p| p.len() == 1 && p[0] == k) {
                    MASK.to_owned()
                } else {
                    v
                };
                m.insert(k, Value::String(v));
            }
            return Some(Value::Object(m));
        }
        if !secret.is_empty() {
            // Secrets in a body that does not read as its catalogue says:
            // show its size only.
            return Some(json!({ "bytes": body.len() }));
        }
        match std::str::from_utf8(&body) {
            Ok(t) if t.len() <= SHOWN_TEXT => Some(json!({ "text": t })),
            Ok(t) => Some(json!({
                "text": t.chars().take(SHOWN_TEXT).collect::<String>(),
                "bytes": body.len(),
                "cut": true
            })),
            Err(_) => Some(json!({ "bytes": body.len() })),
        }
    }
}

/// Query parameters, decoded (credential values were masked when read).
fn shown_query(query: &[(String, String)]) -> Value {
    Value::Array(query.iter().map(|(k, v)| json!([k, v])).collect())
}

//! Finds every GraphQL request carried by an HTTP request: a JSON object or a
//! batched array, an `application/graphql` document, form fields, the
//! `operations` field of a multipart upload, or URL parameters. Anything
//! irregular is a reason, which makes the request `unknown`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::Limits;
use crate::content::{MediaType, parse_multipart, parse_urlencoded};
use crate::strict_json::parse_strict;

/// One GraphQL request: a document, its variables and the operation name.
#[derive(Debug, Clone, PartialEq)]
pub struct GqlRequest {
    pub query: String,
    pub variables: Map<String, Value>,
    pub operation_name: Option<String>,
}

const PARAMS: [&str; 4] = ["query", "variables", "operationName", "extensions"];

/// Reads the GraphQL requests in an HTTP request. `query` is the URL's
/// decoded parameters; `body` is already content-decoded.
pub fn extract(
    method: &str,
    query: &[(String, String)],
    content_type: Option<&str>,
    body: &[u8],
    limits: &Limits,
) -> Result<Vec<GqlRequest>, String> {
    let url_params: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| PARAMS.contains(&k.as_str()))
        .cloned()
        .collect();
    match method {
        "GET" | "HEAD" => {
            if !body.is_empty() {
                return Err(format!(
                    "a {method} request to a GraphQL endpoint carries a body"
                ));
            }
            Ok(vec![from_pairs(&url_params, "URL")?])
        }
        "POST" => {
            if !url_params.is_empty() {
                if !body.is_empty() {
                    return Err("GraphQL parameters in both the URL and the body".into());
                }
                return Ok(vec![from_pairs(&url_params, "URL")?]);
            }
            if body.is_empty() {
                return Err("a POST to a GraphQL endpoint with no document".into());
            }
            let ct = content_type.ok_or("a GraphQL body without a content type")?;
            let mt = MediaType::parse(ct).ok_or("an unreadable content type")?;
            if !mt.charset_is_utf8() {
                return Err(format!(
                    "charset `{}` is not UTF-8",
                    mt.param("charset").unwrap_or("")
                ));
            }
            match mt.essence.as_str() {
                "application/json" | "application/graphql+json" => from_json_body(body, limits),
                "application/graphql" => {
                    let doc =
                        std::str::from_utf8(body).map_err(|_| "the document is not valid UTF-8")?;
                    Ok(vec![GqlRequest {
                        query: doc.to_owned(),
                        variables: Map::new(),
                        operation_name: None,
                    }])
                }
                "application/x-www-form-urlencoded" => {
                    let pairs = parse_urlencoded(body).ok_or("a form body that does not decode")?;
                    Ok(vec![from_pairs(&pairs, "form")?])
                }
                "multipart/form-data" => from_multipart(body, &mt, limits),
                other => Err(format!(
                    "content type `{other}` is not a GraphQL transport scopegate reads"
                )),
            }
        }
        other => Err(format!("method {other} on a GraphQL endpoint")),
    }
}

/// URL or form parameters. Each may appear once; `variables` and
/// `extensions` are JSON text.
fn from_pairs(pairs: &[(String, String)], place: &str) -> Result<GqlRequest, String> {
    let mut obj = Map::new();
    for (k, v) in pairs {
        if !PARAMS.contains(&k.as_str()) {
            continue;
        }
        let value = match k.as_str() {
            "variables" | "extensions" => {
                if v.is_empty() {
                    Value::Null
                } else {
                    parse_strict(v.as_bytes())
                        .map_err(|e| format!("{place} parameter `{k}` is not JSON: {e}"))?
                }
            }
            _ => Value::String(v.clone()),
        };
        if obj.insert(k.clone(), value).is_some() {
            return Err(format!("{place} parameter `{k}` is given twice"));
        }
    }
    from_object(obj)
}

fn from_json_body(body: &[u8], limits: &Limits) -> Result<Vec<GqlRequest>, String> {
    let v = parse_strict(body).map_err(|e| format!("the JSON body does not parse: {e}"))?;
    from_json_value(v, limits)
}

fn from_json_value(v: Value, limits: &Limits) -> Result<Vec<GqlRequest>, String> {
    match v {
        Value::Object(o) => Ok(vec![from_object(o)?]),
        Value::Array(items) => {
            if items.is_empty() {
                return Err("an empty batch".into());
            }
            if items.len() > limits.max_batch {
                return Err(format!(
                    "a batch of {} requests (the limit is {})",
                    items.len(),
                    limits.max_batch
                ));
            }
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(o) => from_object(o),
                    _ => Err("a batch element that is not an object".into()),
                })
                .collect()
        }
        _ => Err("a JSON body that is neither an object nor an array".into()),
    }
}

fn from_object(mut o: Map<String, Value>) -> Result<GqlRequest, String> {
    if let Some(k) = o.keys().find(|k| !PARAMS.contains(&k.as_str())) {
        return Err(format!("unexpected key `{k}` in a GraphQL request"));
    }
    let query = match o.remove("query") {
        Some(Value::String(q)) => q,
        Some(Value::Null) | None => {
            return Err("no document (a persisted-query hash or id without its document)".into());
        }
        Some(_) => return Err("`query` is not a string".into()),
    };
    let variables = match o.remove("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err("`variables` is not an object".into()),
    };
    let operation_name = match o.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err("`operationName` is not a string".into()),
    };
    match o.remove("extensions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ext)) => check_extensions(&ext, &query)?,
        Some(_) => return Err("`extensions` is not an object".into()),
    }
    Ok(GqlRequest {
        query,
        variables,
        operation_name,
    })
}

/// A persisted-query hash must be the SHA-256 of the document sent with it;
/// other extensions that could name a stored document are refused.
fn check_extensions(ext: &Map<String, Value>, query: &str) -> Result<(), String> {
    for (k, v) in ext {
        let lk = k.to_ascii_lowercase();
        if k == "persistedQuery" {
            let hash = v
                .get("sha256Hash")
                .and_then(Value::as_str)
                .ok_or("a persisted query without a sha256Hash")?;
            let digest = Sha256::digest(query.as_bytes());
            let hex = scopegate_model::hex(&digest);
            if !hash.eq_ignore_ascii_case(&hex) {
                return Err(
                    "a persisted-query hash that is not the hash of the document sent".into(),
                );
            }
        } else if lk.contains("persist") || lk.contains("document") || lk.contains("hash") {
            return Err(format!("extension `{k}` could name a stored document"));
        }
    }
    Ok(())
}

/// GraphQL multipart request spec: an `operations` JSON field (object or
/// batch), an optional `map`, then files.
fn from_multipart(body: &[u8], mt: &MediaType, limits: &Limits) -> Result<Vec<GqlRequest>, String> {
    let boundary = mt
        .param("boundary")
        .ok_or("a multipart body without a boundary")?;
    let parts = parse_multipart(body, boundary).ok_or("a multipart body that does not parse")?;
    let mut operations = None;
    let mut seen_map = false;
    for p in &parts {
        match p.name.as_str() {
            "operations" => {
                if operations.replace(p.body).is_some() || p.filename.is_some() {
                    return Err("multipart `operations` is given twice or as a file".into());
                }
            }
            "map" => {
                if seen_map {
                    return Err("multipart `map` is given twice".into());
                }
                seen_map = true;
                parse_strict(p.body).map_err(|e| format!("multipart `map` is not JSON: {e}"))?;
            }
            _ if p.filename.is_some() => {}
            other => return Err(format!("unexpected multipart field `{other}`")),
        }
    }
    let ops = operations.ok_or("a multipart body without `operations`")?;
    let v = parse_strict(ops).map_err(|e| format!("multipart `operations` is not JSON: {e}"))?;
    from_json_value(v, limits)
}

#[cfg(test)]
mod tests;

//! OpenAPI 3 (JSON): one REST route per operation of `paths`, named by its
//! `operationId` (`METHOD path` without one).
//!
//! The class comes from the document's own classification where it has
//! one, else from the method, then raised by the operation's name:
//! - `x-oauth-scope` ending `:read` is `read`, ending `:write` is at least
//!   `write` (Supabase); without it, `GET`, `HEAD` and `OPTIONS` are `read`
//!   and other methods `write`;
//! - `DELETE` is `destructive`, and so is any operation of another method
//!   but `GET`, `HEAD` and `OPTIONS` whose id has one of the words in
//!   [`DESTRUCTIVE_WORDS`] (`v1-restore-a-branch`,
//!   `resetProjectBranchRolePassword`).
//!
//! Corrections, payload-dependent operations among them (Supabase's SQL
//! query), go in the overrides, reviewed.

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::raw::{CatalogFile, RestRoute};
use super::super::registry::Openapi;
use super::route_table::{merge, rank};

/// Words in an operation id that make it destructive: it deletes,
/// overwrites, rolls back or takes away.
pub const DESTRUCTIVE_WORDS: &[&str] = &[
    "delete", "remove", "destroy", "purge", "reset", "restore", "rollback", "revoke", "rotate",
    "transfer", "wipe", "drop", "truncate", "replace", "finalize",
];

const METHODS: &[&str] = &["get", "head", "options", "post", "put", "patch", "delete"];

pub fn generate(spec: &Openapi, json: &str, overrides: &str) -> Result<String, String> {
    let out: CatalogFile = toml::from_str(overrides).map_err(|e| format!("overrides: {e}"))?;
    let doc: Value = serde_json::from_str(json).map_err(|e| format!("openapi: {e}"))?;
    let paths = doc["paths"].as_object().ok_or("openapi: no paths")?;
    let base = spec.base_path.trim_end_matches('/');
    let mut routes: BTreeMap<(String, String), RestRoute> = BTreeMap::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let upper = method.to_ascii_uppercase();
            let path = format!("{base}{path}");
            let name = op["operationId"]
                .as_str()
                .map_or_else(|| format!("{upper} {path}"), str::to_owned);
            let class = class(method, &name, op["x-oauth-scope"].as_str());
            let route = RestRoute {
                method: upper.clone(),
                path: path.clone(),
                name,
                class: class.to_owned(),
                escalate: Vec::new(),
                resources: BTreeMap::new(),
                streamed: false,
            };
            let key = (path, upper);
            match routes.get(&key) {
                Some(prev) if rank(&prev.class) >= rank(class) => {}
                _ => {
                    routes.insert(key, route);
                }
            }
        }
    }
    merge(out, routes, &[])
}

fn class(method: &str, name: &str, scope: Option<&str>) -> &'static str {
    let reads = matches!(method, "get" | "head" | "options");
    if method == "delete"
        || (!reads && words(name).any(|w| DESTRUCTIVE_WORDS.contains(&w.as_str())))
    {
        return "destructive";
    }
    match scope.and_then(|s| s.rsplit(':').next()) {
        Some("read") => "read",
        Some(_) => "write",
        None if reads => "read",
        None => "write",
    }
}

/// The lowercase words of an id: split on non-letters and before capitals
/// (`v1-restore-a-branch`, `resetProjectBranchRolePassword`).
pub(super) fn words(id: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in id.chars() {
        if (!c.is_ascii_alphabetic() || c.is_ascii_uppercase()) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_ascii_alphabetic() {
            cur.push(c.to_ascii_lowercase());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_come_from_the_scope_then_the_method_then_the_name() {
        assert_eq!(
            class("get", "v1-list-all-projects", Some("projects:read")),
            "read"
        );
        assert_eq!(
            class("post", "v1-read-only-query", Some("database:read")),
            "read"
        );
        assert_eq!(
            class("get", "v1-get-secrets", Some("secrets:write")),
            "write"
        );
        assert_eq!(
            class("post", "v1-run-a-query", Some("database:write")),
            "write"
        );
        assert_eq!(
            class("post", "v1-restore-a-branch", Some("environment:write")),
            "destructive"
        );
        assert_eq!(
            class("post", "resetProjectBranchRolePassword", None),
            "destructive"
        );
        assert_eq!(class("delete", "x", Some("projects:read")), "destructive");
        assert_eq!(class("get", "listProjects", None), "read");
        assert_eq!(
            class("get", "v1-get-restore-point", Some("database:read")),
            "read"
        );
        assert_eq!(class("patch", "updateProject", None), "write");
        // a word, not a substring
        assert_eq!(
            class("post", "v1-cancel-a-project-restoration", None),
            "write"
        );
    }

    #[test]
    fn routes_from_paths() {
        let doc = r#"{"openapi":"3.0.0","paths":{
            "/projects/{project_id}":{"get":{"operationId":"getProject"},"delete":{"operationId":"deleteProject"}},
            "/projects":{"post":{}}}}"#;
        let head = "version = 1\nprovider = \"p\"\nhosts = [\"p.example\"]\n";
        let spec = Openapi {
            spec: "x.json".into(),
            base_path: "/api/v2".into(),
        };
        let out = generate(&spec, doc, head).unwrap();
        crate::Catalog::from_toml("t", &out).unwrap();
        assert!(out.contains("path = \"/api/v2/projects/{project_id}\"\nname = \"deleteProject\"\nclass = \"destructive\""), "{out}");
        assert!(
            out.contains("name = \"POST /api/v2/projects\"\nclass = \"write\""),
            "{out}"
        );
    }
}

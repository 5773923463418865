//! What the fake answers scopegate's own resolution lookup (the query of
//! `config/catalog/railway.resolve.toml`, `operationName` `scopegateResolve`):
//! the CLI's project ([`crate::railway_answers`]) with its volumes, one in
//! staging and one in production, mounted by its service. Tests choose
//! how it answers ([`Lookup`]).

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};

use crate::railway_answers::{
    RW_ENV_PROD, RW_ENV_STAGING, RW_PROJECT, RW_SERVICE, RW_SERVICE_NAME,
};

/// A volume in staging, and one in production.
pub const RW_VOLUME_STAGING: &str = "vol-staging-1";
pub const RW_VOLUME_PROD: &str = "vol-prod-1";

/// How the fake answers lookups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lookup {
    #[default]
    Answer,
    /// This HTTP status, with an error body.
    Status(u16),
    /// Waits this long before answering.
    Stall(Duration),
}

/// `config/examples/railway-staging-agent.toml` (the incident's scope map
/// by environment name), with the tests' surrogate and a secret file
/// (`railway-secret.txt`, holding [`crate::REAL_SECRET`]).
pub fn staging_agent_scope_map() -> String {
    let example = include_str!("../../config/examples/railway-staging-agent.toml");
    let surrogate = example
        .lines()
        .find(|l| l.starts_with("surrogate = "))
        .unwrap_or_default();
    assert!(!surrogate.is_empty(), "the example has a surrogate");
    example
        .replace(
            surrogate,
            &format!("surrogate = \"{}\"", crate::fp(crate::SURROGATE)),
        )
        .replace(
            r#"secret = { env = "RAILWAY_API_TOKEN" }"#,
            r#"secret = { file = "railway-secret.txt" }"#,
        )
}

/// Whether a GraphQL body is scopegate's lookup.
pub fn is_lookup(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| {
        v["operationName"]
            .as_str()
            .is_some_and(|n| n.starts_with("scopegateResolve"))
    })
}

/// The answer to a lookup (`body`), as `how` says.
pub async fn answer(
    how: Lookup,
    body: &[u8],
) -> http::Response<http_body_util::combinators::BoxBody<bytes::Bytes, std::convert::Infallible>> {
    match how {
        Lookup::Answer => {}
        Lookup::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return crate::fake::json_answer(
                status,
                r#"{"errors":[{"message":"Not Authorized"}]}"#,
            );
        }
        Lookup::Stall(wait) => tokio::time::sleep(wait).await,
    }
    let doc: Value = serde_json::from_slice(body).unwrap_or_default();
    if doc["operationName"] == "scopegateResolveEach" {
        let id = doc["variables"]["id"].as_str().unwrap_or_default();
        return crate::fake::json_answer(StatusCode::OK, &backups(id).to_string());
    }
    crate::fake::json_answer(StatusCode::OK, &projects().to_string())
}

/// The production volume's instance has three backups; others none.
fn backups(instance: &str) -> Value {
    let list: Vec<Value> = if instance == format!("vi-{RW_VOLUME_PROD}") {
        [
            "2026-11-29T02:00:00Z",
            "2026-12-01T02:00:00Z",
            "2026-11-30T02:00:00Z",
        ]
        .iter()
        .enumerate()
        .map(|(i, at)| json!({ "id": format!("bk-{i}"), "createdAt": at }))
        .collect()
    } else {
        Vec::new()
    };
    json!({ "data": { "volumeInstanceBackupList": list } })
}

fn projects() -> Value {
    let env = |id: &str, name: &str| json!({ "node": { "id": id, "name": name } });
    let volume = |id: &str, name: &str, env: &str| {
        json!({ "node": { "id": id, "name": name, "volumeInstances": { "edges": [{ "node": {
            "id": format!("vi-{id}"), "mountPath": "/var/lib/postgresql/data",
            "currentSizeMB": 4200, "sizeMB": 50000,
            "environmentId": env, "serviceId": RW_SERVICE,
        }}]}}})
    };
    json!({ "data": { "projects": { "edges": [{ "node": {
        "id": RW_PROJECT, "name": "site",
        "environments": { "edges": [env(RW_ENV_PROD, "production"), env(RW_ENV_STAGING, "staging")] },
        "services": { "edges": [{ "node": { "id": RW_SERVICE, "name": RW_SERVICE_NAME } }] },
        "volumes": { "edges": [
            volume(RW_VOLUME_STAGING, "scratch", RW_ENV_STAGING),
            volume(RW_VOLUME_PROD, "postgres-data", RW_ENV_PROD),
        ]},
    }}]}}})
}

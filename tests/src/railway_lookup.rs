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

/// Whether a GraphQL body is scopegate's lookup.
pub fn is_lookup(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| v["operationName"] == "scopegateResolve")
}

pub async fn answer(
    how: Lookup,
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
    crate::fake::json_answer(StatusCode::OK, &projects().to_string())
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

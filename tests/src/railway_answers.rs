//! What the fake answers the official Railway CLI (`railwayapp`, the
//! version in `config/catalog/sources/railway/cli-version`): the GraphQL
//! operations its `up`, `logs` and `environment delete` send, by
//! `operationName` (the CLI names each), and the answer to `railway up`'s
//! upload. Shapes from the CLI's own queries (`src/gql/queries/strings`)
//! and `src/controllers/upload.rs`. Anything else falls through to the
//! fake's generic answers.

use http::{Method, StatusCode};
use serde_json::{Value, json};

/// The project, its two environments, its one service and its deployment.
pub const RW_PROJECT: &str = "prj-1";
pub const RW_ENV_PROD: &str = "env-prod-1";
pub const RW_ENV_STAGING: &str = "env-staging-1";
pub const RW_SERVICE: &str = "svc-web";
pub const RW_SERVICE_NAME: &str = "web";
pub const RW_DEPLOYMENT: &str = "dep-1";

/// The answer to a `/graphql/v2` POST on a Railway host, if the CLI's
/// operation is one of those answered here.
pub fn graphql(body: &[u8]) -> Option<Value> {
    let doc: Value = serde_json::from_slice(body).ok()?;
    let data = match doc["operationName"].as_str()? {
        "Project" => json!({ "project": project() }),
        "Deployments" => json!({ "deployments": { "edges": [{ "node": {
            "id": RW_DEPLOYMENT, "createdAt": "2026-01-01T00:00:00Z",
            "status": "SUCCESS", "meta": {},
        }}]}}),
        "EnvironmentDelete" => json!({ "environmentDelete": true }),
        _ => return None,
    };
    Some(json!({ "data": data }))
}

fn project() -> Value {
    let env = |id: &str, name: &str| {
        json!({ "node": {
            "id": id, "name": name, "canAccess": true, "deletedAt": null,
            "unmergedChangesCount": 0,
        }})
    };
    json!({
        "id": RW_PROJECT, "name": "site", "workspaceId": "ws-1", "deletedAt": null,
        "workspace": { "name": "Acme" },
        "buckets": { "edges": [] },
        "environments": { "edges": [
            env(RW_ENV_PROD, "production"),
            env(RW_ENV_STAGING, "staging"),
        ]},
        "services": { "edges": [{ "node": { "id": RW_SERVICE, "name": RW_SERVICE_NAME } }] },
    })
}

/// `railway up`'s upload (`POST /project/{p}/environment/{e}/up`): the
/// deployment it started.
pub fn rest(method: &Method, path: &str) -> Option<(StatusCode, Value)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        (&Method::POST, ["project", p, "environment", _, "up"]) => Some((
            StatusCode::OK,
            json!({
                "deploymentId": RW_DEPLOYMENT,
                "url": format!("https://railway.com/project/{p}"),
                "logsUrl": format!("https://railway.com/project/{p}/service/{RW_SERVICE}?id={RW_DEPLOYMENT}"),
                "deploymentDomain": "web-production.up.railway.app",
            }),
        )),
        _ => None,
    }
}

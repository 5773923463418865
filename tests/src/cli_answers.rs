//! What the fake provider answers the providers' own CLIs (wrangler,
//! vercel, neonctl, supabase): the few routes their read and destructive
//! commands in `tests/tests/npm_clis.rs` call, in the shapes the CLIs parse.
//! Recorded from each pinned CLI against a logging fake; a route not here
//! falls through to the fake's generic answer.

use http::{Method, StatusCode};
use serde_json::{Value, json};

/// The Cloudflare account the wrangler tests use.
pub const CF_ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
/// The Workers KV namespace `wrangler kv namespace delete` names.
pub const CF_KV_NAMESPACE: &str = "0f2ac74b498b48028cb68387c421e279";
/// The Vercel project `vercel remove` names, and its id.
pub const VERCEL_PROJECT: &str = "site";
pub const VERCEL_PROJECT_ID: &str = "prj_8x2Kq1";
/// The Neon project.
pub const NEON_PROJECT: &str = "young-sun-123456";
/// The Supabase project's reference.
pub const SUPABASE_REF: &str = "abcdefghijklmnopqrst";

/// The answer for `method` `path` (no query) on `host`, if it is one of the
/// CLIs' routes.
pub fn answer(host: &str, method: &Method, path: &str) -> Option<(StatusCode, Value)> {
    let host = host.split(':').next().unwrap_or(host);
    match host {
        "api.cloudflare.com" => cloudflare(method, path),
        "api.vercel.com" => vercel(method, path),
        "console.neon.tech" => neon(method, path),
        "api.supabase.com" => supabase(method, path),
        "backboard.railway.com" | "backboard.railway.app" => {
            crate::railway_answers::rest(method, path)
        }
        _ => None,
    }
}

fn ok(v: Value) -> Option<(StatusCode, Value)> {
    Some((StatusCode::OK, v))
}

/// Cloudflare's envelope: `{"success", "errors", "messages", "result"}`.
fn cf(result: Value) -> Option<(StatusCode, Value)> {
    ok(json!({
        "success": true, "errors": [], "messages": [], "result": result,
        "result_info": { "page": 1, "per_page": 50, "total_pages": 1, "count": 1, "total_count": 1 },
    }))
}

fn cloudflare(method: &Method, path: &str) -> Option<(StatusCode, Value)> {
    let rest = path.strip_prefix("/client/v4")?;
    let kv = format!("/accounts/{CF_ACCOUNT}/storage/kv/namespaces/{CF_KV_NAMESPACE}");
    match (method, rest) {
        (&Method::GET, "/user/tokens/verify") => cf(json!({ "id": "tok1", "status": "active" })),
        (&Method::GET, "/user") => cf(json!({ "id": "u1", "email": "agent@acme.dev" })),
        (&Method::GET, "/accounts") => cf(json!([{ "id": CF_ACCOUNT, "name": "Acme" }])),
        (&Method::DELETE, p) if p == kv => cf(Value::Null),
        _ => None,
    }
}

fn vercel(method: &Method, path: &str) -> Option<(StatusCode, Value)> {
    let user = json!({
        "id": "u1", "uid": "u1", "username": "agent", "email": "agent@acme.dev",
        "name": "Agent", "defaultTeamId": null, "version": "northstar",
    });
    let project = json!({ "id": VERCEL_PROJECT_ID, "name": VERCEL_PROJECT, "accountId": "u1" });
    match (method, path) {
        (&Method::GET, "/v2/user") => ok(json!({ "user": user })),
        (&Method::GET, p) if p == format!("/v9/projects/{VERCEL_PROJECT}") => ok(project),
        (&Method::DELETE, p) if p == format!("/projects/{VERCEL_PROJECT_ID}") => {
            Some((StatusCode::NO_CONTENT, Value::Null))
        }
        // `vercel remove NAME` first tries NAME as a deployment.
        (&Method::GET, p) if p.starts_with("/v13/deployments/") => Some((
            StatusCode::NOT_FOUND,
            json!({ "error": { "code": "not_found", "message": "Deployment not found" } }),
        )),
        _ => None,
    }
}

fn neon(method: &Method, path: &str) -> Option<(StatusCode, Value)> {
    let project = json!({
        "id": NEON_PROJECT, "name": "site-db", "region_id": "aws-us-east-2",
        "platform_id": "aws", "pg_version": 17, "owner_id": "u1", "org_id": "org-1",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    });
    match (method, path) {
        (&Method::GET, "/api/v2/projects") => {
            ok(json!({ "projects": [project], "pagination": {} }))
        }
        (&Method::GET, "/api/v2/projects/shared") => ok(json!({ "projects": [] })),
        (&Method::DELETE, p) if p == format!("/api/v2/projects/{NEON_PROJECT}") => {
            ok(json!({ "project": project }))
        }
        _ => None,
    }
}

fn supabase(method: &Method, path: &str) -> Option<(StatusCode, Value)> {
    let project = json!({
        "id": SUPABASE_REF, "ref": SUPABASE_REF, "organization_id": "org1", "name": "site",
        "region": "us-east-1", "created_at": "2026-01-01T00:00:00Z", "status": "ACTIVE_HEALTHY",
        "database": { "host": "db.example", "version": "15" },
    });
    let one = format!("/v1/projects/{SUPABASE_REF}");
    match (method, path) {
        (&Method::GET, "/v1/projects") => ok(json!([project])),
        (&Method::GET, p) if p == one => ok(project),
        (&Method::DELETE, p) if p == one => {
            ok(json!({ "id": 1, "ref": SUPABASE_REF, "name": "site" }))
        }
        _ => None,
    }
}

//! What the fake answers scopegate's GitHub reads
//! (`config/catalog/github.resolve.toml`: `GET /repos/{repository}` and
//! `GET /repos/{repository}/branches/{branch}`, sent with the user agent
//! `scopegate-resolve`): `acme/site` is public with `main` protected and
//! the default; `acme/vault` is private; `acme/attic` is archived. Other
//! branches are unprotected; other repositories are not found. Tests
//! choose how it answers with the same [`Lookup`] as Railway's.

use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::railway_lookup::Lookup;

/// Whether a request is scopegate's own read (not an agent's).
pub fn is_lookup(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::USER_AGENT)
        .is_some_and(|ua| ua.as_bytes() == b"scopegate-resolve")
}

/// The answer to a read of `path`, as `how` says; `None`: not a path the
/// resolver reads.
pub async fn answer(
    how: Lookup,
    path: &str,
) -> Option<
    http::Response<http_body_util::combinators::BoxBody<bytes::Bytes, std::convert::Infallible>>,
> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (status, body) = match segs.as_slice() {
        ["repos", owner, repo] => repository(&format!("{owner}/{repo}")),
        ["repos", owner, repo, "branches", branch @ ..] => {
            branch_answer(&format!("{owner}/{repo}"), &branch.join("/"))
        }
        _ => return None,
    };
    match how {
        Lookup::Answer => {}
        Lookup::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Some(crate::fake::json_answer(
                status,
                r#"{"message":"Bad credentials"}"#,
            ));
        }
        Lookup::Stall(wait) => tokio::time::sleep(wait).await,
    }
    Some(crate::fake::json_answer(status, &body.to_string()))
}

fn repository(full_name: &str) -> (StatusCode, Value) {
    let (visibility, archived) = match full_name {
        "acme/site" => ("public", false),
        "acme/vault" => ("private", false),
        "acme/attic" => ("public", true),
        _ => return not_found(),
    };
    let answer = json!({
        "id": 1, "full_name": full_name, "private": visibility == "private",
        "visibility": visibility, "archived": archived, "default_branch": "main",
    });
    (StatusCode::OK, answer)
}

fn branch_answer(full_name: &str, branch: &str) -> (StatusCode, Value) {
    if repository(full_name).0 != StatusCode::OK {
        return not_found();
    }
    let protected = branch == "main";
    (
        StatusCode::OK,
        json!({ "name": branch, "protected": protected }),
    )
}

fn not_found() -> (StatusCode, Value) {
    (StatusCode::NOT_FOUND, json!({ "message": "Not Found" }))
}

//! The JSON API, for `scopegate approvals` and scripts. Same data and the
//! same rules as the pages: a dashboard API token (`Authorization: Bearer`)
//! or a session cookie (then state changes need `x-csrf-token`).

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use http::HeaderMap;
use scopegate_store::Approval;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Via;
use crate::error::{ApiError, WebError};
use crate::pages::HistoryQuery;
use crate::{ApiUser, STATES, Shared, check_csrf, decide, view};

/// An approval as the API shows it: the stored fields plus a one-line
/// summary and the dashboard link.
pub fn approval_json(state: &Shared, a: &Approval) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    v["summary"] = Value::String(view::summary(a));
    v["link"] = Value::String(state.config.approval_link(&a.id));
    v
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

pub async fn list(
    ApiUser(_who): ApiUser,
    State(state): State<Shared>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = q.state.as_deref().filter(|s| !s.is_empty() && *s != "all");
    if let Some(s) = filter
        && !STATES.contains(&s)
    {
        return Err(WebError::BadRequest(format!(
            "unknown state {s:?}; one of pending, approved, rejected, expired, used, all"
        ))
        .into());
    }
    let rows = state
        .store
        .approvals(
            filter,
            q.limit.unwrap_or(100).clamp(1, 1000),
            q.offset.unwrap_or(0).max(0),
        )
        .await?;
    Ok(Json(json!({
        "approvals": rows.iter().map(|a| approval_json(&state, a)).collect::<Vec<_>>(),
    })))
}

pub async fn get(
    ApiUser(_who): ApiUser,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = state.store.approval(&id).await?.ok_or(WebError::NotFound)?;
    Ok(Json(approval_json(&state, &a)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideBody {
    #[serde(default)]
    note: String,
}

async fn decide_api(
    who: ApiUser,
    state: State<Shared>,
    headers: HeaderMap,
    id: String,
    body: Bytes,
    approve: bool,
) -> Result<Json<Value>, ApiError> {
    let ApiUser(who) = who;
    let State(state) = state;
    check_csrf(&state, &headers, &who, None)?;
    let b: DecideBody = if body.iter().all(u8::is_ascii_whitespace) {
        DecideBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| WebError::BadRequest(format!("expected {{\"note\": \"...\"}}: {e}")))?
    };
    let a = decide(&state, &who, &id, approve, &b.note).await?;
    Ok(Json(approval_json(&state, &a)))
}

pub async fn approve(
    who: ApiUser,
    state: State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide_api(who, state, headers, id, body, true).await
}

pub async fn reject(
    who: ApiUser,
    state: State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide_api(who, state, headers, id, body, false).await
}

/// Decision-log rows after `after`, filtered; `next_after` pages on.
pub async fn history(
    ApiUser(_who): ApiUser,
    State(state): State<Shared>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state
        .store
        .rows(&filter, q.after.unwrap_or(0).max(0), limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    Ok(Json(json!({
        "rows": rows.iter().map(|r| json!({"seq": r.seq, "record": r.record, "hash": r.hash})).collect::<Vec<_>>(),
        "next_after": if more { rows.last().map(|r| r.seq) } else { None },
    })))
}

pub async fn health(
    ApiUser(_who): ApiUser,
    State(state): State<Shared>,
) -> Json<crate::pages::HealthReport> {
    Json(crate::pages::health_report(&state).await)
}

pub async fn whoami(ApiUser(who): ApiUser) -> Json<Value> {
    Json(json!({
        "user": who.user,
        "role": who.role,
        "via": match who.via { Via::Session { .. } => "session", Via::ApiToken => "api_token" },
        "can_decide": who.role.can_decide(),
    }))
}

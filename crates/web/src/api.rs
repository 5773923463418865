//! The JSON API, for `scopegate approvals` and scripts. Same data and the
//! same rules as the pages: a dashboard API token (`Authorization: Bearer`)
//! or a session cookie (then state changes need `x-csrf-token`).

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use http::HeaderMap;
use scopegate_model::{ApprovalId, ApprovalState, Resolution};
use scopegate_store::Approval;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::approval_json::ApprovalJson;
use crate::auth::Via;
use crate::error::{ApiError, WebError};
use crate::list_filter::{FILTER_SCAN, ListFilter, operations_json};
use crate::pages::HistoryQuery;
use crate::{ApiUser, Ask, Shared, check_csrf, resolve, state_filter, view};

/// An approval as the API shows it: the stored fields plus its operations
/// with their resources, a one-line summary and the dashboard link.
pub fn approval_json(state: &Shared, a: &Approval) -> Value {
    let mut v = serde_json::to_value(ApprovalJson::from(a)).unwrap_or_default();
    v["operations"] = operations_json(a);
    v["summary"] = Value::String(view::summary(a));
    v["link"] = Value::String(state.config.approval_link(a.id.as_str()));
    v["confirm"] =
        crate::blast_radius::confirm::phrase(&a.held.operations).map_or(Value::Null, Value::from);
    v["approvers_needed"] = Value::from(a.held.who_decides.approvers);
    v["self_approval"] = Value::from(a.held.who_decides.self_approval);
    v
}

/// Adds who has approved so far (`approved_by`: name, time, note), for an
/// approval that needs several approvers.
async fn with_steps(state: &Shared, a: &Approval, v: &mut Value) -> Result<(), ApiError> {
    if a.held.who_decides.approvers > 1 {
        let steps = state.store.approval_steps(&a.id).await?;
        v["approved_by"] = steps
            .iter()
            .map(|s| json!({"user": s.approver, "at_ms": s.at_ms, "note": s.note}))
            .collect();
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
    /// `railway:volumeDelete`, or a bare name for any provider.
    #[serde(default)]
    operation: Option<String>,
    /// A token's name in the scope map.
    #[serde(default)]
    token: Option<String>,
    /// `KIND=VALUE` (`volumeId=vol-1`), or `VALUE` of any kind.
    #[serde(default)]
    resource: Option<String>,
}

pub async fn list(
    ApiUser(_who): ApiUser,
    State(state): State<Shared>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = state_filter(q.state.as_deref()).map_err(|s| {
        WebError::BadRequest(format!(
            "unknown state {s:?}; one of pending, approved, rejected, expired, used, all"
        ))
    })?;
    let (limit, offset) = (
        q.limit.unwrap_or(100).clamp(1, 1000),
        q.offset.unwrap_or(0).max(0),
    );
    let by = ListFilter::new(
        q.operation.as_deref(),
        q.token.as_deref(),
        q.resource.as_deref(),
    );
    if by.is_empty() {
        let rows = state.store.approvals(filter, limit, offset).await?;
        return Ok(Json(json!({
            "approvals": rows.iter().map(|a| approval_json(&state, a)).collect::<Vec<_>>(),
        })));
    }
    let (rows, truncated) = filtered(&state, filter, &by, limit, offset).await?;
    Ok(Json(json!({
        "approvals": rows.iter().map(|a| approval_json(&state, a)).collect::<Vec<_>>(),
        "truncated": truncated,
    })))
}

/// The matching approvals, newest first, `offset` and `limit` counted in
/// matches, among the newest [`FILTER_SCAN`] of the state; and whether
/// older ones were left unexamined.
async fn filtered(
    state: &Shared,
    filter: Option<ApprovalState>,
    by: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Approval>, bool), ApiError> {
    const PAGE: i64 = 500;
    let (mut out, mut skip, mut scanned) = (Vec::new(), offset, 0);
    while scanned < FILTER_SCAN {
        let page = state.store.approvals(filter, PAGE, scanned).await?;
        let n = page.len() as i64;
        scanned += n;
        for a in page.into_iter().filter(|a| by.matches(a)) {
            if skip > 0 {
                skip -= 1;
            } else if (out.len() as i64) < limit {
                out.push(a);
            } else {
                return Ok((out, false));
            }
        }
        if n < PAGE {
            return Ok((out, false));
        }
    }
    let more = !state.store.approvals(filter, 1, scanned).await?.is_empty();
    Ok((out, more))
}

pub async fn get(
    ApiUser(_who): ApiUser,
    State(state): State<Shared>,
    Path(id): Path<ApprovalId>,
) -> Result<Json<Value>, ApiError> {
    let a = state.store.approval(&id).await?.ok_or(WebError::NotFound)?;
    let release = match a.state {
        scopegate_model::ApprovalState::Used => {
            let since = a.created_ms - scopegate_store::release::EARLIEST_MS;
            state.store.release_of(&a.id, since).await?
        }
        _ => None,
    };
    let mut v = approval_json(&state, &a);
    with_steps(&state, &a, &mut v).await?;
    v["what_happened"] = Value::from(crate::pages::what_happened(&a, release.as_ref()));
    if let Some(r) = release {
        v["release"] = serde_json::json!({
            "decision_id": r.decision_id,
            "at_ms": r.at_ms,
            "upstream_status": r.upstream_status,
            "error": r.error,
        });
    }
    Ok(Json(v))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    #[serde(default)]
    note: String,
    /// The typed confirmation a destructive approval needs.
    #[serde(default)]
    confirm: Option<String>,
}

async fn resolve_api(
    who: ApiUser,
    state: State<Shared>,
    headers: HeaderMap,
    id: ApprovalId,
    body: Bytes,
    resolution: Resolution,
) -> Result<Json<Value>, ApiError> {
    let ApiUser(who) = who;
    let State(state) = state;
    check_csrf(&state, &headers, &who, None)?;
    let b: ResolveBody = if body.iter().all(u8::is_ascii_whitespace) {
        ResolveBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            WebError::BadRequest(format!(
                "expected {{\"note\": \"...\", \"confirm\": \"...\"}}: {e}"
            ))
        })?
    };
    let ask = Ask::new(resolution, &b.note, b.confirm.as_deref());
    let a = resolve(&state, &who, &id, ask).await?;
    let mut v = approval_json(&state, &a);
    with_steps(&state, &a, &mut v).await?;
    Ok(Json(v))
}

pub async fn approve(
    who: ApiUser,
    state: State<Shared>,
    headers: HeaderMap,
    Path(id): Path<ApprovalId>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    resolve_api(who, state, headers, id, body, Resolution::Approve).await
}

pub async fn reject(
    who: ApiUser,
    state: State<Shared>,
    headers: HeaderMap,
    Path(id): Path<ApprovalId>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    resolve_api(who, state, headers, id, body, Resolution::Reject).await
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
        "via": match who.via { Via::Session { .. } => "session", Via::ApiToken => "api_token", Via::Slack => "slack" },
        "can_decide": who.role.can_decide(),
    }))
}

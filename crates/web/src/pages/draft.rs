//! `GET /tokens/{name}/draft?days=N`: the draft scope map `scopegate
//! suggest` would write for a token from the last N days of the decision
//! log (docs/suggest.md), as plain text to review and copy.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::{PageUser, Shared};

/// Records read at most: a draft from a very busy token reads the newest
/// window only up to this.
const MAX_RECORDS: usize = 200_000;

#[derive(Debug, Deserialize)]
pub struct DraftQuery {
    days: Option<u32>,
}

pub async fn draft(
    PageUser(_who): PageUser,
    State(state): State<Shared>,
    Path(name): Path<String>,
    Query(q): Query<DraftQuery>,
) -> Response {
    let map = (state.scope_map)();
    let Some(token) = map.tokens.iter().find(|t| t.name == name) else {
        return (StatusCode::NOT_FOUND, "no such token in the scope map\n").into_response();
    };
    let days = q.days.unwrap_or(30).clamp(1, 366);
    let filter = scopegate_store::Filter {
        token: Some(name.clone()),
        since_ms: Some(crate::now_ms() - i64::from(days) * 86_400_000),
        ..scopegate_store::Filter::default()
    };
    let mut records = Vec::new();
    let mut after = 0;
    while records.len() < MAX_RECORDS {
        let rows = match state.store.rows(&filter, after, 1000).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "dashboard: the decision log cannot be read for a draft");
                let why =
                    "the decision log cannot be read now; try again, or run `scopegate suggest`\n";
                return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
            }
        };
        let Some(last) = rows.last() else { break };
        after = last.seq;
        records.extend(rows.into_iter().map(|r| r.record));
    }
    let text = scopegate_policy::suggest::draft(token, &records, false);
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

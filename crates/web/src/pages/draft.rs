//! `GET /tokens/{name}/draft?days=N`: the draft scope map `scopegate
//! suggest` would write for a token from the last N days of the decision
//! log (docs/suggest.md), as plain text to review and copy.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::{PageUser, Shared};

#[derive(Debug, Deserialize)]
/// `?days=N`: the window, in days.
pub struct DraftQuery {
    days: Option<String>,
}

impl DraftQuery {
    /// The window: 30 days unless asked, 1 to 366.
    pub fn days(&self) -> Result<u32, crate::error::WebError> {
        match self.days.as_deref().map(str::trim) {
            None | Some("") => Ok(30),
            Some(s) => s
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=366).contains(d))
                .ok_or_else(|| {
                    crate::error::WebError::BadRequest(format!(
                        "days must be a whole number from 1 to 366, not `{s}`"
                    ))
                }),
        }
    }
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
    let days = match q.days() {
        Ok(days) => days,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{}\n", e.message())).into_response(),
    };
    let records = match super::breadth::window_records(&state, Some(&name), days).await {
        Ok(records) => records,
        Err(why) => {
            let why = format!("{why}; try again, or run `scopegate suggest`\n");
            return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
        }
    };
    let text = scopegate_policy::suggest::draft(token, &records, false);
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

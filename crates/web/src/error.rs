//! The one place failures become responses, by whose fault they were:
//! HTML pages for browsers, JSON for the API. Internal details are logged,
//! never sent.

use axum::Json;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use scopegate_store::Approval;

use crate::html;

#[derive(Debug)]
pub enum WebError {
    /// No valid session or API token.
    Unauthenticated,
    /// An `Authorization` header that is not a dashboard API token (an
    /// agent's token, a surrogate, basic credentials...).
    BadCredential,
    /// Signed in, but the role does not allow it.
    Forbidden(&'static str),
    /// A state change without a valid CSRF token, or from another origin.
    Csrf,
    NotFound,
    /// The approval is no longer pending.
    Conflict(Box<Approval>),
    BadRequest(String),
    /// A decision this approver may not make now, and why.
    Refused {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// A destructive approval without the typed confirmation: `expected`
    /// is what to type; `typed` says something else was.
    Confirm {
        expected: String,
        typed: bool,
    },
    /// The database or another dependency failed; detail logged.
    Internal,
}

impl From<sqlx::Error> for WebError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "dashboard: database error");
        Self::Internal
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::BadCredential => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Refused { status, .. } => *status,
            Self::Confirm { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredential => "bad_credential",
            Self::Forbidden(_) => "forbidden",
            Self::Csrf => "csrf",
            Self::NotFound => "not_found",
            Self::Conflict(_) => "not_pending",
            Self::BadRequest(_) => "bad_request",
            Self::Refused { code, .. } => code,
            Self::Confirm { .. } => "confirmation_required",
            Self::Internal => "unavailable",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "sign in to the dashboard, or send a dashboard API token".into(),
            Self::BadCredential => "this credential is not a dashboard API token; agent tokens, surrogates and proxy credentials are never accepted here".into(),
            Self::Forbidden(why) => (*why).to_owned(),
            Self::Csrf => "the form expired or came from another site; reload the page and try again".into(),
            Self::NotFound => "no such page or approval".into(),
            Self::Conflict(a) => format!(
                "approval {} is {}, not pending{}",
                a.id,
                a.state,
                a.decided_by
                    .as_deref()
                    .map(|b| format!(" (decided by {b})"))
                    .unwrap_or_default()
            ),
            Self::BadRequest(m) => m.clone(),
            Self::Refused { message, .. } => message.clone(),
            Self::Confirm {
                expected,
                typed: true,
            } => format!(
                "the confirmation does not match: type `{expected}` exactly (what this request destroys) to approve it"
            ),
            Self::Confirm { expected, .. } => format!(
                "this request destroys `{expected}`: to approve it, type `{expected}` as the confirmation (the dashboard's confirmation box, the API's \"confirm\" field, or `scopegate approvals approve <id> --confirm '{expected}'`)"
            ),
            Self::Internal => "the dashboard cannot reach its database; try again shortly".into(),
        }
    }
}

/// A failure on a JSON API route.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        Self(e)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "error": self.0.code(),
            "message": self.0.message(),
        });
        if let WebError::Confirm { expected, .. } = &self.0 {
            body["confirm"] = serde_json::Value::from(expected.as_str());
        }
        if let WebError::Conflict(a) = &self.0 {
            body["approval"] = serde_json::to_value(crate::approval_json::ApprovalJson::from(&**a))
                .unwrap_or_default();
        }
        let mut r = (self.0.status(), Json(body)).into_response();
        if matches!(self.0, WebError::Unauthenticated | WebError::BadCredential) {
            r.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"scopegate-dashboard\""),
            );
        }
        r
    }
}

/// A failure on an HTML route.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl From<WebError> for PageError {
    fn from(e: WebError) -> Self {
        Self(e)
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let WebError::Unauthenticated = self.0 {
            return Redirect::to("/login").into_response();
        }
        let title = match self.0.status() {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNAUTHORIZED => "Not signed in",
            StatusCode::CONFLICT => "Already decided",
            StatusCode::BAD_REQUEST => "Bad request",
            _ => "Unavailable",
        };
        let body = format!(
            "<h1>{}</h1><p class=\"lead\">{}</p><p><a href=\"/\">Back to the pending queue</a></p>",
            html::esc(title),
            html::esc(&self.0.message())
        );
        (
            self.0.status(),
            axum::response::Html(html::page(title, html::Nav::None, None, &body)),
        )
            .into_response()
    }
}

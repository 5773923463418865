//! `GET /login/oidc` and `GET /login/oidc/callback`.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse as _, Redirect, Response};
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

use super::flow::{self, FLOW_COOKIE, Flow};
use super::jwt::{Expect, IdToken, check_claims};
use super::{Oidc, Refusal, roles};
use crate::auth::{self, ct_eq};
use crate::error::{PageError, WebError};
use crate::html::{self, Nav, esc};
use crate::login::{safe_next, signed_in};
use crate::{Shared, now_ms};

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: Option<String>,
}

fn configured(state: &Shared) -> Result<&Oidc, PageError> {
    state.oidc.as_ref().ok_or(PageError(WebError::NotFound))
}

/// Starts a sign-in: remembers the attempt in a cookie and sends the
/// browser to the provider.
pub async fn start(
    State(state): State<Shared>,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    let oidc = configured(&state)?;
    let metadata = match oidc.provider.metadata().await {
        Ok(m) => m,
        Err(r) => return Ok(refused(&r)),
    };
    let f = Flow::new(&safe_next(q.next.as_deref()), now_ms())
        .map_err(|_| PageError(WebError::Internal))?;
    let url = f.authorize_url(
        &metadata.authorization_endpoint,
        &oidc.cfg.client_id,
        &oidc.redirect_uri,
        &oidc.cfg.scopes,
    );
    let mut r = Redirect::to(&url).into_response();
    if let Ok(v) = flow::set_cookie(&f.seal(&state.auth), flow::FLOW_SECS).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// The provider's answer: checked, then a session, or a refusal page.
pub async fn callback(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let oidc = configured(&state)?;
    let mut r = match finish(&state, oidc, &headers, &q).await {
        Ok((user, role, next)) => {
            tracing::info!(user = %user, "dashboard: signed in with single sign-on");
            signed_in(&state, &user, role, &next)?
        }
        Err(refusal) => refused(&refusal),
    };
    if let Ok(v) = flow::set_cookie("", 0).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn finish(
    state: &Shared,
    oidc: &Oidc,
    headers: &HeaderMap,
    q: &CallbackQuery,
) -> Result<(String, crate::config::Role, String), Refusal> {
    let now = now_ms();
    let f = auth::cookie(headers, FLOW_COOKIE)
        .and_then(|c| Flow::open(&state.auth, c, now))
        .ok_or(Refusal::NoFlow)?;
    let presented = q.state.as_deref().unwrap_or("");
    if !ct_eq(presented.as_bytes(), f.state.as_bytes()) {
        return Err(Refusal::StateMismatch);
    }
    if q.error.is_some() {
        return Err(Refusal::ProviderError);
    }
    let code = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or(Refusal::NoCode)?;
    let metadata = oidc.provider.metadata().await?;
    let token = oidc
        .provider
        .exchange(
            &metadata.token_endpoint,
            (&oidc.cfg.client_id, &oidc.secret.0),
            code,
            &oidc.redirect_uri,
            &f.verifier,
        )
        .await?;
    let token = IdToken::parse(&token)?;
    let key = oidc.provider.key(token.kid.as_deref(), token.alg).await?;
    let claims = token.verified(&key)?;
    check_claims(
        &claims,
        &Expect {
            issuer: &oidc.cfg.issuer,
            client_id: &oidc.cfg.client_id,
            nonce: &f.nonce,
            now_secs: now / 1000,
        },
    )?;
    let (user, role) = roles::who(&claims, &oidc.cfg, &state.config.users)?;
    Ok((user, role, f.next))
}

/// The refusal page: what was wrong, in words; no session.
fn refused(r: &Refusal) -> Response {
    tracing::info!(reason = %r, "dashboard: single sign-on refused");
    let body = format!(
        "<section class=\"card narrow\"><h1>Sign-in refused</h1>\
<p class=\"banner bad\" role=\"alert\">Single sign-on refused: {}.</p>\
<p><a href=\"/login\">Back to sign-in</a></p></section>",
        esc(&r.to_string())
    );
    (
        StatusCode::FORBIDDEN,
        Html(html::page("Sign-in refused", Nav::None, None, &body)),
    )
        .into_response()
}

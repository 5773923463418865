//! Signing in and out, and the one-time bootstrap link.
//!
//! The sign-in form is itself protected against cross-site posting: a
//! random `sg_login` cookie (SameSite=Strict) and a form token derived from
//! it must match.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

use crate::auth::{self, BOOTSTRAP_USER, LOGIN_COOKIE};
use crate::config::Role;
use crate::error::{PageError, WebError};
use crate::html::{self, Nav, esc};
use crate::{Shared, authenticate, now_ms, same_origin};

/// A well-formed hash of a password nobody has: unknown users cost as
/// much to check as known ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2NvcGVnYXRlZHVtbXk$3Yk3bq0wM2l2tiwdEo2yKp4ww3RfDZ3iK7vH9wq4n8A";

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Only local paths: never an open redirect.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn new_nonce() -> Result<String, PageError> {
    auth::random_bytes::<18>()
        .map(|b| B64.encode(b))
        .map_err(|_| PageError(WebError::Internal))
}

fn login_page(
    state: &Shared,
    nonce: &str,
    next: &str,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let problem_html = problem
        .map(|p| format!("<p class=\"banner bad\" role=\"alert\">{}</p>", esc(p)))
        .unwrap_or_default();
    let no_users = if state.auth.has_users() {
        ""
    } else {
        "<p class=\"banner warn\">No users are configured yet. Open the one-time bootstrap link (<code>serve</code> prints the file it is in, readable only by scopegate's user), then add users to the <code>[dashboard]</code> settings.</p>"
    };
    let body = format!(
        "<section class=\"card narrow\"><h1>Sign in</h1>{problem_html}{no_users}\
<form method=\"post\" action=\"/login\" class=\"stack\">\
<input type=\"hidden\" name=\"csrf\" value=\"{token}\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label>Name <input name=\"name\" autocomplete=\"username\" required autofocus></label>\
<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
<button type=\"submit\" class=\"primary\">Sign in</button></form>{sso}</section>",
        token = esc(&state.auth.login_token(nonce)),
        next = esc(next),
        sso = crate::oidc::login_button(state, next),
    );
    let mut r = (status, Html(html::page("Sign in", Nav::None, None, &body))).into_response();
    if let Ok(v) = auth::login_set_cookie(nonce, 3600).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub async fn form(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let next = safe_next(q.next.as_deref());
    if authenticate(&state, &headers).is_ok() {
        return Ok(Redirect::to(&next).into_response());
    }
    Ok(login_page(
        &state,
        &new_nonce()?,
        &next,
        None,
        StatusCode::OK,
    ))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn submit(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(f.next.as_deref());
    let nonce = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !same_origin(&state, &headers) || !state.auth.login_token_ok(nonce, &f.csrf) {
        return Ok(login_page(
            &state,
            &new_nonce()?,
            &next,
            Some("The sign-in form expired; please try again."),
            StatusCode::FORBIDDEN,
        ));
    }
    let user = state.auth.user(&f.name).cloned();
    // A user without a password hash cannot sign in with a password; the
    // dummy hash keeps the time the same.
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let has_password = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let password = f.password;
    let ok = {
        let _permit = state
            .password_checks
            .acquire()
            .await
            .map_err(|_| PageError(WebError::Internal))?;
        tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
            .await
            .unwrap_or(false)
    };
    let Some(user) = user.filter(|_| ok && has_password) else {
        tracing::warn!(name = %f.name.chars().take(64).collect::<String>(), "dashboard: failed sign-in");
        return Ok(login_page(
            &state,
            &new_nonce()?,
            &next,
            Some("Wrong name or password."),
            StatusCode::UNAUTHORIZED,
        ));
    };
    tracing::info!(user = %user.name, "dashboard: signed in");
    signed_in(&state, &user.name, user.role, &next)
}

pub(crate) fn signed_in(
    state: &Shared,
    user: &str,
    role: Role,
    next: &str,
) -> Result<Response, PageError> {
    let cookie = state
        .auth
        .issue_session(user, role, now_ms())
        .ok_or(PageError(WebError::Internal))?;
    let mut r = Redirect::to(next).into_response();
    let h = r.headers_mut();
    for c in [
        auth::session_set_cookie(&cookie, state.config.session_ttl_secs),
        auth::login_set_cookie("", 0),
    ] {
        if let Ok(v) = c.parse() {
            h.append(header::SET_COOKIE, v);
        }
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let who = authenticate(&state, &headers)?;
    crate::check_csrf(&state, &headers, &who, Some(&f.csrf))?;
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = auth::session_set_cookie("", 0).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

fn used_link() -> PageError {
    PageError(WebError::BadRequest(
        "This bootstrap link was already used, or is not valid. Configured users sign in at /login.".into(),
    ))
}

/// Shows a button rather than signing in on GET, so link previews and
/// prefetchers cannot use the link up.
pub async fn bootstrap_form(
    State(state): State<Shared>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if !state.auth.bootstrap_valid(&token) {
        return Err(used_link());
    }
    let nonce = new_nonce()?;
    let body = format!(
        "<section class=\"card narrow\"><h1>First sign-in</h1>\
<p>This one-time link signs you in as an <strong>admin</strong>. It works once; afterwards add users to the <code>[dashboard]</code> settings.</p>\
<form method=\"post\" action=\"/bootstrap/{t}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<button type=\"submit\" class=\"primary\">Sign in as admin</button></form></section>",
        t = esc(&html::url_segment(&token)),
        csrf = esc(&state.auth.login_token(&nonce)),
    );
    let mut r = Html(html::page("First sign-in", Nav::None, None, &body)).into_response();
    if let Ok(v) = auth::login_set_cookie(&nonce, 3600).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

pub async fn bootstrap_submit(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let nonce = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !same_origin(&state, &headers) || !state.auth.login_token_ok(nonce, &f.csrf) {
        return Err(PageError(WebError::Csrf));
    }
    if !state.auth.consume_bootstrap(&token) {
        return Err(used_link());
    }
    if let Some(path) = &state.config.bootstrap_file {
        crate::bootstrap_file::remove(path);
    }
    tracing::warn!("dashboard: the bootstrap link was used; add users to the settings");
    signed_in(&state, BOOTSTRAP_USER, Role::Admin, "/")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/approvals/apr_1")), "/approvals/apr_1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(argon2::PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!auth::verify_password("anything", DUMMY_HASH));
    }
}

//! scopegate's approval dashboard: where a human sees what an agent asked
//! for and approves or rejects it.
//!
//! It runs on its own listener, never the proxy's. Users come from the
//! settings (argon2 password hashes, roles viewer / approver / admin); with
//! no users, a one-time bootstrap link signs the first visitor in as admin.
//! Sessions are stateless signed cookies, so replicas sharing the key share
//! them; every state change needs a CSRF token derived from the session.
//! Only the dashboard's own sessions and API tokens are accepted: an
//! agent's token, surrogate or proxy credential gets 401.
//!
//! Pages are rendered on the server with every agent-supplied value
//! escaped, under a strict Content-Security-Policy with no inline script;
//! one static script follows `/events` (server-sent events from the
//! [`ApprovalHub`]) to refresh the pending queue live. The JSON API under
//! `/api` serves the same data to `scopegate approvals`. [`Notifier`] posts
//! a Slack-compatible webhook for every new held request.

mod api;
mod approval_json;
mod assets;
pub mod auth;
pub mod blast_radius;
mod bootstrap_file;
pub mod client;
mod config;
mod decide;
mod error;
mod events;
pub mod html;
pub mod list_filter;
mod login;
mod notify;
pub mod oidc;
mod pages;
pub mod slack;
pub mod view;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use http::request::Parts;
use http::{HeaderValue, header};
use scopegate_model::{ApprovalId, ApprovalState, Fingerprint, Resolution};
use scopegate_policy::ScopeMap;
use scopegate_store::{Approval, ApprovalHub, Store};

pub use approval_json::ApprovalJson;
pub use auth::{Principal, Via, hash_password, token_fingerprint};
pub use client::{ApiApproval, ApiClient, ClientError};
pub use config::{
    ConfigProblem, DashboardConfig, OidcConfig, Role, SlackConfig, UserConfig, WebhookConfig,
};
pub use error::WebError;
pub use notify::{Notifier, slack_payload};

use crate::auth::Auth;
pub(crate) use crate::decide::{Ask, resolve};
use crate::error::{ApiError, PageError};

/// Why the dashboard could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("dashboard settings: {0}")]
    Config(String),
    #[error("dashboard session key: {0}")]
    Key(String),
    #[error("dashboard bootstrap link file: {0}")]
    Bootstrap(String),
    #[error("password hashing failed: {0}")]
    Password(String),
    #[error("the system random number generator failed")]
    Random,
    #[error("dashboard webhook client: {0}")]
    Tls(String),
    #[error("dashboard listener: {0}")]
    Io(#[from] std::io::Error),
}

/// The strict policy every response carries.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

type ScopeMapFn = dyn Fn() -> Arc<ScopeMap> + Send + Sync;

/// An approver's step on an approval, as the decision log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApproverStep {
    /// One approver's approve of an approval that needs `needed`
    /// different approvers; this is number `count` (recorded before it
    /// is counted).
    Approved { count: usize, needed: u8 },
    /// Approved or rejected (recorded before it is applied).
    Resolved(Resolution),
    /// Recorded, then overtaken: the approval had stopped waiting (expired,
    /// or another approver was first).
    NotApplied,
}

/// Records an approver's step (with the approval as it reads after the
/// step) in the decision log, durably; `Err` says why it could not be.
pub type StepLog = Arc<
    dyn Fn(&Approval, ApproverStep) -> futures_util::future::BoxFuture<'static, Result<(), String>>
        + Send
        + Sync,
>;

pub(crate) struct AppState {
    config: DashboardConfig,
    auth: Auth,
    /// Single sign-on, when configured.
    oidc: Option<oidc::Oidc>,
    /// Slack's buttons, when configured.
    slack: Option<slack::Slack>,
    store: Store,
    hub: ApprovalHub,
    scope_map: Box<ScopeMapFn>,
    /// Ends server-sent event streams at shutdown, so draining finishes.
    shutdown: tokio::sync::watch::Sender<bool>,
    /// Bounds concurrent argon2 verifications (CPU and memory heavy).
    password_checks: tokio::sync::Semaphore,
    started_ms: i64,
    /// Where approvers' steps are recorded (set by `serve`).
    step_log: std::sync::OnceLock<StepLog>,
    /// The catalogued operations (set by `serve`: its catalogues, with
    /// the scope map's own; the bundled ones otherwise).
    words: std::sync::OnceLock<Box<WordsFn>>,
}

/// The catalogued operations, now.
pub type WordsFn = dyn Fn() -> Arc<[scopegate_model::OperationWord]> + Send + Sync;

impl AppState {
    /// The catalogued operations the Tokens page weighs scope maps against.
    pub(crate) fn words(&self) -> Arc<[scopegate_model::OperationWord]> {
        match self.words.get() {
            Some(f) => f(),
            None => {
                static BUNDLED: std::sync::OnceLock<Arc<[scopegate_model::OperationWord]>> =
                    std::sync::OnceLock::new();
                BUNDLED
                    .get_or_init(|| {
                        scopegate_inspect::catalog::CatalogSet::bundled()
                            .map(|c| c.words())
                            .unwrap_or_default()
                            .into()
                    })
                    .clone()
            }
        }
    }
}

pub(crate) type Shared = Arc<AppState>;

/// The dashboard: build it once, then [`Dashboard::router`] or
/// [`Dashboard::serve`].
#[derive(Clone)]
pub struct Dashboard {
    state: Shared,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("listen", &self.state.config.listen)
            .field("public_url", &self.state.config.public_url())
            .field("users", &self.state.config.users.len())
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// Checks the settings and loads (or creates) the session key.
    /// `scope_map` returns the current scope map for the read-only tokens
    /// page, and lets the dashboard refuse agent tokens by name.
    /// With `bootstrap_file` set, writes the bootstrap link there (mode
    /// 0600), or removes a stale one when users exist.
    pub fn new(
        mut config: DashboardConfig,
        store: Store,
        hub: ApprovalHub,
        scope_map: impl Fn() -> Arc<ScopeMap> + Send + Sync + 'static,
    ) -> Result<Self, DashboardError> {
        config.load_users_file()?;
        config.validate()?;
        let key = auth::load_key(&config)?;
        let auth = Auth::new(&config, &key)?;
        let oidc = oidc::Oidc::new(&config)?;
        let slack = config.slack.as_ref().map(slack::Slack::new).transpose()?;
        if let Some(path) = &config.bootstrap_file {
            match auth.bootstrap_token() {
                Some(t) => bootstrap_file::write(path, &bootstrap_link(&config, &t))?,
                None => bootstrap_file::remove(path),
            }
        }
        Ok(Self {
            state: Arc::new(AppState {
                config,
                auth,
                oidc,
                slack,
                store,
                hub,
                scope_map: Box::new(scope_map),
                shutdown: tokio::sync::watch::channel(false).0,
                password_checks: tokio::sync::Semaphore::new(2),
                started_ms: scopegate_store::approvals::now_ms(),
                step_log: std::sync::OnceLock::new(),
                words: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Where the Tokens page finds the catalogued operations (`serve`: its
    /// engine's catalogues, reloaded with it).
    pub fn catalog_words(
        &self,
        words: impl Fn() -> Arc<[scopegate_model::OperationWord]> + Send + Sync + 'static,
    ) {
        let _ = self.state.words.set(Box::new(words));
    }

    /// Records every approve and reject in the decision log through `log`.
    pub fn record_steps(&self, log: StepLog) {
        let _ = self.state.step_log.set(log);
    }

    pub fn config(&self) -> &DashboardConfig {
        &self.state.config
    }

    /// With no users configured: the one-time link that signs its first
    /// visitor in as admin (print it at start). `None` once used, or when
    /// users exist.
    pub fn bootstrap_link(&self) -> Option<String> {
        self.state
            .auth
            .bootstrap_token()
            .map(|t| bootstrap_link(&self.state.config, &t))
    }

    /// Where an approver resolves approval `id`.
    pub fn approval_link(&self, id: &ApprovalId) -> String {
        self.state.config.approval_link(id.as_str())
    }

    /// Every page, the API, the event stream and the static files, with the
    /// security headers on every response.
    pub fn router(&self) -> Router {
        Router::new()
            // pages
            .route("/", get(pages::queue))
            .route("/fragments/pending", get(pages::pending_fragment))
            .route("/approvals", get(pages::approvals))
            .route("/approvals/{id}", get(pages::detail))
            .route("/approvals/{id}/approve", post(pages::approve))
            .route("/approvals/{id}/reject", post(pages::reject))
            .route("/history", get(pages::history))
            .route("/tokens", get(pages::tokens))
            .route("/tokens/{name}/draft", get(pages::draft))
            .route("/health", get(pages::health))
            .route("/healthz", get(pages::healthz))
            // sign-in
            .route("/login", get(login::form).post(login::submit))
            .route("/login/oidc", get(oidc::start))
            .route("/login/oidc/callback", get(oidc::callback))
            .route("/logout", post(login::logout))
            .route(
                "/bootstrap/{token}",
                get(login::bootstrap_form).post(login::bootstrap_submit),
            )
            // live updates
            .route("/events", get(events::stream))
            // JSON API
            .route("/api/approvals", get(api::list))
            .route("/api/approvals/{id}", get(api::get))
            .route("/api/approvals/{id}/approve", post(api::approve))
            .route("/api/approvals/{id}/reject", post(api::reject))
            .route("/api/history", get(api::history))
            .route("/api/health", get(api::health))
            .route("/api/whoami", get(api::whoami))
            // Slack's buttons (authenticated by signature)
            .route("/slack/interactions", post(slack::interactions))
            // static files
            .route("/static/app.css", get(assets::css))
            .route("/static/app.js", get(assets::js))
            .route("/static/favicon.svg", get(assets::icon))
            .fallback(pages::not_found)
            .layer(axum::middleware::from_fn(security_headers))
            .with_state(self.state.clone())
    }

    /// Serves until `shutdown` resolves, then ends live event streams and
    /// drains open requests.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DashboardError> {
        let state = self.state.clone();
        let signal = async move {
            shutdown.await;
            state.shutdown.send_replace(true);
        };
        axum::serve(listener, self.router())
            .with_graceful_shutdown(signal)
            .await?;
        Ok(())
    }
}

fn bootstrap_link(config: &DashboardConfig, token: &str) -> String {
    format!(
        "{}/bootstrap/{}",
        config.public_url(),
        html::url_segment(token)
    )
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not `no-referrer`: under it Chromium sends `Origin: null` on the
    // dashboard's own form posts, which the origin check must refuse.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Who sent this request: a dashboard API token (`Authorization: Bearer`)
/// or a session cookie. Any other `Authorization` is refused outright, so
/// an agent's credential never falls back to a browser session.
pub(crate) fn authenticate(
    state: &AppState,
    headers: &http::HeaderMap,
) -> Result<Principal, WebError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().map_err(|_| WebError::BadCredential)?;
        let bearer = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(WebError::BadCredential)?;
        if (state.scope_map)()
            .token_for(&Fingerprint::of(bearer.as_bytes()))
            .is_some()
        {
            tracing::warn!("dashboard: refused an agent's token (a scope-map token or surrogate)");
            return Err(WebError::BadCredential);
        }
        let user = state.auth.api_user(bearer).ok_or(WebError::BadCredential)?;
        return Ok(Principal {
            user: user.name.clone(),
            role: user.role,
            via: Via::ApiToken,
        });
    }
    let cookie = auth::cookie(headers, auth::SESSION_COOKIE).ok_or(WebError::Unauthenticated)?;
    state
        .auth
        .verify_session(cookie, scopegate_store::approvals::now_ms())
        .ok_or(WebError::Unauthenticated)
}

/// For state changes: cookie sessions must present the session's CSRF
/// token (form field or `x-csrf-token`) and, when the browser says where
/// the request came from, come from this dashboard. API tokens are not
/// sent by browsers on their own, so they need neither.
pub(crate) fn check_csrf(
    state: &AppState,
    headers: &http::HeaderMap,
    who: &Principal,
    form_token: Option<&str>,
) -> Result<(), WebError> {
    if who.via == Via::ApiToken {
        return Ok(());
    }
    if !same_origin(state, headers) {
        return Err(WebError::Csrf);
    }
    let presented = form_token
        .filter(|t| !t.is_empty())
        .or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
        .ok_or(WebError::Csrf)?;
    let cookie = auth::cookie(headers, auth::SESSION_COOKIE).ok_or(WebError::Csrf)?;
    if state.auth.csrf_ok(cookie, presented) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

/// False when `Sec-Fetch-Site` says cross-site or `Origin` names another
/// site than this request's host or the public URL.
pub(crate) fn same_origin(state: &AppState, headers: &http::HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s == "cross-site" || s == "same-site")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let public = state.config.public_url();
    let public_authority = public.split_once("://").map_or("", |(_, a)| a);
    authority.eq_ignore_ascii_case(host) || authority.eq_ignore_ascii_case(public_authority)
}

/// A signed-in user on an HTML route (unauthenticated → the sign-in page).
pub(crate) struct PageUser(pub Principal);

impl FromRequestParts<Shared> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Shared,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(state, &parts.headers) {
            Ok(p) => Ok(Self(p)),
            // Back to this page after signing in (a webhook's link, say).
            Err(WebError::Unauthenticated) => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                Err(axum::response::Redirect::to(&format!(
                    "/login?next={}",
                    html::query_value(next)
                ))
                .into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// A signed-in user on an API route (unauthenticated → 401 JSON).
pub(crate) struct ApiUser(pub Principal);

impl FromRequestParts<Shared> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Shared,
    ) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers)
            .map(Self)
            .map_err(ApiError)
    }
}

pub(crate) fn now_ms() -> i64 {
    scopegate_store::approvals::now_ms()
}

/// An approval-state filter as a query gives it: empty or `all` is none;
/// `Err` names a state that does not exist.
pub(crate) fn state_filter(s: Option<&str>) -> Result<Option<ApprovalState>, String> {
    match s.filter(|s| !s.is_empty() && *s != "all") {
        None => Ok(None),
        Some(s) => ApprovalState::parse(s)
            .map(Some)
            .ok_or_else(|| s.to_owned()),
    }
}

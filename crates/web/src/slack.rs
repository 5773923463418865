//! Slack's Approve and Reject buttons: `POST /slack/interactions` takes
//! Slack's signed callback, maps the Slack user to a dashboard user by
//! `slack_id` or, with a bot token, by confirmed email
//! (`slack/directory.rs`), decides through [`crate::resolve`], and replaces the
//! card in place through the callback's `response_url`.
//!
//! A callback is refused (401) without a valid v0 signature, with a
//! timestamp more than five minutes from now, or when its signature was
//! already used. A Slack user with no mapping is sent the dashboard link,
//! privately, and nothing is decided.

mod directory;
mod replay;
mod settings;
pub mod signature;

use std::sync::Mutex;

use axum::extract::State;
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt as _, Full};
use ring::hmac;
use scopegate_model::{ApprovalId, Resolution};
use serde::Deserialize;
use serde_json::{Value, json};

pub use settings::SlackConfig;

use crate::notify::{CardActions, HttpClient};
use crate::{AppState, DashboardError, Principal, Shared, Via, WebError};

/// The Approve button's `action_id`.
pub const APPROVE: &str = "scopegate_approve";
/// The Reject button's `action_id`.
pub const REJECT: &str = "scopegate_reject";

/// Slack interactivity as configured: the signing key, the signatures
/// already used, the client for `response_url`, the user mapping.
pub(crate) struct Slack {
    key: hmac::Key,
    seen: Mutex<replay::Seen>,
    client: HttpClient,
    response_url_prefix: String,
    directory: directory::Directory,
}

impl Slack {
    pub(crate) fn new(config: &SlackConfig) -> Result<Self, DashboardError> {
        let secret = config.load_secret()?;
        let client = crate::notify::http_client()?;
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            seen: Mutex::new(replay::Seen::default()),
            directory: directory::Directory::new(config, client.clone())?,
            client,
            response_url_prefix: config.response_url_prefix.clone(),
        })
    }
}

/// The parts of Slack's `block_actions` payload used here.
#[derive(Debug, Deserialize)]
struct Payload {
    user: SlackUser,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default)]
    response_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SlackUser {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Action {
    action_id: String,
    #[serde(default)]
    value: String,
}

fn now_secs() -> i64 {
    crate::now_ms() / 1000
}

/// `POST /slack/interactions`.
pub(crate) async fn interactions(
    State(state): State<Shared>,
    headers: http::HeaderMap,
    body: Bytes,
) -> Response {
    let Some(slack) = &state.slack else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let (ts, sig) = (
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
    );
    let now = now_secs();
    if let Err(why) = signature::verify(&slack.key, ts, sig, &body, now) {
        tracing::warn!(refusal = ?why, "slack: callback refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let (Some(ts), Some(sig)) = (ts, sig) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let when = ts.parse().unwrap_or(0);
    let first = slack
        .seen
        .lock()
        .map(|mut s| s.first_use(sig, when, now))
        .unwrap_or(false);
    if !first {
        tracing::warn!("slack: callback refused (replayed)");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(payload) = parse(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some((action, resolution)) =
        payload
            .actions
            .iter()
            .find_map(|a| match a.action_id.as_str() {
                APPROVE => Some((a, Resolution::Approve)),
                REJECT => Some((a, Resolution::Reject)),
                _ => None,
            })
    else {
        return StatusCode::OK.into_response();
    };
    let id = ApprovalId::new(action.value.as_str());
    let reply = decide(&state, slack, &payload.user.id, &id, resolution).await;
    match payload.response_url {
        Some(url) if url.starts_with(slack.response_url_prefix.as_str()) => {
            respond(&state, url, reply);
        }
        Some(_) => tracing::warn!("slack: response_url outside response_url_prefix; not posted"),
        None => {}
    }
    StatusCode::OK.into_response()
}

/// The form body's `payload`, as JSON.
fn parse(body: &[u8]) -> Option<Payload> {
    let (_, json) = form_urlencoded::parse(body).find(|(k, _)| k == "payload")?;
    serde_json::from_str(&json).ok()
}

/// Decides for the mapped user; the message for `response_url`.
async fn decide(
    state: &AppState,
    slack: &Slack,
    slack_id: &str,
    id: &ApprovalId,
    r: Resolution,
) -> Value {
    let link = state.config.approval_link(id.as_str());
    let ephemeral = |text: String| json!({"response_type": "ephemeral", "replace_original": false, "text": text});
    let Some(user) = slack.directory.find(&state.config.users, slack_id).await else {
        tracing::info!(approval = %id, "slack: a Slack user with no dashboard mapping pressed a button");
        return ephemeral(format!(
            "Your Slack account is not linked to a scopegate approver. Decide in the dashboard: <{link}|open the approval>"
        ));
    };
    let who = Principal {
        user: user.name.clone(),
        role: user.role,
        via: Via::Slack,
    };
    let ask = crate::Ask::new(r, "via Slack", None);
    let outcome = match crate::resolve(state, &who, id, ask).await {
        Ok(a) if a.state == scopegate_model::ApprovalState::Pending => format!(
            "Approved by {}; waiting for another approver ({} needed)",
            who.user, a.held.who_decides.approvers
        ),
        Ok(a) => format!(
            "{} by {}",
            state_word(a.state.as_str()),
            a.decided_by.as_deref().unwrap_or(&who.user)
        ),
        Err(WebError::Conflict(a)) => match &a.decided_by {
            Some(by) => format!("Already {} by {by}", a.state.as_str()),
            None => format!("Already {}", a.state.as_str()),
        },
        Err(WebError::Forbidden(why)) => return ephemeral(format!("{why} (<{link}|open>)")),
        Err(WebError::Confirm { expected, .. }) => {
            return ephemeral(format!(
                "This request destroys {}: approve it in the dashboard, where you type its name to confirm: <{link}|open the approval>",
                crate::notify::slack_escape(&expected)
            ));
        }
        Err(e @ WebError::Refused { .. }) => {
            return ephemeral(format!(
                "{} (<{link}|open>)",
                crate::notify::slack_escape(&e.message())
            ));
        }
        Err(WebError::NotFound) => return ephemeral("No such approval.".into()),
        Err(_) => {
            return ephemeral(format!(
                "The decision could not be made; try the dashboard: <{link}|open>"
            ));
        }
    };
    match state.store.approval(id).await {
        Ok(Some(a)) => {
            let mut card = crate::notify::card(&a, &link, CardActions::Outcome(&outcome));
            card["replace_original"] = json!(true);
            card
        }
        _ => json!({"replace_original": true, "text": outcome}),
    }
}

fn state_word(state: &str) -> String {
    let mut c = state.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Posts `message` to Slack's `response_url` in the background.
fn respond(state: &AppState, url: String, message: Value) {
    let Some(slack) = &state.slack else { return };
    let Ok(uri) = url.parse::<http::Uri>() else {
        tracing::warn!("slack: response_url is not a URL");
        return;
    };
    let client = slack.client.clone();
    tokio::spawn(async move {
        let req = http::Request::post(uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(message.to_string())));
        let Ok(req) = req else { return };
        let sent = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            let res = client.request(req).await.map_err(|e| e.to_string())?;
            let status = res.status();
            let _ = res.into_body().collect().await;
            Ok::<_, String>(status)
        })
        .await;
        match sent {
            Ok(Ok(s)) if s.is_success() => {}
            Ok(Ok(s)) => tracing::warn!(status = %s, "slack: response_url refused the update"),
            Ok(Err(e)) => tracing::warn!(error = %e, "slack: response_url failed"),
            Err(_) => tracing::warn!("slack: response_url did not answer in 10 s"),
        }
    });
}

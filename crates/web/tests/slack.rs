//! Slack's Approve and Reject buttons against a fake Slack on 127.0.0.1:0
//! that receives the webhook's card and the in-place updates posted to
//! `response_url`, and answers `users.info`; callbacks signed as Slack signs
//! them (v0, HMAC-SHA256).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use scopegate_model::{ApprovalId, ApprovalState};
use scopegate_store::Approval;
use scopegate_web::{ApproverStep, DashboardConfig, Notifier, SlackConfig, WebhookConfig};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const SECRET: &str = "slack-signing-secret-for-tests-0123456789";
const BOT_TOKEN: &str = "xoxb-test-bot-token-0123456789";

/// What the fake Slack received: the path and the JSON body of each post;
/// each `users.info` call's `user` and `Authorization`.
struct FakeSlack {
    base: String,
    rx: mpsc::UnboundedReceiver<(String, Value)>,
    lookups: Lookups,
}

type Lookups = Arc<Mutex<Vec<(String, Option<String>)>>>;

impl FakeSlack {
    async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("the fake Slack got nothing in 5 s")
            .unwrap()
    }

    async fn nothing(&mut self) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(self.rx.try_recv().is_err(), "the fake Slack got a post");
    }

    fn lookups(&self) -> Vec<(String, Option<String>)> {
        self.lookups.lock().unwrap().clone()
    }
}

async fn fake_slack() -> FakeSlack {
    let (tx, rx) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let lookups = Lookups::default();
    let seen = lookups.clone();
    let app = axum::Router::new()
        .route(
            "/api/users.info",
            axum::routing::get(
                move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                    let seen = seen.clone();
                    async move { users_info(&seen, &uri, &headers) }
                },
            ),
        )
        .fallback(move |uri: axum::http::Uri, body: String| {
            let tx = tx.clone();
            async move {
                let v: Value = serde_json::from_str(&body).unwrap();
                let _ = tx.send((uri.path().to_owned(), v));
                "ok"
            }
        });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeSlack { base, rx, lookups }
}

/// The fake `users.info`: records the call, answers from [`directory`].
fn users_info(
    seen: &Lookups,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
) -> (StatusCode, String) {
    let query = uri.query().unwrap_or("").as_bytes();
    let user = form_urlencoded::parse(query)
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    seen.lock().unwrap().push((user.clone(), auth));
    match directory().remove(user.as_str()) {
        Some((status, body)) => (StatusCode::from_u16(status).unwrap(), body.to_string()),
        None => (
            StatusCode::OK,
            json!({"ok": false, "error": "user_not_found"}).to_string(),
        ),
    }
}

/// Slack's users as `users.info` shows them: status and body by user id.
fn directory() -> HashMap<&'static str, (u16, Value)> {
    let user = |id: &str, confirmed: Option<bool>, email: &str| {
        let mut u = json!({"id": id, "name": id, "profile": {"email": email}});
        if let Some(c) = confirmed {
            u["is_email_confirmed"] = json!(c);
        }
        (200, json!({"ok": true, "user": u}))
    };
    HashMap::from([
        ("UMAIL", user("UMAIL", Some(true), "Alice@Example.com")),
        ("UUNCONF", user("UUNCONF", Some(false), "alice@example.com")),
        ("UNOFLAG", user("UNOFLAG", None, "alice@example.com")),
        (
            "USTRANGER",
            user("USTRANGER", Some(true), "stranger@example.com"),
        ),
        (
            "UNOTOK",
            (200, json!({"ok": false, "error": "account_inactive"})),
        ),
        ("U500", (500, json!({"ok": true, "user": {}}))),
    ])
}

fn slack_config(fake: &FakeSlack) -> DashboardConfig {
    let dir = temp_dir("slack");
    let secret = dir.join("slack-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let mut users = users();
    users[0].slack_id = Some("UALICE".into()); // approver
    users[1].slack_id = Some("UVIC".into()); // viewer
    users[2].slack_id = Some("UROOT".into()); // admin
    DashboardConfig {
        users,
        public_url: Some("https://dash.example".into()),
        webhook: Some(WebhookConfig {
            url: format!("{}/hooks/T000/B000", fake.base),
            timeout_secs: 2,
        }),
        slack: Some(SlackConfig {
            signing_secret_env: None,
            signing_secret_file: Some(secret),
            response_url_prefix: format!("{}/actions/", fake.base),
            bot_token_env: None,
            bot_token_file: None,
            api_url: "https://slack.com/api".into(),
        }),
        ..DashboardConfig::default()
    }
}

/// [`slack_config`] with a bot token and `users.info` on the fake; alice's
/// dashboard email is alice@example.com.
fn email_config(fake: &FakeSlack) -> DashboardConfig {
    let mut cfg = slack_config(fake);
    let token = temp_dir("slack-bot").join("bot-token");
    std::fs::write(&token, format!("{BOT_TOKEN}\n")).unwrap();
    // alice is found by her email only: a user linked by slack_id is that
    // Slack account alone
    cfg.users[0].email = Some("alice@example.com".into());
    cfg.users[0].slack_id = None;
    let slack = cfg.slack.as_mut().unwrap();
    slack.bot_token_file = Some(token);
    slack.api_url = format!("{}/api", fake.base);
    cfg
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The form body Slack posts for a button press.
fn press(fake: &FakeSlack, user: &str, action_id: &str, id: &ApprovalId) -> String {
    press_to(
        &format!("{}/actions/T000/1/xyz", fake.base),
        user,
        action_id,
        id,
    )
}

fn press_to(response_url: &str, user: &str, action_id: &str, id: &ApprovalId) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": "T000"},
        "actions": [{"type": "button", "action_id": action_id, "value": id.as_str(), "block_id": "b"}],
        "response_url": response_url,
    });
    form_encode(&[("payload", &payload.to_string())])
}

/// `v0=` + hex(HMAC-SHA256(secret, "v0:{ts}:{body}")), as Slack signs.
fn sign(ts: i64, body: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let tag = ring::hmac::sign(&key, format!("v0:{ts}:{body}").as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

fn callback(ts: i64, signature: &str, body: &str) -> Request<Body> {
    Request::post("/slack/interactions")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", signature)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn signed(body: &str) -> Request<Body> {
    let ts = now_secs();
    callback(ts, &sign(ts, body), body)
}

async fn state_of(app: &App, id: &ApprovalId) -> Approval {
    app.store.approval(id).await.unwrap().unwrap()
}

/// The buttons (elements with an `action_id`) in a card.
fn buttons(card: &Value) -> Vec<Value> {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .filter(|e| e.get("action_id").is_some())
        .collect()
}

#[tokio::test]
async fn the_webhook_card_has_approve_and_reject_buttons() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold_request(&app.store, "apr_card", &variable_upsert_hold("apr_card")).await;
    let n = Notifier::with_backoff(&slack_config(&fake), 1, Duration::from_millis(10)).unwrap();
    n.deliver(&state_of(&app, &id).await).await.unwrap();
    let (path, card) = fake.next().await;
    assert_eq!(path, "/hooks/T000/B000");
    let b = buttons(&card);
    assert_eq!(b.len(), 2, "{card}");
    assert_eq!(b[0]["action_id"], "scopegate_approve");
    assert_eq!(b[0]["value"], "apr_card");
    assert_eq!(b[0]["style"], "primary");
    assert_eq!(b[1]["action_id"], "scopegate_reject");
    assert_eq!(b[1]["value"], "apr_card");
    assert_eq!(b[1]["style"], "danger");
    assert!(
        card.to_string()
            .contains("https://dash.example/approvals/apr_card")
    );
}

#[tokio::test]
async fn a_destructive_card_sends_the_approver_to_the_dashboard_to_type_its_name() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold(&app.store, "apr_destroy").await;
    let n = Notifier::with_backoff(&slack_config(&fake), 1, Duration::from_millis(10)).unwrap();
    n.deliver(&state_of(&app, &id).await).await.unwrap();
    let (_, card) = fake.next().await;
    let b = buttons(&card);
    assert_eq!(b.len(), 1, "only Reject decides in Slack: {card}");
    assert_eq!(b[0]["action_id"], "scopegate_reject");
    let text = card.to_string();
    assert!(
        text.contains("\"text\":\"Approve in dashboard\"")
            && text.contains("\"url\":\"https://dash.example/approvals/apr_destroy\"")
            && text.contains("This destroys vol-123"),
        "{card}"
    );
    // A forged or stale Approve press for it (signed, mapped approver)
    // decides nothing: the dashboard's typed confirmation is the only way.
    let r = app.dashboard.router();
    let res = send(
        &r,
        signed(&press(&fake, "UALICE", "scopegate_approve", &id)),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let (_, reply) = fake.next().await;
    assert_eq!(reply["response_type"], "ephemeral", "{reply}");
    let said = reply["text"].as_str().unwrap();
    assert!(
        said.contains("This request destroys vol-123")
            && said.contains("https://dash.example/approvals/apr_destroy"),
        "{said}"
    );
    let a = state_of(&app, &id).await;
    assert_eq!((a.state, a.decided_by), (ApprovalState::Pending, None));
}

#[tokio::test]
async fn a_signed_approve_by_a_mapped_approver_approves_and_updates_the_card() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold_request(&app.store, "apr_ok", &variable_upsert_hold("apr_ok")).await;
    let r = app.dashboard.router();
    let res = send(
        &r,
        signed(&press(&fake, "UALICE", "scopegate_approve", &id)),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let a = state_of(&app, &id).await;
    assert_eq!(a.state, ApprovalState::Approved);
    assert_eq!(a.decided_by.as_deref(), Some("alice"));
    assert_eq!(a.note.as_deref(), Some("via Slack"));
    let (path, update) = fake.next().await;
    assert_eq!(path, "/actions/T000/1/xyz");
    assert_eq!(update["replace_original"], true);
    assert!(
        update["text"]
            .as_str()
            .unwrap()
            .contains("Approved by alice"),
        "{update}"
    );
    assert!(buttons(&update).is_empty(), "buttons removed: {update}");
}

#[tokio::test]
async fn a_signed_reject_rejects_and_a_second_press_says_already_decided() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold(&app.store, "apr_no").await;
    let r = app.dashboard.router();
    let res = send(&r, signed(&press(&fake, "UROOT", "scopegate_reject", &id))).await;
    assert_eq!(res.status, StatusCode::OK);
    let a = state_of(&app, &id).await;
    assert_eq!(a.state, ApprovalState::Rejected);
    assert_eq!(a.decided_by.as_deref(), Some("root"));
    let (_, update) = fake.next().await;
    assert!(
        update["text"]
            .as_str()
            .unwrap()
            .contains("Rejected by root"),
        "{update}"
    );
    assert!(buttons(&update).is_empty());
    // alice presses Approve on a stale card (a new, signed callback)
    let res = send(
        &r,
        signed(&press(&fake, "UALICE", "scopegate_approve", &id)),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(state_of(&app, &id).await.state, ApprovalState::Rejected);
    let (_, update) = fake.next().await;
    assert!(
        update["text"]
            .as_str()
            .unwrap()
            .contains("Already rejected by root"),
        "{update}"
    );
}

#[tokio::test]
async fn a_replayed_callback_is_refused_and_changes_nothing() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold(&app.store, "apr_replay").await;
    let r = app.dashboard.router();
    let body = press(&fake, "UALICE", "scopegate_reject", &id);
    let ts = now_secs();
    let sig = sign(ts, &body);
    assert_eq!(
        send(&r, callback(ts, &sig, &body)).await.status,
        StatusCode::OK
    );
    let _ = fake.next().await;
    let before = state_of(&app, &id).await;
    assert_eq!(before.state, ApprovalState::Rejected);
    let res = send(&r, callback(ts, &sig, &body)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    fake.nothing().await;
    let after = state_of(&app, &id).await;
    assert_eq!(
        (after.state, after.decided_ms),
        (before.state, before.decided_ms)
    );
}

#[tokio::test]
async fn a_tampered_body_a_stale_timestamp_and_no_signature_are_refused() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold(&app.store, "apr_tamper").await;
    let r = app.dashboard.router();
    // signed as a Reject, sent as an Approve
    let ts = now_secs();
    let sig = sign(ts, &press(&fake, "UALICE", "scopegate_reject", &id));
    let tampered = press(&fake, "UALICE", "scopegate_approve", &id);
    assert_eq!(
        send(&r, callback(ts, &sig, &tampered)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // correctly signed, six minutes old
    let body = press(&fake, "UALICE", "scopegate_approve", &id);
    let old = now_secs() - 360;
    assert_eq!(
        send(&r, callback(old, &sign(old, &body), &body))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // no signature at all
    let bare = Request::post("/slack/interactions")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(send(&r, bare).await.status, StatusCode::UNAUTHORIZED);
    fake.nothing().await;
    assert_eq!(state_of(&app, &id).await.state, ApprovalState::Pending);
}

#[tokio::test]
async fn an_unmapped_slack_user_gets_the_link_and_no_decision() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold(&app.store, "apr_who").await;
    let r = app.dashboard.router();
    let res = send(
        &r,
        signed(&press(&fake, "UNOBODY", "scopegate_approve", &id)),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let (_, reply) = fake.next().await;
    assert_eq!(reply["response_type"], "ephemeral");
    assert_eq!(reply["replace_original"], false);
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("https://dash.example/approvals/apr_who"),
        "{reply}"
    );
    assert_eq!(state_of(&app, &id).await.state, ApprovalState::Pending);
}

#[tokio::test]
async fn a_mapped_viewer_cannot_decide() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold(&app.store, "apr_viewer").await;
    let r = app.dashboard.router();
    let res = send(&r, signed(&press(&fake, "UVIC", "scopegate_approve", &id))).await;
    assert_eq!(res.status, StatusCode::OK);
    let (_, reply) = fake.next().await;
    assert_eq!(reply["response_type"], "ephemeral");
    assert!(
        reply["text"].as_str().unwrap().contains("viewers"),
        "{reply}"
    );
    let a = state_of(&app, &id).await;
    assert_eq!(a.state, ApprovalState::Pending);
    assert_eq!(a.decided_by, None);
}

#[tokio::test]
async fn the_slack_step_is_in_the_decision_log() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold_request(
        &app.store,
        "apr_logged",
        &variable_upsert_hold("apr_logged"),
    )
    .await;
    type Steps = Vec<(String, Option<String>, ApproverStep)>;
    let seen: Arc<Mutex<Steps>> = Arc::default();
    let log = seen.clone();
    app.dashboard
        .record_steps(Arc::new(move |a: &Approval, step: ApproverStep| {
            log.lock()
                .unwrap()
                .push((a.state.as_str().to_owned(), a.decided_by.clone(), step));
            Box::pin(async { Ok(()) })
        }));
    let r = app.dashboard.router();
    let res = send(
        &r,
        signed(&press(&fake, "UALICE", "scopegate_approve", &id)),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let _ = fake.next().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(
            "approved".to_owned(),
            Some("alice".to_owned()),
            ApproverStep::Resolved(scopegate_model::Resolution::Approve)
        )]
    );
}

#[tokio::test]
async fn replies_go_only_under_the_response_url_prefix() {
    let mut fake = fake_slack().await;
    let app = app_with(slack_config(&fake)).await;
    let id = hold_request(
        &app.store,
        "apr_elsewhere",
        &variable_upsert_hold("apr_elsewhere"),
    )
    .await;
    let r = app.dashboard.router();
    let body = press_to(
        &format!("{}/hooks/elsewhere", fake.base),
        "UALICE",
        "scopegate_approve",
        &id,
    );
    assert_eq!(send(&r, signed(&body)).await.status, StatusCode::OK);
    assert_eq!(state_of(&app, &id).await.state, ApprovalState::Approved);
    fake.nothing().await;
}

#[test]
fn settings_need_a_secret_source_and_unique_slack_ids() {
    let mut users = users();
    users[0].slack_id = Some("USAME".into());
    users[2].slack_id = Some("USAME".into());
    let cfg = DashboardConfig {
        users,
        slack: Some(SlackConfig {
            signing_secret_env: None,
            signing_secret_file: None,
            response_url_prefix: "https://hooks.slack.com/".into(),
            bot_token_env: None,
            bot_token_file: None,
            api_url: "https://slack.com/api".into(),
        }),
        ..DashboardConfig::default()
    };
    let keys: Vec<String> = cfg.problems().into_iter().map(|p| p.key).collect();
    assert!(
        keys.contains(&"slack.signing_secret_env".to_owned()),
        "{keys:?}"
    );
    assert!(keys.contains(&"users.2.slack_id".to_owned()), "{keys:?}");
    // inline secrets are not a setting
    let inline: Result<DashboardConfig, _> = toml::from_str("[slack]\nsigning_secret = \"abc\"\n");
    assert!(inline.is_err());
}

/// The press got the private dashboard link and decided nothing.
async fn got_the_link(app: &App, fake: &mut FakeSlack, id: &ApprovalId) {
    let (_, reply) = fake.next().await;
    assert_eq!(reply["response_type"], "ephemeral", "{reply}");
    assert_eq!(reply["replace_original"], false, "{reply}");
    let link = format!("https://dash.example/approvals/{}", id.as_str());
    assert!(reply["text"].as_str().unwrap().contains(&link), "{reply}");
    let a = state_of(app, id).await;
    assert_eq!((a.state, a.decided_by), (ApprovalState::Pending, None));
}

fn bearer(user: &str) -> (String, Option<String>) {
    (user.to_owned(), Some(format!("Bearer {BOT_TOKEN}")))
}

#[tokio::test]
async fn a_slack_user_with_a_confirmed_email_approves_as_that_dashboard_user() {
    let mut fake = fake_slack().await;
    let app = app_with(email_config(&fake)).await;
    let id = hold_request(&app.store, "apr_mail", &variable_upsert_hold("apr_mail")).await;
    let r = app.dashboard.router();
    let res = send(&r, signed(&press(&fake, "UMAIL", "scopegate_approve", &id))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(fake.lookups(), vec![bearer("UMAIL")]);
    let a = state_of(&app, &id).await;
    assert_eq!(a.state, ApprovalState::Approved);
    assert_eq!(a.decided_by.as_deref(), Some("alice"));
    let (_, update) = fake.next().await;
    assert_eq!(update["replace_original"], true, "{update}");
    assert!(
        update["text"]
            .as_str()
            .unwrap()
            .contains("Approved by alice"),
        "{update}"
    );
}

#[tokio::test]
async fn an_unconfirmed_or_unknown_email_or_a_failed_lookup_gets_the_link() {
    let mut fake = fake_slack().await;
    let app = app_with(email_config(&fake)).await;
    let id = hold_request(
        &app.store,
        "apr_nomail",
        &variable_upsert_hold("apr_nomail"),
    )
    .await;
    let r = app.dashboard.router();
    let who = ["UUNCONF", "UNOFLAG", "USTRANGER", "UNOTOK", "U500"];
    for user in who {
        let res = send(&r, signed(&press(&fake, user, "scopegate_approve", &id))).await;
        assert_eq!(res.status, StatusCode::OK, "{user}");
        got_the_link(&app, &mut fake, &id).await;
    }
    assert_eq!(fake.lookups(), who.map(bearer).to_vec());
}

#[tokio::test]
async fn a_second_press_within_ten_minutes_does_not_ask_slack_again() {
    let mut fake = fake_slack().await;
    let app = app_with(email_config(&fake)).await;
    let first = hold_request(&app.store, "apr_c1", &variable_upsert_hold("apr_c1")).await;
    let second = hold_request(&app.store, "apr_c2", &variable_upsert_hold("apr_c2")).await;
    let r = app.dashboard.router();
    // each press is a new callback body (a repeated one would be a replay)
    let presses = [
        ("UMAIL", "scopegate_approve", &first),
        ("UMAIL", "scopegate_reject", &second),
        ("UROOT", "scopegate_reject", &first),
        ("U500", "scopegate_approve", &second),
        ("U500", "scopegate_reject", &second),
    ];
    for (user, action, id) in presses {
        let res = send(&r, signed(&press(&fake, user, action, id))).await;
        assert_eq!(res.status, StatusCode::OK, "{user} {action}");
        let _ = fake.next().await;
    }
    let a = state_of(&app, &second).await;
    assert_eq!(a.state, ApprovalState::Rejected);
    assert_eq!(a.decided_by.as_deref(), Some("alice"));
    // a user mapped by slack_id is not looked up; a failed lookup is not
    // remembered, so it is asked again
    assert_eq!(
        fake.lookups(),
        vec![bearer("UMAIL"), bearer("U500"), bearer("U500")]
    );
}

/// `Dashboard::new`'s error for these Slack settings.
async fn start_error(slack: SlackConfig) -> String {
    let cfg = DashboardConfig {
        users: users(),
        session_key_file: Some(temp_dir("slack-key").join("dashboard.key")),
        slack: Some(slack),
        ..DashboardConfig::default()
    };
    let map = scope_map();
    let made =
        scopegate_web::Dashboard::new(cfg, store().await, Default::default(), move || map.clone());
    match made {
        Ok(_) => panic!("the settings were accepted"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn the_bot_token_is_read_like_the_signing_secret_and_never_shown() {
    let fake = fake_slack().await;
    let base = slack_config(&fake).slack.unwrap();
    let with = |env: Option<&str>, file: Option<std::path::PathBuf>| SlackConfig {
        bot_token_env: env.map(Into::into),
        bot_token_file: file,
        ..base.clone()
    };
    let dir = temp_dir("slack-bot");
    let unset = start_error(with(Some("SCOPEGATE_TEST_UNSET_BOT_TOKEN_7F3A"), None)).await;
    assert!(unset.contains("slack.bot_token_env"), "{unset}");
    let missing = start_error(with(None, Some(dir.join("absent")))).await;
    assert!(missing.contains("slack.bot_token_file"), "{missing}");
    for bad in ["xoxb-short", "xoxb-has a space-0123456789"] {
        let file = dir.join("bad-token");
        std::fs::write(&file, bad).unwrap();
        let e = start_error(with(None, Some(file))).await;
        assert!(e.contains("slack bot token"), "{e}");
        assert!(!e.contains("xoxb"), "the token is shown: {e}");
    }
    let mut cfg = slack_config(&fake);
    let keys = |cfg: &DashboardConfig| -> Vec<String> {
        cfg.problems().into_iter().map(|p| p.key).collect()
    };
    cfg.slack.as_mut().unwrap().api_url = "http://slack.example/api".into();
    assert!(
        keys(&cfg).contains(&"slack.api_url".to_owned()),
        "{:?}",
        keys(&cfg)
    );
    cfg.slack.as_mut().unwrap().api_url = "http://127.0.0.1:9/api".into();
    assert!(keys(&cfg).is_empty(), "{:?}", keys(&cfg));
    let inline: Result<DashboardConfig, _> = toml::from_str("[slack]\nbot_token = \"xoxb-abc\"\n");
    assert!(inline.is_err());
}

//! What an agent would need to approve its own request, and why it cannot
//! get it: a session signed with any key but the dashboard's is refused,
//! and so is a tampered or re-bound one (so the key file is the whole
//! secret, and `serve` keeps it private); the bootstrap link goes to a
//! 0600 file that disappears once used; users come from a file of their
//! own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::*;
use http::{Request, StatusCode, header};
use scopegate_web::auth::{Auth, BOOTSTRAP_USER};
use scopegate_web::{Dashboard, DashboardConfig, Role, UserConfig};

fn now_ms() -> i64 {
    scopegate_store::approvals::now_ms()
}

/// Every way a forged cookie could act: pages, the API, approving by form
/// and by API. Each must find nobody signed in.
async fn assert_refused(app: &App, id: &str, cookie: &str, csrf: &str, what: &str) {
    let r = app.dashboard.router();
    let page = send(&r, get("/", Some(cookie))).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{what}: /");
    assert!(
        page.location().starts_with("/login"),
        "{what}: {}",
        page.location()
    );
    for path in ["/api/whoami", "/api/approvals"] {
        let res = send(&r, get(path, Some(cookie))).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}: {path}");
    }
    let mut form = post_form(
        &format!("/approvals/{id}/approve"),
        Some(cookie),
        &[("csrf", csrf), ("note", "approving myself")],
    );
    form.headers_mut()
        .insert(header::ORIGIN, "https://dash.example".parse().unwrap());
    let res = send(&r, form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{what}: form approve");
    assert!(
        res.location().starts_with("/login"),
        "{what}: {}",
        res.location()
    );
    let api = Request::post(format!("/api/approvals/{id}/approve"))
        .header(header::COOKIE, cookie)
        .header("x-csrf-token", csrf)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        send(&r, api).await.status,
        StatusCode::UNAUTHORIZED,
        "{what}: API approve"
    );
    let a = app.store.approval(&id.into()).await.unwrap().unwrap();
    assert_eq!(
        (a.state.as_str(), a.decided_by.as_deref()),
        ("pending", None),
        "{what}: nothing was decided"
    );
}

fn config_with(users: Vec<UserConfig>) -> DashboardConfig {
    DashboardConfig {
        users,
        ..DashboardConfig::default()
    }
}

#[tokio::test]
async fn sessions_forged_with_a_wrong_key_tampered_or_rebound_are_refused_and_approve_nothing() {
    let app = app().await;
    let id = hold(&app.store, "apr_forged").await;
    let real_key = std::fs::read(app.dir.join("dashboard.key")).unwrap();
    let real_key = String::from_utf8(real_key).unwrap();
    let real_key = real_key.trim().as_bytes();
    let forge = |users: Vec<UserConfig>, key: &[u8], user: &str, role: Role| {
        let a = Auth::new(&config_with(users), key).unwrap();
        let c = a.issue_session(user, role, now_ms()).unwrap();
        (format!("sg_session={c}"), a.csrf_for(&c))
    };

    // signed with keys an agent could guess or bring: every user, every role
    for key in [[0u8; 32], [0x41; 32], *b"dashboard-session-key-guess-0001"] {
        for (user, role) in [("root", Role::Admin), ("alice", Role::Approver)] {
            let (cookie, csrf) = forge(users(), &key, user, role);
            assert_refused(
                &app,
                id.as_str(),
                &cookie,
                &csrf,
                &format!("wrong key, {user}"),
            )
            .await;
        }
    }
    // a real viewer's session, its payload changed to an admin's or
    // another user's, keeping the signature
    let r = app.dashboard.router();
    let (vic, _) = session(&r, "vic").await;
    let value = vic.strip_prefix("sg_session=").unwrap();
    let (_, tag) = value.split_once('.').unwrap();
    let exp = now_ms() + 3_600_000;
    for payload in [
        format!("vic|admin|{exp}"),
        format!("vic|approver|{exp}"),
        format!("root|admin|{exp}"),
        format!("{BOOTSTRAP_USER}|admin|{exp}"),
        format!("vic|viewer|{}", exp * 10),
    ] {
        let cookie = format!("sg_session={}.{tag}", B64.encode(&payload));
        assert_refused(
            &app,
            id.as_str(),
            &cookie,
            "",
            &format!("tampered: {payload}"),
        )
        .await;
    }
    // even with the real key, sessions bound to what is not configured:
    // a bootstrap admin while users exist, a user who does not exist, a
    // user under another password hash
    let (cookie, csrf) = forge(vec![], real_key, BOOTSTRAP_USER, Role::Admin);
    assert_refused(
        &app,
        id.as_str(),
        &cookie,
        &csrf,
        "bootstrap while users exist",
    )
    .await;
    let mut mallory = users();
    mallory.push(UserConfig {
        name: "mallory".into(),
        password_hash: Some(password_hash()),
        email: None,
        role: Role::Admin,
        api_token_fingerprint: None,
        slack_id: None,
        tokens: Vec::new(),
        agents: Vec::new(),
    });
    let (cookie, csrf) = forge(mallory, real_key, "mallory", Role::Admin);
    assert_refused(&app, id.as_str(), &cookie, &csrf, "an unknown user").await;
    let mut rehashed = users();
    rehashed[2].password_hash =
        Some(scopegate_web::hash_password("the agent's own password").unwrap());
    let (cookie, csrf) = forge(rehashed, real_key, "root", Role::Admin);
    assert_refused(&app, id.as_str(), &cookie, &csrf, "another password hash").await;

    // the control: with the real key and the real users, a forged session
    // is accepted. The key file is the whole secret, so it must stay
    // unreadable to agents (serve's permission check, threat-model.md).
    let (cookie, _) = forge(users(), real_key, "root", Role::Admin);
    let who = send(&r, get("/api/whoami", Some(&cookie))).await;
    assert_eq!(who.status, StatusCode::OK);
    assert_eq!(who.json()["user"], "root");
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_bootstrap_link_is_in_a_private_file_that_goes_once_used() {
    let dir = temp_dir("bootstrap-file");
    let file = dir.join("bootstrap-link");
    // a stale file from an earlier run, world-readable: replaced, not reused
    std::fs::write(&file, "http://old/bootstrap/stale\n").unwrap();
    let map = scope_map();
    let dashboard = Dashboard::new(
        DashboardConfig {
            public_url: Some("http://127.0.0.1:9091".into()),
            session_key_file: Some(dir.join("dashboard.key")),
            bootstrap_file: Some(file.clone()),
            ..DashboardConfig::default()
        },
        store().await,
        scopegate_store::ApprovalHub::default(),
        move || map.clone(),
    )
    .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.trim(), dashboard.bootstrap_link().unwrap());
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    // signing in with the link from the file removes the file
    let path = text.trim().strip_prefix("http://127.0.0.1:9091").unwrap();
    let r = dashboard.router();
    let page = send(&r, get(path, None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(file.exists(), "a GET does not use the link");
    let nonce = page.cookie("sg_login").unwrap();
    let token = attr_after(&page.body, "name=\"csrf\"", "value");
    let res = send(
        &r,
        post_form(
            path,
            Some(&format!("sg_login={nonce}")),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(!file.exists(), "the used link's file is gone");

    // with users configured, a leftover link file is removed at start
    std::fs::write(&file, "http://old/bootstrap/stale\n").unwrap();
    let map = scope_map();
    let with_users = Dashboard::new(
        DashboardConfig {
            users: users(),
            session_key_file: Some(dir.join("dashboard.key")),
            bootstrap_file: Some(file.clone()),
            ..DashboardConfig::default()
        },
        store().await,
        scopegate_store::ApprovalHub::default(),
        move || map.clone(),
    )
    .unwrap();
    assert!(with_users.bootstrap_link().is_none());
    assert!(!file.exists());
}

#[tokio::test]
async fn users_come_from_their_own_file() {
    let dir = temp_dir("users-file");
    let file = dir.join("dashboard-users.toml");
    std::fs::write(
        &file,
        format!(
            "[[users]]\nname = \"alice\"\npassword_hash = \"{}\"\nrole = \"approver\"\n",
            password_hash()
        ),
    )
    .unwrap();
    let app = app_with(DashboardConfig {
        users_file: Some(file.clone()),
        public_url: Some("https://dash.example".into()),
        ..DashboardConfig::default()
    })
    .await;
    assert!(app.dashboard.bootstrap_link().is_none(), "users exist");
    let r = app.dashboard.router();
    let (cookie, _) = session(&r, "alice").await;
    let who = send(&r, get("/api/whoami", Some(&cookie))).await;
    assert_eq!(
        (who.json()["user"].as_str(), who.json()["role"].as_str()),
        (Some("alice"), Some("approver"))
    );

    // unknown keys and a missing file are refused
    std::fs::write(&file, "[[users]]\nname = \"x\"\nsuperuser = true\n").unwrap();
    let bad = DashboardConfig {
        users_file: Some(file.clone()),
        ..DashboardConfig::default()
    };
    let map = scope_map();
    let e = Dashboard::new(bad, store().await, Default::default(), move || map.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("dashboard-users.toml"), "{e}");
    let gone = DashboardConfig {
        users_file: Some(dir.join("missing.toml")),
        ..DashboardConfig::default()
    };
    let map = scope_map();
    assert!(Dashboard::new(gone, store().await, Default::default(), move || map.clone()).is_err());
}

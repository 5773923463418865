//! The dashboard through its router, as a browser and the CLI use it:
//! sign-in, cookie flags, CSRF, roles, deciding, replays, escaping of
//! agent-supplied text, security headers, the JSON API, agent credentials
//! refused, live events, the bootstrap link, history, tokens and health.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use axum::body::Body;
use common::*;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use scopegate_web::{CSP, DashboardConfig};
use tower::ServiceExt as _;

#[tokio::test]
async fn sign_in_with_the_right_password_only_and_the_cookie_is_locked_down() {
    let app = app().await;
    let r = app.dashboard.router();

    let (cookie, res) = sign_in(&r, "alice", "wrong password").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_none());
    assert!(res.body.contains("Wrong name or password"));
    let (cookie, res) = sign_in(&r, "nobody", PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_none());

    let (cookie, res) = sign_in(&r, "alice", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/");
    let set = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("sg_session="))
        .unwrap();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{flag} missing from {set}");
    }
    let page = send(&r, get("/", cookie.as_deref())).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("alice"));
    // a forged cookie is not a session
    let forged = send(
        &r,
        get(
            "/",
            Some("sg_session=YWxpY2V8YWRtaW58OTk5OTk5OTk5OTk5OQ.AAAA"),
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);

    // signing out needs the CSRF token too, then clears the cookie
    let csrf = csrf_of(&page.body);
    let out = send(&r, post_form("/logout", cookie.as_deref(), &[])).await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    let out = send(
        &r,
        post_form("/logout", cookie.as_deref(), &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.cookie("sg_session").as_deref(), Some(""));
}

#[tokio::test]
async fn the_sign_in_form_needs_its_own_token() {
    let app = app().await;
    let r = app.dashboard.router();
    let res = send(
        &r,
        post_form("/login", None, &[("name", "alice"), ("password", PASSWORD)]),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.cookie("sg_session").is_none());
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_the_api_says_401() {
    let app = app().await;
    let r = app.dashboard.router();
    let res = send(&r, get("/approvals/apr_1", None)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login?next=%2Fapprovals%2Fapr_1");
    for path in ["/api/approvals", "/events", "/api/approvals/apr_1"] {
        let res = send(&r, get(path, None)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(res.json()["error"], "unauthenticated");
    }
    let res = send(&r, post_form("/approvals/apr_1/approve", None, &[])).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_missing_wrong_or_cross_site_csrf_token_is_403_and_nothing_changes() {
    let app = app().await;
    let id = hold(&app.store, "apr_csrf").await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "alice").await;
    let (_, other_csrf) = session(&r, "root").await;
    let path = format!("/approvals/{id}/approve");

    let missing = send(&r, post_form(&path, Some(&cookie), &[("note", "ok")])).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = send(
        &r,
        post_form(&path, Some(&cookie), &[("csrf", "AAAA"), ("note", "ok")]),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let someone_elses = send(
        &r,
        post_form(&path, Some(&cookie), &[("csrf", &other_csrf)]),
    )
    .await;
    assert_eq!(someone_elses.status, StatusCode::FORBIDDEN);
    // right token, posted from another site
    let mut cross = post_form(&path, Some(&cookie), &[("csrf", &csrf)]);
    cross
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(send(&r, cross).await.status, StatusCode::FORBIDDEN);
    let mut cross = post_form(&path, Some(&cookie), &[("csrf", &csrf)]);
    cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&r, cross).await.status, StatusCode::FORBIDDEN);
    // the JSON API with a cookie needs the header
    let api_cookie = Request::post(format!("/api/approvals/{id}/approve"))
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&r, api_cookie).await.status, StatusCode::FORBIDDEN);

    assert_eq!(
        app.store.approval(&id).await.unwrap().unwrap().state,
        scopegate_model::ApprovalState::Pending
    );

    // and with it, from this origin, it works
    let mut ok = post_form(
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("confirm", "vol-123")],
    );
    ok.headers_mut()
        .insert(header::ORIGIN, "https://dash.example".parse().unwrap());
    assert_eq!(send(&r, ok).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.approval(&id).await.unwrap().unwrap().state,
        scopegate_model::ApprovalState::Approved
    );
}

#[tokio::test]
async fn viewers_read_but_cannot_decide() {
    let app = app().await;
    let id = hold(&app.store, "apr_view").await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "vic").await;
    let page = send(&r, get(&format!("/approvals/{id}"), Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("You are a viewer"));
    assert!(
        !page.body.contains("/approve\""),
        "no decision form for viewers"
    );
    let res = send(
        &r,
        post_form(
            &format!("/approvals/{id}/approve"),
            Some(&cookie),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = send(
        &r,
        api(
            "POST",
            &format!("/api/approvals/{id}/approve"),
            VIEWER_API_TOKEN,
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.json()["error"], "forbidden");
    assert_eq!(
        app.store.approval(&id).await.unwrap().unwrap().state,
        scopegate_model::ApprovalState::Pending
    );
}

#[tokio::test]
async fn an_approver_approves_and_a_replay_is_409() {
    let app = app().await;
    let id = hold(&app.store, "apr_ok").await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "alice").await;

    let queue = send(&r, get("/", Some(&cookie))).await;
    assert!(queue.body.contains("railway:volumeDelete — destructive — volumeId vol-123 — token railway-domains — agent claude"), "{}", queue.body);
    let detail = send(&r, get(&format!("/approvals/{id}"), Some(&cookie))).await;
    assert!(detail.body.contains("railway-domains/hold-destructive"));
    assert!(
        detail
            .body
            .contains("volumeDelete(volumeId: &quot;vol-123&quot;)"),
        "{}",
        detail.body
    );

    assert!(
        detail
            .body
            .contains("Type <code class=\"confirm-phrase\">vol-123</code> to approve")
            && detail.body.contains("name=\"confirm\" required"),
        "a destructive approval asks for the id it destroys: {}",
        detail.body
    );

    let path = format!("/approvals/{id}/approve");
    for typed in [None, Some(""), Some("vol-12"), Some("yes")] {
        let mut fields = vec![("csrf", csrf.as_str()), ("note", "restoring")];
        fields.extend(typed.map(|t| ("confirm", t)));
        let refused = send(&r, post_form(&path, Some(&cookie), &fields)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed:?}"
        );
        assert!(refused.body.contains("vol-123"), "{}", refused.body);
        let a = app.store.approval(&id).await.unwrap().unwrap();
        assert_eq!(
            a.state,
            scopegate_model::ApprovalState::Pending,
            "{typed:?}"
        );
    }
    let res = send(
        &r,
        post_form(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("note", "restoring from backup first"),
                ("confirm", " vol-123 "),
            ],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), format!("/approvals/{id}?done=approved"));
    let a = app.store.approval(&id).await.unwrap().unwrap();
    assert_eq!(a.state, scopegate_model::ApprovalState::Approved);
    assert_eq!(a.decided_by.as_deref(), Some("alice"));
    assert_eq!(a.note.as_deref(), Some("restoring from backup first"));
    // the grant window is the configured 900 s
    let window = a.expires_ms - a.decided_ms.unwrap();
    assert_eq!(window, 900_000);

    let replay = send(&r, post_form(&path, Some(&cookie), &[("csrf", &csrf)])).await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert!(replay.body.contains("is approved, not pending"));
    let replay = send(
        &r,
        post_form(
            &format!("/approvals/{id}/reject"),
            Some(&cookie),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert_eq!(
        app.store.approval(&id).await.unwrap().unwrap().state,
        scopegate_model::ApprovalState::Approved
    );

    let after = send(
        &r,
        get(&format!("/approvals/{id}?done=approved"), Some(&cookie)),
    )
    .await;
    assert!(after.body.contains("Approved. The agent"));
    assert!(after.body.contains("restoring from backup first"));
    let queue = send(&r, get("/", Some(&cookie))).await;
    assert!(queue.body.contains("Nothing is waiting"));

    let missing = send(
        &r,
        post_form(
            "/approvals/apr_nope/approve",
            Some(&cookie),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_approver_rejects_with_a_note() {
    let app = app().await;
    let id = hold(&app.store, "apr_no").await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "root").await;
    let res = send(
        &r,
        post_form(
            &format!("/approvals/{id}/reject"),
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("note", "that is production; ask in #infra"),
            ],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let a = app.store.approval(&id).await.unwrap().unwrap();
    assert_eq!(
        (a.state.as_str(), a.decided_by.as_deref(), a.note.as_deref()),
        (
            "rejected",
            Some("root"),
            Some("that is production; ask in #infra")
        )
    );
    let list = send(&r, get("/approvals?state=rejected", Some(&cookie))).await;
    assert!(list.body.contains("that is production; ask in #infra"));
    assert!(list.body.contains("railway:volumeDelete"));
}

#[tokio::test]
async fn agent_supplied_text_is_escaped_everywhere_and_every_page_has_the_csp() {
    let app = app().await;
    let xss_img = "\"><img src=x onerror=alert(1)>";
    let mut h = volume_delete_hold("apr_xss");
    h.agent = Some(format!("<script>alert('agent')</script>{xss_img}"));
    h.path = "/graphql/v2?<script>alert(2)</script>".to_owned();
    h.reason = format!("reason {xss_img}");
    h.set_detail(scopegate_model::HeldDetail::from_value(serde_json::json!({
        "operations": [{
            "provider": "railway",
            "name": "volumeDelete<script>alert(3)</script>",
            "class": "destructive",
            "resources": {"volumeId": [xss_img]}
        }],
        "request": {"graphql": [{
            "query": format!("mutation {{ volumeDelete(volumeId: \"</code><script>alert(4)</script>{}\") }}", xss_img.replace('"', "\\\"")),
            "variables": {"id": "<script>alert(5)</script>", "other": xss_img},
            "operationName": "<svg onload=alert(6)>"
        }, {
            "query": "mutation { <script>alert(7)</script> ",
        }]},
        "agent_reason": "<script>alert(8)</script> cleaning up",
        "rule_note": "<script>alert(9)</script>"
    })).unwrap());
    let id = app
        .store
        .hold(
            &h,
            std::time::Duration::from_secs(3600),
            &scopegate_model::ApprovalId::new("apr_xss"),
        )
        .await
        .unwrap()
        .0
        .id;
    let r = app.dashboard.router();
    let (cookie, _) = session(&r, "alice").await;
    for path in [
        "/".to_owned(),
        "/fragments/pending".to_owned(),
        format!("/approvals/{id}"),
        "/approvals".to_owned(),
    ] {
        let res = send(&r, get(&path, Some(&cookie))).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let b = &res.body;
        assert!(!b.contains("<script>alert"), "{path}: {b}");
        assert!(!b.contains("<img src=x"), "{path}: {b}");
        assert!(!b.contains("<svg"), "{path}: {b}");
        assert!(!b.contains("\"><img"), "{path}: {b}");
        assert!(
            b.contains("&lt;script&gt;alert("),
            "{path}: escaped text is still shown"
        );
        assert_eq!(res.headers[header::CONTENT_SECURITY_POLICY], CSP, "{path}");
    }
    // the only script is the static file
    let detail = send(&r, get(&format!("/approvals/{id}"), Some(&cookie))).await;
    assert_eq!(detail.body.matches("<script").count(), 1);
    assert!(
        detail
            .body
            .contains("<script src=\"/static/app.js\" defer></script>")
    );
    assert!(detail.body.contains("&lt;img src=x onerror=alert(1)&gt;"));

    for path in [
        "/login",
        "/static/app.js",
        "/static/app.css",
        "/nope",
        "/healthz",
    ] {
        let res = send(&r, get(path, None)).await;
        let h = &res.headers;
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP, "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
    }
    assert!(
        CSP.contains("default-src 'none'")
            && CSP.contains("script-src 'self'")
            && CSP.contains("frame-ancestors 'none'")
    );
    let js = send(&r, get("/static/app.js", None)).await;
    assert!(
        js.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

#[tokio::test]
async fn the_card_shows_the_rules_note_and_the_agents_reason_as_its_words() {
    let app = app().await;
    let mut h = volume_delete_hold("apr_said");
    h.rule_note = Some("volumes take their backups with them".into());
    h.agent_reason = Some("the staging database is rebuilt nightly".into());
    let id = app
        .store
        .hold(
            &h,
            std::time::Duration::from_secs(3600),
            &scopegate_model::ApprovalId::new("apr_said"),
        )
        .await
        .unwrap()
        .0
        .id;
    let r = app.dashboard.router();
    let (cookie, _) = session(&r, "alice").await;
    let detail = send(&r, get(&format!("/approvals/{id}"), Some(&cookie))).await;
    assert!(
        detail.body.contains(
            "<dt>Rule note</dt><dd class=\"rule-note\">volumes take their backups with them</dd>"
        ),
        "{}",
        detail.body
    );
    assert!(detail.body.contains(
        "<dt>The agent says</dt><dd class=\"agent-reason\">“the staging database is rebuilt nightly” <span class=\"muted\">(its own words, not verified)</span>"
    ));
    let queue = send(&r, get("/", Some(&cookie))).await;
    assert!(
        queue
            .body
            .contains(": volumes take their backups with them</p>")
    );
    assert!(
        queue
            .body
            .contains("the agent says: “the staging database is rebuilt nightly”")
    );
    // and the API carries both
    let api = send(&r, get(&format!("/api/approvals/{id}"), Some(&cookie))).await;
    assert!(
        api.body
            .contains("\"rule_note\":\"volumes take their backups with them\""),
        "{}",
        api.body
    );
    assert!(
        api.body
            .contains("\"agent_reason\":\"the staging database is rebuilt nightly\"")
    );
}

#[tokio::test]
async fn the_json_api_with_an_api_token() {
    let app = app().await;
    let id = hold(&app.store, "apr_api").await;
    hold(&app.store, "apr_api2").await;
    let r = app.dashboard.router();

    let list = send(
        &r,
        api("GET", "/api/approvals?state=pending", ADMIN_API_TOKEN, None),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let v = list.json();
    let items = v["approvals"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|a| a["state"] == "pending"));
    assert!(
        items[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("railway:volumeDelete — destructive")
    );
    assert!(
        items[0]["link"]
            .as_str()
            .unwrap()
            .starts_with("https://dash.example/approvals/apr_api")
    );
    assert!(
        items[0].get("grant_key").is_none(),
        "grant keys stay inside"
    );

    let one = send(
        &r,
        api(
            "GET",
            &format!("/api/approvals/{id}"),
            VIEWER_API_TOKEN,
            None,
        ),
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["id"], id.as_str());
    let bad = send(
        &r,
        api("GET", "/api/approvals?state=bogus", VIEWER_API_TOKEN, None),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        one.json()["confirm"],
        "vol-123",
        "what to type, for scripts"
    );
    let unconfirmed = send(
        &r,
        api(
            "POST",
            &format!("/api/approvals/{id}/approve"),
            ADMIN_API_TOKEN,
            Some(serde_json::json!({"note": "via cli"})),
        ),
    )
    .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v = unconfirmed.json();
    assert_eq!(
        (v["error"].as_str(), v["confirm"].as_str()),
        (Some("confirmation_required"), Some("vol-123"))
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("--confirm 'vol-123'"),
        "the refusal names the fix: {v}"
    );
    let ok = send(
        &r,
        api(
            "POST",
            &format!("/api/approvals/{id}/approve"),
            ADMIN_API_TOKEN,
            Some(serde_json::json!({"note": "via cli", "confirm": "vol-123"})),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let v = ok.json();
    assert_eq!(
        (
            v["state"].as_str(),
            v["decided_by"].as_str(),
            v["note"].as_str()
        ),
        (Some("approved"), Some("root"), Some("via cli"))
    );
    let again = send(
        &r,
        api(
            "POST",
            &format!("/api/approvals/{id}/reject"),
            ADMIN_API_TOKEN,
            None,
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "not_pending");
    assert_eq!(again.json()["approval"]["state"], "approved");
    let rej = send(
        &r,
        api(
            "POST",
            "/api/approvals/apr_api2/reject",
            ADMIN_API_TOKEN,
            Some(serde_json::json!({"note": "no"})),
        ),
    )
    .await;
    assert_eq!(rej.status, StatusCode::OK);
    assert_eq!(rej.json()["state"], "rejected");
    let missing = send(
        &r,
        api(
            "POST",
            "/api/approvals/apr_missing/approve",
            ADMIN_API_TOKEN,
            None,
        ),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let garbage = Request::post("/api/approvals/apr_api2/approve")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN_API_TOKEN}"))
        .body(Body::from("{not json"))
        .unwrap();
    assert_eq!(send(&r, garbage).await.status, StatusCode::BAD_REQUEST);

    let who = send(&r, api("GET", "/api/whoami", ADMIN_API_TOKEN, None)).await;
    assert_eq!(who.json()["user"], "root");
    assert_eq!(who.json()["via"], "api_token");
}

#[tokio::test]
async fn agent_credentials_and_unknown_bearers_are_401_even_beside_a_valid_session() {
    let app = app().await;
    let id = hold(&app.store, "apr_agent").await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "alice").await;
    for auth in [
        format!("Bearer {AGENT_TOKEN}"),
        "Bearer some-unknown-token".to_owned(),
        "Basic YWdlbnQ6a2V5".to_owned(),
        format!("token {ADMIN_API_TOKEN}"),
        "Bearer ".to_owned(),
    ] {
        let req = Request::post(format!("/api/approvals/{id}/approve"))
            .header(header::AUTHORIZATION, &auth)
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", &csrf)
            .body(Body::empty())
            .unwrap();
        let res = send(&r, req).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(res.json()["error"], "bad_credential");
        let mut req = post_form(
            &format!("/approvals/{id}/approve"),
            Some(&cookie),
            &[("csrf", &csrf)],
        );
        req.headers_mut()
            .insert(header::AUTHORIZATION, auth.parse().unwrap());
        assert_eq!(
            send(&r, req).await.status,
            StatusCode::UNAUTHORIZED,
            "{auth}"
        );
    }
    assert_eq!(
        app.store.approval(&id).await.unwrap().unwrap().state,
        scopegate_model::ApprovalState::Pending
    );
}

#[tokio::test]
async fn an_api_token_that_is_also_an_agent_token_is_refused() {
    let mut users = users();
    users[2].api_token_fingerprint = Some(scopegate_web::token_fingerprint(AGENT_TOKEN));
    let app = app_with(DashboardConfig {
        users,
        ..DashboardConfig::default()
    })
    .await;
    let r = app.dashboard.router();
    let res = send(&r, api("GET", "/api/approvals", AGENT_TOKEN, None)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_event_stream_announces_a_decision() {
    let app = app().await;
    let id = hold(&app.store, "apr_sse").await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "alice").await;
    let res = r
        .clone()
        .oneshot(get("/events", Some(&cookie)))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = res.into_body();

    let mut seen = String::new();
    let decided = async {
        let res = send(
            &r,
            post_form(
                &format!("/approvals/{id}/approve"),
                Some(&cookie),
                &[("csrf", &csrf), ("confirm", "vol-123")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    };
    let read = async {
        while !seen.contains("event: approval") {
            let frame = body.frame().await.unwrap().unwrap();
            if let Some(d) = frame.data_ref() {
                seen.push_str(&String::from_utf8_lossy(d));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(decided, read)
    })
    .await
    .expect("an approval event within 10 s");
    assert!(seen.contains("event: ready"), "{seen}");
    assert!(
        seen.contains(&format!("data: {{\"id\":\"{id}\"}}")),
        "{seen}"
    );

    // events from elsewhere (the proxy holding a request) come through too
    let mut more = String::new();
    app.hub.publish(&"apr_other".into());
    tokio::time::timeout(Duration::from_secs(10), async {
        while !more.contains("apr_other") {
            let frame = body.frame().await.unwrap().unwrap();
            if let Some(d) = frame.data_ref() {
                more.push_str(&String::from_utf8_lossy(d));
            }
        }
    })
    .await
    .expect("a hub event");
}

#[tokio::test]
async fn the_bootstrap_link_signs_in_an_admin_once() {
    let app = app_with(DashboardConfig {
        public_url: Some("http://127.0.0.1:9091/".into()),
        ..DashboardConfig::default()
    })
    .await;
    let link = app.dashboard.bootstrap_link().unwrap();
    let path = link
        .strip_prefix("http://127.0.0.1:9091")
        .unwrap()
        .to_owned();
    assert!(path.starts_with("/bootstrap/"));
    let r = app.dashboard.router();
    let login = send(&r, get("/login", None)).await;
    assert!(login.body.contains("No users are configured"));

    // GET only shows a button: a link preview does not use it up
    let page = send(&r, get(&path, None)).await;
    assert_eq!(page.status, StatusCode::OK);
    let nonce = page.cookie("sg_login").unwrap();
    let token = attr_after(&page.body, "name=\"csrf\"", "value");
    assert!(app.dashboard.bootstrap_link().is_some());
    // without the form token: refused, still unused
    let res = send(
        &r,
        post_form(&path, Some(&format!("sg_login={nonce}")), &[]),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = send(
        &r,
        post_form(
            &path,
            Some(&format!("sg_login={nonce}")),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let cookie = format!("sg_session={}", res.cookie("sg_session").unwrap());
    let who = send(&r, get("/api/whoami", Some(&cookie))).await;
    assert_eq!(
        (who.json()["user"].as_str(), who.json()["role"].as_str()),
        (Some("bootstrap"), Some("admin"))
    );
    let home = send(&r, get("/", Some(&cookie))).await;
    assert!(home.body.contains("one-time bootstrap link"));

    assert!(app.dashboard.bootstrap_link().is_none());
    let again = send(
        &r,
        post_form(
            &path,
            Some(&format!("sg_login={nonce}")),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.cookie("sg_session").is_none());
    assert_eq!(
        send(&r, get(&path, None)).await.status,
        StatusCode::BAD_REQUEST
    );

    // with users configured there is no link
    assert!(
        app_with(DashboardConfig {
            users: users(),
            ..DashboardConfig::default()
        })
        .await
        .dashboard
        .bootstrap_link()
        .is_none()
    );
}

fn record(
    id: &str,
    verdict: scopegate_model::Verdict,
    token: &str,
    at: i64,
) -> scopegate_model::DecisionRecord {
    let mut op = scopegate_model::Operation::new(
        "railway",
        "volumeDelete",
        scopegate_model::OpClass::Destructive,
    );
    op.add_resource("volumeId", "vol-9".into());
    let d = scopegate_model::Decision {
        verdict,
        mode: scopegate_model::Mode::Enforce,
        rule: scopegate_model::RuleRef(format!("{token}/r")),
        reason: "because <b>".into(),
        token: Some(token.into()),
        operations: vec![scopegate_model::OperationVerdict {
            operation: op,
            verdict,
            rule: scopegate_model::RuleRef(format!("{token}/r")),
            reason: "because".into(),
        }],
    };
    let mut r = scopegate_model::DecisionRecord::from_decision(id.into(), &d).with_time(at);
    r.provider = "railway".into();
    r.agent = Some("claude".into());
    r
}

#[tokio::test]
async fn the_decision_log_filters_and_pages() {
    use scopegate_model::Verdict;
    let app = app().await;
    let t0 = 1_767_225_600_000; // 2026-01-01 00:00 UTC
    let mut records = Vec::new();
    for i in 0..60 {
        let v = if i % 3 == 0 {
            Verdict::Deny
        } else {
            Verdict::Allow
        };
        let token = if i % 2 == 0 { "railway-domains" } else { "ci" };
        records.push(record(&format!("dec_{i:03}"), v, token, t0 + i * 60_000));
    }
    app.store.append(&records).await.unwrap();
    let r = app.dashboard.router();
    let (cookie, _) = session(&r, "vic").await;

    let first = send(&r, get("/history", Some(&cookie))).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body.matches("<tr><td class=\"muted\">").count(), 50);
    assert!(first.body.contains("because &lt;b&gt;"));
    // newest first: seq 60 down to 11 on the first page
    let first_seq = first.body.find("<tr><td class=\"muted\">60</td>");
    let later_seq = first.body.find("<tr><td class=\"muted\">11</td>");
    assert!(first_seq.is_some() && first_seq < later_seq, "newest first");
    assert!(
        first.body.contains("href=\"/history?before=11\""),
        "{}",
        first.body
    );
    let second = send(&r, get("/history?before=11", Some(&cookie))).await;
    assert_eq!(second.body.matches("<tr><td class=\"muted\">").count(), 10);
    assert!(!second.body.contains("Older"));
    assert!(second.body.contains("Newest"));

    let denies = send(
        &r,
        get("/history?verdict=deny&token=railway-domains", Some(&cookie)),
    )
    .await;
    // i % 6 == 0 → 10 rows
    assert_eq!(denies.body.matches("<tr><td class=\"muted\">").count(), 10);
    let window = send(
        &r,
        get(
            "/history?since=2026-01-01T00%3A10&until=2026-01-01T00%3A19",
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(window.body.matches("<tr><td class=\"muted\">").count(), 10);
    assert!(window.body.contains("value=\"2026-01-01T00:10\""));
    let bad = send(&r, get("/history?since=yesterday", Some(&cookie))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let api_rows = send(
        &r,
        api(
            "GET",
            "/api/history?verdict=deny&limit=5",
            VIEWER_API_TOKEN,
            None,
        ),
    )
    .await;
    let v = api_rows.json();
    assert_eq!(v["rows"].as_array().unwrap().len(), 5);
    assert_eq!(v["next_after"], 13);
}

#[tokio::test]
async fn tokens_and_health() {
    let app = app().await;
    hold(&app.store, "apr_h").await;
    let r = app.dashboard.router();
    let (cookie, _) = session(&r, "vic").await;
    let tokens = send(&r, get("/tokens", Some(&cookie))).await;
    assert_eq!(tokens.status, StatusCode::OK);
    for s in [
        "railway-domains",
        "hold-destructive",
        "railway:customDomainDelete",
        "sha256:7a748b32060e…",
    ] {
        assert!(tokens.body.contains(s), "{s}");
    }
    assert!(
        tokens
            .body
            .contains("action=\"/tokens/railway-domains/draft\"")
    );
    // the draft from the log: what the token did, destructive held
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut used = record(
        "dec_used",
        scopegate_model::Verdict::Allow,
        "railway-domains",
        now - 60_000,
    );
    used.forwarded = true;
    let mut old = record(
        "dec_old",
        scopegate_model::Verdict::Allow,
        "railway-domains",
        now - 40 * 86_400_000,
    );
    old.forwarded = true;
    app.store.append(&[used, old]).await.unwrap();
    let draft = send(
        &r,
        get("/tokens/railway-domains/draft?days=7", Some(&cookie)),
    )
    .await;
    assert_eq!(draft.status, StatusCode::OK);
    assert!(draft.body.contains("from 1 request(s)"), "{}", draft.body);
    assert!(
        draft
            .body
            .contains("effect = \"approve\"\noperations = [\"railway:volumeDelete\"]")
            && draft
                .body
                .contains("resources = { volumeId = [\"vol-9\"] }"),
        "{}",
        draft.body
    );
    let parsed = scopegate_policy::ScopeMap::from_toml("draft.toml", &draft.body);
    assert!(parsed.is_ok(), "{}", draft.body);
    // the Tokens page counts the window's use, and says nothing was granted
    let week = send(&r, get("/tokens?days=7", Some(&cookie))).await;
    assert!(
        week.body
            .contains("1 request in the last 7 days, using 1 destructive operation,"),
        "{}",
        week.body
    );
    assert!(week.body.contains("unknown: no answer in the window said"));
    for bad in ["abc", "0", "367", "-1"] {
        let page = send(&r, get(&format!("/tokens?days={bad}"), Some(&cookie))).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            page.body
                .contains("days must be a whole number from 1 to 366"),
            "{}",
            page.body
        );
    }
    let quarter = send(&r, get("/tokens?days=90", Some(&cookie))).await;
    assert!(
        quarter.body.contains("2 requests in the last 90 days"),
        "{}",
        quarter.body
    );
    assert_eq!(
        send(&r, get("/tokens/nobody/draft", Some(&cookie)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_ne!(
        send(&r, get("/tokens/railway-domains/draft", None))
            .await
            .status,
        StatusCode::OK
    );
    let health = send(&r, get("/health", Some(&cookie))).await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(health.body.contains("reachable") && health.body.contains("sqlite"));
    let h = send(&r, api("GET", "/api/health", VIEWER_API_TOKEN, None))
        .await
        .json();
    assert_eq!(
        (
            h["ok"].as_bool(),
            h["pending"].as_i64(),
            h["tokens"].as_i64()
        ),
        (Some(true), Some(1), Some(1))
    );
    assert_eq!(send(&r, get("/healthz", None)).await.body, "ok\n");
}

#[tokio::test]
async fn the_session_key_file_is_made_private_and_reused() {
    let app = app().await;
    let key = app.dir.join("dashboard.key");
    let meta = std::fs::metadata(&key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    // a second dashboard (a replica) with the same key accepts the session
    let r1 = app.dashboard.router();
    let (cookie, _) = session(&r1, "alice").await;
    let map = scope_map();
    let replica = scopegate_web::Dashboard::new(
        DashboardConfig {
            users: users(),
            session_key_file: Some(key.clone()),
            ..DashboardConfig::default()
        },
        app.store.clone(),
        app.hub.clone(),
        move || map.clone(),
    )
    .unwrap();
    let res = send(&replica.router(), get("/api/whoami", Some(&cookie))).await;
    assert_eq!(res.json()["user"], "alice");
}

#[tokio::test]
async fn bad_settings_are_refused_with_every_problem() {
    let text = r#"
listen = "127.0.0.1:9999"
public_url = "dash.example"
grant_window_secs = 60
[[users]]
name = "a b"
password_hash = "plaintext"
role = "approver"
api_token_fingerprint = "abc"
[webhook]
url = "ftp://x"
"#;
    let cfg: DashboardConfig = toml::from_str(text).unwrap();
    let err = cfg.validate().unwrap_err().to_string();
    for s in [
        "public_url",
        "user name",
        "PHC",
        "api_token_fingerprint",
        "webhook.url",
    ] {
        assert!(err.contains(s), "{s}: {err}");
    }
    assert!(
        toml::from_str::<DashboardConfig>("lisen = \"x\"").is_err(),
        "unknown keys are refused"
    );
    let ok: DashboardConfig = toml::from_str("").unwrap();
    assert_eq!(
        (ok.grant_window_secs, ok.public_url()),
        (900, "http://127.0.0.1:9091".to_owned())
    );
}

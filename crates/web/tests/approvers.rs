//! Who may approve: a rule's `approvers = 2` needs two different
//! approvers, each step in the decision log; `self_approval = false` keeps
//! a user linked to the requesting token or agent from approving it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::*;
use scopegate_model::{ApprovalState, WhoDecides};
use scopegate_store::Approval;
use scopegate_web::{ApproverStep, DashboardConfig};

type Steps = Arc<Mutex<Vec<(ApproverStep, Option<String>, ApprovalState)>>>;

/// Every step the dashboard records, with who took it.
fn recorded(app: &App) -> Steps {
    let seen: Steps = Arc::default();
    let log = seen.clone();
    app.dashboard
        .record_steps(Arc::new(move |a: &Approval, step: ApproverStep| {
            log.lock()
                .unwrap()
                .push((step, a.decided_by.clone(), a.state));
            Box::pin(async { Ok(()) })
        }));
    seen
}

async fn hold_deciding(app: &App, id: &str, who: WhoDecides) {
    let mut h = volume_delete_hold(id);
    h.who_decides = who;
    hold_request(&app.store, id, &h).await;
}

fn approve_as_root(id: &str, confirm: &str) -> axum::http::Request<axum::body::Body> {
    api(
        "POST",
        &format!("/api/approvals/{id}/approve"),
        ADMIN_API_TOKEN,
        Some(serde_json::json!({"note": "root ok", "confirm": confirm})),
    )
}

const TWO: WhoDecides = WhoDecides {
    approvers: 2,
    self_approval: true,
};

#[tokio::test]
async fn two_different_approvers_are_needed_and_each_step_is_logged() {
    let app = app().await;
    hold_deciding(&app, "apr_two", TWO).await;
    let steps = recorded(&app);
    let r = app.dashboard.router();

    let first = send(&r, approve_as_root("apr_two", "vol-123")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let v = first.json();
    assert_eq!(v["state"], "pending", "one approver of two decides nothing");
    assert_eq!(v["approvers_needed"], 2);
    assert_eq!(v["approved_by"][0]["user"], "root");

    let again = send(&r, approve_as_root("apr_two", "vol-123")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "already_approved");
    let a = app
        .store
        .approval(&"apr_two".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        a.state,
        ApprovalState::Pending,
        "the same approver twice is one"
    );

    let (cookie, csrf) = session(&r, "alice").await;
    let page = send(&r, get("/approvals/apr_two", Some(&cookie))).await;
    assert!(
        page.body
            .contains("Needs <strong>2 different approvers</strong>; approved so far by root (")
            && page.body.contains(">Approve (2 of 2)</button>"),
        "{}",
        page.body
    );
    let res = send(
        &r,
        post_form(
            "/approvals/apr_two/approve",
            Some(&cookie),
            &[("csrf", &csrf), ("confirm", "vol-123"), ("note", "agreed")],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let a = app
        .store
        .approval(&"apr_two".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.state, ApprovalState::Approved);
    assert_eq!(a.decided_by.as_deref(), Some("root, alice"));

    let logged = steps.lock().unwrap().clone();
    assert_eq!(
        logged,
        vec![
            (
                ApproverStep::Approved {
                    count: 1,
                    needed: 2
                },
                Some("root".to_owned()),
                ApprovalState::Pending
            ),
            (
                ApproverStep::Approved {
                    count: 2,
                    needed: 2
                },
                Some("alice".to_owned()),
                ApprovalState::Pending
            ),
            (
                ApproverStep::Resolved(scopegate_model::Resolution::Approve),
                Some("root, alice".to_owned()),
                ApprovalState::Approved
            ),
        ],
        "every approver's step, then the approval, each recorded before it counts"
    );
}

#[tokio::test]
async fn the_first_approvers_page_says_it_waits_for_another() {
    let app = app().await;
    hold_deciding(&app, "apr_wait", TWO).await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "alice").await;
    let res = send(
        &r,
        post_form(
            "/approvals/apr_wait/approve",
            Some(&cookie),
            &[("csrf", &csrf), ("confirm", "vol-123")],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = send(&r, get(res.location(), Some(&cookie))).await;
    assert!(
        page.body
            .contains("Your approval is recorded (1 of 2). Nothing is released")
            && page
                .body
                .contains("You approved this. It waits for another approver")
            && !page.body.contains("class=\"approve\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn one_reject_is_enough_even_where_two_must_approve() {
    let app = app().await;
    hold_deciding(&app, "apr_veto", TWO).await;
    let r = app.dashboard.router();
    assert_eq!(
        send(&r, approve_as_root("apr_veto", "vol-123"))
            .await
            .status,
        StatusCode::OK
    );
    let (cookie, csrf) = session(&r, "alice").await;
    let res = send(
        &r,
        post_form(
            "/approvals/apr_veto/reject",
            Some(&cookie),
            &[("csrf", &csrf), ("note", "not production")],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let a = app
        .store
        .approval(&"apr_veto".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.state, a.decided_by.as_deref()),
        (ApprovalState::Rejected, Some("alice"))
    );
}

/// alice runs the `railway-domains` token (and the `claude` agent).
async fn linked_app(tokens: &[&str], agents: &[&str]) -> App {
    let mut users = users();
    users[0].tokens = tokens.iter().map(|t| (*t).to_owned()).collect();
    users[0].agents = agents.iter().map(|a| (*a).to_owned()).collect();
    app_with(DashboardConfig {
        users,
        public_url: Some("https://dash.example".into()),
        ..DashboardConfig::default()
    })
    .await
}

const NOT_SELF: WhoDecides = WhoDecides {
    approvers: 1,
    self_approval: false,
};

#[tokio::test]
async fn a_user_linked_to_the_requester_cannot_approve_it() {
    for (tokens, agents, link) in [
        (
            &["railway-domains"][..],
            &[][..],
            "token <code>railway-domains</code>",
        ),
        (&[][..], &["claude"][..], "agent <code>claude</code>"),
    ] {
        let app = linked_app(tokens, agents).await;
        hold_deciding(&app, "apr_self", NOT_SELF).await;
        let steps = recorded(&app);
        let r = app.dashboard.router();
        let (cookie, csrf) = session(&r, "alice").await;
        let page = send(&r, get("/approvals/apr_self", Some(&cookie))).await;
        assert!(
            page.body.contains(&format!("You are linked to {link}"))
                && !page.body.contains("class=\"approve\""),
            "{}",
            page.body
        );
        let res = send(
            &r,
            post_form(
                "/approvals/apr_self/approve",
                Some(&cookie),
                &[("csrf", &csrf), ("confirm", "vol-123")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{link}");
        assert!(
            res.body
                .contains("self_approval = false: another approver must approve it"),
            "{}",
            res.body
        );
        let a = app
            .store
            .approval(&"apr_self".into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.state, a.decided_by), (ApprovalState::Pending, None));
        assert!(
            steps.lock().unwrap().is_empty(),
            "a refused approve is no step"
        );

        let ok = send(&r, approve_as_root("apr_self", "vol-123")).await;
        assert_eq!(ok.status, StatusCode::OK, "someone else may: {}", ok.body);
        assert_eq!(ok.json()["state"], "approved");
    }
}

#[tokio::test]
async fn a_linked_user_may_approve_where_the_rule_allows_it_and_may_always_reject() {
    let app = linked_app(&["railway-domains"], &[]).await;
    hold_deciding(&app, "apr_allowed", WhoDecides::default()).await;
    hold_deciding(&app, "apr_cancel", NOT_SELF).await;
    let r = app.dashboard.router();
    let (cookie, csrf) = session(&r, "alice").await;
    let res = send(
        &r,
        post_form(
            "/approvals/apr_allowed/approve",
            Some(&cookie),
            &[("csrf", &csrf), ("confirm", "vol-123")],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = send(
        &r,
        post_form(
            "/approvals/apr_cancel/reject",
            Some(&cookie),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    for (id, state) in [
        ("apr_allowed", ApprovalState::Approved),
        ("apr_cancel", ApprovalState::Rejected),
    ] {
        let a = app.store.approval(&id.into()).await.unwrap().unwrap();
        assert_eq!(a.state, state, "{id}");
    }
}

#[tokio::test]
async fn the_confirmation_is_the_resolved_name_when_there_is_one() {
    let app = app().await;
    let h = resolved_volume_delete_hold("apr_named");
    hold_request(&app.store, "apr_named", &h).await;
    let r = app.dashboard.router();
    let by_id = send(&r, approve_as_root("apr_named", "vol-123")).await;
    assert_eq!(by_id.status, StatusCode::UNPROCESSABLE_ENTITY);
    let name = by_id.json()["confirm"].as_str().unwrap().to_owned();
    assert_eq!(name, "postgres-data", "the name, not the id, once resolved");
    let ok = send(&r, approve_as_root("apr_named", &name)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["state"], "approved");
}

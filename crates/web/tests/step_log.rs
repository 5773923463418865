//! An approver's decision is in the decision log before it can release
//! anything: the step is recorded while the approval is still pending, and
//! a decision that cannot be recorded is not made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::*;
use scopegate_model::ApprovalState;
use scopegate_store::Approval;
use scopegate_web::ApproverStep;

#[tokio::test]
async fn the_step_is_recorded_before_the_decision_is_applied() {
    let app = app().await;
    let id = hold(&app.store, "k-log").await;
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (store, log) = (app.store.clone(), seen.clone());
    app.dashboard
        .record_steps(Arc::new(move |a: &Approval, _: ApproverStep| {
            let (store, log, a) = (store.clone(), log.clone(), a.clone());
            Box::pin(async move {
                // what the queue says while the step is being recorded
                let now = store.approval(&a.id).await.unwrap().unwrap().state;
                log.lock()
                    .unwrap()
                    .push((a.state.as_str().to_owned(), now.as_str().to_owned()));
                Ok(())
            })
        }));
    let r = app.dashboard.router();
    let body = serde_json::json!({ "note": "scratch", "confirm": "vol-123" });
    let res = send(
        &r,
        api(
            "POST",
            &format!("/api/approvals/{id}/approve"),
            ADMIN_API_TOKEN,
            Some(body),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("approved".to_owned(), "pending".to_owned())],
        "recorded as approved while the queue still held it pending"
    );
    assert_eq!(
        app.store.approval(&id).await.unwrap().unwrap().state,
        ApprovalState::Approved
    );
}

#[tokio::test]
async fn a_decision_that_cannot_be_recorded_is_not_made() {
    let app = app().await;
    let id = hold(&app.store, "k-nolog").await;
    app.dashboard
        .record_steps(Arc::new(|_: &Approval, _: ApproverStep| {
            Box::pin(async { Err("the journal cannot be written".to_owned()) })
        }));
    let r = app.dashboard.router();
    let res = send(
        &r,
        api(
            "POST",
            &format!("/api/approvals/{id}/approve"),
            ADMIN_API_TOKEN,
            Some(serde_json::json!({"confirm": "vol-123"})),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.store.approval(&id).await.unwrap().unwrap().state,
        ApprovalState::Pending,
        "nothing can be released by an unrecorded decision"
    );
}

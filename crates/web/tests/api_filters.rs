//! The API's approval list tells approvals apart: each lists its operations
//! with their resources, and the list filters by operation, token and
//! resource (with the state, and with offset and limit counted in matches).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_API_TOKEN, api, app, send, volume_delete_hold};
use http::StatusCode;
use scopegate_model::Resolution;
use scopegate_store::Store;
use serde_json::{Value, json};

/// A held request for `op` on `kind=value`, by `token`.
async fn hold(store: &Store, id: &str, token: &str, op: &str, kind: &str, value: &str) {
    let mut h = volume_delete_hold(id);
    h.token = Some(token.into());
    h.set_detail(
        scopegate_model::HeldDetail::from_value(json!({
            "operations": [{
                "provider": "railway", "name": op, "class": "destructive",
                "resources": {kind: [value]}
            }],
            "request": {"method": "POST", "path": "/graphql/v2"}
        }))
        .unwrap(),
    );
    let (_, new) = store
        .hold(
            &h,
            std::time::Duration::from_secs(3600),
            &scopegate_model::ApprovalId::new(id),
        )
        .await
        .unwrap();
    assert!(new);
    // distinct creation times: the list is newest first
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
}

async fn list(r: &axum::Router, query: &str) -> Vec<Value> {
    let res = send(
        r,
        api(
            "GET",
            &format!("/api/approvals?{query}"),
            ADMIN_API_TOKEN,
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{query}: {}", res.body);
    res.json()["approvals"].as_array().unwrap().clone()
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|a| a["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn two_pending_volume_deletes_are_told_apart_and_filtered() {
    let app = app().await;
    hold(
        &app.store,
        "apr_v1",
        "railway-domains",
        "volumeDelete",
        "volumeId",
        "vol-1",
    )
    .await;
    hold(
        &app.store,
        "apr_v2",
        "railway-domains",
        "volumeDelete",
        "volumeId",
        "vol-2",
    )
    .await;
    hold(
        &app.store,
        "apr_s1",
        "ops",
        "serviceDelete",
        "serviceId",
        "vol-1",
    )
    .await;
    let r = app.dashboard.router();

    // every approval lists its operations with their resources
    let all = list(&r, "state=pending").await;
    assert_eq!(ids(&all), ["apr_s1", "apr_v2", "apr_v1"]);
    assert_eq!(
        all[1]["operations"],
        json!([{"operation": "railway:volumeDelete", "class": "destructive",
                "resources": {"volumeId": ["vol-2"]}}])
    );
    assert_eq!(
        all[2]["operations"][0]["resources"],
        json!({"volumeId": ["vol-1"]})
    );

    // by operation: qualified, or a bare name
    let by_op = list(&r, "state=pending&operation=railway:volumeDelete").await;
    assert_eq!(ids(&by_op), ["apr_v2", "apr_v1"]);
    assert_eq!(ids(&list(&r, "operation=serviceDelete").await), ["apr_s1"]);
    assert!(list(&r, "operation=github:volumeDelete").await.is_empty());
    // by token
    assert_eq!(ids(&list(&r, "token=ops").await), ["apr_s1"]);
    assert_eq!(
        ids(&list(&r, "token=railway-domains").await),
        ["apr_v2", "apr_v1"]
    );
    // by resource: KIND=VALUE, or a value of any kind
    assert_eq!(
        ids(&list(&r, "resource=volumeId%3Dvol-2").await),
        ["apr_v2"]
    );
    assert_eq!(
        ids(&list(&r, "resource=vol-1").await),
        ["apr_s1", "apr_v1"],
        "vol-1 as a volumeId and as a serviceId"
    );
    assert_eq!(
        ids(&list(&r, "resource=volumeId%3Dvol-1").await),
        ["apr_v1"]
    );
    // together: the operation and the resource are one operation's
    assert_eq!(
        ids(&list(&r, "operation=railway:volumeDelete&resource=vol-1").await),
        ["apr_v1"]
    );
    assert!(
        list(&r, "operation=railway:serviceDelete&token=railway-domains")
            .await
            .is_empty()
    );
    // offset and limit count matches
    assert_eq!(
        ids(&list(&r, "operation=volumeDelete&limit=1&offset=1").await),
        ["apr_v1"]
    );
    // with the state
    app.store
        .resolve(
            &"apr_v2".into(),
            Resolution::Approve,
            "alice",
            "ok",
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(
        ids(&list(
            &r,
            "state=pending&operation=volumeDelete&token=railway-domains"
        )
        .await),
        ["apr_v1"]
    );
    assert_eq!(
        ids(&list(&r, "state=approved&resource=vol-2").await),
        ["apr_v2"]
    );
}

//! The approval queue on both backends: hold, attach retries, decide,
//! one-time grants bound to the exact request, waiting, and release across
//! replicas (two stores on one Postgres).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{pg_fresh_db, pg_url, postgres, sqlite};
use scopegate_store::{ApprovalHub, NewHold, Store};

fn hold(key: &str) -> NewHold {
    NewHold {
        grant_key: key.into(),
        decision_id: "dec_1".into(),
        token: Some("t".into()),
        fingerprint_prefix: Some("abc".into()),
        agent: Some("agent".into()),
        provider: "railway".into(),
        host: "backboard.railway.com".into(),
        method: "POST".into(),
        path: "/graphql/v2".into(),
        rule: "t/hold".into(),
        reason: "volumeDelete".into(),
        detail: serde_json::json!({"operations": [{"name": "volumeDelete"}]}),
        pending_for: Duration::from_secs(3600),
    }
}

async fn backends() -> Vec<Store> {
    let mut v = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        v.push(pg);
    }
    v
}

#[tokio::test]
async fn retries_attach_and_a_grant_is_used_once_for_that_request_only() {
    for s in backends().await {
        let (a, new) = s.hold(&hold("key-1"), "apr_1").await.unwrap();
        assert!(new);
        assert_eq!((a.state.as_str(), a.attempts), ("pending", 1));
        let (again, new) = s.hold(&hold("key-1"), "apr_2").await.unwrap();
        assert!(!new, "{}", s.backend());
        assert_eq!((again.id.as_str(), again.attempts), ("apr_1", 2));
        // no grant before a decision
        assert_eq!(s.take_grant("key-1").await.unwrap(), None);
        let decided = s
            .decide("apr_1", true, "alice", "ok once", Duration::from_secs(600))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (decided.state.as_str(), decided.decided_by.as_deref()),
            ("approved", Some("alice"))
        );
        // deciding twice does nothing
        assert!(
            s.decide("apr_1", false, "bob", "", Duration::from_secs(600))
                .await
                .unwrap()
                .is_none()
        );
        // another request (another key) gets nothing
        assert_eq!(s.take_grant("key-2").await.unwrap(), None);
        assert_eq!(
            s.take_grant("key-1")
                .await
                .unwrap()
                .map(|g| g.id)
                .as_deref(),
            Some("apr_1")
        );
        // replaying the grant fails
        assert_eq!(s.take_grant("key-1").await.unwrap(), None);
        assert_eq!(s.approval("apr_1").await.unwrap().unwrap().state, "used");
        // a new hold for the same request is a new approval
        let (fresh, new) = s.hold(&hold("key-1"), "apr_3").await.unwrap();
        assert!(new);
        assert_eq!(fresh.id, "apr_3");
        assert_eq!(s.approvals(Some("pending"), 10, 0).await.unwrap().len(), 1);
        assert_eq!(s.approvals(None, 10, 0).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn rejection_and_expiry_grant_nothing() {
    for s in backends().await {
        s.hold(&hold("k"), "apr_r").await.unwrap();
        let r = s
            .decide(
                "apr_r",
                false,
                "alice",
                "no: that is prod",
                Duration::from_secs(600),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.state.as_str(), r.note.as_deref()),
            ("rejected", Some("no: that is prod"))
        );
        assert_eq!(s.take_grant("k").await.unwrap(), None);

        let mut short = hold("k2");
        short.pending_for = Duration::from_millis(1);
        s.hold(&short, "apr_e").await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            s.decide("apr_e", true, "alice", "", Duration::from_secs(600))
                .await
                .unwrap()
                .is_none(),
            "an expired approval cannot be approved"
        );
        assert_eq!(s.expire_approvals().await.unwrap().len(), 1);
        assert_eq!(s.approval("apr_e").await.unwrap().unwrap().state, "expired");
    }
}

#[tokio::test]
async fn a_waiter_is_released_by_a_decision() {
    for s in backends().await {
        let hub = ApprovalHub::default();
        s.hold(&hold("w"), "apr_w").await.unwrap();
        let (s2, hub2) = (s.clone(), hub.clone());
        let decider = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            s2.decide("apr_w", true, "alice", "", Duration::from_secs(60))
                .await
                .unwrap();
            hub2.publish("apr_w");
        });
        let a = s
            .wait_decided(&hub, "apr_w", Duration::from_secs(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.state, "approved");
        decider.await.unwrap();
        // and a wait on an undecided approval ends at its deadline, still pending
        s.hold(&hold("w2"), "apr_w2").await.unwrap();
        let a = s
            .wait_decided(&hub, "apr_w2", Duration::from_millis(200))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.state, "pending");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_on_one_replica_released_on_another() {
    let Some(admin) = pg_url() else { return };
    let url = pg_fresh_db(&admin).await;
    let a = Store::connect(&url).await.unwrap();
    a.migrate().await.unwrap();
    let b = Store::connect(&url).await.unwrap();
    let hub_a = ApprovalHub::default();
    hub_a.listen(&a);
    a.hold(&hold("r"), "apr_rep").await.unwrap();
    let mut events = hub_a.subscribe();
    tokio::time::sleep(Duration::from_millis(300)).await; // listener connected
    // replica B decides; B's hub is not A's: only NOTIFY can tell A
    b.decide("apr_rep", true, "bob", "", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("NOTIFY reached replica A")
        .unwrap();
    assert_eq!(ev.id, "apr_rep");
    assert_eq!(
        a.approval("apr_rep").await.unwrap().unwrap().state,
        "approved"
    );
}

//! The approval queue on both backends: hold, attach retries, resolve,
//! one-time grants bound to the exact request, waiting, and release across
//! replicas (two stores on one Postgres); the held request read back as
//! held, and rows written before it was typed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{pg_fresh_db, pg_url, postgres, sqlite};
use scopegate_model::{ApprovalId, ApprovalState, HeldRequest, OpClass, Operation, Resolution};
use scopegate_store::{ApprovalHub, Store};

const HOUR: Duration = Duration::from_secs(3600);

fn hold(key: &str) -> HeldRequest {
    HeldRequest {
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
        operations: vec![Operation::new(
            "railway",
            "volumeDelete",
            OpClass::Destructive,
        )],
        request: serde_json::Value::Null,
        rule_note: None,
        agent_reason: None,
        who_decides: Default::default(),
    }
}

fn id(s: &str) -> ApprovalId {
    ApprovalId::new(s)
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
        let (a, new) = s.hold(&hold("key-1"), HOUR, &id("apr_1")).await.unwrap();
        assert!(new);
        assert_eq!((a.state, a.attempts), (ApprovalState::Pending, 1));
        let (again, new) = s.hold(&hold("key-1"), HOUR, &id("apr_2")).await.unwrap();
        assert!(!new, "{}", s.backend());
        assert_eq!((again.id.as_str(), again.attempts), ("apr_1", 2));
        // no grant before a resolution
        assert_eq!(s.take_grant("key-1").await.unwrap(), None);
        let decided = s
            .resolve(
                &id("apr_1"),
                Resolution::Approve,
                "alice",
                "ok once",
                Duration::from_secs(600),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (decided.state, decided.decided_by.as_deref()),
            (ApprovalState::Approved, Some("alice"))
        );
        // resolving twice does nothing
        assert!(
            s.resolve(
                &id("apr_1"),
                Resolution::Reject,
                "bob",
                "",
                Duration::from_secs(600)
            )
            .await
            .unwrap()
            .is_none()
        );
        // another request (another key) gets nothing
        assert_eq!(s.take_grant("key-2").await.unwrap(), None);
        assert_eq!(
            s.take_grant("key-1").await.unwrap().map(|g| g.approval_id),
            Some(id("apr_1"))
        );
        // replaying the grant fails
        assert_eq!(s.take_grant("key-1").await.unwrap(), None);
        assert_eq!(
            s.approval(&id("apr_1")).await.unwrap().unwrap().state,
            ApprovalState::Used
        );
        // a new hold for the same request is a new approval
        let (fresh, new) = s.hold(&hold("key-1"), HOUR, &id("apr_3")).await.unwrap();
        assert!(new);
        assert_eq!(fresh.id, "apr_3");
        assert_eq!(
            s.approvals(Some(ApprovalState::Pending), 10, 0)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.approvals(None, 10, 0).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn rejection_and_expiry_grant_nothing() {
    for s in backends().await {
        s.hold(&hold("k"), HOUR, &id("apr_r")).await.unwrap();
        let r = s
            .resolve(
                &id("apr_r"),
                Resolution::Reject,
                "alice",
                "no: that is prod",
                Duration::from_secs(600),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.state, r.note.as_deref()),
            (ApprovalState::Rejected, Some("no: that is prod"))
        );
        assert_eq!(s.take_grant("k").await.unwrap(), None);

        let short = hold("k2");
        s.hold(&short, Duration::from_millis(1), &id("apr_e"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            s.resolve(
                &id("apr_e"),
                Resolution::Approve,
                "alice",
                "",
                Duration::from_secs(600)
            )
            .await
            .unwrap()
            .is_none(),
            "an expired approval cannot be approved"
        );
        assert_eq!(s.expire_approvals().await.unwrap().len(), 1);
        assert_eq!(
            s.approval(&id("apr_e")).await.unwrap().unwrap().state,
            ApprovalState::Expired
        );
    }
}

#[tokio::test]
async fn a_waiter_is_released_by_a_resolution() {
    for s in backends().await {
        let hub = ApprovalHub::default();
        s.hold(&hold("w"), HOUR, &id("apr_w")).await.unwrap();
        let (s2, hub2) = (s.clone(), hub.clone());
        let decider = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            s2.resolve(
                &id("apr_w"),
                Resolution::Approve,
                "alice",
                "",
                Duration::from_secs(60),
            )
            .await
            .unwrap();
            hub2.publish(&id("apr_w"));
        });
        let a = s
            .wait_resolved(&hub, &id("apr_w"), Duration::from_secs(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.state, ApprovalState::Approved);
        decider.await.unwrap();
        // and a wait on an unresolved approval ends at its deadline, still pending
        s.hold(&hold("w2"), HOUR, &id("apr_w2")).await.unwrap();
        let a = s
            .wait_resolved(&hub, &id("apr_w2"), Duration::from_millis(200))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.state, ApprovalState::Pending);
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
    a.hold(&hold("r"), HOUR, &id("apr_rep")).await.unwrap();
    let mut events = hub_a.subscribe();
    tokio::time::sleep(Duration::from_millis(300)).await; // listener connected
    // replica B resolves; B's hub is not A's: only NOTIFY can tell A
    b.resolve(
        &id("apr_rep"),
        Resolution::Approve,
        "bob",
        "",
        Duration::from_secs(60),
    )
    .await
    .unwrap()
    .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("NOTIFY reached replica A")
        .unwrap();
    assert_eq!(ev.id, "apr_rep");
    assert_eq!(
        a.approval(&id("apr_rep")).await.unwrap().unwrap().state,
        ApprovalState::Approved
    );
}

/// A held request with everything set: resources, a note, a masked
/// GraphQL request.
fn full_hold(key: &str) -> HeldRequest {
    let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    op.add_resource("volumeId", "vol-prod-db-1".into());
    op.note = Some("raised: the volume holds a database".into());
    let mut h = hold(key);
    h.who_decides = scopegate_model::WhoDecides {
        approvers: 2,
        self_approval: false,
    };
    h.decision_id = "dec_0193a5b2c3d40001a1b2c3d4".into();
    h.operations = vec![op, Operation::new("railway", "me", OpClass::Read)];
    h.request = serde_json::json!({
        "method": "POST",
        "content_type": "application/json",
        "graphql": [{
            "document": "mutation {\n  volumeDelete(volumeId: \"vol-prod-db-1\")\n}\n",
            "parsed": true,
            "variables": {"token": "[masked]"},
            "operationName": null
        }]
    });
    h
}

#[tokio::test]
async fn a_held_request_reads_back_as_held() {
    for s in backends().await {
        let held = full_hold("full");
        let (created, _) = s.hold(&held, HOUR, &id("apr_full")).await.unwrap();
        assert_eq!(created.held, held, "{}", s.backend());
        let read = s.approval(&id("apr_full")).await.unwrap().unwrap();
        assert_eq!(read.held, held, "{}", s.backend());
        assert_eq!(read.held.grant_key, "full");
        let listed = s.approvals(None, 10, 0).await.unwrap();
        assert_eq!(listed[0].held, held);
    }
}

/// The `detail` column as scopegate wrote it before the held request was
/// typed (`json!({"operations": record.operations, "request": …})`), with
/// a GraphQL query stored before the proxy rendered documents itself.
const OLD_DETAIL: &str = r#"{"operations":[{"class":"destructive","name":"volumeDelete","provider":"railway","resources":{"volumeId":["vol-1"]}}],"request":{"graphql":[{"query":"mutation { volumeDelete(volumeId: \"vol-1\") }"}],"method":"POST"}}"#;

async fn insert_old_row(s: &Store, detail: &str) {
    let sql = "INSERT INTO approvals (id, grant_key, state, created_ms, expires_ms, decision_id, attempts, token, fingerprint_prefix, agent, provider, host, method, path, rule, reason, detail) \
               VALUES ('apr_old', 'old-key', 'approved', 1, 2, 'dec_old', 3, 't', NULL, NULL, 'railway', 'backboard.railway.com', 'POST', '/graphql/v2', 't/hold', 'held', $1)";
    match s {
        Store::Pg(pool) => sqlx::query(sql)
            .bind(detail)
            .execute(pool)
            .await
            .map(|_| ()),
        Store::Sqlite(pool) => sqlx::query(sql)
            .bind(detail)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

#[tokio::test]
async fn a_row_written_before_the_held_request_was_typed_reads_back() {
    for s in backends().await {
        insert_old_row(&s, OLD_DETAIL).await;
        let a = s.approval(&id("apr_old")).await.unwrap().unwrap();
        assert_eq!(a.state, ApprovalState::Approved);
        assert_eq!(a.attempts, 3);
        let h = &a.held;
        assert_eq!(h.decision_id, "dec_old");
        assert_eq!(h.grant_key, "old-key");
        let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
        op.add_resource("volumeId", "vol-1".into());
        assert_eq!(h.operations, vec![op]);
        assert_eq!(
            h.request["graphql"][0]["query"],
            "mutation { volumeDelete(volumeId: \"vol-1\") }"
        );
        // and it is written back in exactly that shape
        assert_eq!(h.detail().to_string(), OLD_DETAIL, "{}", s.backend());
    }
}

#[tokio::test]
async fn an_unknown_state_in_the_table_is_an_error_not_a_guess() {
    for s in backends().await {
        insert_old_row(&s, OLD_DETAIL).await;
        let sql = "UPDATE approvals SET state = 'approve' WHERE id = 'apr_old'";
        match &s {
            Store::Pg(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        }
        .unwrap();
        assert!(s.approval(&id("apr_old")).await.is_err(), "{}", s.backend());
    }
}

#[tokio::test]
async fn the_detail_column_is_written_as_before() {
    for s in backends().await {
        let mut h = hold("as-before");
        let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
        op.add_resource("volumeId", "vol-1".into());
        h.operations = vec![op];
        h.request = serde_json::json!({
            "method": "POST",
            "graphql": [{"query": "mutation { volumeDelete(volumeId: \"vol-1\") }"}]
        });
        s.hold(&h, HOUR, &id("apr_as_before")).await.unwrap();
        let sql = "SELECT detail FROM approvals WHERE id = 'apr_as_before'";
        let column: String = match &s {
            Store::Pg(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .unwrap();
        assert_eq!(column, OLD_DETAIL, "{}", s.backend());
    }
}

#[tokio::test]
async fn each_approver_approves_once_and_steps_read_back_in_order() {
    for s in backends().await {
        s.hold(&hold("two"), HOUR, &id("apr_two")).await.unwrap();
        assert!(s.approval_steps(&id("apr_two")).await.unwrap().is_empty());
        assert!(
            s.add_approval_step(&id("apr_two"), "alice", "ok by me")
                .await
                .unwrap()
        );
        assert!(
            !s.add_approval_step(&id("apr_two"), "alice", "again")
                .await
                .unwrap(),
            "{}: the same approver twice is one step",
            s.backend()
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
        assert!(
            s.add_approval_step(&id("apr_two"), "bob", "")
                .await
                .unwrap()
        );
        let steps = s.approval_steps(&id("apr_two")).await.unwrap();
        let who: Vec<(&str, &str)> = steps
            .iter()
            .map(|st| (st.approver.as_str(), st.note.as_str()))
            .collect();
        assert_eq!(who, [("alice", "ok by me"), ("bob", "")], "{}", s.backend());
        assert!(steps[0].at_ms <= steps[1].at_ms);
        let still = s.approval(&id("apr_two")).await.unwrap().unwrap();
        assert_eq!(
            still.state,
            ApprovalState::Pending,
            "steps alone decide nothing"
        );
    }
}

//! Identical requests waiting on one approval: when a human approves it,
//! exactly one of them takes the one-time grant and reaches the provider;
//! the others are told the truth (approved, and used by an identical
//! request; resend to ask again), not that the approval is still pending.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use scopegate_e2e::{
    Harness, Options, RAILWAY_HOST, RAILWAY_TOKEN, assert_graphql_refusal, gql_request,
    standard_scope_map,
};
use scopegate_model::{
    ApprovalId, ApprovalQueue, BoxFut, Grant, HeldRequest, HoldOutcome, QueueError,
};

/// One approval that every identical request attaches to. It is approved
/// (by alice) once `waiters` requests wait on it, and then holds exactly
/// one grant.
struct OneApproval(Arc<Shared>);

struct Shared {
    waiting: tokio::sync::Barrier,
    grants: AtomicU32,
}

impl ApprovalQueue for OneApproval {
    fn take_grant(&self, _: String) -> BoxFut<Result<Option<Grant>, QueueError>> {
        let took = self
            .0
            .grants
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |g| g.checked_sub(1))
            .is_ok();
        Box::pin(async move {
            Ok(took.then(|| Grant {
                approval_id: "apr_1".into(),
                approved_by: Some("alice".into()),
            }))
        })
    }
    fn hold(&self, _: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>> {
        Box::pin(async { Ok(ApprovalId::new("apr_1")) })
    }
    fn wait(&self, _: ApprovalId, _: Duration) -> BoxFut<Result<HoldOutcome, QueueError>> {
        let me = self.0.clone();
        Box::pin(async move {
            // the human approves once every request waits: one grant
            if me.waiting.wait().await.is_leader() {
                me.grants.fetch_add(1, Ordering::SeqCst);
            }
            Ok(HoldOutcome::Approved { by: "alice".into() })
        })
    }
    fn link(&self, id: &ApprovalId) -> String {
        format!("http://dashboard/approvals/{id}")
    }
    fn hold_for(&self) -> Duration {
        Duration::from_secs(10)
    }
    fn grant_window(&self) -> Duration {
        Duration::from_secs(60)
    }
    fn pending(&self) -> BoxFut<Result<u64, QueueError>> {
        Box::pin(async { Ok(1) })
    }
}

const VOLUME_DELETE: &str = r#"{"query":"mutation { volumeDelete(volumeId: \"vol-1\") }"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_on_one_approval_pass_once_and_the_others_hear_it_was_used() {
    const N: usize = 3;
    let q = OneApproval(Arc::new(Shared {
        waiting: tokio::sync::Barrier::new(N),
        grants: AtomicU32::new(0),
    }));
    let h = Arc::new(
        Harness::start_with_approvals(&standard_scope_map(), Options::default(), Some(Arc::new(q)))
            .await,
    );
    let mut sent = Vec::new();
    for _ in 0..N {
        let h = h.clone();
        sent.push(tokio::spawn(async move {
            h.https(
                RAILWAY_HOST,
                gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for s in sent {
        answers.push(s.await.unwrap());
    }
    let (passed, refused): (Vec<_>, Vec<_>) = answers.into_iter().partition(|r| r.status == 200);
    assert_eq!(passed.len(), 1, "exactly one request used the grant");
    let got = h.fake.received();
    assert_eq!(
        got.len(),
        1,
        "the provider received exactly one volumeDelete"
    );
    assert!(
        String::from_utf8_lossy(&got[0].body).contains("volumeDelete"),
        "{:?}",
        got[0].body
    );
    assert_eq!(refused.len(), N - 1);
    for r in &refused {
        assert_graphql_refusal(r, "approve", "railway:volumeDelete");
        let v = r.json();
        let e = &v["errors"][0];
        let message = e["message"].as_str().unwrap();
        let approval = &e["extensions"]["scopegate"]["approval"];
        assert_eq!(approval["state"], "used", "{v}");
        assert_eq!(approval["id"], "apr_1");
        assert_eq!(approval["decided_by"], "alice");
        assert!(
            message.contains("a human approved apr_1 (alice)"),
            "{message}"
        );
        assert!(message.contains("identical request"), "{message}");
        assert!(message.contains("used its one-time grant"), "{message}");
        assert!(
            message.contains("send the identical request again to ask a human for a new approval"),
            "{message}"
        );
        assert!(
            !message.contains("waiting for a human"),
            "not pending: {message}"
        );
    }
}

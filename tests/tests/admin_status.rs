//! The admin listener tells an operator the truth: `/readyz` fails while
//! decisions cannot be recorded or approvals cannot be created (`/healthz`
//! stays liveness); `/metrics` gives every family HELP text, the version,
//! the scope map loaded, pending approvals, approval steps, and counts a
//! held request released after approval as forwarded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use scopegate_e2e::{
    Harness, Options, RAILWAY_HOST, RAILWAY_TOKEN, gql_request, metric, standard_scope_map,
};
use scopegate_model::{
    ApprovalId, ApprovalQueue, BoxFut, Grant, HeldRequest, HoldOutcome, QueueError,
};

/// A queue where every hold is approved by alice at once; `down` makes
/// its database unreachable.
#[derive(Default)]
struct Queue {
    approved: AtomicBool,
    down: AtomicBool,
}

impl ApprovalQueue for Queue {
    fn take_grant(&self, _: String) -> BoxFut<Result<Option<Grant>, QueueError>> {
        let granted = self.approved.swap(false, Ordering::SeqCst);
        Box::pin(async move {
            Ok(granted.then(|| Grant {
                approval_id: "apr_1".into(),
                approved_by: Some("alice".into()),
            }))
        })
    }
    fn hold(&self, _: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>> {
        Box::pin(async { Ok(ApprovalId::new("apr_1")) })
    }
    fn wait(&self, _: ApprovalId, _: Duration) -> BoxFut<Result<HoldOutcome, QueueError>> {
        self.approved.store(true, Ordering::SeqCst);
        Box::pin(async { Ok(HoldOutcome::Approved { by: "alice".into() }) })
    }
    fn link(&self, id: &ApprovalId) -> String {
        format!("http://dashboard/approvals/{id}")
    }
    fn hold_for(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn grant_window(&self) -> Duration {
        Duration::from_secs(60)
    }
    fn pending(&self) -> BoxFut<Result<u64, QueueError>> {
        let down = self.down.load(Ordering::SeqCst);
        Box::pin(async move {
            if down {
                Err(QueueError::Unavailable {
                    cause: "connection refused".into(),
                })
            } else {
                Ok(3)
            }
        })
    }
}

async fn harness() -> (Harness, Arc<Queue>) {
    let q = Arc::new(Queue::default());
    let h =
        Harness::start_with_approvals(&standard_scope_map(), Options::default(), Some(q.clone()))
            .await;
    (h, q)
}

#[tokio::test]
async fn readyz_fails_while_decisions_or_approvals_cannot_be_made() {
    let (h, q) = harness().await;
    let ready = h.admin_get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.text(), "ready\n");

    q.down.store(true, Ordering::SeqCst);
    let r = h.admin_get("/readyz").await;
    assert_eq!(r.status, 503);
    assert!(
        r.text().contains("approvals cannot be created"),
        "{}",
        r.text()
    );
    assert_eq!(h.admin_get("/healthz").await.status, 200, "still alive");

    q.down.store(false, Ordering::SeqCst);
    h.sink.fail(true);
    let r = h.admin_get("/readyz").await;
    assert_eq!(r.status, 503);
    assert!(
        r.text().contains("decisions cannot be recorded"),
        "{}",
        r.text()
    );
    h.sink.fail(false);
    assert_eq!(h.admin_get("/readyz").await.status, 200);
}

#[tokio::test]
async fn metrics_say_what_runs_and_count_a_released_request_as_forwarded() {
    let (h, _q) = harness().await;
    let body = r#"{"query":"mutation { volumeDelete(volumeId: \"vol-1\") }"}"#;
    let resp = h
        .https(RAILWAY_HOST, gql_request(RAILWAY_HOST, RAILWAY_TOKEN, body))
        .await;
    assert_eq!(resp.status, 200, "approved at once: {}", resp.text());
    assert_eq!(h.fake.received().len(), 1);

    let m = h.metrics().await;
    let series = |s: &str| metric(&m, s);
    assert_eq!(
        series(
            "scopegate_requests_total{provider=\"railway\",verdict=\"approve\",forwarded=\"true\"}"
        ),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        series(
            "scopegate_requests_total{provider=\"railway\",verdict=\"approve\",forwarded=\"false\"}"
        ),
        None
    );
    assert_eq!(
        series("scopegate_approvals_decided_total{outcome=\"used\"}"),
        Some(1.0)
    );
    assert_eq!(series("scopegate_approvals_pending"), Some(3.0));
    assert_eq!(series("scopegate_policy_tokens"), Some(3.0));
    assert_eq!(series("scopegate_policy_rules"), Some(8.0));
    assert!(m.contains(&format!(
        "scopegate_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
    // every family has HELP text
    for line in m.lines().filter(|l| l.starts_with("# TYPE ")) {
        let name = line.split_whitespace().nth(2).unwrap();
        assert!(m.contains(&format!("# HELP {name} ")), "{name} has no HELP");
    }
}

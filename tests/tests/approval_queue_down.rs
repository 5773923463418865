//! A held request whose approval queue cannot be reached (its database is
//! down) is refused, and the refusal is in the decision log before the
//! agent hears it; when even that cannot be recorded, it is not refused
//! as a decision either. Nothing reaches the provider.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use scopegate_e2e::{
    Harness, Options, RAILWAY_HOST, RAILWAY_TOKEN, gql_request, standard_scope_map,
};
use scopegate_model::Verdict;
use scopegate_model::{
    ApprovalId, ApprovalQueue, BoxFut, Grant, HeldRequest, HoldOutcome, QueueError,
};

/// An approval queue whose database is down at the given step.
struct Down {
    at_hold: bool,
}

impl ApprovalQueue for Down {
    fn take_grant(&self, _: String) -> BoxFut<Result<Option<Grant>, QueueError>> {
        let ok = self.at_hold;
        Box::pin(async move {
            if ok {
                Ok(None)
            } else {
                Err(QueueError::Unavailable {
                    cause: "connection refused".into(),
                })
            }
        })
    }
    fn hold(&self, _: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>> {
        Box::pin(async {
            Err(QueueError::Unavailable {
                cause: "connection refused".into(),
            })
        })
    }
    fn wait(&self, _: ApprovalId, _: Duration) -> BoxFut<Result<HoldOutcome, QueueError>> {
        Box::pin(async {
            Err(QueueError::Unavailable {
                cause: "connection refused".into(),
            })
        })
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
        Box::pin(async {
            Err(QueueError::Unavailable {
                cause: "connection refused".into(),
            })
        })
    }
}

const DELETE: &str = r#"{"query":"mutation { volumeDelete(volumeId: \"vol-prod-db-1\") }"}"#;

#[tokio::test]
async fn a_hold_the_queue_cannot_take_is_refused_and_recorded() {
    for at_hold in [false, true] {
        let h = Harness::start_with_approvals(
            &standard_scope_map(),
            Options::default(),
            Some(Arc::new(Down { at_hold })),
        )
        .await;
        let resp = h
            .https(
                RAILWAY_HOST,
                gql_request(RAILWAY_HOST, RAILWAY_TOKEN, DELETE),
            )
            .await;
        assert_eq!(resp.status, 503, "{}", resp.text());
        assert!(resp.text().contains("approval queue is unavailable"));
        let records = h.sink.records();
        assert_eq!(records.len(), 1, "at_hold={at_hold}: {records:#?}");
        let r = &records[0];
        assert_eq!(r.verdict, Verdict::Deny);
        assert!(!r.forwarded);
        assert_eq!(r.operations[0].name, "volumeDelete");
        assert_eq!(
            r.approval.as_deref(),
            Some("not held: the approval queue is unavailable")
        );
        assert!(h.fake.received().is_empty(), "nothing reached Railway");
    }
}

#[tokio::test]
async fn when_the_refusal_cannot_be_recorded_either_nothing_is_decided() {
    let h = Harness::start_with_approvals(
        &standard_scope_map(),
        Options::default(),
        Some(Arc::new(Down { at_hold: false })),
    )
    .await;
    h.sink.fail(true);
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, DELETE),
        )
        .await;
    assert_eq!(resp.status, 503);
    assert!(
        resp.text().contains("could not be recorded"),
        "{}",
        resp.text()
    );
    assert!(h.fake.received().is_empty());
}

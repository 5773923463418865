//! settle: grants, holds, and every way a hold ends, with its records.

use std::sync::atomic::Ordering;

use scopegate_model::Verdict;

use super::*;
use crate::metrics::Metrics;
use crate::request_path::permit::settle::{Hold, settle};
use crate::request_path::record::{Case, Facts, Release, Step};
use crate::respond::Why;
use scopegate_model::{Grant, HoldOutcome, QueueError};

struct Setup {
    facts: Facts,
    inspection: scopegate_inspect::Inspection,
    decision: scopegate_model::Decision,
    sink: MemorySink,
    metrics: Metrics,
}

fn setup(query: &str) -> (Setup, Inbound) {
    setup_as(query, TOKEN)
}

fn setup_as(query: &str, token: &str) -> (Setup, Inbound) {
    let engine = engine();
    let inbound = inbound(graphql(query, token));
    let inspection = inbound.with_view(&conn().host, |v| engine.inspector.inspect(v));
    let decision = scopegate_policy::evaluate(
        &engine.scope_map,
        &inspection.credential,
        &inspection.operations,
    );
    let facts = Facts::new("dec_held".into(), &conn(), &inbound, &inspection);
    let s = Setup {
        facts,
        inspection,
        decision,
        sink: MemorySink::default(),
        metrics: Metrics::default(),
    };
    (s, inbound)
}

async fn run(s: &Setup, queue: &ScriptedQueue, inbound: Inbound) -> Result<Release, Refusal> {
    let case = Case {
        facts: &s.facts,
        inspection: &s.inspection,
        decision: &s.decision,
    };
    let hold = Hold {
        queue,
        sink: &s.sink,
        metrics: &s.metrics,
    };
    settle(hold, &engine(), &conn(), &case, inbound)
        .await
        .map(|(_, release)| release)
}

fn grant() -> Grant {
    Grant {
        approval_id: "apr_0".into(),
        approved_by: Some("alice".into()),
    }
}

#[tokio::test]
async fn a_grant_for_this_request_releases_it_without_a_new_hold() {
    let (s, inbound) = setup(VOLUME_DELETE);
    let queue = ScriptedQueue::default().then_grant(Ok(Some(grant())));
    let release = run(&s, &queue, inbound).await.unwrap();
    assert_eq!(release.id, "dec_held");
    assert_eq!(release.step, Step::Granted(grant()));
    assert!(queue.held.lock().unwrap().is_empty());
    assert!(!queue.waited.load(Ordering::SeqCst));
    assert!(s.sink.records().is_empty(), "the forward phase records it");
}

#[tokio::test]
async fn an_approved_hold_is_released_under_a_new_record() {
    let (s, inbound) = setup(VOLUME_DELETE);
    let queue = ScriptedQueue::answering(HoldOutcome::Approved { by: "alice".into() })
        .then_grant(Ok(None))
        .then_grant(Ok(Some(grant())));
    let release = run(&s, &queue, inbound).await.unwrap();
    assert_ne!(release.id, "dec_held");
    assert_eq!(
        release.step,
        Step::Used {
            approval: "apr_1".into(),
            by: "alice".into()
        }
    );
    // Held first, durably, as the decision's own record.
    let records = s.sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, "dec_held");
    assert_eq!(records[0].approval.as_deref(), Some("held apr_1"));
    assert!(!records[0].forwarded);
    // The hold carries what the approver sees, and binds one reading.
    let held = queue.held.lock().unwrap();
    assert_eq!(held[0].decision_id, "dec_held");
    assert_eq!(held[0].operations[0].name, "volumeDelete");
    let keys = queue.grant_keys.lock().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
    assert_eq!(held[0].grant_key, keys[0]);
}

#[tokio::test]
async fn the_grant_key_is_the_reading_of_the_request() {
    let key = |query: &str, token: &str| {
        let (s, inbound) = setup_as(query, token);
        async move {
            let queue = ScriptedQueue::default();
            let _ = run(&s, &queue, inbound).await;
            queue.grant_keys.lock().unwrap()[0].clone()
        }
    };
    let a = key(VOLUME_DELETE, TOKEN).await;
    assert_eq!(a, key(VOLUME_DELETE, TOKEN).await);
    let other = r#"mutation { volumeDelete(volumeId: "vol-2") }"#;
    assert_ne!(a, key(other, TOKEN).await);
    assert_ne!(a, key(VOLUME_DELETE, "another-token").await);
}

#[tokio::test]
async fn a_grant_taken_by_an_identical_request_is_told_truthfully() {
    let (s, inbound) = setup(VOLUME_DELETE);
    let queue = ScriptedQueue::answering(HoldOutcome::Approved { by: "alice".into() });
    let refusal = policy(run(&s, &queue, inbound).await.unwrap_err());
    assert_eq!(refusal.id, "dec_held");
    assert!(matches!(&refusal.why, Why::GrantUsed { by, .. } if by == "alice"));
}

#[tokio::test]
async fn a_rejected_hold_is_recorded_and_refused_with_the_note() {
    let (s, inbound) = setup(VOLUME_DELETE);
    let queue = ScriptedQueue::answering(HoldOutcome::Rejected {
        by: "bob".into(),
        note: "prod".into(),
    });
    let refusal = policy(run(&s, &queue, inbound).await.unwrap_err());
    let records = s.sink.records();
    assert_eq!(records.len(), 2);
    let rejected = &records[1];
    assert_eq!(rejected.id, refusal.id);
    assert_ne!(rejected.id, "dec_held");
    assert_eq!(rejected.verdict, Verdict::Deny);
    assert_eq!(
        rejected.approval.as_deref(),
        Some("refused apr_1 (rejected by bob)")
    );
    assert!(
        matches!(&refusal.why, Why::Rejected { by, note, .. } if by == "bob" && note == "prod")
    );
    // The policy's decision travels unedited.
    assert_eq!(refusal.decision, s.decision);
}

#[tokio::test]
async fn an_undecided_hold_names_its_approval() {
    let (s, inbound) = setup(VOLUME_DELETE);
    let queue = ScriptedQueue::answering(HoldOutcome::Pending);
    let refusal = policy(run(&s, &queue, inbound).await.unwrap_err());
    assert_eq!(refusal.id, "dec_held");
    let Why::Pending(link) = &refusal.why else {
        panic!("{:?}", refusal.why)
    };
    assert_eq!(link.id, "apr_1");
    assert_eq!(link.link, "http://dash/approvals/apr_1");
    assert_eq!(link.grant_window_hint, "60 seconds");
    assert_eq!(s.sink.records().len(), 1);
}

#[tokio::test]
async fn an_unreachable_queue_is_recorded_then_refused() {
    for broken in ["grant", "hold", "wait"] {
        let (s, inbound) = setup(VOLUME_DELETE);
        let queue = ScriptedQueue::default();
        match broken {
            "grant" => queue
                .grants
                .lock()
                .unwrap()
                .push_back(Err(QueueError::Unavailable {
                    cause: "db down".into(),
                })),
            "hold" => {
                *queue.hold_error.lock().unwrap() = Some(QueueError::Unavailable {
                    cause: "db down".into(),
                })
            }
            _ => {
                *queue.outcome.lock().unwrap() = Some(Err(QueueError::Unavailable {
                    cause: "db down".into(),
                }))
            }
        }
        let r = run(&s, &queue, inbound).await.unwrap_err();
        assert!(matches!(r, Refusal::QueueUnavailable), "{broken}: {r:?}");
        let records = s.sink.records();
        let last = records.last().unwrap();
        assert_eq!(last.verdict, Verdict::Deny, "{broken}");
        assert_eq!(
            last.approval.as_deref(),
            Some("not held: the approval queue is unavailable"),
            "{broken}"
        );
    }
}

#[tokio::test]
async fn a_hold_that_cannot_be_recorded_does_not_wait() {
    let (s, inbound) = setup(VOLUME_DELETE);
    s.sink.failing.store(true, Ordering::SeqCst);
    let queue = ScriptedQueue::answering(HoldOutcome::Approved { by: "alice".into() });
    let r = run(&s, &queue, inbound).await.unwrap_err();
    assert!(matches!(r, Refusal::Unrecorded), "{r:?}");
    assert!(!queue.waited.load(Ordering::SeqCst));
}

#[tokio::test]
async fn the_hold_carries_the_rules_note_and_the_agents_reason_which_bind_nothing() {
    let mut keys = Vec::new();
    for reason in ["  clean up\tthe old staging volume ", "another reason"] {
        let (s, mut inbound) = setup(VOLUME_DELETE);
        inbound
            .parts
            .headers
            .insert("x-scopegate-reason", reason.parse().unwrap());
        let queue = ScriptedQueue::answering(HoldOutcome::Pending).then_grant(Ok(None));
        assert!(run(&s, &queue, inbound).await.is_err(), "still pending");
        let held = queue.held.lock().unwrap();
        assert_eq!(
            held[0].rule_note.as_deref(),
            Some("a volume's backups go with it")
        );
        assert_eq!(
            held[0].who_decides,
            scopegate_model::WhoDecides {
                approvers: 2,
                self_approval: false
            },
            "who may approve travels with the hold"
        );
        keys.push(held[0].grant_key.clone());
        if reason.starts_with(' ') {
            assert_eq!(
                held[0].agent_reason.as_deref(),
                Some("clean up the old staging volume"),
                "one printable line, trimmed"
            );
        }
    }
    assert_eq!(
        keys[0], keys[1],
        "the reason is not part of what is approved"
    );
}

#[test]
fn an_agents_reason_is_one_bounded_printable_line_or_none() {
    use crate::request_path::permit::settle::agent_reason;
    let mut h = http::HeaderMap::new();
    assert_eq!(agent_reason(&h), None);
    h.insert("x-scopegate-reason", "   ".parse().unwrap());
    assert_eq!(agent_reason(&h), None, "blank is none");
    h.insert("x-scopegate-reason", "x".repeat(900).parse().unwrap());
    assert_eq!(agent_reason(&h).map(|r| r.len()), Some(500));
    h.insert(
        "x-scopegate-reason",
        http::HeaderValue::from_bytes(b"caf\xc3\xa9\tok").unwrap(),
    );
    assert_eq!(agent_reason(&h).as_deref(), Some("café ok"));
}

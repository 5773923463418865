//! The whole path, phase after phase, with a test `State` and no sockets:
//! what is recorded, what is answered, what is counted.

use std::sync::atomic::Ordering;

use scopegate_model::Verdict;

use super::*;
use crate::request_path::run;
use crate::test_state;
use scopegate_model::{ApprovalQueue, HoldOutcome};

fn state(sink: Arc<MemorySink>, queue: Option<Arc<ScriptedQueue>>) -> crate::shared::State {
    let queue = queue.map(|q| q as Arc<dyn ApprovalQueue>);
    // A folder that is never created: the test state reads no file.
    let dir = std::path::Path::new("/nonexistent/scopegate-phase-tests");
    test_state::state(dir, engine(), sink, queue)
}

async fn send(
    state: &crate::shared::State,
    req: Request<Bytes>,
) -> Result<http::Response<Body>, Refusal> {
    run(state, &conn(), streaming(req)).await
}

#[tokio::test]
async fn a_denied_request_is_recorded_durably_then_refused() {
    let sink = Arc::new(MemorySink::default());
    let state = state(sink.clone(), None);
    let r = send(&state, graphql(PROJECT_DELETE, TOKEN))
        .await
        .unwrap_err();
    let p = policy(r);
    let records = sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, p.id);
    assert_eq!(records[0].verdict, Verdict::Deny);
    assert!(!records[0].forwarded);
    assert_eq!(records[0].agent.as_deref(), Some("agent-1"));
    assert!(sink.outcomes.lock().unwrap().is_empty());
    let counts = state.metrics.request_counts();
    assert_eq!(counts.get(&("railway".into(), "deny", false)), Some(&1));
}

#[tokio::test]
async fn an_unrecordable_decision_is_not_acted_on() {
    let sink = Arc::new(MemorySink::default());
    sink.failing.store(true, Ordering::SeqCst);
    let state = state(sink.clone(), None);
    let r = send(&state, graphql(PROJECT_DELETE, TOKEN))
        .await
        .unwrap_err();
    assert!(matches!(r, Refusal::Unrecorded), "{r:?}");
    // Allowed, but unrecordable: refused before anything is sent.
    let r = send(&state, graphql(READ, TOKEN)).await.unwrap_err();
    assert!(matches!(r, Refusal::Unrecorded), "{r:?}");
    assert!(
        sink.outcomes.lock().unwrap().is_empty(),
        "nothing was forwarded"
    );
}

#[tokio::test]
async fn a_held_request_without_a_queue_is_refused_as_needing_approval() {
    let sink = Arc::new(MemorySink::default());
    let state = state(sink.clone(), None);
    let p = policy(
        send(&state, graphql(VOLUME_DELETE, TOKEN))
            .await
            .unwrap_err(),
    );
    assert_eq!(p.decision.verdict, Verdict::Hold);
    assert!(matches!(p.why, crate::respond::Why::Decided));
    assert_eq!(sink.records()[0].verdict, Verdict::Hold);
    let counts = state.metrics.request_counts();
    assert_eq!(counts.get(&("railway".into(), "approve", false)), Some(&1));
}

#[tokio::test]
async fn a_held_request_goes_to_the_queue_and_is_counted_once() {
    let sink = Arc::new(MemorySink::default());
    let queue = Arc::new(ScriptedQueue::answering(HoldOutcome::Pending));
    let state = state(sink.clone(), Some(queue.clone()));
    let p = policy(
        send(&state, graphql(VOLUME_DELETE, TOKEN))
            .await
            .unwrap_err(),
    );
    assert!(matches!(p.why, crate::respond::Why::Pending(_)));
    assert_eq!(queue.held.lock().unwrap().len(), 1);
    let counts = state.metrics.request_counts();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts.get(&("railway".into(), "approve", false)), Some(&1));
}

#[tokio::test]
async fn a_surrogate_without_its_secret_is_refused_before_forwarding() {
    let sink = Arc::new(MemorySink::default());
    let state = state(sink.clone(), None);
    let p = policy(send(&state, graphql(READ, SURROGATE)).await.unwrap_err());
    // The policy allowed it; the refusal says why it still went nowhere.
    assert_eq!(p.decision.verdict, Verdict::Allow);
    let crate::respond::Why::NoSecret(why) = &p.why else {
        panic!("{:?}", p.why)
    };
    assert!(why.contains("SCOPEGATE_PHASE_TEST_UNSET_SECRET"), "{why}");
    let records = sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].verdict, records[0].forwarded),
        (Verdict::Deny, false)
    );
    assert_eq!(records[0].rule, "builtin:surrogate");
    assert!(
        sink.outcomes.lock().unwrap().is_empty(),
        "nothing was forwarded"
    );
}

#[tokio::test]
async fn head_refusals_come_before_any_decision() {
    let sink = Arc::new(MemorySink::default());
    let state = state(sink.clone(), None);
    let mut req = graphql(READ, TOKEN);
    req.headers_mut()
        .insert("upgrade", "websocket".parse().unwrap());
    let r = send(&state, req).await.unwrap_err();
    assert!(matches!(r, Refusal::Upgrade), "{r:?}");
    assert!(sink.records().is_empty());
    assert!(state.metrics.request_counts().is_empty());
}

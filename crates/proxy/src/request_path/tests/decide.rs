//! decide: the scope map's decision, as made, and where it sends the request.

use scopegate_model::{Mode, Verdict};

use super::*;
use crate::request_path::permit::{Next, decide};

fn run(query: &str, token: &str, queue: Option<()>) -> (scopegate_model::Decision, Next<()>) {
    let engine = engine();
    let inbound = inbound(graphql(query, token));
    let inspection = inbound.with_view(&conn().host, |v| engine.inspector.inspect(v));
    let expected = scopegate_policy::evaluate(
        &engine.scope_map,
        &inspection.credential,
        &inspection.operations,
    );
    let decided = decide(&engine, &inspection, inbound, queue);
    // The decision is the policy's, unedited.
    assert_eq!(decided.decision, expected);
    (decided.decision, decided.next)
}

#[test]
fn an_allowed_request_is_permitted_with_its_exact_bytes() {
    let (d, next) = run(READ, TOKEN, Some(()));
    assert_eq!(d.verdict, Verdict::Allow);
    let Next::Forward(p) = next else {
        panic!("not forwarded: {next:?}")
    };
    let (parts, body) = crate::upstream::Forwardable::into_request(p);
    assert_eq!(
        body,
        serde_json::json!({ "query": READ }).to_string().as_bytes()
    );
    assert_eq!(parts.headers["authorization"], format!("Bearer {TOKEN}"));
}

#[test]
fn a_denied_request_is_refused() {
    let (d, next) = run(PROJECT_DELETE, TOKEN, Some(()));
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(matches!(next, Next::Refuse), "{next:?}");
}

#[test]
fn a_request_for_a_human_is_held_only_with_a_queue() {
    let (d, next) = run(VOLUME_DELETE, TOKEN, Some(()));
    assert_eq!((d.verdict, d.mode), (Verdict::Hold, Mode::Enforce));
    assert!(matches!(next, Next::Hold(_, ())), "{next:?}");
    let (_, next) = run(VOLUME_DELETE, TOKEN, None);
    assert!(matches!(next, Next::Refuse), "{next:?}");
}

#[test]
fn an_unknown_token_is_refused() {
    let (d, next) = run(READ, "someone-elses-token", Some(()));
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(matches!(next, Next::Refuse), "{next:?}");
}

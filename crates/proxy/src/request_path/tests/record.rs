//! record: one record per step, built from the facts and the decision.

use scopegate_model::{Decision, Verdict};

use super::*;
use crate::request_path::record::{Facts, Step, short};
use scopegate_model::Grant;

fn facts_and_decision(query: &str) -> (Facts, Decision) {
    let engine = engine();
    let mut req = graphql(query, TOKEN);
    *req.uri_mut() = "/graphql/v2?token=secret".parse().unwrap();
    let inbound = inbound(req);
    let inspection = inbound.with_view(&conn().host, |v| engine.inspector.inspect(v));
    let d = scopegate_policy::evaluate(
        &engine.scope_map,
        &inspection.credential,
        &inspection.operations,
    );
    (
        Facts::new("dec_1".into(), &conn(), &inbound, &inspection),
        d,
    )
}

#[test]
fn facts_keep_no_query_string_and_name_the_request() {
    let (f, _) = facts_and_decision(READ);
    assert_eq!(f.path, "/graphql/v2");
    assert_eq!(f.provider, "railway");
    assert_eq!(f.method, "POST");
    assert_eq!(f.agent.as_deref(), Some("agent-1"));
    let fp = scopegate_model::Fingerprint::of(TOKEN.as_bytes()).short();
    assert_eq!(f.fingerprint_prefix.as_deref(), Some(fp.as_str()));
    assert_eq!(short("/a?b=c"), "/a");
    assert_eq!(f.request_digest.len(), 64);
}

#[test]
fn each_step_is_recorded_as_what_it_is() {
    let (f, d) = facts_and_decision(VOLUME_DELETE);
    assert_eq!(d.verdict, Verdict::Hold);
    let grant = Grant {
        approval_id: "apr_1".into(),
        approved_by: Some("alice".into()),
    };
    let apr = || scopegate_model::ApprovalId::from("apr_1");
    let cases: Vec<(Step, Verdict, bool, Option<&str>)> = vec![
        (Step::Decided, Verdict::Hold, false, None),
        (
            Step::Held { approval: apr() },
            Verdict::Hold,
            false,
            Some("held apr_1"),
        ),
        (
            Step::Granted(grant),
            Verdict::Hold,
            true,
            Some("granted apr_1 (approved by alice)"),
        ),
        (
            Step::Used {
                approval: apr(),
                by: "alice".into(),
            },
            Verdict::Hold,
            true,
            Some("used apr_1 (approved by alice)"),
        ),
        (
            Step::Rejected {
                approval: apr(),
                by: "bob".into(),
            },
            Verdict::Deny,
            false,
            Some("refused apr_1 (rejected by bob)"),
        ),
        (
            Step::QueueUnavailable,
            Verdict::Deny,
            false,
            Some("not held: the approval queue is unavailable"),
        ),
    ];
    for (step, verdict, forwarded, approval) in cases {
        let r = f.record(&"dec_9".into(), &d, &step);
        assert_eq!(r.id, "dec_9");
        assert_eq!(r.verdict, verdict, "{step:?}");
        assert_eq!(r.forwarded, forwarded, "{step:?}");
        assert_eq!(r.approval.as_deref(), approval, "{step:?}");
        assert_eq!(r.rule, d.rule.0, "{step:?}");
        assert_eq!(r.reason, d.reason, "{step:?}");
        assert_eq!(r.operations.len(), 1);
        assert_eq!(r.operations[0].name, "volumeDelete");
        assert_eq!(
            (r.path.as_str(), r.at_unix_ms),
            ("/graphql/v2", f.at_unix_ms)
        );
    }
}

#[test]
fn a_missing_secret_is_recorded_as_a_builtin_deny_after_its_permit() {
    let (f, d) = facts_and_decision(READ);
    let step = Step::NoSecret {
        why: "no secret".into(),
        after: Box::new(Step::Used {
            approval: "apr_2".into(),
            by: "al".into(),
        }),
    };
    let r = f.record(&"dec_1".into(), &d, &step);
    assert_eq!((r.verdict, r.forwarded), (Verdict::Deny, false));
    assert_eq!(r.rule, "builtin:surrogate");
    assert_eq!(r.reason, "no secret");
    assert_eq!(r.approval.as_deref(), Some("used apr_2 (approved by al)"));
    // The decision it came from is as the policy made it.
    assert_eq!(d.verdict, Verdict::Allow);
}

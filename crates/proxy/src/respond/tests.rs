use http_body_util::BodyExt as _;
use scopegate_inspect::EndpointKind;
use scopegate_model::{Decision, Mode, OpClass, Operation, OperationVerdict, RuleRef, Verdict};

use super::*;
use crate::body::Body;

fn decision(v: Verdict) -> Decision {
    let op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    Decision {
        verdict: v,
        mode: Mode::Enforce,
        rule: RuleRef("t/hold".into()),
        reason: "railway:volumeDelete (destructive) matched rule `hold`".into(),
        token: Some("t".into()),
        operations: vec![OperationVerdict {
            operation: op,
            verdict: v,
            rule: RuleRef("t/hold".into()),
            reason: "r".into(),
        }],
    }
}

fn policy(endpoint: EndpointKind, v: Verdict, id: &str, why: Why) -> Refusal {
    Refusal::Policy(Box::new(PolicyRefusal {
        endpoint,
        decision: decision(v),
        id: id.into(),
        why,
    }))
}

fn link() -> ApprovalLink {
    ApprovalLink {
        id: "apr_1".into(),
        link: "http://d/approvals/apr_1".into(),
        grant_window_hint: "60 seconds".into(),
    }
}

async fn body_json(r: Response<Body>) -> serde_json::Value {
    let b = r.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&b).unwrap()
}

#[tokio::test]
async fn graphql_refusals_are_errors_arrays() {
    let r = policy(EndpointKind::Graphql, Verdict::Deny, "dec_1", Why::Decided).into_response();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-scopegate-decision"], "deny");
    assert_eq!(r.headers()["x-scopegate-id"], "dec_1");
    let v = body_json(r).await;
    assert!(v["data"].is_null());
    let e = &v["errors"][0];
    assert!(e["message"].as_str().unwrap().contains("ask a human"));
    assert_eq!(e["extensions"]["code"], "SCOPEGATE_REFUSED");
    assert_eq!(e["extensions"]["scopegate"]["decision_id"], "dec_1");
    assert_eq!(e["extensions"]["scopegate"]["rule"], "t/hold");
    assert_eq!(
        e["extensions"]["scopegate"]["operations"][0]["operation"],
        "railway:volumeDelete"
    );
}

#[tokio::test]
async fn rest_refusals_have_a_message() {
    let r = policy(EndpointKind::Rest, Verdict::Hold, "dec_2", Why::Decided).into_response();
    assert_eq!(r.headers()["x-scopegate-decision"], "approve");
    let v = body_json(r).await;
    assert!(v["message"].as_str().unwrap().contains("approval required"));
    assert_eq!(v["scopegate"]["decision"], "approve");
    assert!(v["scopegate"]["approval"].is_null());
}

#[tokio::test]
async fn a_pending_hold_names_its_approval_and_link() {
    let r = policy(
        EndpointKind::Rest,
        Verdict::Hold,
        "dec_4",
        Why::Pending(link()),
    );
    let r = r.into_response();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-scopegate-decision"], "approve");
    let v = body_json(r).await;
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("waiting for a human's approval (apr_1)"), "{m}");
    assert!(m.contains("http://d/approvals/apr_1"), "{m}");
    assert!(m.contains("within 60 seconds"), "{m}");
    assert_eq!(v["scopegate"]["approval"]["state"], "pending");
    assert!(v["scopegate"]["approval"]["decided_by"].is_null());
}

#[tokio::test]
async fn a_rejection_is_a_deny_with_the_approvers_note_in_the_details_only() {
    // The note is the approver's text: a client may rewrite a message
    // holding it (Railway's CLI rewrites "not authorized").
    let why = Why::Rejected {
        approval: link(),
        by: "bob".into(),
        note: "not in prod".into(),
    };
    let r = policy(EndpointKind::Rest, Verdict::Hold, "dec_5", why).into_response();
    assert_eq!(r.headers()["x-scopegate-decision"], "deny");
    let v = body_json(r).await;
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("a human rejected this request (bob)"), "{m}");
    assert!(!m.contains("not in prod"), "{m}");
    assert_eq!(v["scopegate"]["decision"], "deny");
    assert_eq!(v["scopegate"]["rule"], "t/hold");
    assert_eq!(v["scopegate"]["approval"]["state"], "rejected");
    assert_eq!(v["scopegate"]["approval"]["note"], "not in prod");
}

#[tokio::test]
async fn a_grant_used_by_an_identical_request_is_not_called_pending() {
    let why = Why::GrantUsed {
        approval: link(),
        by: "alice".into(),
    };
    let r = policy(EndpointKind::Rest, Verdict::Hold, "dec_3", why).into_response();
    let v = body_json(r).await;
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("a human approved apr_1 (alice)"), "{m}");
    assert!(m.contains("used its one-time grant"), "{m}");
    assert!(m.contains("send the identical request again"), "{m}");
    assert!(!m.contains("waiting for a human"), "{m}");
    assert_eq!(v["scopegate"]["approval"]["state"], "used");
}

#[tokio::test]
async fn a_missing_secret_is_a_builtin_deny_and_the_decision_is_untouched() {
    let why = Why::NoSecret("the real secret for token `t` is empty".into());
    let Refusal::Policy(p) = policy(EndpointKind::Rest, Verdict::Allow, "dec_6", why) else {
        unreachable!()
    };
    assert_eq!(p.decision, decision(Verdict::Allow));
    let r = Refusal::Policy(p).into_response();
    assert_eq!(r.headers()["x-scopegate-decision"], "deny");
    let v = body_json(r).await;
    assert_eq!(v["scopegate"]["rule"], "builtin:surrogate");
    assert_eq!(
        v["scopegate"]["reason"],
        "the real secret for token `t` is empty"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("scopegate refused this request")
    );
}

/// Every refusal made before a decision, with the status, metric label
/// and phrase of message it must have.
fn refusals() -> Vec<(Refusal, u16, Option<&'static str>, &'static str)> {
    let host = || "example.com".to_owned();
    vec![
        (
            Refusal::ProxyAuth,
            407,
            Some("proxy-auth"),
            "proxy authentication required",
        ),
        (
            Refusal::NotAProxyRequest,
            400,
            Some("not-a-proxy-request"),
            "this is an HTTP proxy",
        ),
        (
            Refusal::BadConnect,
            400,
            Some("bad-connect"),
            "CONNECT needs host:port",
        ),
        (
            Refusal::Userinfo,
            400,
            Some("userinfo"),
            "user name or password",
        ),
        (Refusal::BadHost, 400, Some("bad-host"), "not a DNS name"),
        (
            Refusal::Egress(EgressRefusal::IpLiteral { host: host() }),
            403,
            Some("ip-literal"),
            "connect by host name",
        ),
        (
            Refusal::Egress(EgressRefusal::NotAllowed { host: host() }),
            403,
            Some("egress-refused"),
            "egress to other hosts is refused",
        ),
        (
            Refusal::Egress(EgressRefusal::Dns { host: host() }),
            502,
            Some("dns"),
            "does not resolve",
        ),
        (
            Refusal::Egress(EgressRefusal::Private { host: host() }),
            403,
            Some("private-address"),
            "private, loopback",
        ),
        (
            Refusal::AuthorityMismatch,
            421,
            Some("authority-mismatch"),
            "another host",
        ),
        (Refusal::Upgrade, 403, Some("upgrade"), "protocol upgrades"),
        (
            Refusal::BodyTooLarge { max: 10 },
            413,
            Some("body-too-large"),
            "over 10 bytes",
        ),
        (
            Refusal::BodyTimeout,
            408,
            Some("body-timeout"),
            "did not arrive in time",
        ),
        (
            Refusal::BodyUnreadable,
            400,
            Some("body-read"),
            "could not be read",
        ),
        (
            Refusal::QueueUnavailable,
            503,
            None,
            "approval queue is unavailable",
        ),
        (Refusal::Unrecorded, 503, None, "could not be recorded"),
        (
            Refusal::Upstream {
                cause: Cause::Timeout,
                host: host(),
            },
            504,
            None,
            "did not answer in time",
        ),
        (
            Refusal::Upstream {
                cause: Cause::Dns,
                host: host(),
            },
            502,
            None,
            "DNS: example.com",
        ),
        (
            Refusal::Upstream {
                cause: Cause::Request,
                host: host(),
            },
            400,
            None,
            "",
        ),
        (
            Refusal::Upstream {
                cause: proxy_cause(ProxyFailure::Auth),
                host: host(),
            },
            502,
            None,
            "upstream proxy scopegate goes through (corp:3128) answered 407",
        ),
        (
            Refusal::Upstream {
                cause: proxy_cause(ProxyFailure::Timeout),
                host: host(),
            },
            504,
            None,
            "(corp:3128) did not answer in time",
        ),
    ]
}

/// Every refusal made before a decision: its status, its label, and a
/// JSON problem the client can read.
#[tokio::test]
async fn each_refusal_has_one_status_label_and_message() {
    for (refusal, status, label, phrase) in refusals() {
        let name = format!("{refusal:?}");
        assert_eq!(refusal.metric_label(), label, "{name}");
        let r = refusal.into_response();
        assert_eq!(r.status().as_u16(), status, "{name}");
        assert_eq!(r.headers()["content-type"], "application/json", "{name}");
        assert!(!r.headers().contains_key("x-scopegate-decision"), "{name}");
        let v = body_json(r).await;
        let m = v["message"].as_str().unwrap();
        assert!(
            m.starts_with("scopegate: ") && m.contains(phrase),
            "{name}: {m}"
        );
        assert_eq!(v["scopegate"]["status"], status, "{name}");
    }
}

#[tokio::test]
async fn proxy_auth_asks_for_basic_credentials() {
    let r = Refusal::ProxyAuth.into_response();
    assert_eq!(
        r.headers()["proxy-authenticate"],
        "Basic realm=\"scopegate\""
    );
}

#[test]
fn answering_counts_the_label_once_and_policy_refusals_not_at_all() {
    let m = Metrics::default();
    let _ = Refusal::Upgrade.answer(&m);
    let _ = Refusal::Upgrade.answer(&m);
    let _ = policy(EndpointKind::Rest, Verdict::Deny, "d", Why::Decided).answer(&m);
    let _ = Refusal::Unrecorded.answer(&m);
    let counts = m.refused_counts();
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), vec![("upgrade", 2)]);
}

#[test]
fn closed_connections_are_counted_under_their_label() {
    let m = Metrics::default();
    for c in [
        Closed::NotTls,
        Closed::TlsTimeout,
        Closed::SniMismatch,
        Closed::LeafCert,
        Closed::TlsHandshake,
    ] {
        c.count(&m);
    }
    let counts = m.refused_counts();
    for label in [
        "not-tls",
        "tls-timeout",
        "sni-mismatch",
        "leaf-cert",
        "tls-handshake",
    ] {
        assert_eq!(counts.get(label), Some(&1), "{label}");
    }
}

fn proxy_cause(failure: ProxyFailure) -> Cause {
    Cause::Proxy(crate::upstream_proxy::ProxyError {
        proxy: "corp:3128".into(),
        failure,
    })
}

#[test]
fn upstream_failures_are_counted_by_cause() {
    let m = Metrics::default();
    let upstream = |cause| Refusal::Upstream {
        cause,
        host: "example.com".into(),
    };
    let _ = upstream(proxy_cause(ProxyFailure::Auth)).answer(&m);
    let _ = upstream(Cause::Dns).answer(&m);
    let text = m.render(
        scopegate_tls::LeafStats::default(),
        (0, 0, 0),
        None,
        &crate::metrics::Status::default(),
    );
    assert!(
        text.contains("scopegate_upstream_failures_total{cause=\"proxy-auth\"} 1"),
        "{text}"
    );
    assert!(text.contains("scopegate_upstream_failures_total{cause=\"dns\"} 1"));
    assert!(
        m.refused_counts().is_empty(),
        "not refusals before a decision"
    );
}

/// Every refusal's message, in every shape, for every reason, with a
/// reason and a note that carry phrases known clients rewrite.
#[tokio::test]
async fn no_refusal_message_holds_a_phrase_a_client_rewrites() {
    let rewritten = "Not Authorized to do this (unauthorized; not authenticated)";
    let whys = || {
        vec![
            Why::Decided,
            Why::NoSecret(rewritten.into()),
            Why::Pending(link()),
            Why::Rejected {
                approval: link(),
                by: "bob".into(),
                note: rewritten.into(),
            },
            Why::GrantUsed {
                approval: link(),
                by: "bob".into(),
            },
            Why::TooLarge { max: 10 },
        ]
    };
    let mut messages = Vec::new();
    for endpoint in [
        EndpointKind::Graphql,
        EndpointKind::Rest,
        EndpointKind::RestErrorsList,
        EndpointKind::RestErrorObject,
    ] {
        for why in whys() {
            let mut d = decision(Verdict::Deny);
            d.reason = rewritten.into();
            let r = Refusal::Policy(Box::new(PolicyRefusal {
                endpoint,
                decision: d,
                id: "dec_1".into(),
                why,
            }));
            let v = body_json(r.into_response()).await;
            for m in [
                &v["errors"][0]["message"],
                &v["message"],
                &v["error"]["message"],
            ] {
                if let Some(m) = m.as_str() {
                    messages.push(m.to_owned());
                }
            }
        }
    }
    for r in [Refusal::ProxyAuth, Refusal::Upgrade, Refusal::Unrecorded] {
        let v = body_json(r.into_response()).await;
        messages.push(v["message"].as_str().unwrap().to_owned());
    }
    assert!(messages.len() >= 27, "{messages:?}");
    for m in &messages {
        assert!(!phrases::rewritable(m), "{m}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_recorded_decision_answered_413() {
    let r = policy(
        EndpointKind::Graphql,
        Verdict::Deny,
        "dec_9",
        Why::TooLarge { max: 1024 },
    );
    assert_eq!(r.metric_label(), Some("body-too-large"));
    let r = r.into_response();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["x-scopegate-id"], "dec_9");
    let v = body_json(r).await;
    let m = v["errors"][0]["message"].as_str().unwrap();
    assert!(m.contains("at most 1024 bytes"), "{m}");
    assert!(v["errors"][0]["extensions"]["scopegate"]["approval"].is_null());
}

#[tokio::test]
async fn upstream_proxy_failures_survive_clients_that_rewrite_messages() {
    for failure in [
        ProxyFailure::Dns,
        ProxyFailure::Connect,
        ProxyFailure::Timeout,
        ProxyFailure::Credentials,
        ProxyFailure::Auth,
        ProxyFailure::Denied(403),
        ProxyFailure::BadGateway(502),
        ProxyFailure::Protocol,
    ] {
        let r = Refusal::Upstream {
            cause: proxy_cause(failure),
            host: "backboard.railway.com".into(),
        };
        let v = body_json(r.into_response()).await;
        let m = v["message"].as_str().unwrap();
        assert!(m.contains("(corp:3128)"), "{m}");
        assert!(!phrases::rewritable(m), "{m}");
    }
}

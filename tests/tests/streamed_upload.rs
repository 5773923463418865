//! `railway up`'s upload: a route the catalogue decides on its head alone.
//! Its body (a gzip of the source, larger than the body limit) goes
//! upstream as it arrives, unread, once the head is permitted; a head that
//! is not permitted sends nothing at all. The decision names the project,
//! environment and service from the path and query.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use scopegate_e2e::*;
use scopegate_model::{OpClass, Verdict};

const MAX_BODY: usize = 1024;
const UP: &str = "/project/prj-1/environment/env-staging-1/up?serviceId=svc-web";
const DEPLOYER: &str = "demo-railway-deployer-token";

/// The deployer may deploy (`railway:up`); the domains token may not.
fn scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "deployer"
fingerprint = "{deployer}"

[[token.rule]]
id = "deploys"
effect = "allow"
operations = ["railway:up"]
resources = {{ environmentId = ["env-staging-1"] }}

[[token]]
name = "railway-domains"
fingerprint = "{domains}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]
"#,
        deployer = fp(DEPLOYER),
        domains = fp(RAILWAY_TOKEN),
    )
}

fn upload(target: &str, token: &str, body: Bytes) -> http::Request<Bytes> {
    http::Request::post(target)
        .header("host", RAILWAY_HOST)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/gzip")
        .body(body)
        .unwrap()
}

/// 2 MiB that are not all the same byte (so a truncated or reordered copy
/// cannot pass for the original).
fn tarball() -> Bytes {
    (0..2 << 20)
        .map(|i: usize| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

async fn harness() -> Harness {
    Harness::start_with(
        &scope_map(),
        Options {
            max_body_bytes: Some(MAX_BODY),
            ..Options::default()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_past_the_body_limit_is_decided_on_its_head_and_streamed_whole() {
    let h = harness().await;
    let body = tarball();
    let resp = h
        .https(RAILWAY_HOST, upload(UP, DEPLOYER, body.clone()))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = h.fake.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].target, UP);
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {DEPLOYER}").as_str())
    );
    assert_eq!(got[0].body.len(), body.len(), "the whole body arrived");
    assert!(got[0].body == body, "byte for byte");

    let recs = h.sink.records();
    assert_eq!(recs.len(), 1, "{recs:?}");
    let r = &recs[0];
    assert_eq!(r.verdict, Verdict::Allow);
    assert!(r.forwarded);
    assert_eq!(r.token.as_deref(), Some("deployer"));
    let op = &r.operations[0];
    assert_eq!((op.name.as_str(), op.class), ("up", OpClass::Write));
    for (kind, value) in [
        ("projectId", "prj-1"),
        ("environmentId", "env-staging-1"),
        ("serviceId", "svc-web"),
    ] {
        assert_eq!(
            op.resources.get(kind).map(|v| v.as_slice()),
            Some([value.to_owned()].as_slice()),
            "{kind}: {op:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_head_is_not_permitted_sends_nothing() {
    let h = harness().await;
    // Another environment than the rule names, and a token without writes.
    let prod = "/project/prj-1/environment/env-prod-1/up?serviceId=svc-web";
    for (target, token) in [(prod, DEPLOYER), (UP, RAILWAY_TOKEN)] {
        let resp = h
            .https(RAILWAY_HOST, upload(target, token, tarball()))
            .await;
        assert_eq!(resp.status, 403, "{target}: {}", resp.text());
        assert_eq!(header(&resp, "x-scopegate-decision"), "deny");
        let m = resp.json()["message"].as_str().unwrap().to_owned();
        assert!(m.contains("railway:up"), "{m}");
    }
    h.fake.assert_nothing_received("uploads not permitted");
    let recs = h.sink.records();
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert!(
        recs.iter()
            .all(|r| r.verdict == Verdict::Deny && !r.forwarded)
    );

    // Any other route on the host still reads its body within the limit.
    let padded = format!("{CUSTOM_DOMAIN_CREATE}{}", " ".repeat(4 * MAX_BODY));
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, &padded),
        )
        .await;
    assert_eq!(resp.status, 413, "{}", resp.text());
    h.fake.assert_nothing_received("an oversize GraphQL body");
}

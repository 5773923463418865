//! Resource context end to end (docs/resource-context.md): the incident's
//! scope map by environment NAME (config/examples/railway-staging-agent.toml)
//! in front of a fake Railway that answers scopegate's lookup query.

use std::time::{Duration, Instant};

use scopegate_e2e::railway_answers::RW_ENV_STAGING;
use scopegate_e2e::railway_lookup::{Lookup, RW_VOLUME_PROD, RW_VOLUME_STAGING};
use scopegate_e2e::{
    Harness, Options, RAILWAY_HOST, REAL_SECRET, SURROGATE, assert_graphql_refusal,
    eventually_async, fp, gql_request, header, metric,
};
use scopegate_model::{Attribute, DecisionRecord};

fn scope_map() -> String {
    scopegate_e2e::railway_lookup::staging_agent_scope_map()
}

async fn start(tail: &str) -> Harness {
    let opts = Options {
        tail: tail.to_owned(),
        ..Options::default()
    };
    Harness::start_with(&scope_map(), opts).await
}

fn volume_delete(id: &str) -> String {
    format!(r#"{{"query":"mutation {{ volumeDelete(volumeId: \"{id}\") }}"}}"#)
}

async fn send_delete(h: &Harness, id: &str) -> scopegate_e2e::wire::Resp {
    let body = volume_delete(id);
    h.https(RAILWAY_HOST, gql_request(RAILWAY_HOST, SURROGATE, &body))
        .await
}

/// `environmentDelete` of the staging environment, which the rules allow
/// once its name is known.
async fn delete_staging_environment(h: &Harness) {
    let delete =
        format!(r#"{{"query":"mutation {{ environmentDelete(id: \"{RW_ENV_STAGING}\") }}"}}"#);
    let resp = h
        .https(RAILWAY_HOST, gql_request(RAILWAY_HOST, SURROGATE, &delete))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
}

fn deletes(h: &Harness, id: &str) -> usize {
    let needle = format!("volumeDelete(volumeId: \\\"{id}\\\")");
    h.fake
        .received()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains(&needle))
        .count()
}

fn record(h: &Harness, resp_id: &str) -> DecisionRecord {
    h.sink.by_id(resp_id)
}

fn attribute(r: &DecisionRecord, key: &str) -> Option<Attribute> {
    r.operations
        .iter()
        .find_map(|op| op.attributes.get(key).cloned())
}

#[tokio::test]
async fn a_staging_volume_delete_is_allowed_and_a_production_one_is_held() {
    let h = start("").await;
    let resp = send_delete(&h, RW_VOLUME_STAGING).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        deletes(&h, RW_VOLUME_STAGING),
        1,
        "the fake receives the staging delete"
    );
    let lookups = h.fake.lookups();
    assert_eq!(lookups.len(), 1);
    let bearer = format!("Bearer {REAL_SECRET}");
    assert_eq!(
        lookups[0].header("authorization"),
        Some(bearer.as_str()),
        "the lookup carries the real secret"
    );
    let allowed = record(&h, &header(&resp, "x-scopegate-id"));
    assert_eq!(
        attribute(&allowed, "environment"),
        Some(Attribute::known(["staging".to_owned()]))
    );

    let resp = send_delete(&h, RW_VOLUME_PROD).await;
    let id = assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");
    assert_eq!(
        deletes(&h, RW_VOLUME_PROD),
        0,
        "the production delete is held, not sent"
    );
    assert_eq!(
        h.fake.lookups().len(),
        1,
        "the second id came from the cache"
    );
    let held = record(&h, &id);
    assert_eq!(held.rule, "staging-agent/production-destructive-held");
    assert_eq!(
        attribute(&held, "environment"),
        Some(Attribute::known(["production".to_owned()]))
    );
    assert_eq!(
        attribute(&held, "volume"),
        None,
        "only what rules need is resolved without a queue"
    );
}

/// The CLI's project query, as `railway status` sends it.
const PROJECT_QUERY: &str = r#"{"operationName":"Project","query":"query Project($id: String!) { project(id: $id) { id name environments { edges { node { id name } } } services { edges { node { id name } } } } }","variables":{"id":"prj-1"}}"#;

#[tokio::test]
async fn a_cli_read_fills_the_cache_and_the_rule_needs_no_lookup() {
    let h = start("").await;
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, SURROGATE, PROJECT_QUERY),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    eventually_async("the passive fill", || async {
        metric(
            &h.metrics().await,
            r#"scopegate_resolve_lookups_total{provider="railway",outcome="passive"}"#,
        ) == Some(1.0)
    })
    .await;
    delete_staging_environment(&h).await;
    assert_eq!(
        h.fake.lookups().len(),
        0,
        "no active lookup: the CLI's read answered it"
    );
    let received: Vec<String> = h
        .fake
        .received()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(received[1].contains("environmentDelete"));
}

async fn refused_with(h: &Harness, why: &str) {
    let started = Instant::now();
    let resp = send_delete(h, RW_VOLUME_STAGING).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the lookup's timeout bounds the wait"
    );
    let id = assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");
    assert_eq!(
        deletes(h, RW_VOLUME_STAGING),
        0,
        "an unresolved environment does not allow"
    );
    let r = record(h, &id);
    assert!(
        r.reason.contains("environment") && r.reason.contains(why),
        "{}",
        r.reason
    );
    match attribute(&r, "environment") {
        Some(Attribute::Unresolved(w)) => assert!(w.contains(why), "{w}"),
        other => panic!("environment: {other:?}"),
    }
}

#[tokio::test]
async fn a_failed_lookup_leaves_the_allow_rule_unmatched() {
    let h = start("").await;
    h.fake.answer_lookups(Lookup::Status(500));
    refused_with(&h, "HTTP 500").await;
    let h = start("").await;
    h.fake.answer_lookups(Lookup::Status(403));
    refused_with(&h, "HTTP 403").await;
}

#[tokio::test]
async fn a_lookup_that_times_out_leaves_the_allow_rule_unmatched() {
    let h = start("[resolve]\nlookup_timeout_ms = 300\n").await;
    h.fake.answer_lookups(Lookup::Stall(Duration::from_secs(5)));
    refused_with(&h, "timed out after 300 ms").await;
    let text = h.metrics().await;
    assert_eq!(
        metric(
            &text,
            r#"scopegate_resolve_lookups_total{provider="railway",outcome="timeout"}"#
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn an_id_the_token_cannot_see_is_unresolved() {
    let h = start("").await;
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, SURROGATE, &volume_delete("vol-elsewhere")),
        )
        .await;
    let id = assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");
    let r = record(&h, &id);
    assert!(
        r.reason
            .contains("volumeId vol-elsewhere is not among what the token can see"),
        "{}",
        r.reason
    );
}

/// With aliases the agent chooses the answer's keys (`environments:
/// volumes { ... }`), so an aliased read never fills the cache.
#[tokio::test]
async fn an_aliased_read_fills_nothing() {
    let h = start("").await;
    let aliased = PROJECT_QUERY.replace("{ id name environments", "{ id name: id environments");
    let resp = h
        .https(RAILWAY_HOST, gql_request(RAILWAY_HOST, SURROGATE, &aliased))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    delete_staging_environment(&h).await;
    assert_eq!(
        h.fake.lookups().len(),
        1,
        "resolved by a lookup, not by the aliased read"
    );
}

/// A project token (`Project-Access-Token`) is looked up with the
/// `projectToken` query, presenting the same header.
#[tokio::test]
async fn a_project_token_is_looked_up_through_project_token() {
    let token = "railway-project-token-e2e-7d1";
    let map = scope_map()
        .replace(
            &format!("surrogate = \"{}\"", fp(SURROGATE)),
            &format!("fingerprint = \"{}\"", fp(token)),
        )
        .replace("secret = { file = \"railway-secret.txt\" }\n", "");
    let h = Harness::start_with(&map, Options::default()).await;
    let req = http::Request::post("/graphql/v2")
        .header("host", RAILWAY_HOST)
        .header("project-access-token", token)
        .header("content-type", "application/json")
        .body(bytes::Bytes::from(volume_delete(RW_VOLUME_STAGING)))
        .expect("a request");
    let resp = h.https(RAILWAY_HOST, req).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let lookups = h.fake.lookups();
    assert_eq!(lookups.len(), 1);
    assert!(String::from_utf8_lossy(&lookups[0].body).contains("projectToken"));
    assert_eq!(lookups[0].header("project-access-token"), Some(token));
    assert_eq!(lookups[0].header("authorization"), None);
}

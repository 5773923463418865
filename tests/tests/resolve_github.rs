//! GitHub resource context end to end (docs/resource-context.md): rules on
//! `ref.protected`, `ref.isDefault` and `repository.visibility`, resolved
//! by scopegate's own REST reads (`config/catalog/github.resolve.toml`) of
//! a fake GitHub, with the token the agent presented.

use std::time::Duration;

use scopegate_e2e::railway_lookup::Lookup;
use scopegate_e2e::wire::Resp;
use scopegate_e2e::{GITHUB_HOST, GITHUB_TOKEN, Harness, Options, fp, github_request, header};
use scopegate_model::{Attribute, DecisionRecord};

/// Branches may be deleted when unprotected and not the default; other ref
/// deletes wait for a human; repository settings only of private ones.
fn scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "ci"
fingerprint = "{fp}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "feature-branch-deletes"
effect = "allow"
operations = ["github:git/delete-ref"]
resources = {{ "ref.protected" = ["false"], "ref.isDefault" = ["false"] }}

[[token.rule]]
id = "protected-ref-deletes-held"
effect = "approve"
operations = ["github:git/delete-ref"]
resources = {{ "ref.protected" = ["true"] }}

[[token.rule]]
id = "default-branch-deletes-held"
effect = "approve"
operations = ["github:git/delete-ref"]
resources = {{ "ref.isDefault" = ["true"] }}

[[token.rule]]
id = "private-repository-settings"
effect = "allow"
operations = ["github:repos/update"]
resources = {{ "repository.visibility" = ["private"] }}
"#,
        fp = fp(GITHUB_TOKEN)
    )
}

async fn start(tail: &str) -> Harness {
    let opts = Options {
        tail: tail.to_owned(),
        ..Options::default()
    };
    Harness::start_with(&scope_map(), opts).await
}

async fn delete_ref(h: &Harness, repository: &str, git_ref: &str) -> Resp {
    let path = format!("/repos/{repository}/git/refs/{git_ref}");
    h.https(GITHUB_HOST, github_request("DELETE", &path, GITHUB_TOKEN))
        .await
}

/// The agent's requests the fake received with this method and path.
fn received(h: &Harness, method: &str, path: &str) -> usize {
    h.fake
        .received()
        .iter()
        .filter(|r| r.method == method && r.target == path)
        .count()
}

fn lookup_paths(h: &Harness) -> Vec<String> {
    h.fake.lookups().iter().map(|r| r.target.clone()).collect()
}

fn record(h: &Harness, resp: &Resp) -> DecisionRecord {
    h.sink.by_id(&header(resp, "x-scopegate-id"))
}

fn attribute(r: &DecisionRecord, key: &str) -> Option<Attribute> {
    r.operations
        .iter()
        .find_map(|op| op.attributes.get(key).cloned())
}

fn known(v: &str) -> Option<Attribute> {
    Some(Attribute::known([v.to_owned()]))
}

#[tokio::test]
async fn an_unprotected_branch_is_deleted_and_the_protected_default_one_is_held() {
    let h = start("").await;
    let resp = delete_ref(&h, "acme/site", "heads/feature/login").await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let feature = "/repos/acme/site/git/refs/heads/feature/login";
    assert_eq!(
        received(&h, "DELETE", feature),
        1,
        "the delete reached GitHub"
    );
    assert_eq!(
        lookup_paths(&h),
        [
            "/repos/acme/site/branches/feature/login",
            "/repos/acme/site"
        ]
    );
    let token = format!("token {GITHUB_TOKEN}");
    for lookup in h.fake.lookups() {
        assert_eq!(lookup.method, "GET");
        assert_eq!(lookup.header("authorization"), Some(token.as_str()));
    }
    let allowed = record(&h, &resp);
    assert_eq!(allowed.rule, "ci/feature-branch-deletes");
    assert_eq!(attribute(&allowed, "ref.protected"), known("false"));
    assert_eq!(attribute(&allowed, "ref.isDefault"), known("false"));

    let resp = delete_ref(&h, "acme/site", "heads/main").await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(header(&resp, "x-scopegate-decision"), "approve");
    assert_eq!(
        received(&h, "DELETE", "/repos/acme/site/git/refs/heads/main"),
        0,
        "the default branch's delete is held, not sent"
    );
    let held = record(&h, &resp);
    assert_eq!(attribute(&held, "ref.protected"), known("true"));
    assert_eq!(attribute(&held, "ref.isDefault"), known("true"));
    assert_eq!(
        &lookup_paths(&h)[2..],
        ["/repos/acme/site/branches/main", "/repos/acme/site"],
        "another ref is read afresh"
    );

    // the same feature branch again: from the cache, nothing read
    let again = delete_ref(&h, "acme/site", "heads/feature/login").await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(lookup_paths(&h).len(), 4, "cached: {:?}", lookup_paths(&h));
}

#[tokio::test]
async fn a_ref_that_is_not_a_branch_is_not_allowed_and_nothing_is_read() {
    let h = start("").await;
    let resp = delete_ref(&h, "acme/site", "tags/v1.0").await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(
        header(&resp, "x-scopegate-decision"),
        "approve",
        "held: an approve rule may apply to what cannot be resolved"
    );
    assert_eq!(
        received(&h, "DELETE", "/repos/acme/site/git/refs/tags/v1.0"),
        0
    );
    assert!(lookup_paths(&h).is_empty(), "{:?}", lookup_paths(&h));
    let held = record(&h, &resp);
    let Some(Attribute::Unresolved(why)) = attribute(&held, "ref.protected") else {
        panic!("ref.protected is unresolved: {:?}", held.operations);
    };
    assert!(why.contains("does not start with `heads/`"), "{why}");
}

#[tokio::test]
async fn failed_and_slow_reads_leave_the_allow_rule_unmatched_and_say_why() {
    let h = start("[resolve]\nlookup_timeout_ms = 300\n").await;
    h.fake.answer_lookups(Lookup::Status(401));
    let resp = delete_ref(&h, "acme/site", "heads/feature/a").await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(
        received(&h, "DELETE", "/repos/acme/site/git/refs/heads/feature/a"),
        0
    );
    assert!(
        resp.text().contains("HTTP 401"),
        "the reason says why: {}",
        resp.text()
    );

    h.fake.answer_lookups(Lookup::Stall(Duration::from_secs(5)));
    let resp = delete_ref(&h, "acme/site", "heads/feature/b").await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(
        received(&h, "DELETE", "/repos/acme/site/git/refs/heads/feature/b"),
        0
    );
    assert!(resp.text().contains("timed out"), "{}", resp.text());

    // a repository the token cannot see
    h.fake.answer_lookups(Lookup::Answer);
    let resp = delete_ref(&h, "acme/gone", "heads/feature/c").await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert!(resp.text().contains("HTTP 404"), "{}", resp.text());
}

#[tokio::test]
async fn repository_settings_by_visibility() {
    let h = start("").await;
    let patch = |repo: &str| {
        let mut req = github_request("PATCH", &format!("/repos/{repo}"), GITHUB_TOKEN);
        *req.body_mut() = r#"{"description":"x"}"#.into();
        req.headers_mut().insert(
            "content-type",
            http::HeaderValue::from_static("application/json"),
        );
        req
    };
    let resp = h.https(GITHUB_HOST, patch("acme/vault")).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(received(&h, "PATCH", "/repos/acme/vault"), 1);
    assert_eq!(
        attribute(&record(&h, &resp), "repository.visibility"),
        known("private")
    );

    let resp = h.https(GITHUB_HOST, patch("acme/site")).await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(
        received(&h, "PATCH", "/repos/acme/site"),
        0,
        "a public repository's settings are refused"
    );
    assert_eq!(lookup_paths(&h), ["/repos/acme/vault", "/repos/acme/site"]);
}

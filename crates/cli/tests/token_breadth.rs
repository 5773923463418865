//! Token breadth end to end (docs/token-breadth.md): the fake GitHub
//! answers as GitHub does for a classic token (its scopes, what the
//! endpoint needed, its expiry); `scopegate serve` relays the answers
//! unchanged and records what they said with each outcome; `scopegate
//! tokens` then shows, per token, what the map allows, what was used and
//! what is granted, and flags the classic token as over-scoped, naming the
//! fine-grained token to create. Railway's kind comes from where the token
//! was presented (a Bearer token is an account or workspace token). The
//! dashboard's Tokens page shows the same, in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{browser_or_skip, browser_script, send, send_to, serve_with};
use scopegate_e2e::{
    Fake, GITHUB_HOST, GITHUB_TOKEN, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, fp,
    github_request, gql_request, init,
};
use serde_json::Value;

const SCOPES: &str = "repo, delete_repo, admin:org, workflow";
const EXPIRES: &str = "2027-01-31 12:00:00 UTC";

fn scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "ci-github"
fingerprint = "{gh}"

[[token.rule]]
id = "read-api"
effect = "allow"
operations = ["github:*"]
class = ["read"]
resources = {{ repository = ["acme/api"] }}

[[token]]
name = "railway-agent"
fingerprint = "{rw}"

[[token.rule]]
id = "reads"
effect = "allow"
operations = ["railway:*"]
class = ["read"]
"#,
        gh = fp(GITHUB_TOKEN),
        rw = fp(RAILWAY_TOKEN),
    )
}

fn tokens(config: &Path, json: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scopegate"));
    cmd.args(["tokens", "--config", config.to_str().unwrap()]);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `scopegate tokens --json`, once both tokens' answers are in the log.
async fn breadth(config: &Path) -> Vec<Value> {
    for _ in 0..100 {
        let all: Vec<Value> = serde_json::from_str(&tokens(config, true)).unwrap();
        if all
            .iter()
            .all(|t| !t["granted"].as_array().unwrap().is_empty())
        {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no breadth was recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_answers_say_of_a_token_is_recorded_and_an_over_scoped_classic_token_is_flagged() {
    init();
    let dir = TempDir::new("token-breadth");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    fake.github_headers(&[
        ("x-oauth-scopes", SCOPES),
        ("x-accepted-oauth-scopes", "repo"),
        ("github-authentication-token-expiration", EXPIRES),
    ]);
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", scope_map());
    let s = serve_with(&dir, &fake, "data", "");
    let config = dir.path().join("scopegate-data.toml");
    let ca_pem = std::fs::read_to_string(dir.path().join("ca-data/ca.pem")).unwrap();

    for path in [
        "/repos/acme/api/pulls",
        "/repos/acme/api/contents/README.md",
    ] {
        let req = github_request("GET", path, GITHUB_TOKEN);
        let resp = send_to(GITHUB_HOST, s.proxy, &ca_pem, req).await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        // relayed unchanged: the agent sees what GitHub said
        assert_eq!(scopegate_e2e::header(&resp, "x-oauth-scopes"), SCOPES);
    }
    let req = github_request("DELETE", "/repos/acme/api", GITHUB_TOKEN);
    let resp = send_to(GITHUB_HOST, s.proxy, &ca_pem, req).await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    let me = r#"{"query":"query { me { id } }"}"#;
    let resp = send(
        s.proxy,
        &ca_pem,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, me),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got: Vec<(String, String)> = fake
        .received()
        .into_iter()
        .map(|r| (r.method.to_string(), r.target))
        .collect();
    assert_eq!(
        got,
        [
            ("GET".into(), "/repos/acme/api/pulls".into()),
            ("GET".into(), "/repos/acme/api/contents/README.md".into()),
            ("POST".into(), "/graphql/v2".into()),
        ],
        "the refused DELETE never reached the provider, and nothing was added"
    );

    let all = breadth(&config).await;
    let gh = all.iter().find(|t| t["token"] == "ci-github").unwrap();
    assert_eq!(gh["used"]["requests"], 2);
    assert!(gh["allowed"]["allow"]["read"].as_u64().unwrap() > 0);
    assert!(gh["allowed"]["allow"].get("destructive").is_none());
    let g = &gh["granted"][0];
    assert_eq!(g["provider"], "github");
    assert_eq!(g["breadth"]["scopes"], SCOPES);
    assert_eq!(g["breadth"]["expires"], EXPIRES);
    assert_eq!(g["power"], "destructive");
    let o = &g["over_scoped"];
    assert_eq!(o["create"], "a fine-grained personal access token");
    assert_eq!(
        o["limited_to"]["repository"],
        serde_json::json!(["acme/api"])
    );
    assert_eq!(
        o["permissions"],
        serde_json::json!(["contents=read", "metadata=read", "pull_requests=read"])
    );
    let rw = all.iter().find(|t| t["token"] == "railway-agent").unwrap();
    assert_eq!(
        rw["granted"][0]["breadth"]["kind"],
        "account or workspace token"
    );
    assert_eq!(rw["granted"][0]["over_scoped"]["create"], "a project token");
    assert_eq!(
        rw["granted"][0]["over_scoped"]["outside"],
        serde_json::json!(["railway:me"])
    );

    let text = tokens(&config, false);
    assert!(text.contains("ci-github (enforce)"), "{text}");
    assert!(
        text.contains(&format!(
            "granted  github: scopes {SCOPES}; expires {EXPIRES}; can delete"
        )),
        "{text}"
    );
    assert!(
        text.contains("→ create a fine-grained personal access token limited to repository acme/api with permissions contents=read, metadata=read, pull_requests=read"),
        "{text}"
    );
    assert!(
        !text.contains(GITHUB_TOKEN) && !text.contains(RAILWAY_TOKEN),
        "no secret is shown"
    );
    tokens_page_in_the_browser(&s.dashboard);
    drop(s);
}

/// The Tokens page of `serve`'s dashboard, signed in as alice in headless
/// Chromium at a phone's and a desktop's width (tests/browser/widths.mjs):
/// it fits, and it shows what was granted, used and allowed, and the flag.
fn tokens_page_in_the_browser(dashboard: &str) {
    if !browser_or_skip() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shots = root.join("target/screenshots/token-breadth");
    let expect = [
        format!("github: scopes {SCOPES}; expires {EXPIRES}; can delete"),
        "2 requests in the last 30 days, using 2 read operations".to_owned(),
        "account or workspace token".to_owned(),
        "over-scoped".to_owned(),
        "Instead: create a fine-grained personal access token limited to repository acme/api with permissions contents=read, metadata=read, pull_requests=read.".to_owned(),
        // `me` names no environment: a project token may not answer it
        "Instead: create a project token; check it can still do what was used outside them: railway:me.".to_owned(),
    ]
    .iter()
    .map(|t| format!("/tokens={t}"))
    .collect::<Vec<_>>()
    .join("|");
    let out = browser_script("widths.mjs", dashboard)
        .args(["--pages", "/tokens", "--out", shots.to_str().unwrap()])
        .args(["--expect", &expect])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !stdout.contains("\"ok\":false"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // sign-in and the page, at each of two widths
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
}

//! Real clients, driven as an agent drives them: `HTTPS_PROXY` set,
//! scopegate's CA trusted. curl (HTTP/1.1, HTTP/2, absolute form, proxy
//! credentials in the URL), Python `requests` and `httpx` (HTTP/2), Node
//! (undici `fetch` through a `ProxyAgent`), and `gh`. Each test checks what
//! the fake provider received. A missing client prints `skipped: <why>`;
//! with `CI` set it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_e2e::clients::{self, CurlOut};
use scopegate_e2e::*;
use scopegate_model::Verdict;
use serde_json::json;

const GRAPHQL_URL: &str = "https://backboard.railway.com/graphql/v2";

fn gql_curl_args<'a>(body_file: &'a str, auth: &'a str, ca: &'a str) -> Vec<&'a str> {
    vec![
        "--cacert",
        ca,
        "-X",
        "POST",
        "-H",
        auth,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        body_file,
        GRAPHQL_URL,
    ]
}

/// A curl GraphQL refusal: 403, decision headers, an `errors` array.
fn check_curl_graphql_refusal(out: &CurlOut, verdict: &str, operation: &str) {
    assert_eq!(out.status, 403, "{out:?}");
    assert_eq!(out.header("x-scopegate-decision"), Some(verdict));
    let id = out.header("x-scopegate-id").unwrap();
    let v = out.json();
    assert!(v["data"].is_null());
    let e = &v["errors"][0];
    assert!(e["message"].as_str().unwrap().contains("ask a human"));
    assert_eq!(e["extensions"]["scopegate"]["decision_id"], id);
    assert_eq!(
        e["extensions"]["scopegate"]["operations"][0]["operation"],
        operation
    );
}

fn check_allowed_received(h: &Harness, expect_auth: &str) {
    let got = h.fake.received();
    assert_eq!(got.len(), 1, "exactly the allowed call arrived");
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/graphql/v2");
    assert_eq!(r.body, CUSTOM_DOMAIN_CREATE.as_bytes(), "byte for byte");
    assert_eq!(r.header("authorization"), Some(expect_auth));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

struct Bodies {
    volume_delete: String,
    custom_domain: String,
}

fn write_bodies(h: &Harness) -> Bodies {
    let v = h.dir.write("volume-delete.json", VOLUME_DELETE);
    let c = h.dir.write("custom-domain.json", CUSTOM_DOMAIN_CREATE);
    Bodies {
        volume_delete: format!("@{}", v.display()),
        custom_domain: format!("@{}", c.display()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_volume_delete_is_held_and_custom_domain_create_passes() {
    let Some(curl) = clients::curl() else { return };
    let h = Harness::start().await;
    let b = write_bodies(&h);
    let ca = h.ca_path.display().to_string();
    let auth = format!("Authorization: Bearer {RAILWAY_TOKEN}");
    let out = clients::curl_run(
        &curl,
        &h.proxy_url(),
        h.dir.path(),
        &gql_curl_args(&b.volume_delete, &auth, &ca),
    )
    .await;
    check_curl_graphql_refusal(&out, "approve", "railway:volumeDelete");
    h.fake.assert_nothing_received("curl volumeDelete");

    let mut args = vec!["--http1.1"];
    args.extend(gql_curl_args(&b.custom_domain, &auth, &ca));
    let out = clients::curl_run(&curl, &h.proxy_url(), h.dir.path(), &args).await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(out.http_version, "1.1");
    assert_eq!(out.json(), json!({"data": {"ok": true}}));
    assert!(out.header("x-scopegate-id").is_some());
    check_allowed_received(&h, &format!("Bearer {RAILWAY_TOKEN}"));
    assert_eq!(
        h.fake.received()[0]
            .header("user-agent")
            .map(|u| u.starts_with("curl/")),
        Some(true)
    );
}

/// An upload far past the limit, sent without waiting for `100 Continue`:
/// the client reads scopegate's 413, not a broken pipe (what it still
/// sends is drained; Python requests writes the whole body before it reads
/// and failed without that), and the refusal is in the decision log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_past_the_body_limit_read_the_413_instead_of_a_cut_connection() {
    let Some(curl) = clients::curl() else { return };
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            max_body_bytes: Some(64 << 10),
            ..Options::default()
        },
    )
    .await;
    let big = h.dir.write("big.json", vec![b' '; 8 << 20]);
    let big = format!("@{}", big.display());
    let ca = h.ca_path.display().to_string();
    let auth = format!("Authorization: Bearer {RAILWAY_TOKEN}");
    for http in ["--http1.1", "--http2"] {
        let mut args = vec![http, "-H", "Expect:"];
        args.extend(gql_curl_args(&big, &auth, &ca));
        let out = clients::curl_run(&curl, &h.proxy_url(), h.dir.path(), &args).await;
        assert_eq!(out.status, 413, "{http}: {out:?}");
        assert_eq!(out.ran.code, Some(0), "{http}: {out:?}");
        let m = out.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(m.contains("over the 65536-byte limit"), "{m}");
    }
    // Python requests sends the whole body before it reads the answer.
    if let Some(python) = clients::python().await {
        let spec = json!({
            "lib": "requests",
            "method": "POST",
            "url": GRAPHQL_URL,
            "headers": {"Authorization": format!("Bearer {RAILWAY_TOKEN}"), "Content-Type": "application/json"},
            "body_file": h.dir.path().join("big.json"),
        });
        let out = clients::python_run(&python, &h.proxy_url(), &h.ca_path, &spec).await;
        assert_eq!(out.json()["status"], 413, "{out:?}");
    }
    h.fake.assert_nothing_received("uploads over the limit");
    let recs = h.sink.records();
    assert_eq!(recs.len(), 3, "{recs:?}");
    assert!(recs.iter().all(|r| r.rule == "builtin:body-limit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http2_through_the_tunnel() {
    let Some(curl) = clients::curl() else { return };
    let h = Harness::start().await;
    let b = write_bodies(&h);
    let ca = h.ca_path.display().to_string();
    let auth = format!("Authorization: Bearer {RAILWAY_TOKEN}");
    let mut args = vec!["--http2"];
    args.extend(gql_curl_args(&b.volume_delete, &auth, &ca));
    let out = clients::curl_run(&curl, &h.proxy_url(), h.dir.path(), &args).await;
    assert_eq!(out.http_version, "2", "{out:?}");
    check_curl_graphql_refusal(&out, "approve", "railway:volumeDelete");
    h.fake.assert_nothing_received("curl --http2 volumeDelete");

    let mut args = vec!["--http2"];
    args.extend(gql_curl_args(&b.custom_domain, &auth, &ca));
    let out = clients::curl_run(&curl, &h.proxy_url(), h.dir.path(), &args).await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(out.http_version, "2");
    assert_eq!(out.json(), json!({"data": {"ok": true}}));
    check_allowed_received(&h, &format!("Bearer {RAILWAY_TOKEN}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_plain_http_absolute_form_is_inspected() {
    let Some(curl) = clients::curl() else { return };
    let h = Harness::start().await;
    let b = write_bodies(&h);
    let auth = format!("Authorization: Bearer {RAILWAY_TOKEN}");
    let url = format!("http://{RAILWAY_HOST}/graphql/v2");
    let run = |body: String| {
        let (curl, proxy, dir, auth, url) = (
            curl.clone(),
            h.proxy_url(),
            h.dir.path().to_owned(),
            auth.clone(),
            url.clone(),
        );
        async move {
            clients::curl_run(
                &curl,
                &proxy,
                &dir,
                &[
                    "--proxy",
                    &proxy,
                    "-X",
                    "POST",
                    "-H",
                    &auth,
                    "-H",
                    "Content-Type: application/json",
                    "--data-binary",
                    &body,
                    &url,
                ],
            )
            .await
        }
    };
    let out = run(b.volume_delete.clone()).await;
    check_curl_graphql_refusal(&out, "approve", "railway:volumeDelete");
    h.fake.assert_nothing_received("absolute-form volumeDelete");
    let out = run(b.custom_domain.clone()).await;
    assert_eq!(out.status, 200, "{out:?}");
    check_allowed_received(&h, &format!("Bearer {RAILWAY_TOKEN}"));
    assert_eq!(
        h.fake.received()[0].sni.as_deref(),
        Some(RAILWAY_HOST),
        "forwarded over TLS"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_with_proxy_credentials_names_the_agent() {
    let Some(curl) = clients::curl() else { return };
    let key = "curl-agent-key-91d3";
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            tail: format!(
                "[proxy.auth]\nrequired = true\n\n[[proxy.auth.agents]]\nname = \"ci-job\"\nkey_fingerprint = \"{}\"\n",
                fp(key)
            ),
            ..Options::default()
        },
    )
    .await;
    let b = write_bodies(&h);
    let ca = h.ca_path.display().to_string();
    let auth = format!("Authorization: Bearer {RAILWAY_TOKEN}");
    // No credentials: CONNECT gets 407, curl fails, nothing is sent.
    let out = clients::curl_run(
        &curl,
        &h.proxy_url(),
        h.dir.path(),
        &gql_curl_args(&b.custom_domain, &auth, &ca),
    )
    .await;
    assert_eq!(out.connect_status, 407, "{out:?}");
    assert_ne!(out.ran.code, Some(0));
    // Wrong key.
    let wrong = format!("http://ci-job:nope@{}", h.proxy_addr());
    let out = clients::curl_run(
        &curl,
        &wrong,
        h.dir.path(),
        &gql_curl_args(&b.custom_domain, &auth, &ca),
    )
    .await;
    assert_eq!(out.connect_status, 407, "{out:?}");
    h.fake
        .assert_nothing_received("no or wrong proxy credentials");
    // HTTPS_PROXY=http://AGENT:KEY@host:port
    let proxy = format!("http://ci-job:{key}@{}", h.proxy_addr());
    let out = clients::curl_run(
        &curl,
        &proxy,
        h.dir.path(),
        &gql_curl_args(&b.custom_domain, &auth, &ca),
    )
    .await;
    assert_eq!(out.status, 200, "{out:?}");
    let rec = h.sink.by_id(out.header("x-scopegate-id").unwrap());
    assert_eq!(rec.agent.as_deref(), Some("ci-job"));
    check_allowed_received(&h, &format!("Bearer {RAILWAY_TOKEN}"));
    assert_eq!(h.fake.received()[0].header("proxy-authorization"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_egress_tunnel_and_private_refusal() {
    let Some(curl) = clients::curl() else { return };
    let h = Harness::start().await;
    // Tunnelled untouched: curl verifies the fake's own certificate.
    let test_ca = h.test_ca_path.display().to_string();
    let url = format!("https://{OTHER_HOST}/hello");
    let out = clients::curl_run(
        &curl,
        &h.proxy_url(),
        h.dir.path(),
        &["--cacert", &test_ca, &url],
    )
    .await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(out.header("x-scopegate-id"), None);
    assert_eq!(h.fake.received().len(), 1);
    assert_eq!(h.fake.received()[0].target, "/hello");
    // A loopback target by name: refused at CONNECT.
    let url = format!("https://localhost:{}/", h.fake.addr.port());
    let out = clients::curl_run(
        &curl,
        &h.proxy_url(),
        h.dir.path(),
        &["--cacert", &test_ca, &url],
    )
    .await;
    assert_eq!(out.connect_status, 403, "{out:?}");
    assert_eq!(h.fake.connections(), 1, "only the tunnelled connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_github_rest() {
    let Some(curl) = clients::curl() else { return };
    let h = Harness::start().await;
    let ca = h.ca_path.display().to_string();
    let auth = format!("Authorization: token {GITHUB_TOKEN}");
    let url = format!("https://{GITHUB_HOST}/repos/acme/site");
    let out = clients::curl_run(
        &curl,
        &h.proxy_url(),
        h.dir.path(),
        &["--cacert", &ca, "-X", "DELETE", "-H", &auth, &url],
    )
    .await;
    assert_eq!(out.status, 403, "{out:?}");
    assert_eq!(out.header("x-scopegate-decision"), Some("deny"));
    let v = out.json();
    assert!(v["message"].as_str().unwrap().starts_with("scopegate"));
    assert_eq!(
        v["scopegate"]["operations"][0]["operation"],
        "github:repos/delete"
    );
    h.fake
        .assert_nothing_received("curl DELETE /repos/acme/site");
    let out = clients::curl_run(
        &curl,
        &h.proxy_url(),
        h.dir.path(),
        &["--cacert", &ca, "-H", &auth, &url],
    )
    .await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(out.json()["full_name"], "acme/site");
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].method.as_str(), got[0].target.as_str()),
        ("GET", "/repos/acme/site")
    );
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("token {GITHUB_TOKEN}").as_str())
    );
}

fn gql_spec(lib: &str, token: &str, body: &str) -> serde_json::Value {
    json!({
        "lib": lib,
        "method": "POST",
        "url": GRAPHQL_URL,
        "headers": {"Authorization": format!("Bearer {token}"), "Content-Type": "application/json"},
        "body": body,
    })
}

fn check_json_graphql_refusal(out: &serde_json::Value, verdict: &str, operation: &str) {
    assert_eq!(out["status"], 403, "{out}");
    let headers = &out["headers"];
    let get = |n: &str| {
        headers
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str().unwrap().to_owned())
    };
    assert_eq!(get("x-scopegate-decision").as_deref(), Some(verdict));
    let id = get("x-scopegate-id").unwrap();
    let body: serde_json::Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert!(body["data"].is_null());
    assert_eq!(
        body["errors"][0]["extensions"]["scopegate"]["decision_id"],
        id
    );
    assert_eq!(
        body["errors"][0]["extensions"]["scopegate"]["operations"][0]["operation"],
        operation
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests() {
    let Some(python) = clients::python().await else {
        return;
    };
    let h = Harness::start().await;
    let out = clients::python_run(
        &python,
        &h.proxy_url(),
        &h.ca_path,
        &json!([
            gql_spec("requests", RAILWAY_TOKEN, VOLUME_DELETE),
            gql_spec("requests", RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
        ]),
    )
    .await
    .json();
    check_json_graphql_refusal(&out[0], "approve", "railway:volumeDelete");
    assert_eq!(out[1]["status"], 200, "{out}");
    assert_eq!(out[1]["body"], r#"{"data":{"ok":true}}"#);
    // Exactly the allowed call arrived: the held one never did.
    check_allowed_received(&h, &format!("Bearer {RAILWAY_TOKEN}"));
    assert!(
        h.fake.received()[0]
            .header("user-agent")
            .unwrap()
            .starts_with("python-requests/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_httpx_http2_with_a_surrogate() {
    let Some(python) = clients::python().await else {
        return;
    };
    let h = Harness::start().await;
    let out = clients::python_run(
        &python,
        &h.proxy_url(),
        &h.ca_path,
        &json!([
            gql_spec("httpx", SURROGATE, VOLUME_DELETE),
            gql_spec("httpx", SURROGATE, CUSTOM_DOMAIN_CREATE),
        ]),
    )
    .await
    .json();
    assert_eq!(out[0]["http_version"], "HTTP/2", "{out}");
    check_json_graphql_refusal(&out[0], "approve", "railway:volumeDelete");
    assert_eq!(out[1]["status"], 200, "{out}");
    assert_eq!(out[1]["http_version"], "HTTP/2");
    // The surrogate arrived swapped for the real secret.
    check_allowed_received(&h, &format!("Bearer {REAL_SECRET}"));
    // The client's h2 is its own hop; the provider is spoken to in HTTP/1.1
    // (docs/upstream-http1.md).
    assert_eq!(h.fake.received()[0].version, http::Version::HTTP_11);
    let recs = h.sink.records();
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.token.as_deref() == Some("agent")));
    assert_eq!(recs[1].verdict, Verdict::Allow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_fetch_through_a_proxy_agent() {
    let Some((node, dir)) = clients::node().await else {
        return;
    };
    let h = Harness::start().await;
    let github = |method: &str| {
        json!({
            "method": method,
            "url": format!("https://{GITHUB_HOST}/repos/acme/site"),
            "headers": {"Authorization": format!("token {GITHUB_TOKEN}")},
        })
    };
    let out = clients::node_run(
        &node,
        &dir,
        &h.proxy_url(),
        &h.ca_path,
        &json!([
            gql_spec("", RAILWAY_TOKEN, VOLUME_DELETE),
            github("DELETE"),
            gql_spec("", RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
            github("GET"),
        ]),
    )
    .await
    .json();
    check_json_graphql_refusal(&out[0], "approve", "railway:volumeDelete");
    assert_eq!(out[1]["status"], 403, "{out}");
    assert_eq!(out[1]["headers"]["x-scopegate-decision"], "deny");
    assert_eq!(out[2]["status"], 200, "{out}");
    assert_eq!(out[2]["body"], r#"{"data":{"ok":true}}"#);
    assert_eq!(out[3]["status"], 200, "{out}");

    let got = h.fake.received();
    assert_eq!(got.len(), 2, "only the two allowed calls arrived");
    assert_eq!(got[0].body, CUSTOM_DOMAIN_CREATE.as_bytes());
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {RAILWAY_TOKEN}").as_str())
    );
    assert_eq!(got[1].method, "GET");
    assert_eq!(got[1].target, "/repos/acme/site");
    assert_eq!(got[1].authority.as_deref(), Some(GITHUB_HOST));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gh_api_get_passes_and_delete_is_refused() {
    let Some(gh) = clients::gh() else { return };
    let h = Harness::start().await;
    let config = TempDir::new("gh");
    let run = |args: &'static [&'static str]| {
        let (gh, proxy, ca, config) = (
            gh.clone(),
            h.proxy_url(),
            h.ca_path.clone(),
            config.path().to_owned(),
        );
        async move { clients::gh_run(&gh, &proxy, &ca, &config, GITHUB_TOKEN, args).await }
    };
    let out = run(&["api", "-X", "DELETE", "repos/acme/site"]).await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("scopegate"), "{out:?}");
    assert!(out.stderr.contains("403"), "{out:?}");
    h.fake
        .assert_nothing_received("gh api -X DELETE repos/acme/site");

    let out = run(&["api", "repos/acme/site"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["full_name"], "acme/site");
    let got = h.fake.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "GET");
    assert_eq!(got[0].target, "/repos/acme/site");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("token {GITHUB_TOKEN}").as_str())
    );
    let recs = h.sink.records();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].verdict, Verdict::Deny);
    assert_eq!(recs[1].verdict, Verdict::Allow);
}

/// `gh api` sends a branch name with its slash encoded (`feature%2Fx`), as
/// Go and JavaScript GitHub clients do: scopegate reads it as GitHub's router
/// does and forwards the bytes unchanged. An encoded slash that would read as
/// another route is refused; a settings PATCH that archives the repository
/// is destructive, while one that edits its description is a write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gh_api_encoded_slashes_and_escalated_writes() {
    let Some(gh) = clients::gh() else { return };
    let h = Harness::start().await;
    let config = TempDir::new("gh");
    let run = |args: &'static [&'static str]| {
        let (gh, proxy, ca, config) = (
            gh.clone(),
            h.proxy_url(),
            h.ca_path.clone(),
            config.path().to_owned(),
        );
        async move { clients::gh_run(&gh, &proxy, &ca, &config, GITHUB_TOKEN, args).await }
    };

    let out = run(&["api", "repos/acme/site/branches/feature%2Fx"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let got = h.fake.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "GET");
    assert_eq!(got[0].target, "/repos/acme/site/branches/feature%2Fx");
    let recs = h.sink.records();
    assert_eq!(recs[0].verdict, Verdict::Allow);
    assert_eq!(recs[0].operations[0].name, "repos/get-branch");
    assert_eq!(recs[0].operations[0].resources["branch"], ["feature/x"]);

    let out = run(&[
        "api",
        "-X",
        "DELETE",
        "repos/acme/site/branches/main%2Fprotection",
    ])
    .await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("403"), "{out:?}");
    let out = run(&[
        "api",
        "-X",
        "PATCH",
        "repos/acme/site",
        "-F",
        "archived=true",
    ])
    .await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("403"), "{out:?}");
    assert_eq!(
        h.fake.received().len(),
        1,
        "the refused calls never arrived"
    );

    let out = run(&[
        "api",
        "-X",
        "PATCH",
        "repos/acme/site",
        "-f",
        "description=the site",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let got = h.fake.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].method, "PATCH");
    assert_eq!(got[1].target, "/repos/acme/site");
    let body: serde_json::Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(body, json!({ "description": "the site" }));

    let recs = h.sink.records();
    let seen: Vec<(Verdict, &str, scopegate_model::OpClass)> = recs
        .iter()
        .map(|r| {
            (
                r.verdict,
                r.operations[0].name.as_str(),
                r.operations[0].class,
            )
        })
        .collect();
    use scopegate_model::OpClass::{Destructive, Read, Unknown, Write};
    assert_eq!(
        seen,
        [
            (Verdict::Allow, "repos/get-branch", Read),
            (Verdict::Deny, "unreadable-path", Unknown),
            (Verdict::Deny, "repos/update", Destructive),
            (Verdict::Allow, "repos/update", Write),
        ]
    );
}

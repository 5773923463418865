//! On the wire, with Rust clients: what the fake provider actually receives
//! for allowed, held, denied and swapped requests, over HTTP/1.1 and HTTP/2,
//! through CONNECT and in absolute form; egress; proxy authentication;
//! streaming; metrics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use scopegate_e2e::fake::{STREAM_FIRST, STREAM_TOTAL};
use scopegate_e2e::wire::{self, STEP};
use scopegate_e2e::*;
use scopegate_model::Verdict;
use tokio::io::AsyncWriteExt as _;

/// A decision record, as JSON, never contains a raw credential.
fn assert_no_secrets(sink: &MemorySink) {
    for r in sink.records() {
        let json = serde_json::to_string(&r).unwrap();
        for secret in [RAILWAY_TOKEN, GITHUB_TOKEN, SURROGATE, REAL_SECRET] {
            assert!(
                !json.contains(secret),
                "decision record leaks a credential: {json}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_delete_is_held_and_never_reaches_the_provider() {
    let h = Harness::start().await;
    for host in [RAILWAY_HOST, RAILWAY_APP_HOST] {
        let resp = h
            .https(host, gql_request(host, RAILWAY_TOKEN, VOLUME_DELETE))
            .await;
        let id = assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");
        let v = resp.json();
        let detail = &v["errors"][0]["extensions"]["scopegate"];
        assert_eq!(detail["rule"], "railway-domains/hold-destructive");
        assert_eq!(detail["token"], "railway-domains");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("approval required")
        );
        let r = h.sink.by_id(&id);
        assert_eq!(r.verdict, Verdict::Hold);
        assert!(!r.forwarded);
        assert_eq!(r.host, host);
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/graphql/v2");
        assert_eq!(r.token.as_deref(), Some("railway-domains"));
        assert_eq!(r.operations[0].qualified_name(), "railway:volumeDelete");
        assert!(
            serde_json::to_string(&r.operations)
                .unwrap()
                .contains("vol-prod-db-1"),
            "the record names the volume: {:?}",
            r.operations
        );
    }
    h.fake.assert_nothing_received("volumeDelete held");
    assert_eq!(
        h.fake.connections(),
        0,
        "the proxy did not even open a connection upstream"
    );
    assert_no_secrets(&h.sink);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_no_scope_map_names_is_denied() {
    let h = Harness::start().await;
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, STRANGER_TOKEN, CUSTOM_DOMAIN_CREATE),
        )
        .await;
    let id = assert_graphql_refusal(&resp, "deny", "railway:customDomainCreate");
    assert_eq!(h.sink.by_id(&id).verdict, Verdict::Deny);
    // No credential at all: denied too.
    let mut req = gql_request(RAILWAY_HOST, "x", CUSTOM_DOMAIN_CREATE);
    req.headers_mut().remove("authorization");
    let resp = h.https(RAILWAY_HOST, req).await;
    assert_graphql_refusal(&resp, "deny", "railway:customDomainCreate");
    h.fake.assert_nothing_received("unknown token");
    assert_no_secrets(&h.sink);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_domain_create_is_forwarded_byte_for_byte() {
    let h = Harness::start().await;
    let mut req = gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE);
    req.headers_mut()
        .insert("x-request-note", "from-the-agent".parse().unwrap());
    let resp = h.https(RAILWAY_HOST, req).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.body, &br#"{"data":{"ok":true}}"#[..]);
    assert_eq!(header(&resp, "x-fake"), "1", "the provider's own response");
    let id = header(&resp, "x-scopegate-id");
    assert!(!id.is_empty());

    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/graphql/v2");
    assert_eq!(
        r.body,
        CUSTOM_DOMAIN_CREATE.as_bytes(),
        "body byte for byte"
    );
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {RAILWAY_TOKEN}").as_str())
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-request-note"), Some("from-the-agent"));
    assert_eq!(r.authority.as_deref(), Some(RAILWAY_HOST));
    assert_eq!(
        r.sni.as_deref(),
        Some(RAILWAY_HOST),
        "upstream TLS names the provider host"
    );

    let rec = h.sink.by_id(&id);
    assert_eq!(rec.verdict, Verdict::Allow);
    assert!(rec.forwarded);
    assert_eq!(rec.upstream_status, Some(200));
    assert_eq!(
        rec.operations[0].qualified_name(),
        "railway:customDomainCreate"
    );
    assert!(rec.fingerprint_prefix.is_some());
    assert_no_secrets(&h.sink);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surrogate_arrives_swapped_for_the_real_secret() {
    let h = Harness::start().await;
    // As a Bearer token...
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, SURROGATE, CUSTOM_DOMAIN_CREATE),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    // ...and in Railway's Project-Access-Token header.
    let mut req = gql_request(RAILWAY_HOST, "", CUSTOM_DOMAIN_CREATE);
    req.headers_mut().remove("authorization");
    req.headers_mut()
        .insert("project-access-token", SURROGATE.parse().unwrap());
    let resp = h.https(RAILWAY_HOST, req).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    // A destructive call with the surrogate is held: nothing is swapped or sent.
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, SURROGATE, VOLUME_DELETE),
        )
        .await;
    assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");

    let got = h.fake.received();
    assert_eq!(got.len(), 2, "only the two allowed calls arrived");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {REAL_SECRET}").as_str())
    );
    assert_eq!(got[1].header("project-access-token"), Some(REAL_SECRET));
    assert_eq!(got[1].header("authorization"), None);
    for r in &got {
        assert_eq!(r.body, CUSTOM_DOMAIN_CREATE.as_bytes());
        for (name, value) in &r.headers {
            assert!(
                !value
                    .as_bytes()
                    .windows(SURROGATE.len())
                    .any(|w| w == SURROGATE.as_bytes()),
                "the surrogate reached the provider in {name}"
            );
        }
    }
    let recs = h.sink.records();
    assert!(recs.iter().all(|r| r.token.as_deref() == Some("agent")));
    assert_no_secrets(&h.sink);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surrogate_whose_secret_is_missing_is_refused_not_forwarded() {
    let h = Harness::start().await;
    std::fs::remove_file(h.dir.path().join("railway-secret.txt")).unwrap();
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, SURROGATE, CUSTOM_DOMAIN_CREATE),
        )
        .await;
    let id = assert_graphql_refusal(&resp, "deny", "railway:customDomainCreate");
    let rec = h.sink.by_id(&id);
    assert!(!rec.forwarded);
    assert!(rec.reason.contains("cannot be read"), "{}", rec.reason);
    h.fake
        .assert_nothing_received("a surrogate cannot be swapped: never forwarded as is");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_through_the_tunnel_decides_each_stream() {
    let h = Harness::start().await;
    let sender = h.h2(RAILWAY_HOST).await;
    // Two concurrent streams on one connection: one allowed, one held.
    let (mut a, mut b) = (sender.clone(), sender.clone());
    let (allowed, held) = tokio::join!(
        wire::send_h2(
            &mut a,
            gql_request_h2(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE)
        ),
        wire::send_h2(
            &mut b,
            gql_request_h2(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE)
        ),
    );
    assert_eq!(allowed.version, http::Version::HTTP_2);
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(allowed.json(), serde_json::json!({"data": {"ok": true}}));
    assert!(!header(&allowed, "x-scopegate-id").is_empty());
    assert_eq!(held.version, http::Version::HTTP_2);
    assert_graphql_refusal(&held, "approve", "railway:volumeDelete");
    // The connection goes on serving after a refusal.
    let mut c = sender.clone();
    let again = wire::send_h2(
        &mut c,
        gql_request_h2(RAILWAY_HOST, SURROGATE, CUSTOM_DOMAIN_CREATE),
    )
    .await;
    assert_eq!(again.status, 200);

    let got = h.fake.received();
    assert_eq!(got.len(), 2, "the held stream never arrived");
    for r in &got {
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/graphql/v2");
        assert_eq!(r.body, CUSTOM_DOMAIN_CREATE.as_bytes());
        assert_eq!(r.authority.as_deref(), Some(RAILWAY_HOST));
    }
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {RAILWAY_TOKEN}").as_str())
    );
    assert_eq!(
        got[1].header("authorization"),
        Some(format!("Bearer {REAL_SECRET}").as_str())
    );
}

/// Providers are spoken to in HTTP/1.1 whatever the client spoke, unless
/// `[upstream] http2 = true`; either way the provider gets the exact
/// inspected body and the connection's host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_hop_is_http1_unless_h2_is_configured() {
    for (upstream, want) in [
        ("", http::Version::HTTP_11),
        ("http2 = true", http::Version::HTTP_2),
    ] {
        let opts = Options {
            upstream: upstream.into(),
            ..Options::default()
        };
        let h = Harness::start_with(&standard_scope_map(), opts).await;
        // One allowed request over HTTP/1.1 from the client...
        h.assert_still_serving().await;
        // ...and one over h2.
        let mut sender = h.h2(RAILWAY_HOST).await;
        let two = wire::send_h2(
            &mut sender,
            gql_request_h2(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
        )
        .await;
        assert_eq!(two.status, 200, "{}", two.text());
        assert_eq!(two.version, http::Version::HTTP_2, "the client's own hop");
        let got = h.fake.received();
        assert_eq!(got.len(), 2, "[upstream] {upstream}");
        for r in &got {
            assert_eq!(r.version, want, "[upstream] {upstream}");
            assert_eq!(r.method, "POST");
            assert_eq!(r.target, "/graphql/v2");
            assert_eq!(r.body, CUSTOM_DOMAIN_CREATE.as_bytes());
            assert_eq!(r.authority.as_deref(), Some(RAILWAY_HOST));
            assert_eq!(
                r.header("authorization"),
                Some(format!("Bearer {RAILWAY_TOKEN}").as_str())
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_repo_delete_is_refused_and_get_is_forwarded() {
    let h = Harness::start().await;
    let resp = h
        .https(
            GITHUB_HOST,
            github_request("DELETE", "/repos/acme/site", GITHUB_TOKEN),
        )
        .await;
    let id = assert_rest_refusal(&resp, "deny", "github:repos/delete");
    let v = resp.json();
    assert_eq!(v["scopegate"]["rule"], "github-ci/never-delete-repos");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("Do not retry this request")
    );
    assert_eq!(h.sink.by_id(&id).provider, "github");
    // The way GitHub's router would read them, these are the same delete.
    for path in [
        "/REPOS/acme/site",
        "/repos/ACME/Site",
        "/repos/acme/site/",
        "//repos/acme/site",
        "/repos/acme/x/../site",
        "/repos/acme/%2e%2e/acme/site",
    ] {
        let resp = h
            .https(GITHUB_HOST, github_request("DELETE", path, GITHUB_TOKEN))
            .await;
        assert_eq!(resp.status, 403, "DELETE {path}: {}", resp.text());
        assert_eq!(header(&resp, "x-scopegate-decision"), "deny", "{path}");
    }
    h.fake.assert_nothing_received("repository deletes");

    let resp = h
        .https(
            GITHUB_HOST,
            github_request("GET", "/repos/acme/site?per_page=1", GITHUB_TOKEN),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["full_name"], "acme/site");
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "GET");
    assert_eq!(got[0].target, "/repos/acme/site?per_page=1");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("token {GITHUB_TOKEN}").as_str())
    );
    assert_eq!(got[0].authority.as_deref(), Some(GITHUB_HOST));
    assert!(got[0].body.is_empty());
    assert_no_secrets(&h.sink);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egress_tunnels_routed_hosts_untouched_and_refuses_private_targets() {
    let h = Harness::start().await;
    let port = h.fake.addr.port();
    // Private, loopback and link-local targets: refused before any connection.
    for (target, reason) in [
        (format!("localhost:{port}"), "private"),
        (format!("127.0.0.1:{port}"), "IP address"),
        ("169.254.169.254:80".to_owned(), "IP address"),
        ("[::1]:443".to_owned(), "IP address"),
    ] {
        let (status, head, mut tcp) = wire::connect(h.proxy_addr(), &target, &[]).await;
        assert_eq!(status, 403, "CONNECT {target}: {head}");
        let body = wire::read_body(&head, &mut tcp).await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            v["message"].as_str().unwrap().contains(reason),
            "CONNECT {target}: {v}"
        );
    }
    assert_eq!(
        h.fake.connections(),
        0,
        "no refused CONNECT reached anything"
    );

    // A non-provider host with a route override is tunnelled untouched: the
    // client verifies the fake's own certificate (the test CA), not scopegate's.
    let (status, _, tcp) = wire::connect(h.proxy_addr(), &format!("{OTHER_HOST}:443"), &[]).await;
    assert_eq!(status, 200);
    let tls = wire::tls(tcp, OTHER_HOST, &h.test_ca.pem, &[b"http/1.1"])
        .await
        .expect("end-to-end TLS with the fake itself");
    let req = http::Request::post("/hello?x=1")
        .header("host", OTHER_HOST)
        .header("authorization", "Bearer not-a-provider-token")
        .body(Bytes::from_static(b"opaque bytes"))
        .unwrap();
    let resp = wire::h1_once(tls, req).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        header(&resp, "x-scopegate-id"),
        "",
        "tunnelled traffic is not touched"
    );
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].sni.as_deref(), Some(OTHER_HOST));
    assert_eq!(got[0].target, "/hello?x=1");
    assert_eq!(got[0].body, &b"opaque bytes"[..]);
    assert!(h.sink.records().is_empty(), "no policy decision for egress");
    let m = h.metrics().await;
    assert_eq!(metric(&m, "scopegate_tunnels_total"), Some(1.0), "{m}");
    assert_eq!(
        metric(&m, "scopegate_refused_total{reason=\"private-address\"}"),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        metric(&m, "scopegate_refused_total{reason=\"ip-literal\"}"),
        Some(3.0),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egress_refuse_blocks_other_hosts_unless_allowed() {
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            proxy: "egress = \"refuse\"\n".into(),
            ..Options::default()
        },
    )
    .await;
    let (status, head, _) = wire::connect(h.proxy_addr(), &format!("{OTHER_HOST}:443"), &[]).await;
    assert_eq!(status, 403, "{head}");
    assert_eq!(h.fake.connections(), 0);
    // Provider hosts are intercepted whatever the egress setting.
    h.assert_still_serving().await;

    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            proxy: "egress = \"refuse\"\negress_allow = [\"*.example\"]\n".into(),
            ..Options::default()
        },
    )
    .await;
    let (status, head, _) = wire::connect(h.proxy_addr(), &format!("{OTHER_HOST}:443"), &[]).await;
    assert_eq!(status, 200, "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_form_requests_in_clear_are_inspected() {
    let h = Harness::start().await;
    let send = |body: &'static str, token: &'static str| {
        let addr = h.proxy_addr();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let req = http::Request::post(format!("https://{RAILWAY_HOST}/graphql/v2"))
                .header("host", RAILWAY_HOST)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Bytes::from_static(body.as_bytes()))
                .unwrap();
            wire::h1_once(tcp, req).await
        }
    };
    let resp = send(VOLUME_DELETE, RAILWAY_TOKEN).await;
    assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");
    h.fake.assert_nothing_received("absolute-form volumeDelete");

    let resp = send(CUSTOM_DOMAIN_CREATE, RAILWAY_TOKEN).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let resp = send(CUSTOM_DOMAIN_CREATE, SURROGATE).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = h.fake.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].target, "/graphql/v2");
    assert_eq!(got[0].body, CUSTOM_DOMAIN_CREATE.as_bytes());
    assert_eq!(
        got[0].sni.as_deref(),
        Some(RAILWAY_HOST),
        "sent in clear to the proxy, forwarded over TLS"
    );
    assert_eq!(
        got[1].header("authorization"),
        Some(format!("Bearer {REAL_SECRET}").as_str())
    );

    // Origin-form to the proxy itself is not a proxy request.
    let tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    let req = http::Request::get("/graphql/v2")
        .header("host", RAILWAY_HOST)
        .body(Bytes::new())
        .unwrap();
    let resp = wire::h1_once(tcp, req).await;
    assert_eq!(resp.status, 400);
    assert_eq!(h.fake.received().len(), 2);
}

const AGENT: &str = "claude-code";
const AGENT_KEY: &str = "agent-key-5b7e0c";

fn auth_options() -> Options {
    Options {
        tail: format!(
            "[proxy.auth]\nrequired = true\n\n[[proxy.auth.agents]]\nname = \"{AGENT}\"\nkey_fingerprint = \"{}\"\n",
            fp(AGENT_KEY)
        ),
        ..Options::default()
    }
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_auth_is_required_and_names_the_agent() {
    let h = Harness::start_with(&standard_scope_map(), auth_options()).await;
    let authority = format!("{RAILWAY_HOST}:443");
    for creds in [
        None,
        Some(basic(AGENT, "wrong-key")),
        Some(basic("someone-else", AGENT_KEY)),
        Some("Bearer wrong-key".to_owned()),
        Some("Digest abc".to_owned()),
        Some("Basic !!!not-base64".to_owned()),
    ] {
        let headers: Vec<(&str, &str)> = creds
            .as_deref()
            .map(|c| vec![("Proxy-Authorization", c)])
            .unwrap_or_default();
        let (status, head, _) = wire::connect(h.proxy_addr(), &authority, &headers).await;
        assert_eq!(status, 407, "{creds:?}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("proxy-authenticate: basic realm=\"scopegate\""),
            "{head}"
        );
    }
    // Absolute form without credentials: 407 too, and nothing forwarded.
    let tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    let mut req = gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE);
    *req.uri_mut() = format!("https://{RAILWAY_HOST}/graphql/v2")
        .parse()
        .unwrap();
    let resp = wire::h1_once(tcp, req).await;
    assert_eq!(resp.status, 407);
    h.fake.assert_nothing_received("no proxy credentials");
    assert!(h.sink.records().is_empty());

    // Basic agent:key on CONNECT.
    let auth = basic(AGENT, AGENT_KEY);
    let (status, head, tcp) = wire::connect(
        h.proxy_addr(),
        &authority,
        &[("Proxy-Authorization", &auth)],
    )
    .await;
    assert_eq!(status, 200, "{head}");
    let tls = wire::tls(tcp, RAILWAY_HOST, &h.ca_pem, &[b"http/1.1"])
        .await
        .unwrap();
    let resp = wire::h1_once(
        tls,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
    )
    .await;
    assert_eq!(resp.status, 200);
    let rec = h.sink.by_id(&header(&resp, "x-scopegate-id"));
    assert_eq!(rec.agent.as_deref(), Some(AGENT));

    // Bearer key, absolute form: the agent is named, the proxy credential
    // never reaches the provider.
    let tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    let mut req = gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE);
    *req.uri_mut() = format!("https://{RAILWAY_HOST}/graphql/v2")
        .parse()
        .unwrap();
    req.headers_mut().insert(
        "proxy-authorization",
        format!("Bearer {AGENT_KEY}").parse().unwrap(),
    );
    let resp = wire::h1_once(tcp, req).await;
    let id = assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");
    assert_eq!(h.sink.by_id(&id).agent.as_deref(), Some(AGENT));

    let tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    let mut req = gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE);
    *req.uri_mut() = format!("https://{RAILWAY_HOST}/graphql/v2")
        .parse()
        .unwrap();
    req.headers_mut()
        .insert("proxy-authorization", auth.parse().unwrap());
    let resp = wire::h1_once(tcp, req).await;
    assert_eq!(resp.status, 200);
    let got = h.fake.received();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(r.header("proxy-authorization"), None);
        assert_eq!(r.body, CUSTOM_DOMAIN_CREATE.as_bytes());
    }
    let m = h.metrics().await;
    assert_eq!(
        metric(&m, "scopegate_refused_total{reason=\"proxy-auth\"}"),
        Some(7.0),
        "{m}"
    );
}

/// Reads frames until at least `n` body bytes have arrived.
async fn read_at_least(body: &mut hyper::body::Incoming, n: usize, into: &mut Vec<u8>) {
    while into.len() < n {
        let frame = tokio::time::timeout(STEP, body.frame())
            .await
            .expect(
                "the first part of the response arrived while the provider was still sending: \
                 the proxy must not buffer responses",
            )
            .expect("the body did not end early")
            .expect("body frame");
        if let Ok(data) = frame.into_data() {
            into.extend_from_slice(&data);
        }
    }
}

async fn check_stream(h: &Harness, resp: http::Response<hyper::body::Incoming>) {
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-scopegate-id"));
    let mut body = resp.into_body();
    let mut got = Vec::new();
    // The fake holds the rest until released: this only returns if the
    // proxy passed the first part on as it came.
    read_at_least(&mut body, STREAM_FIRST, &mut got).await;
    assert_eq!(got.len(), STREAM_FIRST);
    assert!(got.iter().all(|b| *b == b'a'));
    h.fake.release_stream();
    while let Some(frame) = tokio::time::timeout(STEP, body.frame())
        .await
        .expect("the rest in time")
    {
        if let Ok(data) = frame.unwrap().into_data() {
            got.extend_from_slice(&data);
        }
    }
    assert_eq!(got.len(), STREAM_TOTAL);
    assert!(got[STREAM_FIRST..].iter().all(|b| *b == b'b'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_slow_responses_stream_through_unbuffered() {
    let h = Harness::start().await;
    let path = "/repos/acme/site/tarball/main";
    // HTTP/1.1
    let tls = h.tunnel_tls(GITHUB_HOST, &[b"http/1.1"]).await;
    let mut sender = wire::h1_conn(tls).await;
    let req = github_request("GET", path, GITHUB_TOKEN).map(http_body_util::Full::new);
    let resp = tokio::time::timeout(STEP, sender.send_request(req))
        .await
        .expect("the response head arrived before the body was complete")
        .unwrap();
    check_stream(&h, resp).await;
    // HTTP/2
    let mut sender = h.h2(GITHUB_HOST).await;
    let mut req = github_request("GET", &format!("https://{GITHUB_HOST}{path}"), GITHUB_TOKEN);
    req.headers_mut().remove("host");
    let resp = tokio::time::timeout(
        STEP,
        sender.send_request(req.map(http_body_util::Full::new)),
    )
    .await
    .expect("the response head arrived before the body was complete")
    .unwrap();
    check_stream(&h, resp).await;
    assert_eq!(h.fake.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_tls_is_verified() {
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            distrust_fake: true,
            ..Options::default()
        },
    )
    .await;
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
        )
        .await;
    assert_eq!(resp.status, 502, "{}", resp.text());
    assert!(resp.text().contains("verified TLS"), "{}", resp.text());
    h.fake
        .assert_nothing_received("a provider whose certificate does not verify");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_listener_serves_metrics_health_and_the_ca() {
    let h = Harness::start().await;
    h.assert_still_serving().await;
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
        )
        .await;
    assert_eq!(resp.status, 403);
    let resp = h
        .https(
            GITHUB_HOST,
            github_request("DELETE", "/repos/acme/site", GITHUB_TOKEN),
        )
        .await;
    assert_eq!(resp.status, 403);
    let (status, _, _) = wire::connect(h.proxy_addr(), "localhost:9", &[]).await;
    assert_eq!(status, 403);

    let m = h.metrics().await;
    for (series, value) in [
        (
            "scopegate_requests_total{provider=\"railway\",verdict=\"allow\",forwarded=\"true\"}",
            1.0,
        ),
        (
            "scopegate_requests_total{provider=\"railway\",verdict=\"approve\",forwarded=\"false\"}",
            1.0,
        ),
        (
            "scopegate_requests_total{provider=\"github\",verdict=\"deny\",forwarded=\"false\"}",
            1.0,
        ),
        ("scopegate_refused_total{reason=\"private-address\"}", 1.0),
        ("scopegate_connections_total", 4.0),
        ("scopegate_cert_minted_total", 2.0),
        ("scopegate_cert_cache_hits_total", 1.0),
        ("scopegate_decide_seconds_count", 3.0),
        ("scopegate_upstream_seconds_count", 1.0),
    ] {
        assert_eq!(metric(&m, series), Some(value), "{series} in\n{m}");
    }
    let health = h.admin_get("/healthz").await;
    assert_eq!(
        (health.status.as_u16(), health.text().as_str()),
        (200, "ok\n")
    );
    let ca = h.admin_get("/ca.pem").await;
    assert_eq!(ca.status, 200);
    assert_eq!(ca.text(), h.ca_pem);
    // Metrics are not served on the proxy listener.
    let mut tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let out = wire::until_closed(&mut tcp).await;
    assert_eq!(out.status(), Some(400), "{}", out.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_that_cannot_be_recorded_is_not_given() {
    let h = Harness::start().await;
    h.sink.fail(true);
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
        )
        .await;
    assert_eq!(resp.status, 503, "{}", resp.text());
    assert_eq!(header(&resp, "x-scopegate-decision"), "");
    assert!(
        resp.text().contains("could not be recorded"),
        "{}",
        resp.text()
    );
    h.fake.assert_nothing_received("an unrecorded hold");
    h.sink.fail(false);
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_that_cannot_be_recorded_is_not_forwarded() {
    let h = Harness::start().await;
    h.sink.fail(true);
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
        )
        .await;
    assert_eq!(resp.status, 503, "{}", resp.text());
    h.fake.assert_nothing_received(
        "a decision it cannot record is a decision it does not make (the client was told it was not acted on)",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_clients_each_get_their_own_decision() {
    let h = std::sync::Arc::new(Harness::start().await);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let (host, body) = match i % 4 {
                0 => (RAILWAY_HOST, CUSTOM_DOMAIN_CREATE),
                1 => (RAILWAY_HOST, VOLUME_DELETE),
                2 => (RAILWAY_APP_HOST, CUSTOM_DOMAIN_CREATE),
                _ => (RAILWAY_APP_HOST, VOLUME_DELETE),
            };
            let resp = h.https(host, gql_request(host, RAILWAY_TOKEN, body)).await;
            (body, resp.status.as_u16())
        }));
    }
    for t in tasks {
        let (body, status) = t.await.unwrap();
        let expect = if body == CUSTOM_DOMAIN_CREATE {
            200
        } else {
            403
        };
        assert_eq!(status, expect);
    }
    let got = h.fake.received();
    assert_eq!(got.len(), 20);
    assert!(
        got.iter()
            .all(|r| r.body == CUSTOM_DOMAIN_CREATE.as_bytes())
    );
    assert_eq!(
        got.iter()
            .filter(|r| r.authority.as_deref() == Some(RAILWAY_APP_HOST))
            .count(),
        10
    );
    assert_eq!(h.sink.records().len(), 40);
}

#[tokio::test]
async fn the_agents_reason_is_for_approvers_and_never_reaches_the_provider() {
    let h = Harness::start().await;
    let mut req = github_request("GET", "/repos/acme/site/pulls/1", GITHUB_TOKEN);
    req.headers_mut().insert(
        "x-scopegate-reason",
        "checking the release PR".parse().unwrap(),
    );
    let resp = h.https(GITHUB_HOST, req).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("x-scopegate-reason"), None);
    assert_eq!(got[0].target, "/repos/acme/site/pulls/1");
}

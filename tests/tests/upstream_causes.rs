//! When the provider cannot be reached, the agent and the operator are
//! told why, in the one place the cause is decided: DNS, a refused
//! connection, TLS. A name that does not resolve is a 502 that says DNS,
//! never a 403 that looks like policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_e2e::{
    Harness, Options, RAILWAY_HOST, RAILWAY_TOKEN, gql_request, standard_scope_map, wire,
};

const NOWHERE: &str = "api.scopegate-test.invalid";
const CLOSED: &str = "closed.scopegate-test.invalid";

/// A provider of its own whose hosts are not the fake's.
fn catalogue() -> String {
    format!(
        r#"version = 1
provider = "testprov"
hosts = ["{NOWHERE}", "{CLOSED}"]

[credentials]
authorization = ["bearer"]

[[rest]]
method = "GET"
path = "/ping"
name = "ping"
class = "read"
"#
    )
}

fn closed_port() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    a
}

async fn harness(distrust_fake: bool) -> Harness {
    let map = standard_scope_map().replacen(
        "version = 1\n",
        "version = 1\ncatalogs = [\"testprov.toml\"]\n",
        1,
    );
    Harness::start_with(
        &map,
        Options {
            files: vec![("testprov.toml", catalogue())],
            routes: vec![(format!("{CLOSED}:443"), closed_port())],
            distrust_fake,
            ..Options::default()
        },
    )
    .await
}

fn ping(host: &str) -> http::Request<bytes::Bytes> {
    http::Request::get("/ping")
        .header("host", host)
        .header("authorization", format!("Bearer {RAILWAY_TOKEN}"))
        .body(bytes::Bytes::new())
        .unwrap()
}

#[tokio::test]
async fn the_cause_is_named_dns_refused_or_tls() {
    let h = harness(false).await;
    let dns = h.https(NOWHERE, ping(NOWHERE)).await;
    assert_eq!(dns.status, 502, "{}", dns.text());
    assert!(
        dns.text()
            .contains(&format!("DNS: {NOWHERE} does not resolve")),
        "{}",
        dns.text()
    );

    let refused = h.https(CLOSED, ping(CLOSED)).await;
    assert_eq!(refused.status, 502);
    assert!(
        refused.text().contains("refused the connection"),
        "{}",
        refused.text()
    );

    let records = h.sink.records();
    let errors: Vec<String> = records
        .iter()
        .filter(|r| r.provider == "testprov")
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        errors.len(),
        2,
        "both were decided (allowed), then failed upstream"
    );

    // a non-provider name that does not resolve: 502, not 403
    let (status, head, _) =
        wire::connect(h.proxy_addr(), "nowhere.scopegate-test.invalid:443", &[]).await;
    assert_eq!(status, 502, "{head}");

    let tls = harness(true).await;
    let body = r#"{"query":"{ me { id } }"}"#;
    let resp = tls
        .https(RAILWAY_HOST, gql_request(RAILWAY_HOST, RAILWAY_TOKEN, body))
        .await;
    assert_eq!(resp.status, 502);
    assert!(
        resp.text()
            .contains("could not be reached over verified TLS"),
        "{}",
        resp.text()
    );
}

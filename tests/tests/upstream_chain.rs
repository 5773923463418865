//! Chaining to a corporate proxy (`[upstream] proxy`): every connection
//! scopegate makes upstream — to a provider after a decision, and blind
//! tunnels to other hosts — is a CONNECT through the corporate proxy, with
//! its credentials; TLS to the provider is still verified inside it. A
//! refused request reaches neither the corporate proxy nor the provider.
//! When the corporate proxy says no (407, 403, or it is down), the agent
//! gets a 502 naming the corporate proxy, the operator a metric and a log
//! line, and the proxy's password shows in none of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use scopegate_e2e::corp_proxy::{Connect, basic};
use scopegate_e2e::*;

/// Everything the proxy logs in this test process, at debug level.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Logs {
    static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
            .try_init()
            .expect("the only subscriber in this test process");
        logs
    })
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Neither the password nor the Basic value carrying it appears in `text`.
fn assert_no_password(text: &str, credentials: &str, what: &str) {
    let (_, password) = credentials.split_once(':').unwrap();
    assert!(
        !text.contains(password),
        "{what} shows the password:\n{text}"
    );
    let encoded = basic(credentials);
    let encoded = encoded.trim_start_matches("Basic ");
    assert!(
        !text.contains(encoded),
        "{what} shows the encoded credentials:\n{text}"
    );
}

const CORP_CREDENTIALS: &str = "corp-user:corp-pass-7f3e1a";

/// A harness whose upstream connections go through `corp` (settings lines
/// in `upstream`); the fake's names are not routed, `corp` resolves them.
async fn chained(
    corp: &CorpProxy,
    upstream: String,
    files: Vec<(&'static str, String)>,
) -> Harness {
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            unrouted: true,
            upstream,
            files,
            ..Options::default()
        },
    )
    .await;
    corp.resolve_names_to(h.fake.addr);
    h
}

fn connect(target: &str, credentials: Option<&str>, status: u16) -> Connect {
    Connect {
        target: target.into(),
        authorization: credentials.map(basic),
        status,
    }
}

fn read_query() -> &'static str {
    r#"{"query":"{ me { id } }"}"#
}

/// `GET /` over TLS to `host` through a CONNECT tunnel (a non-provider
/// host: the fake's own certificate, trusted by the client).
async fn tunnelled_get(h: &Harness, host: &str) -> Result<Resp, std::io::Error> {
    let (status, head, tcp) = wire::connect(h.proxy_addr(), &format!("{host}:443"), &[]).await;
    assert_eq!(status, 200, "CONNECT {host}: {head}");
    let tls = wire::tls(tcp, host, &h.test_ca.pem, &[b"http/1.1"]).await?;
    let req = http::Request::get("/tunnelled")
        .header("host", host)
        .body(Bytes::new())
        .unwrap();
    Ok(wire::h1_once(tls, req).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_tunnels_go_through_the_corporate_proxy_with_its_credentials() {
    let logs = logs();
    let corp = CorpProxy::start(Some(CORP_CREDENTIALS)).await;
    let h = chained(
        &corp,
        format!(
            "proxy = \"{}\"\nproxy_auth = {{ file = \"corp-proxy-auth\" }}\n",
            corp.url()
        ),
        vec![("corp-proxy-auth", format!("{CORP_CREDENTIALS}\n"))],
    )
    .await;

    // An allowed request: through the corporate proxy to the provider's
    // name, then verified TLS to the provider inside the tunnel.
    let allowed = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
        )
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(allowed.json(), serde_json::json!({"data": {"ok": true}}));
    assert_eq!(
        corp.connects(),
        [connect(
            &format!("{RAILWAY_HOST}:443"),
            Some(CORP_CREDENTIALS),
            200
        )]
    );
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, CUSTOM_DOMAIN_CREATE.as_bytes());
    assert_eq!(got[0].sni.as_deref(), Some(RAILWAY_HOST));
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {RAILWAY_TOKEN}").as_str())
    );
    assert_eq!(got[0].header("proxy-authorization"), None);

    // A surrogate: the provider receives the real secret, through the proxy.
    let swapped = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, SURROGATE, read_query()),
        )
        .await;
    assert_eq!(swapped.status, 200, "{}", swapped.text());
    let got = h.fake.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].header("authorization"),
        Some(format!("Bearer {REAL_SECRET}").as_str())
    );

    // A refused request reaches neither the corporate proxy nor the provider.
    let before = corp.connects().len();
    let denied = h
        .https(
            GITHUB_HOST,
            github_request("DELETE", "/repos/acme/site", GITHUB_TOKEN),
        )
        .await;
    assert_rest_refusal(&denied, "deny", "github:repos/delete");
    assert_eq!(corp.connects().len(), before, "{:?}", corp.connects());
    assert_eq!(h.fake.received().len(), 2);

    // A tunnel to a non-provider host goes through it too, by name: the
    // corporate proxy resolves it (scopegate cannot: it is not in DNS).
    let tunnelled = tunnelled_get(&h, OTHER_HOST).await.unwrap();
    assert_eq!(tunnelled.status, 200);
    assert_eq!(
        corp.connects().last(),
        Some(&connect(
            &format!("{OTHER_HOST}:443"),
            Some(CORP_CREDENTIALS),
            200
        ))
    );
    let last = h.fake.received().last().unwrap().clone();
    assert_eq!(
        (last.target.as_str(), last.sni.as_deref()),
        ("/tunnelled", Some(OTHER_HOST))
    );

    for resp in [&allowed, &swapped, &denied, &tunnelled] {
        assert_no_password(
            &format!("{:?} {}", resp.headers, resp.text()),
            CORP_CREDENTIALS,
            "a response",
        );
    }
    assert!(!logs.text().is_empty(), "the logs are captured");
    assert_no_password(&logs.text(), CORP_CREDENTIALS, "the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_a_clear_upstream_failure_and_nothing_arrives() {
    let logs = logs();
    let corp = CorpProxy::start(Some("corp-user:the-right-one")).await;
    // Credentials in the URL (the other form), and wrong.
    let sent = "corp-user:wrong-pass-91c2";
    let h = chained(
        &corp,
        format!("proxy = \"http://{sent}@{}\"\n", corp.addr),
        Vec::new(),
    )
    .await;

    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
        )
        .await;
    assert_eq!(resp.status, 502, "{}", resp.text());
    let message = resp.json()["message"].as_str().unwrap().to_owned();
    assert_eq!(
        message,
        format!(
            "scopegate: the upstream proxy scopegate goes through ({}) answered 407: it refused scopegate's credentials or wants some; nothing was forwarded; the scopegate operator must fix [upstream] proxy_auth",
            corp.addr
        )
    );
    assert_eq!(
        corp.connects(),
        [connect(&format!("{RAILWAY_HOST}:443"), Some(sent), 407)]
    );
    h.fake
        .assert_nothing_received("the corporate proxy refused the tunnel");

    // A blind tunnel: the CONNECT was answered before the corporate proxy
    // was asked, so the client sees its connection closed; nothing arrives.
    let tunnelled = tunnelled_get(&h, OTHER_HOST).await;
    assert!(tunnelled.is_err(), "{:?}", tunnelled.map(|r| r.status));
    assert_eq!(
        corp.connects().last(),
        Some(&connect(&format!("{OTHER_HOST}:443"), Some(sent), 407))
    );
    assert_eq!(h.fake.connections(), 0, "not even a connection to the fake");

    let m = h.metrics().await;
    assert_eq!(
        metric(
            &m,
            "scopegate_upstream_failures_total{cause=\"proxy-auth\"}"
        ),
        Some(2.0),
        "{m}"
    );
    let text = logs.text();
    assert!(
        text.lines().any(|l| l.contains(" WARN ")
            && l.contains("cause=\"proxy-auth\"")
            && l.contains(&format!("upstream proxy {}", corp.addr))),
        "{text}"
    );
    assert_no_password(
        &format!("{:?} {}", resp.headers, resp.text()),
        sent,
        "the response",
    );
    assert_no_password(&text, sent, "the log");
    assert_no_password(&m, sent, "the metrics");
}

/// A route override names the address the corporate proxy is asked to
/// CONNECT to (TLS inside still names and verifies the provider); the
/// corporate proxy's own refusals and absence are named to the agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_name_the_address_asked_for_and_refusals_name_the_corporate_proxy() {
    let corp = CorpProxy::start(None).await;
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            upstream: format!("proxy = \"{}\"\n", corp.url()),
            ..Options::default()
        },
    )
    .await;
    let body = read_query();
    let resp = h
        .https(RAILWAY_HOST, gql_request(RAILWAY_HOST, RAILWAY_TOKEN, body))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        corp.connects(),
        [connect(&h.fake.addr.to_string(), None, 200)]
    );
    assert_eq!(h.fake.received()[0].sni.as_deref(), Some(RAILWAY_HOST));

    // Its policy refuses (403), or it cannot reach the provider (502).
    for (status, phrase) in [
        (403, format!("refused to connect to {GITHUB_HOST} (403)")),
        (502, format!("could not reach {GITHUB_HOST} (502)")),
    ] {
        corp.answer_with(Some(status));
        let resp = h
            .https(
                GITHUB_HOST,
                github_request("GET", "/repos/acme/site", GITHUB_TOKEN),
            )
            .await;
        assert_eq!(resp.status, 502, "{}", resp.text());
        let text = resp.text();
        assert!(text.contains(&format!("({})", corp.addr)), "{text}");
        assert!(text.contains(&phrase), "{text}");
    }
    assert_eq!(h.fake.received().len(), 1, "only the first request arrived");

    // It is down: refused connections, named as such.
    let down = corp.addr;
    drop(corp);
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            upstream: format!("proxy = \"http://{down}\"\n"),
            ..Options::default()
        },
    )
    .await;
    let resp = h
        .https(RAILWAY_HOST, gql_request(RAILWAY_HOST, RAILWAY_TOKEN, body))
        .await;
    assert_eq!(resp.status, 502, "{}", resp.text());
    assert!(
        resp.text().contains(&format!(
            "the upstream proxy scopegate goes through ({down}) refused the connection"
        )),
        "{}",
        resp.text()
    );
    h.fake
        .assert_nothing_received("the corporate proxy is down");
    let m = h.metrics().await;
    assert_eq!(
        metric(
            &m,
            "scopegate_upstream_failures_total{cause=\"proxy-connect\"}"
        ),
        Some(1.0),
        "{m}"
    );
}

/// Inside the corporate proxy's tunnel, the provider's certificate is
/// verified as without it: a provider whose certificate scopegate does not
/// trust is not sent the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_inside_the_tunnel_is_verified_as_ever() {
    let corp = CorpProxy::start(None).await;
    let h = Harness::start_with(
        &standard_scope_map(),
        Options {
            unrouted: true,
            distrust_fake: true,
            upstream: format!("proxy = \"{}\"\n", corp.url()),
            ..Options::default()
        },
    )
    .await;
    corp.resolve_names_to(h.fake.addr);
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, read_query()),
        )
        .await;
    assert_eq!(resp.status, 502, "{}", resp.text());
    assert!(
        resp.text()
            .contains("could not be reached over verified TLS"),
        "{}",
        resp.text()
    );
    assert_eq!(
        corp.connects(),
        [connect(&format!("{RAILWAY_HOST}:443"), None, 200)]
    );
    h.fake.assert_nothing_received("an untrusted certificate");
}

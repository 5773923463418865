//! No blind route to a provider. A tunnel to a host that is not a provider
//! is screened before a byte goes upstream: a TLS server name (SNI) that is
//! a provider's, or that is not the CONNECT host, is refused, and so is a
//! tunnel that names no server when `proxy.missing_sni = "refuse"`. A proxy
//! request whose authority carries userinfo (`agent@host`) gets 400. In
//! every refusal the fake — which answers for the provider names and the
//! non-provider ones alike — receives nothing, not even a connection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use scopegate_e2e::wire::{self, Outcome};
use scopegate_e2e::*;
use tokio::io::AsyncWriteExt as _;

/// Everything the proxy logs in this test process (one global subscriber;
/// each test looks for its own markers).
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
            .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
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

/// An IP literal routed to the fake: the one kind of IP CONNECT egress allows.
const ROUTED_IP: &str = "203.0.113.9";

async fn harness(proxy: &str) -> Harness {
    Harness::start_with(
        &standard_scope_map(),
        Options {
            proxy: proxy.to_owned(),
            routed: vec![ROUTED_IP],
            ..Options::default()
        },
    )
    .await
}

fn strict() -> &'static str {
    "missing_sni = \"refuse\"\n"
}

/// CONNECT `connect:port`, then TLS naming `sni` (or none, verifying
/// `OTHER_HOST`), trusting the fake's CA — so if the proxy let the
/// handshake through, it would complete with the fake itself. The TLS
/// error when it is refused.
async fn tunnel_tls(
    h: &Harness,
    connect: &str,
    sni: Option<&str>,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, std::io::Error> {
    let (status, head, tcp) = wire::connect(h.proxy_addr(), &format!("{connect}:443"), &[]).await;
    assert_eq!(status, 200, "CONNECT {connect}: {head}");
    match sni {
        Some(name) => wire::tls(tcp, name, &h.test_ca.pem, &[b"http/1.1"]).await,
        None => wire::tls_without_sni(tcp, OTHER_HOST, &h.test_ca.pem, &[b"http/1.1"]).await,
    }
}

/// The TLS attempt failed with the proxy's `access_denied` alert; had it
/// succeeded, the DELETE it then sends would have reached the fake.
async fn assert_refused(
    attempt: Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, std::io::Error>,
    what: &str,
) {
    match attempt {
        Err(e) => assert!(
            e.to_string().contains("AccessDenied"),
            "{what}: refused with an access_denied alert, got: {e}"
        ),
        Ok(tls) => {
            let resp = wire::h1_once(
                tls,
                github_request("DELETE", "/repos/acme/site", GITHUB_TOKEN),
            )
            .await;
            panic!(
                "{what}: the tunnel reached the fake uninspected ({} {})",
                resp.status,
                resp.text()
            );
        }
    }
}

fn refused_count(m: &str, reason: &str) -> Option<f64> {
    metric(
        m,
        &format!("scopegate_refused_total{{reason=\"{reason}\"}}"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_carrying_a_provider_sni_is_refused() {
    let logs = logs();
    let h = harness("").await;
    let cases = [
        (OTHER_HOST, GITHUB_HOST),
        (OTHER_HOST, RAILWAY_HOST),
        (MIRROR_HOST, RAILWAY_APP_HOST),
        (OTHER_HOST, "API.GitHub.COM"),
        (ROUTED_IP, GITHUB_HOST),
        (ROUTED_IP, RAILWAY_HOST),
    ];
    for (connect, sni) in cases {
        let what = format!("CONNECT {connect} with SNI {sni}");
        assert_refused(tunnel_tls(&h, connect, Some(sni)).await, &what).await;
    }
    h.fake
        .assert_nothing_received("a provider SNI in a tunnel to another host");
    assert_eq!(h.fake.connections(), 0, "not even a connection upstream");
    let m = h.metrics().await;
    assert_eq!(
        refused_count(&m, "tunnel-sni-provider"),
        Some(cases.len() as f64),
        "{m}"
    );
    assert_eq!(metric(&m, "scopegate_tunnels_total"), Some(0.0), "{m}");
    // The operator sees each refusal in the log, with the names involved.
    let text = logs.text();
    let warned = text
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("reason=\"tunnel-sni-provider\""))
        .count();
    assert_eq!(warned, cases.len(), "{text}");
    assert!(
        text.contains(&format!(
            "connect={ROUTED_IP} port=443 sni=\"{GITHUB_HOST}\""
        )),
        "{text}"
    );
    // The same names through CONNECT to the provider itself are intercepted
    // and decided.
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_whose_sni_is_not_its_connect_host_is_refused() {
    let h = harness("").await;
    let cases = [
        (OTHER_HOST, MIRROR_HOST),
        (MIRROR_HOST, OTHER_HOST),
        (ROUTED_IP, OTHER_HOST),
    ];
    for (connect, sni) in cases {
        let what = format!("CONNECT {connect} with SNI {sni}");
        assert_refused(tunnel_tls(&h, connect, Some(sni)).await, &what).await;
    }
    h.fake
        .assert_nothing_received("SNI other than the CONNECT host");
    assert_eq!(h.fake.connections(), 0);
    let m = h.metrics().await;
    assert_eq!(
        refused_count(&m, "tunnel-sni-mismatch"),
        Some(cases.len() as f64),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_without_sni_is_tunnelled_by_default_and_refused_when_strict() {
    let h = harness("").await;
    let tls = tunnel_tls(&h, OTHER_HOST, None)
        .await
        .expect("by default a ClientHello without SNI is tunnelled");
    let req = http::Request::get("/no-sni")
        .header("host", OTHER_HOST)
        .body(Bytes::new())
        .unwrap();
    let resp = wire::h1_once(tls, req).await;
    assert_eq!(resp.status, 200);
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].sni, None, "the hello reached the fake as sent");
    assert_eq!(got[0].target, "/no-sni");

    let h = harness(strict()).await;
    assert_refused(tunnel_tls(&h, OTHER_HOST, None).await, "no SNI, strict").await;
    h.fake
        .assert_nothing_received("no SNI under missing_sni = refuse");
    assert_eq!(h.fake.connections(), 0);
    let m = h.metrics().await;
    assert_eq!(refused_count(&m, "tunnel-sni-missing"), Some(1.0), "{m}");
    // A tunnel that names its host still works when strict.
    let tls = tunnel_tls(&h, OTHER_HOST, Some(OTHER_HOST)).await.unwrap();
    let req = http::Request::get("/named")
        .header("host", OTHER_HOST)
        .body(Bytes::new())
        .unwrap();
    assert_eq!(wire::h1_once(tls, req).await.status, 200);
    assert_eq!(h.fake.received().len(), 1);
}

/// CONNECT `OTHER_HOST:port`, then plain HTTP naming a provider.
async fn plain_http_in_a_tunnel(h: &Harness, port: u16) -> Outcome {
    let (status, head, mut tcp) =
        wire::connect(h.proxy_addr(), &format!("{OTHER_HOST}:{port}"), &[]).await;
    assert_eq!(status, 200, "{head}");
    tcp.write_all(
        format!(
            "DELETE /repos/acme/site HTTP/1.1\r\nHost: {GITHUB_HOST}\r\nAuthorization: token {GITHUB_TOKEN}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    wire::until_closed(&mut tcp).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_that_does_not_start_tls_is_refused_on_443_and_when_strict() {
    let h = harness("").await;
    let out = plain_http_in_a_tunnel(&h, 443).await;
    assert!(matches!(out, Outcome::Closed), "{}", out.text());
    assert_eq!(h.fake.connections(), 0, "not TLS on 443: nothing upstream");
    // Elsewhere, by default, it is tunnelled (the fake, which speaks only
    // TLS, gets the connection and reads no request from it).
    let _ = plain_http_in_a_tunnel(&h, 8080).await;
    eventually("the plain tunnel reached the fake", || {
        h.fake.connections() == 1
    })
    .await;
    h.fake.assert_nothing_received("plain HTTP to a TLS server");
    let m = h.metrics().await;
    assert_eq!(refused_count(&m, "tunnel-not-tls"), Some(1.0), "{m}");

    let h = harness(strict()).await;
    for port in [443, 8080] {
        let out = plain_http_in_a_tunnel(&h, port).await;
        assert!(matches!(out, Outcome::Closed), "{port}: {}", out.text());
    }
    assert_eq!(h.fake.connections(), 0);
    let m = h.metrics().await;
    assert_eq!(refused_count(&m, "tunnel-not-tls"), Some(2.0), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_in_a_connect_authority_is_refused() {
    let logs = logs();
    let h = harness("").await;
    let cases = [
        format!("agent@{RAILWAY_APP_HOST}:443"),
        format!("agent:key@{GITHUB_HOST}:443"),
        format!("x@{OTHER_HOST}:443"),
        format!("{GITHUB_HOST}@{OTHER_HOST}:443"),
    ];
    for authority in &cases {
        let (status, head, mut tcp) = wire::connect(h.proxy_addr(), authority, &[]).await;
        assert_eq!(status, 400, "CONNECT {authority}: {head}");
        let body = String::from_utf8(wire::read_body(&head, &mut tcp).await).unwrap();
        assert!(body.contains("user@host"), "CONNECT {authority}: {body}");
    }
    // Not a host at all: refused the same way (by the proxy, or by its
    // HTTP parser before that).
    for authority in [
        "api%2egithub.com:443",
        "api.github.com,x:443",
        "api.github.com$:443",
    ] {
        let (status, head, _) = wire::connect(h.proxy_addr(), authority, &[]).await;
        assert_eq!(status, 400, "CONNECT {authority}: {head}");
    }
    h.fake.assert_nothing_received("userinfo in CONNECT");
    assert_eq!(h.fake.connections(), 0);
    let m = h.metrics().await;
    assert_eq!(
        refused_count(&m, "userinfo"),
        Some(cases.len() as f64),
        "{m}"
    );
    // `%` never reaches the proxy: hyper refuses it first.
    assert_eq!(refused_count(&m, "bad-host"), Some(2.0), "{m}");
    // Warned about, without the userinfo: it may be a credential.
    let text = logs.text();
    assert!(text.contains("userinfo in its authority refused"), "{text}");
    assert!(!text.contains("agent:key"), "userinfo logged: {text}");
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_in_an_absolute_form_request_is_refused() {
    let h = harness("").await;
    let cases = [
        (
            "POST",
            format!("http://agent@{RAILWAY_APP_HOST}/graphql/v2"),
            VOLUME_DELETE,
        ),
        (
            "POST",
            format!("https://agent:key@{RAILWAY_HOST}/graphql/v2"),
            CUSTOM_DOMAIN_CREATE,
        ),
        (
            "DELETE",
            format!("https://u@{GITHUB_HOST}/repos/acme/site"),
            "",
        ),
        ("GET", format!("http://u@{OTHER_HOST}/hello"), ""),
    ];
    for (method, uri, body) in &cases {
        let mut tcp = tokio::net::TcpStream::connect(h.proxy_addr())
            .await
            .unwrap();
        let req = format!(
            "{method} {uri} HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\nAuthorization: Bearer {RAILWAY_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        tcp.write_all(req.as_bytes()).await.unwrap();
        let head = wire::read_head(&mut tcp).await.unwrap();
        assert_eq!(wire::status_of(&head), 400, "{method} {uri}: {head}");
        let text = String::from_utf8(wire::read_body(&head, &mut tcp).await).unwrap();
        assert!(text.contains("user@host"), "{method} {uri}: {text}");
    }
    h.fake.assert_nothing_received("userinfo in absolute form");
    assert_eq!(h.fake.connections(), 0);
    assert!(h.sink.records().is_empty(), "refused before any decision");
    let m = h.metrics().await;
    assert_eq!(
        refused_count(&m, "userinfo"),
        Some(cases.len() as f64),
        "{m}"
    );
}

/// Bytes of every value, more than one TLS record's worth.
fn opaque_body() -> Vec<u8> {
    (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_named_for_its_host_carries_bytes_unchanged() {
    let body = opaque_body();
    let h = harness(strict()).await;
    let tls = tunnel_tls(&h, OTHER_HOST, Some(OTHER_HOST)).await.unwrap();
    let req = http::Request::post("/upload?x=1")
        .header("host", OTHER_HOST)
        .header("authorization", "Bearer not-a-provider-token")
        .body(Bytes::from(body.clone()))
        .unwrap();
    let resp = wire::h1_once(tls, req).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(header(&resp, "x-scopegate-id"), "", "not intercepted");
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].sni.as_deref(), Some(OTHER_HOST));
    assert_eq!(got[0].target, "/upload?x=1");
    assert_eq!(
        got[0].header("authorization"),
        Some("Bearer not-a-provider-token")
    );
    assert_eq!(got[0].body, body.as_slice(), "byte for byte");
    assert!(h.sink.records().is_empty(), "no policy decision for egress");
    let m = h.metrics().await;
    assert_eq!(metric(&m, "scopegate_tunnels_total"), Some(1.0), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_to_a_routed_address_without_sni_carries_h2_unchanged() {
    let body = opaque_body();
    let h = harness("").await;
    let (status, _, tcp) = wire::connect(h.proxy_addr(), &format!("{ROUTED_IP}:443"), &[]).await;
    assert_eq!(status, 200);
    // Clients connecting to an address send no SNI.
    let tls = wire::tls_without_sni(tcp, OTHER_HOST, &h.test_ca.pem, &[b"h2"])
        .await
        .unwrap();
    let mut sender = wire::h2_conn(tls).await;
    let req = http::Request::put(format!("https://{OTHER_HOST}/h2"))
        .body(Bytes::from(body.clone()))
        .unwrap();
    let resp = wire::send_h2(&mut sender, req).await;
    assert_eq!(resp.status, 200);
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].version, http::Version::HTTP_2);
    assert_eq!(got[0].sni, None);
    assert_eq!(got[0].body, body.as_slice(), "byte for byte");
}

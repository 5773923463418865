//! Bad input: garbage instead of TLS, malformed CONNECTs, oversize headers
//! and bodies, slow clients, clients that vanish mid-request, SNI that
//! disagrees with CONNECT. Each time the proxy answers or closes cleanly,
//! forwards nothing, and then serves a normal request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_e2e::wire::{self, Outcome};
use scopegate_e2e::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const MAX_BODY: usize = 1024;

async fn harness() -> Harness {
    Harness::start_with(
        &standard_scope_map(),
        Options {
            header_timeout_secs: Some(1),
            max_body_bytes: Some(MAX_BODY),
            ..Options::default()
        },
    )
    .await
}

/// Closed, or answered with an error status (never a success).
fn assert_refused_or_closed(out: &Outcome, what: &str) {
    match out.status() {
        None => {}
        Some(s) => assert!((400..600).contains(&s), "{what}: answered {}", out.text()),
    }
}

/// The open-connection count drops back to zero: nothing leaked.
async fn assert_connections_drain(h: &Harness) {
    let tracker = h.proxy.state.tracker.clone();
    eventually("the proxy closed every client connection", || {
        tracker.active() == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_instead_of_tls_after_connect_is_closed() {
    let h = harness().await;
    for garbage in [
        &b"POST /graphql/v2 HTTP/1.1\r\nHost: backboard.railway.com\r\nContent-Length: 2\r\n\r\n{}"
            [..],
        &[0u8; 512][..],
        // A TLS record header announcing a handshake, then nonsense.
        &[
            0x16, 0x03, 0x01, 0x00, 0x10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0,
        ][..],
    ] {
        let (status, _, mut tcp) =
            wire::connect(h.proxy_addr(), &format!("{RAILWAY_HOST}:443"), &[]).await;
        assert_eq!(status, 200);
        tcp.write_all(garbage).await.unwrap();
        let out = wire::until_closed(&mut tcp).await;
        assert!(
            !out.text().starts_with("HTTP/"),
            "no HTTP answer inside an intercepted tunnel that never spoke TLS: {}",
            out.text()
        );
    }
    h.fake.assert_nothing_received("garbage instead of TLS");
    let m = h.metrics().await;
    assert_eq!(
        metric(&m, "scopegate_refused_total{reason=\"not-tls\"}"),
        Some(3.0),
        "{m}"
    );
    assert_connections_drain(&h).await;
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_connect_requests_are_answered_or_closed() {
    let h = harness().await;
    let cases: [&[u8]; 9] = [
        b"CONNECT\r\n\r\n",
        b"CONNECT backboard.railway.com:443\r\n\r\n",
        b"CONNECT :443 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"CONNECT /graphql/v2 HTTP/1.1\r\nHost: backboard.railway.com\r\nConnection: close\r\n\r\n",
        b"CONNECT backboard.railway.com:443 HTTP/9.9\r\n\r\n",
        b"CONNECT back board.railway.com:443 HTTP/1.1\r\n\r\n",
        b"CONNECT backboard.railway.com:443 HTTP/1.1\r\nHost: backboard.railway.com\r\nBad Header\r\n\r\n",
        // TLS straight to the proxy port, as if it were the provider.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"\x00\xff\xfe\r\n\r\n",
    ];
    for bytes in cases {
        let mut tcp = tokio::net::TcpStream::connect(h.proxy_addr())
            .await
            .unwrap();
        tcp.write_all(bytes).await.unwrap();
        let out = wire::until_closed(&mut tcp).await;
        assert_refused_or_closed(&out, &String::from_utf8_lossy(bytes));
    }
    h.fake.assert_nothing_received("malformed CONNECT");
    assert_eq!(h.fake.connections(), 0);
    assert_connections_drain(&h).await;
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_headers_are_refused() {
    let h = harness().await;
    // On the proxy listener: a CONNECT with a 1 MiB header. (The listener's
    // 64 KiB buffer limit is approximate in hyper: a head up to about twice
    // that can still be read whole, so stay well past it.)
    let mut tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    let big = "a".repeat(1024 * 1024);
    let req = format!(
        "CONNECT {RAILWAY_HOST}:443 HTTP/1.1\r\nHost: {RAILWAY_HOST}:443\r\nX-Big: {big}\r\n\r\n"
    );
    let _ = tcp.write_all(req.as_bytes()).await;
    let out = wire::until_closed(&mut tcp).await;
    assert_eq!(
        out.status(),
        Some(431),
        "1 MiB CONNECT header: {}",
        out.text()
    );

    // Inside an intercepted tunnel: a request with a 1 MiB header, and one
    // with thousands of headers.
    for (name, head) in [
        (
            "1 MiB header",
            format!(
                "POST /graphql/v2 HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\nAuthorization: Bearer {RAILWAY_TOKEN}\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\n{{}}",
                "b".repeat(1024 * 1024)
            ),
        ),
        (
            "5000 headers",
            format!(
                "POST /graphql/v2 HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\nAuthorization: Bearer {RAILWAY_TOKEN}\r\n{}Content-Length: 2\r\n\r\n{{}}",
                (0..5000)
                    .map(|i| format!("X-H{i}: v\r\n"))
                    .collect::<String>()
            ),
        ),
    ] {
        let mut tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
        let _ = tls.write_all(head.as_bytes()).await;
        let _ = tls.flush().await;
        let out = wire::until_closed(&mut tls).await;
        assert_eq!(out.status(), Some(431), "{name}: {}", out.text());
    }
    h.fake.assert_nothing_received("oversize headers");
    assert_connections_drain(&h).await;
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413_and_nothing_is_forwarded() {
    let h = harness().await;
    // An allowed operation, padded past the limit with whitespace: the
    // proxy must not forward what it has not inspected.
    let padded = format!("{CUSTOM_DOMAIN_CREATE}{}", " ".repeat(4 * MAX_BODY));
    // Railway's endpoint is GraphQL: the refusal is an `errors` array, and
    // names the decision it was recorded as.
    let check = |resp: &Resp| {
        assert_eq!(resp.status, 413, "{}", resp.text());
        let v = resp.json();
        let e = &v["errors"][0];
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains(&format!("over the {MAX_BODY}-byte limit")),
            "{v}"
        );
        assert_eq!(
            e["extensions"]["scopegate"]["decision_id"],
            header(resp, "x-scopegate-id")
        );
    };
    // Declared with Content-Length (HTTP/1.1).
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, &padded),
        )
        .await;
    check(&resp);
    // Over HTTP/2.
    let mut h2 = h.h2(RAILWAY_HOST).await;
    let resp = wire::send_h2(
        &mut h2,
        gql_request_h2(RAILWAY_HOST, RAILWAY_TOKEN, &padded),
    )
    .await;
    check(&resp);
    // Chunked, no length declared: the limit applies as the body arrives.
    let mut tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
    let head = format!(
        "POST /graphql/v2 HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\nAuthorization: Bearer {RAILWAY_TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 512, " ".repeat(512));
    for _ in 0..8 {
        if tls.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = tls.write_all(b"0\r\n\r\n").await;
    let out = wire::until_closed(&mut tls).await;
    assert_eq!(out.status(), Some(413), "{}", out.text());
    // Absolute form in clear.
    let tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    let mut req = gql_request(RAILWAY_HOST, RAILWAY_TOKEN, &padded);
    *req.uri_mut() = format!("https://{RAILWAY_HOST}/graphql/v2")
        .parse()
        .unwrap();
    check(&wire::h1_once(tcp, req).await);

    h.fake.assert_nothing_received("bodies over max_body_bytes");
    // Each is a decision in the log: the token, the built-in rule, an
    // unknown operation (the body was not read), not forwarded.
    let recs = h.sink.records();
    assert_eq!(recs.len(), 4, "{recs:?}");
    for r in &recs {
        assert_eq!(r.verdict, scopegate_model::Verdict::Deny, "{r:?}");
        assert!(!r.forwarded, "{r:?}");
        assert_eq!(r.token.as_deref(), Some("railway-domains"), "{r:?}");
        assert_eq!(r.rule, "builtin:body-limit", "{r:?}");
        assert_eq!(r.operations.len(), 1, "{r:?}");
        assert_eq!(r.operations[0].name, "body-too-large", "{r:?}");
        assert_eq!(r.provider, "railway", "{r:?}");
        assert!(r.reason.contains("over the 1024-byte limit"), "{r:?}");
    }
    let m = h.metrics().await;
    assert_eq!(
        metric(&m, "scopegate_refused_total{reason=\"body-too-large\"}"),
        Some(4.0),
        "{m}"
    );
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_timed_out() {
    let h = harness().await;
    let authority = format!("{RAILWAY_HOST}:443");
    // The four stall at once, so the test waits for one timeout, not four.
    let unfinished_connect = async {
        let mut tcp = tokio::net::TcpStream::connect(h.proxy_addr())
            .await
            .unwrap();
        tcp.write_all(format!("CONNECT {authority} HTTP/1.1\r\nHost: ").as_bytes())
            .await
            .unwrap();
        let out = wire::until_closed(&mut tcp).await;
        assert_refused_or_closed(&out, "unfinished CONNECT head");
    };
    let tls_never_starts = async {
        let (status, _, mut tcp) = wire::connect(h.proxy_addr(), &authority, &[]).await;
        assert_eq!(status, 200);
        let out = wire::until_closed(&mut tcp).await;
        assert!(matches!(out, Outcome::Closed), "{}", out.text());
    };
    let half_a_client_hello = async {
        let (status, _, mut tcp) = wire::connect(h.proxy_addr(), &authority, &[]).await;
        assert_eq!(status, 200);
        tcp.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            .await
            .unwrap();
        let out = wire::until_closed(&mut tcp).await;
        assert!(!out.text().starts_with("HTTP/"), "{}", out.text());
    };
    let unfinished_request_head = async {
        let mut tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
        tls.write_all(format!("POST /graphql/v2 HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\n").as_bytes())
            .await
            .unwrap();
        tls.flush().await.unwrap();
        let out = wire::until_closed(&mut tls).await;
        assert_refused_or_closed(&out, "unfinished request head in the tunnel");
    };
    tokio::join!(
        unfinished_connect,
        tls_never_starts,
        half_a_client_hello,
        unfinished_request_head
    );

    h.fake.assert_nothing_received("slow clients");
    let m = h.metrics().await;
    assert_eq!(
        metric(&m, "scopegate_refused_total{reason=\"tls-timeout\"}"),
        Some(2.0),
        "{m}"
    );
    assert_connections_drain(&h).await;
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_vanish_mid_request_leave_nothing_behind() {
    let h = harness().await;
    // Mid CONNECT head.
    let mut tcp = tokio::net::TcpStream::connect(h.proxy_addr())
        .await
        .unwrap();
    tcp.write_all(b"CONNECT backboard.rail").await.unwrap();
    drop(tcp);
    // Mid TLS handshake.
    let (_, _, mut tcp) = wire::connect(h.proxy_addr(), &format!("{RAILWAY_HOST}:443"), &[]).await;
    tcp.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    drop(tcp);
    // Mid body: headers promise 600 bytes, 100 arrive, then the client is gone.
    for close_notify in [false, true] {
        let mut tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
        let head = format!(
            "POST /graphql/v2 HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\nAuthorization: Bearer {RAILWAY_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 600\r\n\r\n"
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(&CUSTOM_DOMAIN_CREATE.as_bytes()[..100])
            .await
            .unwrap();
        tls.flush().await.unwrap();
        if close_notify {
            let _ = tls.shutdown().await;
        }
        drop(tls);
    }
    // Mid body over HTTP/2: the stream's body never ends, the connection drops.
    {
        let tls = h.tunnel_tls(RAILWAY_HOST, &[b"h2"]).await;
        let (mut sender, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tls),
        )
        .await
        .unwrap();
        let conn = tokio::spawn(conn);
        let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(1);
        let req = http::Request::post(format!("https://{RAILWAY_HOST}/graphql/v2"))
            .header("authorization", format!("Bearer {RAILWAY_TOKEN}"))
            .header("content-type", "application/json")
            .body(wire::ChannelBody(rx))
            .unwrap();
        let pending = tokio::spawn(async move { sender.send_request(req).await });
        tx.send(bytes::Bytes::copy_from_slice(
            &CUSTOM_DOMAIN_CREATE.as_bytes()[..100],
        ))
        .await
        .unwrap();
        // Let the frames go out before the connection disappears.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        conn.abort();
        pending.abort();
        drop(tx);
    }
    assert_connections_drain(&h).await;
    h.fake
        .assert_nothing_received("clients that vanished mid-request");
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_or_host_that_disagrees_with_connect_is_refused() {
    let h = harness().await;
    for (connect_host, sni) in [
        (RAILWAY_HOST, GITHUB_HOST),
        (GITHUB_HOST, RAILWAY_HOST),
        (RAILWAY_HOST, OTHER_HOST),
        (RAILWAY_HOST, RAILWAY_APP_HOST),
    ] {
        let (status, _, tcp) =
            wire::connect(h.proxy_addr(), &format!("{connect_host}:443"), &[]).await;
        assert_eq!(status, 200);
        let r = wire::tls(tcp, sni, &h.ca_pem, &[b"http/1.1"]).await;
        assert!(
            r.is_err(),
            "CONNECT {connect_host} with SNI {sni}: the proxy must not complete TLS"
        );
    }
    let m = h.metrics().await;
    assert_eq!(
        metric(&m, "scopegate_refused_total{reason=\"sni-mismatch\"}"),
        Some(4.0),
        "{m}"
    );

    // SNI right, but the request names another host: 421, nothing forwarded.
    let mut req = github_request("DELETE", "/repos/acme/site", GITHUB_TOKEN);
    req.headers_mut()
        .insert("host", GITHUB_HOST.parse().unwrap());
    let resp = h.https(RAILWAY_HOST, req).await;
    assert_eq!(resp.status, 421, "{}", resp.text());
    let mut h2 = h.h2(RAILWAY_HOST).await;
    let resp = wire::send_h2(
        &mut h2,
        gql_request_h2(GITHUB_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
    )
    .await;
    assert_eq!(resp.status, 421, "{}", resp.text());

    h.fake
        .assert_nothing_received("SNI or Host that disagrees with CONNECT");
    assert_eq!(h.fake.connections(), 0);
    h.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_nothing_does_not_stall_others() {
    let h = harness().await;
    // Open a tunnel and a streamed response, never read it.
    let mut tls = h.tunnel_tls(GITHUB_HOST, &[b"http/1.1"]).await;
    tls.write_all(
        format!(
            "GET /repos/acme/site/tarball/main HTTP/1.1\r\nHost: {GITHUB_HOST}\r\nAuthorization: token {GITHUB_TOKEN}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut first = [0u8; 16];
    tls.read_exact(&mut first).await.unwrap();
    assert!(first.starts_with(b"HTTP/1.1 200"));
    h.fake.release_stream();
    // Meanwhile others are served.
    h.assert_still_serving().await;
    drop(tls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_is_timed_out() {
    let h = harness().await;
    let mut tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
    let head = format!(
        "POST /graphql/v2 HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\nAuthorization: Bearer {RAILWAY_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 600\r\n\r\n"
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&CUSTOM_DOMAIN_CREATE.as_bytes()[..100])
        .await
        .unwrap();
    tls.flush().await.unwrap();
    // The client stays connected and sends nothing more: the proxy must
    // answer (408) or close, as it does for a stalled head.
    let out = wire::until_closed(&mut tls).await;
    assert_refused_or_closed(&out, "a stalled body");
    h.fake.assert_nothing_received("a stalled body");
    h.assert_still_serving().await;
}

/// An HTTP/1.1 request head for the tunnel, with extra header lines.
fn head(extra: &str, token: &str) -> String {
    format!(
        "POST /graphql/v2 HTTP/1.1\r\nHost: {RAILWAY_HOST}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n{extra}\r\n"
    )
}

fn chunked(body: &str) -> String {
    format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_each_decided() {
    let h = harness().await;
    let mut tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
    let first = format!(
        "{}{CUSTOM_DOMAIN_CREATE}",
        head(
            &format!("Content-Length: {}\r\n", CUSTOM_DOMAIN_CREATE.len()),
            RAILWAY_TOKEN
        )
    );
    let second = format!(
        "{}{VOLUME_DELETE}",
        head(
            &format!(
                "Content-Length: {}\r\nConnection: close\r\n",
                VOLUME_DELETE.len()
            ),
            RAILWAY_TOKEN
        )
    );
    // One write: both requests arrive together.
    tls.write_all(format!("{first}{second}").as_bytes())
        .await
        .unwrap();
    tls.flush().await.unwrap();
    let out = wire::until_closed(&mut tls).await.text();
    let statuses: Vec<&str> = out
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &out[i + 9..i + 12])
        .collect();
    assert_eq!(statuses, ["200", "403"], "{out}");
    assert!(out.contains("x-scopegate-decision: approve"), "{out}");
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, CUSTOM_DOMAIN_CREATE.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_framing_cannot_smuggle_an_operation_past_inspection() {
    let h = harness().await;
    let smuggled = head(
        &format!("Content-Length: {}\r\n", VOLUME_DELETE.len()),
        RAILWAY_TOKEN,
    ) + VOLUME_DELETE;
    let cl = |n: usize| format!("Content-Length: {n}\r\n");
    let cases: Vec<(&str, String)> = vec![
        (
            "CL and TE: chunked body hides a second request",
            head(
                &format!(
                    "{}Transfer-Encoding: chunked\r\n",
                    cl(CUSTOM_DOMAIN_CREATE.len())
                ),
                RAILWAY_TOKEN,
            ) + &chunked(CUSTOM_DOMAIN_CREATE)
                + &smuggled,
        ),
        (
            "TE and CL: the length covers a second request",
            head(
                &format!(
                    "Transfer-Encoding: chunked\r\n{}",
                    cl(chunked(CUSTOM_DOMAIN_CREATE).len() + smuggled.len())
                ),
                RAILWAY_TOKEN,
            ) + &chunked(CUSTOM_DOMAIN_CREATE)
                + &smuggled,
        ),
        (
            "two different Content-Lengths",
            head(
                &format!(
                    "{}{}",
                    cl(CUSTOM_DOMAIN_CREATE.len()),
                    cl(CUSTOM_DOMAIN_CREATE.len() + smuggled.len())
                ),
                RAILWAY_TOKEN,
            ) + CUSTOM_DOMAIN_CREATE
                + &smuggled,
        ),
        (
            "Transfer-Encoding: chunked, identity",
            head(
                &format!(
                    "Transfer-Encoding: chunked, identity\r\n{}",
                    cl(CUSTOM_DOMAIN_CREATE.len())
                ),
                RAILWAY_TOKEN,
            ) + CUSTOM_DOMAIN_CREATE
                + &smuggled,
        ),
        (
            "space before the colon",
            head(
                &format!(
                    "Transfer-Encoding : chunked\r\n{}",
                    cl(CUSTOM_DOMAIN_CREATE.len())
                ),
                RAILWAY_TOKEN,
            ) + CUSTOM_DOMAIN_CREATE
                + &smuggled,
        ),
        (
            "bare LF line endings",
            head(&cl(CUSTOM_DOMAIN_CREATE.len()), RAILWAY_TOKEN).replace("\r\n", "\n")
                + CUSTOM_DOMAIN_CREATE
                + &smuggled,
        ),
    ];
    for (name, bytes) in cases {
        let mut tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
        let _ = tls.write_all(bytes.as_bytes()).await;
        let _ = tls.flush().await;
        let out = wire::until_closed(&mut tls).await;
        assert!(!out.text().contains("HTTP/1.1 5"), "{name}: {}", out.text());
        for r in h.fake.received() {
            assert_eq!(
                r.body,
                CUSTOM_DOMAIN_CREATE.as_bytes(),
                "{name}: the provider received something other than the inspected call"
            );
        }
    }
    // Whatever was parsed as a second request was decided (held), never sent.
    assert!(
        h.sink
            .records()
            .iter()
            .filter(|r| r.operations.iter().any(|o| o.name == "volumeDelete"))
            .all(|r| !r.forwarded)
    );
    h.assert_still_serving().await;
}

//! Operating the proxy: the scope map reloads on file change without
//! dropping connections (a bad file keeps the old policy), and shutdown
//! drains requests in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use http_body_util::BodyExt as _;
use scopegate_e2e::fake::{STREAM_FIRST, STREAM_TOTAL};
use scopegate_e2e::{
    GITHUB_HOST, GITHUB_TOKEN, Harness, RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE,
    assert_graphql_refusal, eventually_async, github_request, gql_request, standard_scope_map,
    wire,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scope_map_reloads_on_change_and_a_bad_file_keeps_the_old_one() {
    let h = Harness::start().await;
    // one keep-alive connection across the reloads: it must not be dropped
    let tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
    let mut conn = wire::h1_conn(tls).await;
    let resp = wire::send_h1(
        &mut conn,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
    )
    .await;
    assert_eq!(resp.status, 403);
    assert!(h.fake.received().is_empty());

    // the operator allows destructive operations for this token
    let loosened = standard_scope_map().replace(
        "id = \"hold-destructive\"\neffect = \"approve\"\nclass = [\"destructive\"]\nexcept = [\"railway:customDomainDelete\"]",
        "id = \"hold-destructive\"\neffect = \"allow\"\nclass = [\"destructive\"]",
    );
    assert_ne!(loosened, standard_scope_map());
    h.dir.write("scope.toml", &loosened);
    let mut status = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = wire::send_h1(
            &mut conn,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
        )
        .await
        .status
        .as_u16();
        if status == 200 {
            break;
        }
    }
    assert_eq!(
        status, 200,
        "the new scope map took effect on the open connection"
    );
    assert_eq!(h.fake.received().len(), 1);

    // a broken file: the previous (loosened) policy stays in force
    h.dir.write(
        "scope.toml",
        "version = 1\n[[token]]\nname = \"broken\"\nfingerprint = \"not-a-fingerprint\"\n",
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let resp = wire::send_h1(
        &mut conn,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
    )
    .await;
    assert_eq!(
        resp.status, 200,
        "a bad file must not replace the policy in force"
    );

    // restoring the original tightens it again
    h.dir.write("scope.toml", standard_scope_map());
    eventually_async("the original scope map is back", || async {
        let tls = h.tunnel_tls(RAILWAY_HOST, &[b"http/1.1"]).await;
        wire::h1_once(tls, gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE))
            .await
            .status
            == 403
    })
    .await;
    // and, tightened, nothing more reaches the provider
    let before = h.fake.received().len();
    let resp = wire::send_h1(
        &mut conn,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
    )
    .await;
    assert_eq!(resp.status, 403);
    assert_eq!(h.fake.received().len(), before);
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_a_response_in_flight() {
    let h = Harness::start().await;
    let tls = h.tunnel_tls(GITHUB_HOST, &[b"http/1.1"]).await;
    let mut sender = wire::h1_conn(tls).await;
    let req = github_request("GET", "/repos/acme/site/tarball/main", GITHUB_TOKEN)
        .map(http_body_util::Full::new);
    let resp = sender.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let mut got = Vec::new();
    while got.len() < STREAM_FIRST {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Ok(d) = frame.into_data() {
            got.extend_from_slice(&d);
        }
    }
    let Harness { proxy, fake, .. } = h;
    let addr = proxy.proxy_addr;
    let shutdown = tokio::spawn(proxy.shutdown(Duration::from_secs(10)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    // no new connections once shutdown began
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
    // the request in flight still completes
    fake.release_stream();
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .unwrap()
    {
        if let Ok(d) = frame.unwrap().into_data() {
            got.extend_from_slice(&d);
        }
    }
    assert_eq!(got.len(), STREAM_TOTAL);
    tokio::time::timeout(Duration::from_secs(10), shutdown)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_reload_with_a_misspelled_deny_rule_keeps_the_policy_in_force() {
    let h = Harness::start().await;
    // allow everything, and a deny that names no operation: it must not load
    let typo = standard_scope_map().replace(
        "id = \"hold-destructive\"\neffect = \"approve\"\nclass = [\"destructive\"]\nexcept = [\"railway:customDomainDelete\"]",
        "id = \"everything\"\neffect = \"allow\"\nclass = [\"read\", \"write\", \"destructive\"]\n\n[[token.rule]]\nid = \"never-delete-volumes\"\neffect = \"deny\"\noperations = [\"railway:volumeDelte\"]",
    );
    assert_ne!(typo, standard_scope_map());
    // written right after start: the reloader must still see the change
    h.dir.write("scope.toml", &typo);
    // the reloader polls about once a second; give it a few chances
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let resp = h
        .https(
            RAILWAY_HOST,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
        )
        .await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_graphql_refusal(&resp, "approve", "railway:volumeDelete");
    assert!(
        h.fake.received().is_empty(),
        "the volumeDelete never reached Railway"
    );
}

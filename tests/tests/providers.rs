//! Providers added as data (Cloudflare, Render), on the wire: refusals in
//! the shape their clients read, surrogates swapped keeping the scheme,
//! payload-dependent routes decided by their body. What every scenario
//! does end to end is in scenarios.rs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use scopegate_e2e::*;

const CLOUDFLARE_HOST: &str = "api.cloudflare.com";
const RENDER_HOST: &str = "api.render.com";

fn rest(host: &str, method: &str, path: &str, token: &str, body: &str) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloudflare_dns_batch_with_deletes_is_held_in_cloudflare_s_error_envelope() {
    let h = Harness::start().await;
    let path = "/client/v4/zones/zone-1/dns_records/batch";
    let resp = h
        .https(
            CLOUDFLARE_HOST,
            rest(
                CLOUDFLARE_HOST,
                "POST",
                path,
                SURROGATE,
                r#"{"deletes":[{"id":"rec-1"}]}"#,
            ),
        )
        .await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(header(&resp, "x-scopegate-decision"), "approve");
    let v = resp.json();
    // What wrangler and the SDKs read: `success` and `errors[].message`.
    assert_eq!(v["success"], false, "{v}");
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("scopegate"), "{message}");
    assert!(v["errors"][0]["code"].is_number(), "{v}");
    assert!(v["result"].is_null());
    assert_eq!(
        v["scopegate"]["operations"][0]["operation"],
        "cloudflare:dns.records.batch"
    );
    assert_eq!(v["scopegate"]["operations"][0]["class"], "destructive");
    h.fake.assert_nothing_received("a held DNS batch");

    // Without deletes the batch is a write: allowed, swapped, forwarded.
    let body = r#"{"posts":[{"type":"A","name":"a","content":"192.0.2.1"}]}"#;
    let resp = h
        .https(
            CLOUDFLARE_HOST,
            rest(CLOUDFLARE_HOST, "POST", path, SURROGATE, body),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].target, path);
    assert_eq!(got[0].body, body.as_bytes());
    assert_eq!(got[0].authority.as_deref(), Some(CLOUDFLARE_HOST));
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {REAL_SECRET}").as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_refusals_are_plain_json_and_reads_arrive_as_sent() {
    let h = Harness::start().await;
    // Replacing all env vars is destructive: held, in the plain REST shape.
    let resp = h
        .https(
            RENDER_HOST,
            rest(
                RENDER_HOST,
                "PUT",
                "/v1/services/srv-1/env-vars",
                SURROGATE,
                "[]",
            ),
        )
        .await;
    let id = assert_rest_refusal(&resp, "approve", "render:update-env-vars-for-service");
    assert_eq!(h.sink.by_id(&id).provider, "render");
    h.fake.assert_nothing_received("a held env-var replacement");

    let resp = h
        .https(
            RENDER_HOST,
            rest(
                RENDER_HOST,
                "GET",
                "/v1/services/srv-1?includePreviews=true",
                SURROGATE,
                "",
            ),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "GET");
    assert_eq!(got[0].target, "/v1/services/srv-1?includePreviews=true");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {REAL_SECRET}").as_str())
    );
    let records = h.sink.records();
    let last = records.last().unwrap();
    assert_eq!(last.provider, "render");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fly_surrogate_keeps_its_flyv1_scheme_and_deletes_are_held() {
    const FLY_HOST: &str = "api.fly.io";
    let h = Harness::start().await;
    let gql = |body: &str| {
        http::Request::post("/graphql")
            .header("host", FLY_HOST)
            .header("authorization", format!("FlyV1 {SURROGATE}"))
            .header("content-type", "application/json")
            .body(Bytes::copy_from_slice(body.as_bytes()))
            .unwrap()
    };
    let delete = r#"{"query":"mutation { deleteApp(appId: \"web\") { organization { id } } }"}"#;
    let resp = h.https(FLY_HOST, gql(delete)).await;
    assert_graphql_refusal(&resp, "approve", "flyio:deleteApp");
    h.fake.assert_nothing_received("a held deleteApp");

    let read = r#"{"query":"{ app(name: \"web\") { id } }"}"#;
    let resp = h.https(FLY_HOST, gql(read)).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = h.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, read.as_bytes());
    // The provider reads the token by its scheme: it stays FlyV1.
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("FlyV1 {REAL_SECRET}").as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vercel_refusal_is_an_error_object_its_cli_prints() {
    const VERCEL_HOST: &str = "api.vercel.com";
    let h = Harness::start().await;
    let resp = h
        .https(
            VERCEL_HOST,
            rest(
                VERCEL_HOST,
                "DELETE",
                "/v9/projects/web?teamId=team_1",
                SURROGATE,
                "",
            ),
        )
        .await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(header(&resp, "x-scopegate-decision"), "approve");
    let v = resp.json();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("scopegate"), "{message}");
    assert_eq!(v["error"]["code"], "forbidden");
    assert_eq!(
        v["scopegate"]["operations"][0]["operation"],
        "vercel:delete-project"
    );
    assert_eq!(
        v["scopegate"]["operations"][0]["resources"]["teamId"][0],
        "team_1"
    );
    h.fake.assert_nothing_received("a held project delete");
}

//! A grant releases only the request the approver saw, *as it will be
//! executed*: the same bytes replayed under another reading (another
//! content type, encoding or header the inspector reads) are held again,
//! and nothing reaches the provider. The approver is shown the reading the
//! decision used, with nothing masked by name. Through `scopegate serve`,
//! its dashboard API and a fake Railway.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::Bytes;
use common::{API_TOKEN, Serve, pending, send, serve_with};
use scopegate_e2e::{Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, fp, init};
use scopegate_model::Resolution;
use scopegate_web::ApiClient;

/// Reads pass; everything else, `unknown` included, waits for a human.
fn hold_all_scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "railway-agent"
fingerprint = "{railway}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "hold-the-rest"
effect = "approve"
class = ["write", "destructive", "unknown"]
"#,
        railway = fp(RAILWAY_TOKEN),
    )
}

struct World {
    _dir: TempDir,
    fake: Fake,
    serve: Serve,
    ca_pem: String,
    api: ApiClient,
}

async fn world(tag: &str) -> World {
    init();
    let dir = TempDir::new(tag);
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", hold_all_scope_map());
    // Held requests answer at once (pending); approvals are decided after.
    let serve = serve_with(&dir, &fake, "data", "[approvals]\nhold_secs = 0\n");
    let ca_pem = std::fs::read_to_string(dir.path().join("data/ca/ca.pem")).unwrap();
    let api = ApiClient::new(&serve.dashboard, API_TOKEN).unwrap();
    World {
        _dir: dir,
        fake,
        serve,
        ca_pem,
        api,
    }
}

fn request(headers: &[(&str, &str)], body: &str) -> http::Request<Bytes> {
    let mut b = http::Request::post("/graphql/v2")
        .header("host", RAILWAY_HOST)
        .header("authorization", format!("Bearer {RAILWAY_TOKEN}"));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::copy_from_slice(body.as_bytes())).unwrap()
}

impl World {
    async fn send(&self, headers: &[(&str, &str)], body: &str) -> scopegate_e2e::wire::Resp {
        send(self.serve.proxy, &self.ca_pem, request(headers, body)).await
    }

    /// Sends a request that must be held: returns its new approval's id.
    async fn held(&self, headers: &[(&str, &str)], body: &str) -> String {
        let before = pending(&self.api).await;
        let resp = self.send(headers, body).await;
        assert_eq!(resp.status, 403, "held, not released: {}", resp.text());
        assert!(resp.text().contains("approval"), "{}", resp.text());
        let now = pending(&self.api).await;
        let new: Vec<String> = now.into_iter().filter(|p| !before.contains(p)).collect();
        assert_eq!(new.len(), 1, "one new approval for this reading");
        new[0].clone()
    }

    fn received(&self) -> usize {
        self.fake.received().len()
    }
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_bytes_under_another_reading_are_held_again() {
    let w = world("grant-readings").await;
    let body = r#"{"query":"mutation { volumeDelete(volumeId: \"vol-1\") }"}"#;
    let id = w.held(&[JSON], body).await;
    w.api
        .resolve_with(&id, Resolution::Approve, "vol-1 is scratch", Some("vol-1"))
        .await
        .unwrap();

    // Every other reading of exactly these bytes is a new request.
    let other_readings: [&[(&str, &str)]; 6] = [
        &[("content-type", "application/x-www-form-urlencoded")],
        &[("content-type", "multipart/form-data; boundary=x")],
        &[("content-type", "application/graphql")],
        &[("content-type", "application/json; charset=utf-8")],
        &[JSON, ("content-encoding", "identity")],
        &[JSON, ("x-http-method-override", "POST")],
    ];
    for headers in other_readings {
        w.held(headers, body).await;
        assert_eq!(w.received(), 0, "{headers:?}: nothing reaches Railway");
    }

    // The grant still stands for the reading that was approved, once.
    let resp = w.send(&[JSON, ("user-agent", "retry/2")], body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = w.fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, body.as_bytes());
}

/// As `application/graphql` this is a harmless `projectUpdate` (the rest of
/// the line is a comment); as a form its `query` field is a `volumeDelete`.
const TWO_FACED: &str = r#"mutation { projectUpdate(id: "p-1", input: {name: "renamed"}) { id } }#=1&query=mutation{volumeDelete(volumeId:"vol-prod-db-1")}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_a_harmless_reading_does_not_release_a_destructive_one() {
    let w = world("grant-two-faced").await;
    let harmless = w
        .held(&[("content-type", "application/graphql")], TWO_FACED)
        .await;
    let shown = w.api.get(&harmless).await.unwrap();
    assert_eq!(
        shown.approval.held.detail()["operations"][0]["name"],
        "projectUpdate"
    );
    w.api
        .resolve(&harmless, Resolution::Approve, "a rename")
        .await
        .unwrap();

    let form = [("content-type", "application/x-www-form-urlencoded")];
    let destructive = w.held(&form, TWO_FACED).await;
    assert_eq!(w.received(), 0, "the volumeDelete did not reach Railway");

    // The approver of the replay sees the destructive reading in full.
    let a = w.api.get(&destructive).await.unwrap().approval;
    let detail = a.held.detail();
    assert_eq!(detail["operations"][0]["name"], "volumeDelete");
    let doc = detail["request"]["graphql"][0]["document"]
        .as_str()
        .unwrap();
    assert!(
        doc.contains(r#"volumeDelete(volumeId: "vol-prod-db-1")"#),
        "{doc}"
    );
    assert_eq!(
        detail["request"]["content_type"],
        "application/x-www-form-urlencoded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approver_sees_ids_whatever_the_variables_are_called_and_not_secrets() {
    let w = world("grant-view").await;
    let body = r#"{"query":"mutation D($target_env: String!, $id: String!) { volumeDelete(volumeId: $target_env) variableUpsert(input: {projectId: \"p-1\", environmentId: \"env-prod\", serviceId: \"svc-1\", name: \"DB_URL\", value: $id}) }","variables":{"target_env":"vol-prod-db-1","id":"postgres://u:hunter2@db"}}"#;
    let id = w.held(&[JSON], body).await;
    let a = w.api.get(&id).await.unwrap().approval;
    let detail = a.held.detail();
    let g = &detail["request"]["graphql"][0];
    assert_eq!(g["variables"]["target_env"], "vol-prod-db-1", "{g}");
    assert_eq!(g["variables"]["id"], "•••", "{g}");
    assert!(!detail.to_string().contains("hunter2"));
    let doc = g["document"].as_str().unwrap();
    assert!(
        doc.contains("volumeDelete(volumeId: $target_env)") && doc.contains("\"DB_URL\""),
        "{doc}"
    );
    assert_eq!(w.received(), 0);
}

//! What a grant is bound to and what an approver is shown.
//!
//! (a) Property: any change to an input inspection reads, or to what it reads
//!     it as, changes the reading key; inputs it does not read do not.
//! (b) The approver view comes from the reading (not the body re-parsed as
//!     JSON), masks exactly the values the catalogue marks as secrets, and
//!     nothing because of a name the client chose.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use proptest::prelude::*;
use scopegate_inspect::{RequestView, reading_key};
use serde_json::{Value, json};

fn key(target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> (String, Value) {
    let view = RequestView {
        method: "POST",
        host: RAILWAY,
        target,
        headers,
        body,
    };
    let inspection = INSPECTOR.inspect(&view);
    let reading = json!({
        "ops": inspection.operations,
        "credential": inspection.credential,
        "reading": format!("{:?}", inspection.reading),
    });
    (reading_key(&view, &inspection), reading)
}

/// Bodies that read differently (or not at all) under different content
/// types and encodings.
const BODIES: &[&str] = &[
    r#"{"query":"mutation { volumeDelete(volumeId: \"vol-1\") }"}"#,
    r#"{"query":"mutation { volumeDelete(volumeId: \"vol-2\") }"}"#,
    r#"query=mutation{volumeDelete(volumeId:"vol-1")}"#,
    r#"mutation { projectUpdate(id: "p-1", input: {name: "x"}) { id } }#=1&query=mutation{volumeDelete(volumeId:"v")}"#,
    "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"mutation { volumeDelete(volumeId: \\\"vol-1\\\") }\"}\r\n--x--\r\n",
    r#"{"query":"mutation($id: String!) { volumeDelete(volumeId: $id) }","variables":{"id":"vol-1"}}"#,
    r#"{"query":"mutation($id: String!) { volumeDelete(volumeId: $id) }","variables":{"id":"vol-3"}}"#,
];

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("application/graphql"),
    Some("application/x-www-form-urlencoded"),
    Some("multipart/form-data; boundary=x"),
    Some("text/plain"),
];

const ENCODINGS: &[Option<&str>] = &[None, Some("identity"), Some("gzip")];
const OVERRIDES: &[Option<(&str, &str)>] = &[
    None,
    Some(("x-http-method-override", "POST")),
    Some(("x-http-method-override", "DELETE")),
    Some(("x-method-override", "PATCH")),
];
const TOKENS: &[Option<(&str, &str)>] = &[
    None,
    Some(("authorization", "Bearer t-1")),
    Some(("authorization", "Bearer t-2")),
    Some(("project-access-token", "t-1")),
];
const TARGETS: &[&str] = &["/graphql/v2", "/graphql/v2?x=1", "/graphql/internal"];

#[derive(Debug, Clone, PartialEq)]
struct Req {
    target: usize,
    body: usize,
    ct: usize,
    enc: usize,
    over: usize,
    token: usize,
    user_agent: bool,
}

fn req() -> impl Strategy<Value = Req> {
    (
        0..TARGETS.len(),
        0..BODIES.len(),
        0..CONTENT_TYPES.len(),
        0..ENCODINGS.len(),
        0..OVERRIDES.len(),
        0..TOKENS.len(),
        any::<bool>(),
    )
        .prop_map(|(target, body, ct, enc, over, token, user_agent)| Req {
            target,
            body,
            ct,
            enc,
            over,
            token,
            user_agent,
        })
}

impl Req {
    fn key(&self) -> (String, Value) {
        let raw = BODIES[self.body].as_bytes();
        let body = if ENCODINGS[self.enc] == Some("gzip") {
            gzip(raw)
        } else {
            raw.to_vec()
        };
        let mut headers: Vec<(&str, &[u8])> = Vec::new();
        if let Some(ct) = CONTENT_TYPES[self.ct] {
            headers.push(("content-type", ct.as_bytes()));
        }
        if let Some(e) = ENCODINGS[self.enc] {
            headers.push(("Content-Encoding", e.as_bytes()));
        }
        if let Some((k, v)) = OVERRIDES[self.over] {
            headers.push((k, v.as_bytes()));
        }
        if let Some((k, v)) = TOKENS[self.token] {
            headers.push((k, v.as_bytes()));
        }
        if self.user_agent {
            headers.push(("user-agent", b"agent/2"));
        }
        key(TARGETS[self.target], &headers, &body)
    }

    /// Whether two requests differ in anything inspection reads.
    fn same_inputs(&self, other: &Self) -> bool {
        Self {
            user_agent: false,
            ..self.clone()
        } == Self {
            user_agent: false,
            ..other.clone()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_key_changes_with_any_input_or_reading_and_nothing_else(a in req(), b in req()) {
        let (ka, ra) = a.key();
        let (kb, rb) = b.key();
        if ra != rb {
            prop_assert_ne!(&ka, &kb, "readings differ: {:?} / {:?}", a, b);
        }
        if a.same_inputs(&b) {
            prop_assert_eq!(&ka, &kb, "only the user agent differs: {:?} / {:?}", a, b);
        } else {
            prop_assert_ne!(&ka, &kb, "inputs differ: {:?} / {:?}", a, b);
        }
    }
}

fn view(headers: &[(&str, &[u8])], body: &str) -> Value {
    let v = RequestView {
        method: "POST",
        host: RAILWAY,
        target: GQL,
        headers,
        body: body.as_bytes(),
    };
    INSPECTOR.approver_view(&v, &INSPECTOR.inspect(&v))
}

fn gql(body: Value) -> Value {
    view(&[JSON], &body.to_string())["graphql"][0].clone()
}

#[test]
fn catalogued_secrets_are_masked_wherever_they_are_put() {
    // a literal, a variable, a variable's default, through an alias and a
    // fragment, inside a patch
    let g = gql(json!({
        "query": "mutation M($v: String = \"dflt\", $w: String!) { a: variableUpsert(input: {name: \"DB\", value: \"lit-secret\", environmentId: \"env-1\", projectId: \"p\"}) ...F }\
                  fragment F on Mutation { variableUpsert(input: {name: \"X\", value: $w, environmentId: \"env-2\", projectId: \"p\"}) other: variableUpsert(input: {name: \"Y\", value: $v, environmentId: \"env-3\", projectId: \"p\"}) }",
        "variables": {"w": "var-secret"}
    }));
    let text = g.to_string();
    for s in ["lit-secret", "var-secret", "dflt"] {
        assert!(!text.contains(s), "{s} shown: {text}");
    }
    for s in ["env-1", "env-2", "env-3", "\\\"DB\\\"", "\\\"X\\\""] {
        assert!(text.contains(s), "{s} hidden: {text}");
    }
    assert_eq!(g["variables"]["w"], "•••");

    let g = gql(json!({
        "query": "mutation($e: String!, $p: EnvironmentConfig) { environmentPatchCommit(environmentId: $e, patch: $p) }",
        "variables": {"e": "env-prod", "p": {"services": {"svc-1": {
            "variables": {"DATABASE_URL": {"value": "postgres://x:pw@h"}, "OLD": null},
            "deploy": {"startCommand": "rm -rf /data"}}}}}
    }));
    let p = &g["variables"]["p"]["services"]["svc-1"];
    assert_eq!(p["variables"]["DATABASE_URL"]["value"], "•••");
    assert_eq!(
        p["variables"]["OLD"],
        Value::Null,
        "a deletion stays visible"
    );
    assert_eq!(p["deploy"]["startCommand"], "rm -rf /data");
    assert_eq!(g["variables"]["e"], "env-prod");
}

#[test]
fn nothing_is_masked_for_its_name() {
    let g = gql(json!({
        "query": "mutation($target_env: String!, $token: String!, $value: String!) { volumeDelete(volumeId: $target_env) serviceDelete(id: $token, environmentId: $value) }",
        "variables": {"target_env": "vol-prod", "token": "svc-1", "value": "env-prod"}
    }));
    assert_eq!(
        g["variables"],
        json!({"target_env": "vol-prod", "token": "svc-1", "value": "env-prod"})
    );
    // a variable used both as a secret and as an id is shown: it decides
    // what runs
    let g = gql(json!({
        "query": "mutation($x: String!) { variableUpsert(input: {name: \"A\", value: $x, environmentId: $x, projectId: \"p\"}) }",
        "variables": {"x": "env-prod"}
    }));
    assert_eq!(g["variables"]["x"], "env-prod");
}

#[test]
fn the_view_is_the_reading_not_the_body_as_json() {
    let body = r#"mutation { projectUpdate(id: "p-1", input: {name: "x"}) { id } }#=1&query=mutation{volumeDelete(volumeId:"vol-9")}"#;
    let form = view(
        &[("content-type", b"application/x-www-form-urlencoded")],
        body,
    );
    let doc = form["graphql"][0]["document"].as_str().unwrap();
    assert!(doc.contains(r#"volumeDelete(volumeId: "vol-9")"#), "{doc}");
    assert!(!doc.contains("projectUpdate"), "{doc}");
    let as_doc = view(&[("content-type", b"application/graphql")], body);
    let doc = as_doc["graphql"][0]["document"].as_str().unwrap();
    assert!(
        doc.contains("projectUpdate") && !doc.contains("volumeDelete"),
        "{doc}"
    );
    assert_eq!(as_doc["content_type"], "application/graphql");
}

#[test]
fn rest_bodies_are_shown_decoded_with_catalogued_secrets_masked() {
    let body = br#"{"name":"web","config":{"url":"https://hooks.example/x","secret":"whsec"},"events":["push"]}"#;
    let headers: &[(&str, &[u8])] = &[
        ("content-type", b"application/json"),
        ("content-encoding", b"gzip"),
    ];
    let gz = gzip(body);
    let v = RequestView {
        method: "POST",
        host: GITHUB,
        target: "/repos/acme/site/hooks?access_token=ghp_x&per_page=1",
        headers,
        body: &gz,
    };
    let shown = INSPECTOR.approver_view(&v, &INSPECTOR.inspect(&v));
    assert_eq!(shown["body"]["config"]["secret"], "•••");
    assert_eq!(shown["body"]["config"]["url"], "https://hooks.example/x");
    assert_eq!(
        shown["query"],
        json!([["access_token", "•••"], ["per_page", "1"]])
    );
    assert_eq!(shown["path"], "/repos/acme/site/hooks");
}

#[test]
fn secrets_are_masked_on_routes_read_through_an_encoded_slash_too() {
    let body = br#"{"encrypted_value":"c2VhbGVk","key_id":"k-1"}"#;
    let headers: &[(&str, &[u8])] = &[("content-type", b"application/json")];
    let v = RequestView {
        method: "PUT",
        host: GITHUB,
        target: "/repos/acme/site/environments/prod%2Feu/secrets/DB_PASSWORD",
        headers,
        body,
    };
    let inspection = INSPECTOR.inspect(&v);
    assert_eq!(
        inspection.operations[0].class,
        scopegate_model::OpClass::Destructive
    );
    let shown = INSPECTOR.approver_view(&v, &inspection);
    assert_eq!(shown["body"]["encrypted_value"], "•••", "{shown}");
    assert_eq!(shown["body"]["key_id"], "k-1");
}

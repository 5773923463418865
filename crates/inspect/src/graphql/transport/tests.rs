use super::*;

fn ex(
    method: &str,
    q: &[(&str, &str)],
    ct: Option<&str>,
    body: &str,
) -> Result<Vec<GqlRequest>, String> {
    let q: Vec<(String, String)> = q.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect();
    extract(method, &q, ct, body.as_bytes(), &Limits::default())
}

fn docs(r: Result<Vec<GqlRequest>, String>) -> Vec<String> {
    r.unwrap().into_iter().map(|g| g.query).collect()
}

#[test]
fn reads_every_transport() {
    let json = Some("application/json");
    assert_eq!(
        docs(ex("POST", &[], json, r#"{"query":"{ me }"}"#)),
        ["{ me }"]
    );
    assert_eq!(
        docs(ex(
            "POST",
            &[],
            json,
            r#"[{"query":"{ a }"},{"query":"mutation { b }"}]"#
        )),
        ["{ a }", "mutation { b }"]
    );
    assert_eq!(
        docs(ex("POST", &[], Some("application/graphql"), "{ me }")),
        ["{ me }"]
    );
    assert_eq!(
        docs(ex(
            "POST",
            &[],
            Some("application/x-www-form-urlencoded"),
            "query=%7B+me+%7D"
        )),
        ["{ me }"]
    );
    assert_eq!(
        docs(ex("GET", &[("query", "{ me }")], None, "")),
        ["{ me }"]
    );
    assert_eq!(
        docs(ex("POST", &[("query", "mutation { x }")], None, "")),
        ["mutation { x }"]
    );
    let mp = "--X\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"mutation($f: Upload) { up(f: $f) }\",\"variables\":{\"f\":null}}\r\n--X\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{\"0\":[\"variables.f\"]}\r\n--X\r\nContent-Disposition: form-data; name=\"0\"; filename=\"a\"\r\n\r\nbytes\r\n--X--\r\n";
    assert_eq!(
        docs(ex("POST", &[], Some("multipart/form-data; boundary=X"), mp)),
        ["mutation($f: Upload) { up(f: $f) }"]
    );
    let unicode = r#"{"query":"mutation { \u0076olumeDelete(volumeId: \"v\") }"}"#;
    assert_eq!(
        docs(ex("POST", &[], json, unicode)),
        ["mutation { volumeDelete(volumeId: \"v\") }"]
    );
}

#[test]
fn refuses_irregular_transports() {
    let json = Some("application/json");
    let bad = |r: Result<Vec<GqlRequest>, String>| assert!(r.is_err(), "{r:?}");
    bad(ex(
        "POST",
        &[],
        json,
        r#"{"query":"{ a }","query":"mutation { b }"}"#,
    ));
    bad(ex(
        "POST",
        &[("query", "mutation { x }")],
        json,
        r#"{"query":"{ me }"}"#,
    ));
    bad(ex(
        "POST",
        &[("variables", "{}")],
        json,
        r#"{"query":"{ me }"}"#,
    ));
    bad(ex(
        "POST",
        &[],
        json,
        r#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}"#,
    ));
    bad(ex(
        "POST",
        &[],
        json,
        r#"{"query":"{ me }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}"#,
    ));
    bad(ex(
        "POST",
        &[],
        json,
        r#"{"query":"{ me }","documentId":"x"}"#,
    ));
    bad(ex(
        "POST",
        &[],
        json,
        r#"{"query":"{ me }","variables":"{}"}"#,
    ));
    bad(ex("POST", &[], json, "[]"));
    bad(ex("POST", &[], json, "[1]"));
    bad(ex("POST", &[], json, "\"x\""));
    bad(ex("POST", &[], json, "{\"query\":\"\u{0}\" "));
    bad(ex("POST", &[], None, r#"{"query":"{ me }"}"#));
    bad(ex("POST", &[], Some("text/plain"), r#"{"query":"{ me }"}"#));
    bad(ex(
        "POST",
        &[],
        Some("application/json; charset=utf-16"),
        r#"{"query":"{ me }"}"#,
    ));
    bad(ex("POST", &[], json, ""));
    bad(ex("PUT", &[], json, r#"{"query":"{ me }"}"#));
    bad(ex(
        "GET",
        &[("query", "{ a }"), ("query", "{ b }")],
        None,
        "",
    ));
    bad(ex(
        "GET",
        &[("query", "{ a }")],
        json,
        r#"{"query":"{ me }"}"#,
    ));
    let batch: Vec<String> = (0..33)
        .map(|_| r#"{"query":"{ me }"}"#.to_owned())
        .collect();
    bad(ex("POST", &[], json, &format!("[{}]", batch.join(","))));
}

#[test]
fn accepts_a_persisted_query_hash_that_matches() {
    let q = "{ me }";
    let hex: String = Sha256::digest(q.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let body = format!(
        r#"{{"query":"{q}","extensions":{{"persistedQuery":{{"version":1,"sha256Hash":"{hex}"}}}}}}"#
    );
    assert_eq!(docs(ex("POST", &[], Some("application/json"), &body)), [q]);
}

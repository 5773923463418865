//! AWS surrogate keys: the agent's signature is checked with the
//! surrogate's own secret, and only a verified request is re-signed, with
//! the real key (and its session token).

use std::path::PathBuf;

use bytes::Bytes;
use scopegate_inspect::sigv4::{self, Credentials};
use scopegate_inspect::{EndpointKind, Inspection, Reading};
use scopegate_model::{AuthScheme, CredentialLocation, Fingerprint, PresentedCredential};

use super::*;
use crate::request_path::tests::folder;

const SURROGATE_ID: &str = "AKSGEXAMPLESURROGATE";
const SURROGATE_SECRET: &str = "surrogate-secret-0123456789abcdef";
const REAL_ID: &str = "AKIAREALKEYEXAMPLE01";
const REAL_SECRET: &str = "real-secret-abcdef0123456789";
/// 2026-12-01T12:00:00Z.
const NOW: i64 = 1_796_126_400;
const DATE: &str = "20261201T120000Z";

/// An engine whose token `agent` is an AWS surrogate, its signing secret
/// and real key in files (`real` is the real key file's content); token
/// `bearer` is a plain surrogate with no signing secret.
fn engine(name: &str, real: &str) -> (Engine, PathBuf) {
    let dir = folder(name);
    std::fs::write(dir.join("surrogate.secret"), SURROGATE_SECRET).unwrap();
    std::fs::write(dir.join("real.json"), real).unwrap();
    let map = format!(
        r#"version = 1

[[token]]
name = "agent"
surrogate = "{fp}"
surrogate_secret = {{ file = "surrogate.secret" }}
secret = {{ file = "real.json" }}

[[token.rule]]
id = "all"
effect = "allow"

[[token]]
name = "bearer"
surrogate = "{other}"
secret = {{ file = "real.json" }}
"#,
        fp = Fingerprint::of(SURROGATE_ID.as_bytes()),
        other = Fingerprint::of(b"AKSGBEARERSURROGATE0"),
    );
    let path = dir.join("scope-map.toml");
    std::fs::write(&path, map).unwrap();
    (Engine::load(&path).unwrap(), dir)
}

fn real_json(token: Option<&str>, expiration: &str) -> String {
    serde_json::json!({
        "Version": 1,
        "AccessKeyId": REAL_ID,
        "SecretAccessKey": REAL_SECRET,
        "SessionToken": token,
        "Expiration": expiration,
    })
    .to_string()
}

/// An STS request signed with `id` and `secret` at `date`.
fn signed(id: &str, secret: &str, date: &str) -> Inbound {
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", b"sts.amazonaws.com"),
        ("content-type", b"application/x-www-form-urlencoded"),
        ("x-amz-date", date.as_bytes()),
    ];
    let req = sigv4::Request {
        method: "POST",
        target: "/",
        headers: &headers,
        body,
    };
    let creds = Credentials {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        session_token: None,
    };
    let names = ["content-type", "host", "x-amz-date"];
    let s = sigv4::sign(&req, &creds, "us-east-1", "sts", &names).unwrap();
    let mut b = http::Request::builder().method("POST").uri("/");
    for (n, v) in &headers {
        b = b.header(*n, *v);
    }
    let (parts, ()) = b
        .header("authorization", s.authorization())
        .body(())
        .unwrap()
        .into_parts();
    Inbound {
        parts,
        body: Bytes::from_static(body),
    }
}

fn inspection_of(id: &str) -> Inspection {
    Inspection {
        provider: Some("aws".into()),
        endpoint: EndpointKind::AwsXml,
        operations: Vec::new(),
        credential: PresentedCredential::One {
            fingerprint: Fingerprint::of(id.as_bytes()),
            location: CredentialLocation::Authorization(AuthScheme::Other(
                "aws4-hmac-sha256".into(),
            )),
            also: Vec::new(),
        },
        reading: Reading::Nothing,
    }
}

/// The `why` of a refused credential, or `None` when it stands.
fn checked(engine: &Engine, inbound: &Inbound, id: &str, now: i64) -> Option<String> {
    let mut inspection = inspection_of(id);
    check(engine, inbound, Body::Read, &mut inspection, now);
    match inspection.credential {
        PresentedCredential::Ambiguous { why } => Some(why),
        _ => None,
    }
}

#[test]
fn a_signature_made_with_the_surrogate_secret_stands() {
    let (e, _dir) = engine("aws-key-ok", &real_json(None, "2099-01-01T00:00:00Z"));
    let req = signed(SURROGATE_ID, SURROGATE_SECRET, DATE);
    assert_eq!(checked(&e, &req, SURROGATE_ID, NOW), None);
    assert!(is_surrogate(&e, &inspection_of(SURROGATE_ID).credential));
}

#[test]
fn a_forged_stale_or_unverifiable_signature_is_refused() {
    let (e, _dir) = engine("aws-key-forged", &real_json(None, "2099-01-01T00:00:00Z"));
    // another secret (an agent claiming a surrogate it does not hold)
    let forged = signed(SURROGATE_ID, "guessed-secret", DATE);
    let why = checked(&e, &forged, SURROGATE_ID, NOW).unwrap();
    assert!(
        why.contains("does not verify") && why.contains("`agent`"),
        "{why}"
    );
    assert!(!why.contains(SURROGATE_SECRET), "{why}");
    // signed with the real secret: still not the surrogate's
    let real = signed(SURROGATE_ID, REAL_SECRET, DATE);
    assert!(checked(&e, &real, SURROGATE_ID, NOW).is_some());
    // a captured request replayed 16 minutes later
    let ok = signed(SURROGATE_ID, SURROGATE_SECRET, DATE);
    let why = checked(&e, &ok, SURROGATE_ID, NOW + 16 * 60).unwrap();
    assert!(why.contains("not current"), "{why}");
    assert_eq!(checked(&e, &ok, SURROGATE_ID, NOW - 14 * 60), None);
    // the body changed after signing
    let mut changed = signed(SURROGATE_ID, SURROGATE_SECRET, DATE);
    changed.body = Bytes::from_static(b"Action=GetCallerIdentity&Version=2011-06-16");
    assert!(checked(&e, &changed, SURROGATE_ID, NOW).is_some());
    // a surrogate with no signing secret cannot vouch for an AWS signature
    let bearer = signed("AKSGBEARERSURROGATE0", SURROGATE_SECRET, DATE);
    let why = checked(&e, &bearer, "AKSGBEARERSURROGATE0", NOW).unwrap();
    assert!(why.contains("no surrogate_secret"), "{why}");
    // not a surrogate: left to the scope map
    assert_eq!(checked(&e, &forged, "AKIAOWNKEY", NOW), None);
}

/// Re-signs `inbound` as the forward phase does.
fn resigned(e: &Engine, inbound: Inbound, now: i64) -> Result<Inbound, String> {
    let credential = inspection_of(SURROGATE_ID).credential;
    let mut permitted = Permitted::for_test(inbound);
    resign(e, &credential, (&mut permitted, Body::Read), now)?;
    Ok(std::mem::replace(
        permitted.inbound_mut(),
        signed(SURROGATE_ID, "x", DATE),
    ))
}

#[test]
fn a_verified_request_is_resigned_with_the_real_key_and_its_session_token() {
    let (e, _dir) = engine(
        "aws-key-resign",
        &real_json(Some("real-session"), "2099-01-01T00:00:00Z"),
    );
    let out = resigned(&e, signed(SURROGATE_ID, SURROGATE_SECRET, DATE), NOW).unwrap();
    assert_eq!(out.parts.headers["x-amz-security-token"], "real-session");
    let auth = out.parts.headers["authorization"].to_str().unwrap();
    assert!(
        auth.contains(REAL_ID) && !auth.contains(SURROGATE_ID),
        "{auth}"
    );
    // what the provider receives verifies with the real secret, not the surrogate's
    let ok = with_request(&out, |req| {
        let p = sigv4::presented(req).unwrap().unwrap();
        assert_eq!(p.access_key_id, REAL_ID);
        (
            sigv4::verify(req, REAL_SECRET, &p).is_ok(),
            sigv4::verify(req, SURROGATE_SECRET, &p).is_ok(),
        )
    });
    assert_eq!(ok, (true, false));
}

#[test]
fn nothing_is_resigned_that_does_not_verify_or_with_an_expired_real_key() {
    let (e, _dir) = engine("aws-key-refuse", &real_json(None, "2099-01-01T00:00:00Z"));
    let forged = signed(SURROGATE_ID, "guessed-secret", DATE);
    let why = resigned(&e, forged, NOW).unwrap_err();
    assert!(why.contains("does not verify"), "{why}");
    let (e, _dir) = engine(
        "aws-key-expired",
        &real_json(Some("t"), "2026-12-01T11:59:00Z"),
    );
    let why = resigned(&e, signed(SURROGATE_ID, SURROGATE_SECRET, DATE), NOW).unwrap_err();
    assert!(why.contains("expired at 2026-12-01T11:59:00Z"), "{why}");
    assert!(!why.contains(REAL_SECRET));
}

#[test]
fn real_credentials_are_credential_process_json() {
    let c = parse_credentials(&real_json(None, "2099-01-01T00:00:00Z"), NOW).unwrap();
    assert_eq!((c.access_key_id.as_str(), c.session_token), (REAL_ID, None));
    let no_expiry = r#"{"AccessKeyId":"A","SecretAccessKey":"S"}"#;
    assert!(parse_credentials(no_expiry, NOW).is_ok());
    for bad in [
        "AKIA:secret",
        r#"{"AccessKeyId":"A"}"#,
        r#"{"AccessKeyId":"","SecretAccessKey":"S"}"#,
        r#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"tomorrow"}"#,
    ] {
        assert!(parse_credentials(bad, NOW).is_err(), "{bad}");
    }
}

/// A presigned S3 GET for `build.log`, signed with the surrogate, expiring
/// after `expires` seconds.
fn presigned(expires: u64) -> Inbound {
    let headers: Vec<(&str, &[u8])> = vec![("host", b"ci-artifacts.s3.amazonaws.com")];
    let req = sigv4::Request {
        method: "GET",
        target: "/build.log",
        headers: &headers,
        body: b"",
    };
    let creds = Credentials {
        access_key_id: SURROGATE_ID.into(),
        secret_access_key: SURROGATE_SECRET.into(),
        session_token: None,
    };
    let target =
        sigv4::presign(&req, &creds, ("us-east-1", "s3"), DATE, expires, &["host"]).unwrap();
    let (parts, ()) = http::Request::builder()
        .uri(target)
        .header("host", "ci-artifacts.s3.amazonaws.com")
        .body(())
        .unwrap()
        .into_parts();
    Inbound {
        parts,
        body: Bytes::new(),
    }
}

#[test]
fn a_presigned_url_is_checked_for_expiry_and_resigned_in_its_query() {
    let (e, _dir) = engine(
        "aws-key-presigned",
        &real_json(Some("real-session"), "2099-01-01T00:00:00Z"),
    );
    assert_eq!(checked(&e, &presigned(600), SURROGATE_ID, NOW + 599), None);
    let why = checked(&e, &presigned(600), SURROGATE_ID, NOW + 601).unwrap();
    assert!(why.contains("not current"), "{why}");
    let out = resigned(&e, presigned(600), NOW + 10).unwrap();
    let target = out.target().to_owned();
    assert!(
        target.contains(&format!("X-Amz-Credential={REAL_ID}%2F")),
        "{target}"
    );
    assert!(
        target.contains("X-Amz-Security-Token=real-session"),
        "{target}"
    );
    assert!(!target.contains(SURROGATE_ID) && !out.parts.headers.contains_key("authorization"));
    let verifies = with_request(&out, |req| {
        let p = sigv4::presented(req).unwrap().unwrap();
        sigv4::verify(req, REAL_SECRET, &p).is_ok()
    });
    assert!(verifies, "{target}");
}

/// The head of an S3 upload part, signed over `payload` with `body`; the
/// body is not kept (a streamed request's body is never read).
fn upload_head(payload: &str, body: &[u8]) -> Inbound {
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", b"ci-artifacts.s3.amazonaws.com"),
        ("x-amz-content-sha256", payload.as_bytes()),
        ("x-amz-date", DATE.as_bytes()),
    ];
    let target = "/big.bin?partNumber=1&uploadId=u1";
    let req = sigv4::Request {
        method: "PUT",
        target,
        headers: &headers,
        body,
    };
    let creds = Credentials {
        access_key_id: SURROGATE_ID.into(),
        secret_access_key: SURROGATE_SECRET.into(),
        session_token: None,
    };
    let names = ["host", "x-amz-content-sha256", "x-amz-date"];
    let s = sigv4::sign(&req, &creds, "us-east-1", "s3", &names).unwrap();
    let mut b = http::Request::builder().method("PUT").uri(target);
    for (n, v) in &headers {
        b = b.header(*n, *v);
    }
    let (parts, ()) = b
        .header("authorization", s.authorization())
        .body(())
        .unwrap()
        .into_parts();
    Inbound {
        parts,
        body: Bytes::new(),
    }
}

#[test]
fn a_streamed_upload_is_verified_over_the_payload_line_its_head_declares() {
    let (e, _dir) = engine("aws-key-streamed", &real_json(None, "2099-01-01T00:00:00Z"));
    let streamed = |inbound: &Inbound| {
        let mut inspection = inspection_of(SURROGATE_ID);
        check(&e, inbound, Body::Streamed, &mut inspection, NOW);
        match inspection.credential {
            PresentedCredential::Ambiguous { why } => Some(why),
            _ => None,
        }
    };
    let part = b"8 MiB of object data, in this test a little less";
    let hash = scopegate_model::hex(&<sha2::Sha256 as sha2::Digest>::digest(part));
    for payload in [
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        hash.as_str(),
    ] {
        let head = upload_head(payload, part);
        assert_eq!(streamed(&head), None, "{payload}");
        // read in full, the (absent) body would not match a declared hash
        if payload == hash {
            assert!(checked(&e, &head, SURROGATE_ID, NOW).is_some());
        }
        let mut out = Permitted::for_test(head);
        let credential = inspection_of(SURROGATE_ID).credential;
        resign(&e, &credential, (&mut out, Body::Streamed), NOW).unwrap();
        let auth = out.inbound_mut().parts.headers["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(auth.contains(REAL_ID), "{auth}");
    }
    // chunk signatures would need the body: refused, never forwarded
    let chunks = sigv4::aws_chunked_body(&[b"data"]);
    let chunked = upload_head("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", &chunks);
    let why = streamed(&chunked).unwrap();
    assert!(why.contains("chunk-signed"), "{why}");
    // a forged head is refused as before
    let mut forged = upload_head("UNSIGNED-PAYLOAD", b"");
    forged
        .parts
        .headers
        .insert("x-amz-date", "20261201T120001Z".parse().unwrap());
    assert!(streamed(&forged).is_some());
}

#[test]
fn an_aws_surrogate_presented_as_a_bearer_token_never_carries_the_real_key() {
    let (e, _dir) = engine("aws-key-bearer", &real_json(None, "2099-01-01T00:00:00Z"));
    let credential = PresentedCredential::One {
        fingerprint: Fingerprint::of(SURROGATE_ID.as_bytes()),
        location: CredentialLocation::Authorization(AuthScheme::Bearer),
        also: Vec::new(),
    };
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {SURROGATE_ID}").parse().unwrap(),
    );
    let why =
        crate::request_path::credential::swap_surrogate(&e, &credential, &mut headers).unwrap_err();
    assert!(why.contains("never sent"), "{why}");
    assert_eq!(
        headers["authorization"],
        format!("Bearer {SURROGATE_ID}").as_str()
    );
    // and the forward phase, which re-signs, refuses it: it is no AWS request
    let (parts, ()) = http::Request::builder()
        .method("POST")
        .uri("/graphql/v2")
        .header("host", "backboard.railway.com")
        .header("authorization", format!("Bearer {SURROGATE_ID}"))
        .body(())
        .unwrap()
        .into_parts();
    let inbound = Inbound {
        parts,
        body: Bytes::from_static(b"{}"),
    };
    let mut permitted = Permitted::for_test(inbound);
    assert!(is_surrogate(&e, &credential));
    let why = resign(&e, &credential, (&mut permitted, Body::Read), NOW).unwrap_err();
    assert!(
        !why.contains(REAL_SECRET) && !why.contains(REAL_ID),
        "{why}"
    );
    let sent = format!("{:?}", permitted.inbound_mut().parts.headers);
    assert!(
        !sent.contains(REAL_SECRET) && !sent.contains(REAL_ID),
        "{sent}"
    );
}

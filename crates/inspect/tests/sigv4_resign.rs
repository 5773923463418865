//! SigV4 read / verify / re-sign round trips: presigned URLs, session
//! tokens, aws-chunked bodies, and the requests `presented` must refuse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_inspect::sigv4::{
    self, Credentials, Kind, Request, Resigned, SigError, aws_chunked_body,
};

const DATE: &str = "20260102T030405Z";

fn creds(id: &str, secret: &str, token: Option<&str>) -> Credentials {
    Credentials {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        session_token: token.map(str::to_owned),
    }
}

fn key_a() -> Credentials {
    creds("AKIASURROGATEA", "secret-a", None)
}
fn key_b() -> Credentials {
    creds("AKIASURROGATEB", "secret-b", None)
}
fn key_c() -> Credentials {
    creds("AKIAREALKEYC", "secret-c", Some("token/c+=="))
}

#[derive(Clone)]
struct Req {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Req {
    fn new(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Req {
        Req {
            method: method.into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: body.to_vec(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        f(&Request {
            method: &self.method,
            target: &self.target,
            headers: &headers,
            body: &self.body,
        })
    }

    fn set(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
    }

    fn apply(&mut self, r: Resigned) {
        for n in &r.remove_headers {
            self.headers.retain(|(h, _)| !h.eq_ignore_ascii_case(n));
        }
        for (n, v) in &r.set_headers {
            self.set(n, v);
        }
        if let Some(t) = r.target {
            self.target = t;
        }
        if let Some(b) = r.body {
            self.body = b;
        }
    }

    fn presented(&self) -> Result<Option<sigv4::Presented>, SigError> {
        self.with(sigv4::presented)
    }

    /// Reads the presented key and verifies it with `secret`.
    fn verify(&self, secret: &str) -> Result<sigv4::Verified, SigError> {
        self.with(|req| {
            let p = sigv4::presented(req)?.expect("a signature");
            sigv4::verify(req, secret, &p)
        })
    }

    fn resign(&self, verified: &sigv4::Verified, new: &Credentials) -> Resigned {
        self.with(|req| sigv4::resign(req, verified, new)).unwrap()
    }

    /// Signs (header form) with `c` over `names`, in place.
    fn sign(&mut self, c: &Credentials, service: &str, names: &[&str]) {
        let signed = self
            .with(|req| sigv4::sign(req, c, "us-east-1", service, names))
            .unwrap();
        self.set("authorization", signed.authorization());
        if let Some(t) = &signed.session_token {
            self.set("x-amz-security-token", t);
        }
        if let Some(b) = signed.body {
            self.body = b;
        }
    }
}

fn signature_of(authorization: &str) -> &str {
    authorization.rsplit_once("Signature=").unwrap().1
}

// --- presigned ---------------------------------------------------------

fn presigned_get(c: &Credentials) -> Req {
    let mut r = Req::new(
        "GET",
        "/bucket/some%20key.txt?versionId=3",
        &[("Host", "bucket.s3.amazonaws.com")],
        b"",
    );
    r.target = r
        .with(|req| sigv4::presign(req, c, ("us-east-1", "s3"), DATE, 300, &["host"]))
        .unwrap();
    r
}

#[test]
fn presigned_url_verifies_with_its_key_only_and_resigns() {
    let r = presigned_get(&key_a());
    let p = r.presented().unwrap().unwrap();
    assert_eq!(p.kind, Kind::Presigned);
    assert_eq!(p.access_key_id, "AKIASURROGATEA");
    assert_eq!((p.region.as_str(), p.service.as_str()), ("us-east-1", "s3"));
    assert_eq!(p.expires, Some(300));
    assert_eq!(p.datetime, DATE);

    let verified = r.verify("secret-a").unwrap();
    assert_eq!(
        r.verify("secret-b").err(),
        Some(SigError::SignatureMismatch)
    );

    let mut forwarded = r.clone();
    forwarded.apply(r.resign(&verified, &key_c()));
    assert!(
        forwarded
            .target
            .starts_with("/bucket/some%20key.txt?versionId=3&")
    );
    assert!(
        forwarded
            .target
            .contains("X-Amz-Credential=AKIAREALKEYC%2F20260102%2Fus-east-1%2Fs3%2Faws4_request"),
        "{}",
        forwarded.target
    );
    assert!(
        forwarded
            .target
            .contains("X-Amz-Security-Token=token%2Fc%2B%3D%3D")
    );
    assert!(!forwarded.target.contains("AKIASURROGATEA"));
    assert_eq!(forwarded.target.matches("X-Amz-Signature=").count(), 1);
    let p = forwarded.presented().unwrap().unwrap();
    assert_eq!(p.access_key_id, "AKIAREALKEYC");
    assert_eq!(p.datetime, DATE);
    assert!(forwarded.verify("secret-c").is_ok());
    assert_eq!(
        forwarded.verify("secret-a").err(),
        Some(SigError::SignatureMismatch)
    );
}

#[test]
fn presigned_url_refuses_a_changed_query() {
    let mut r = presigned_get(&key_a());
    r.target = r.target.replace("versionId=3", "versionId=4");
    assert_eq!(
        r.verify("secret-a").err(),
        Some(SigError::SignatureMismatch)
    );
}

/// The example in the S3 docs ("Authenticating Requests: Using Query
/// Parameters").
#[test]
fn presigned_url_matches_the_aws_documentation_example() {
    let r = Req::new(
        "GET",
        "/test.txt",
        &[("Host", "examplebucket.s3.amazonaws.com")],
        b"",
    );
    let c = creds(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
    );
    let target = r
        .with(|req| {
            sigv4::presign(
                req,
                &c,
                ("us-east-1", "s3"),
                "20130524T000000Z",
                86400,
                &["host"],
            )
        })
        .unwrap();
    assert!(
        target.ends_with(
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        ),
        "{target}"
    );
}

// --- session token ------------------------------------------------------

fn header_signed(c: &Credentials) -> Req {
    let mut r = Req::new(
        "POST",
        "/",
        &[
            ("Host", "sts.amazonaws.com"),
            ("X-Amz-Date", DATE),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"Action=GetCallerIdentity&Version=2011-06-15",
    );
    r.sign(c, "sts", &["host", "x-amz-date", "content-type"]);
    r
}

#[test]
fn resigning_with_a_session_token_signs_the_token_header() {
    let r = header_signed(&key_a());
    let verified = r.verify("secret-a").unwrap();
    assert_eq!(
        r.verify("secret-b").err(),
        Some(SigError::SignatureMismatch)
    );

    let mut forwarded = r.clone();
    let resigned = r.resign(&verified, &key_c());
    assert!(resigned.remove_headers.is_empty());
    forwarded.apply(resigned);
    assert_eq!(
        forwarded.header("x-amz-security-token").as_deref(),
        Some("token/c+==")
    );
    assert_eq!(forwarded.header("x-amz-date").as_deref(), Some(DATE));
    assert_eq!(forwarded.body, r.body);
    let p = forwarded.presented().unwrap().unwrap();
    assert_eq!(p.access_key_id, "AKIAREALKEYC");
    assert_eq!(
        p.signed_headers,
        ["content-type", "host", "x-amz-date", "x-amz-security-token"]
    );
    assert!(forwarded.verify("secret-c").is_ok());

    // The token is covered: another token no longer verifies.
    let mut swapped = forwarded.clone();
    swapped.set("x-amz-security-token", "other");
    assert_eq!(
        swapped.verify("secret-c").err(),
        Some(SigError::SignatureMismatch)
    );
}

#[test]
fn resigning_without_a_token_removes_the_agents_token() {
    let r = header_signed(&creds("AKIASURROGATEA", "secret-a", Some("fake")));
    let verified = r.verify("secret-a").unwrap();
    let resigned = r.resign(&verified, &key_b());
    assert_eq!(resigned.remove_headers, ["x-amz-security-token"]);
    let mut forwarded = r.clone();
    forwarded.apply(resigned);
    assert_eq!(forwarded.header("x-amz-security-token"), None);
    let p = forwarded.presented().unwrap().unwrap();
    assert_eq!(p.signed_headers, ["content-type", "host", "x-amz-date"]);
    assert!(forwarded.verify("secret-b").is_ok());
}

// --- refused ------------------------------------------------------------

#[test]
fn both_forms_at_once_are_refused() {
    let mut r = presigned_get(&key_a());
    r.set("X-Amz-Date", DATE);
    let signed = header_signed(&key_b());
    r.set("authorization", &signed.header("authorization").unwrap());
    assert_eq!(r.presented().err(), Some(SigError::BothForms));
}

#[test]
fn repeated_or_malformed_signatures_are_refused() {
    let good = header_signed(&key_a());
    let auth = good.header("authorization").unwrap();

    let mut twice = good.clone();
    twice
        .headers
        .push(("Authorization".into(), auth.clone().into_bytes()));
    assert_eq!(
        twice.presented().err(),
        Some(SigError::Duplicate("authorization"))
    );

    let mut bad_scope = good.clone();
    bad_scope.set(
        "authorization",
        &auth.replace("/us-east-1/sts/aws4_request", "/us-east-1/aws4_request"),
    );
    assert_eq!(
        bad_scope.presented().err(),
        Some(SigError::Malformed("credential scope"))
    );

    let mut other_alg = good.clone();
    other_alg.set(
        "authorization",
        &auth.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
    );
    assert_eq!(
        other_alg.presented().err(),
        Some(SigError::UnknownAlgorithm)
    );

    let mut presigned_twice = presigned_get(&key_a());
    presigned_twice.target.push_str("&X-Amz-Signature=00");
    assert_eq!(
        presigned_twice.presented().err(),
        Some(SigError::Duplicate("presigned parameter"))
    );

    let unsigned = Req::new("GET", "/?a=b&%FF=%FE", &[("Host", "s3.amazonaws.com")], b"");
    assert_eq!(unsigned.presented(), Ok(None));
}

#[test]
fn a_false_content_hash_or_an_unsigned_host_is_refused() {
    let mut r = Req::new(
        "PUT",
        "/bucket/key",
        &[
            ("Host", "s3.amazonaws.com"),
            ("X-Amz-Date", DATE),
            (
                "X-Amz-Content-Sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
        ],
        b"",
    );
    r.sign(
        &key_a(),
        "s3",
        &["host", "x-amz-date", "x-amz-content-sha256"],
    );
    assert!(r.verify("secret-a").is_ok());
    r.body = b"not empty".to_vec();
    assert_eq!(
        r.verify("secret-a").err(),
        Some(SigError::PayloadHashMismatch)
    );

    let mut no_host = header_signed(&key_a());
    let auth = no_host.header("authorization").unwrap();
    no_host.set("authorization", &auth.replace("host;", ""));
    assert_eq!(
        no_host.verify("secret-a").err(),
        Some(SigError::HostNotSigned)
    );
}

#[test]
fn secrets_and_signatures_stay_out_of_debug_and_errors() {
    let c = key_c();
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("secret-c") && !shown.contains("token/c"),
        "{shown}"
    );

    let r = header_signed(&key_a());
    let auth = r.header("authorization").unwrap();
    let sig = signature_of(&auth);
    let p = r.presented().unwrap().unwrap();
    let verified = r.verify("secret-a").unwrap();
    let resigned = r.resign(&verified, &c);
    let new_sig = resigned.set_headers[0]
        .1
        .rsplit_once('=')
        .unwrap()
        .1
        .to_owned();
    for shown in [
        format!("{p:?}"),
        format!("{verified:?}"),
        format!("{resigned:?}"),
        format!(
            "{:?}",
            r.with(|req| sigv4::sign(req, &c, "us-east-1", "sts", &["host"]))
                .unwrap()
        ),
    ] {
        assert!(!shown.contains(sig) && !shown.contains(&new_sig), "{shown}");
        assert!(
            !shown.contains("secret-") && !shown.contains("token/c"),
            "{shown}"
        );
    }
    let err = r.verify("secret-b").unwrap_err();
    assert!(!format!("{err} {err:?}").contains(sig));
}

// --- aws-chunked ----------------------------------------------------------

fn streaming_put(chunks: &[&[u8]], host: &str, target: &str, date: &str) -> Req {
    let body = aws_chunked_body(chunks);
    let decoded: usize = chunks.iter().map(|c| c.len()).sum();
    Req::new(
        "PUT",
        target,
        &[
            ("Host", host),
            ("x-amz-date", date),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &decoded.to_string()),
            ("Content-Length", &body.len().to_string()),
        ],
        &body,
    )
}

const STREAMING_SIGNED: [&str; 7] = [
    "content-encoding",
    "content-length",
    "host",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-decoded-content-length",
    "x-amz-storage-class",
];

/// The chunk signatures in an aws-chunked body, in order.
fn chunk_signatures(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.match_indices("chunk-signature=")
        .map(|(i, m)| text[i + m.len()..i + m.len() + 64].to_owned())
        .collect()
}

/// "Example: PUT Object" in the S3 docs (Signature Calculations for the
/// Authorization Header: Transferring Payload in Multiple Chunks).
#[test]
fn aws_chunked_matches_the_aws_documentation_example() {
    let a = vec![b'a'; 65536];
    let b = vec![b'a'; 1024];
    let mut r = streaming_put(
        &[&a, &b],
        "s3.amazonaws.com",
        "/examplebucket/chunkObject.txt",
        "20130524T000000Z",
    );
    assert_eq!(r.header("content-length").as_deref(), Some("66824"));
    let c = creds(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
    );
    r.sign(&c, "s3", &STREAMING_SIGNED);
    let auth = r.header("authorization").unwrap();
    assert_eq!(
        signature_of(&auth),
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    );
    assert_eq!(
        chunk_signatures(&r.body),
        [
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ]
    );
    assert!(r.verify("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_ok());
}

fn two_chunk_put() -> Req {
    let mut r = streaming_put(
        &[b"first chunk", b"second"],
        "bucket.s3.us-east-1.amazonaws.com",
        "/some/key",
        DATE,
    );
    r.sign(&key_a(), "s3", &STREAMING_SIGNED);
    r
}

#[test]
fn aws_chunked_body_is_verified_chunk_by_chunk_and_resigned() {
    let r = two_chunk_put();
    let verified = r.verify("secret-a").unwrap();
    assert_eq!(
        r.verify("secret-b").err(),
        Some(SigError::SignatureMismatch)
    );

    let mut forwarded = r.clone();
    let resigned = r.resign(&verified, &key_b());
    let body = resigned.body.clone().expect("chunks re-signed");
    assert_eq!(body.len(), r.body.len());
    let (old, new) = (chunk_signatures(&r.body), chunk_signatures(&body));
    assert_eq!(new.len(), 3);
    assert!(old.iter().zip(&new).all(|(o, n)| o != n));
    forwarded.apply(resigned);
    assert_eq!(
        String::from_utf8_lossy(&forwarded.body)
            .replace(&new[0], "")
            .replace(&new[1], "")
            .replace(&new[2], ""),
        String::from_utf8_lossy(&r.body)
            .replace(&old[0], "")
            .replace(&old[1], "")
            .replace(&old[2], ""),
        "only the signatures change"
    );
    assert!(forwarded.verify("secret-b").is_ok());
    assert!(forwarded.verify("secret-a").is_err());
}

#[test]
fn aws_chunked_tampering_is_refused() {
    let r = two_chunk_put();
    let mut data = r.clone();
    let at = data.body.windows(6).position(|w| w == b"second").unwrap();
    data.body[at] = b'S';
    assert_eq!(
        data.verify("secret-a").err(),
        Some(SigError::ChunkSignatureMismatch(1))
    );

    // A chunk signed with another key (the header still verifies).
    let mut other = r.clone();
    let sigs = chunk_signatures(&r.body);
    let forged = String::from_utf8_lossy(&other.body).replace(&sigs[2], &"0".repeat(64));
    other.body = forged.into_bytes();
    assert_eq!(
        other.verify("secret-a").err(),
        Some(SigError::ChunkSignatureMismatch(2))
    );

    // A chunk size near usize::MAX is malformed, not a panic.
    let mut huge = r.clone();
    let first = huge.body.iter().position(|&b| b == b';').unwrap();
    huge.body
        .splice(..first, b"ffffffffffffffff".iter().copied());
    assert!(matches!(
        huge.verify("secret-a"),
        Err(SigError::Malformed(_))
    ));

    let mut trailing = r.clone();
    trailing.body.extend_from_slice(b"5;chunk-signature=");
    assert!(matches!(
        trailing.verify("secret-a"),
        Err(SigError::Malformed(_))
    ));
}

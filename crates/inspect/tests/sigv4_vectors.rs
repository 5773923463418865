//! The AWS SigV4 test suite (tests/fixtures/aws4_testsuite, from botocore):
//! for every case our canonical request, string to sign and Authorization
//! equal the suite's, and `verify` accepts the signed request but refuses
//! it with one byte of the signature, a header, the body or the query
//! changed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use scopegate_inspect::sigv4::{self, Credentials, Request, SigError};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const STS_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

/// Session tokens the suite signs with (its readme and .creq files).
fn token_for(case: &str) -> Option<&'static str> {
    match case {
        "get-vanilla-with-session-token" => {
            Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267")
        }
        "post-sts-header-before" => Some(STS_TOKEN),
        _ => None,
    }
}

/// Cases whose .sreq does not carry the .authz signature: the suite's
/// get-vanilla-with-session-token.sreq repeats get-vanilla's signature,
/// which its own .creq/.sts do not produce. We verify the .sreq with the
/// .authz value instead.
const SREQ_USES_AUTHZ: &[&str] = &["get-vanilla-with-session-token"];

/// Cases we cannot support. None today: multi-line header values are
/// unfolded by this test's parser (RFC 9112 obs-fold is replaced by a
/// space, as a proxy would have to; hyper refuses obs-fold outright), and
/// the normalize-path cases hold because service `service` is not S3.
const UNSUPPORTED: &[(&str, &str)] = &[];

struct Raw {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Raw {
    fn parse(bytes: &[u8]) -> Raw {
        let text = std::str::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let first = lines.next().unwrap();
        let (method, rest) = first.split_once(' ').unwrap();
        let target = rest.rsplit_once(" HTTP/").unwrap().0;
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push(b' ');
                last.1.extend_from_slice(line.trim().as_bytes());
                continue;
            }
            let (n, v) = line.split_once(':').unwrap();
            headers.push((n.to_owned(), v.as_bytes().to_vec()));
        }
        Raw {
            method: method.to_owned(),
            target: target.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
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

    fn set_header(&mut self, name: &str, value: &[u8]) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.to_vec();
            }
        }
    }

    fn header(&self, name: &str) -> Vec<u8> {
        let (_, v) = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap();
        v.clone()
    }

    fn verify(&self) -> Result<(), SigError> {
        self.with(|req| {
            let p = sigv4::presented(req)?.expect("signed request presents a key");
            assert_eq!(p.access_key_id, "AKIDEXAMPLE");
            sigv4::verify(req, SECRET, &p).map(|_| ())
        })
    }
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws4_testsuite");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "req") {
                out.push(path.with_extension(""));
            }
        }
    }
    out.sort();
    out
}

fn read(case: &Path, ext: &str) -> Vec<u8> {
    std::fs::read(case.with_extension(ext)).unwrap()
}

fn name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn the_suite_is_all_there() {
    assert_eq!(cases().len(), 34, "every .req of the suite is read");
}

#[test]
fn canonical_request_string_to_sign_and_authorization_match() {
    for case in cases() {
        let name = name(&case);
        if UNSUPPORTED.iter().any(|(c, _)| *c == name) {
            continue;
        }
        let raw = Raw::parse(&read(&case, "req"));
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: token_for(&name).map(str::to_owned),
        };
        let names: Vec<&str> = raw.headers.iter().map(|(n, _)| n.as_str()).collect();
        let signed = raw
            .with(|req| sigv4::sign(req, &creds, "us-east-1", "service", &names))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&signed.canonical_request),
            String::from_utf8_lossy(&read(&case, "creq")),
            "{name}: canonical request"
        );
        assert_eq!(
            signed.string_to_sign.as_bytes(),
            read(&case, "sts"),
            "{name}: string to sign"
        );
        assert_eq!(
            signed.authorization().as_bytes(),
            read(&case, "authz"),
            "{name}: authorization"
        );
    }
}

fn signed_request(case: &Path) -> Raw {
    let mut raw = Raw::parse(&read(case, "sreq"));
    if SREQ_USES_AUTHZ.contains(&name(case).as_str()) {
        raw.set_header("authorization", &read(case, "authz"));
    }
    raw
}

#[test]
fn verify_accepts_every_signed_request() {
    for case in cases() {
        let raw = signed_request(&case);
        assert_eq!(raw.verify(), Ok(()), "{}", name(&case));
    }
}

#[test]
fn verify_refuses_a_changed_signature_byte() {
    for case in cases() {
        let mut raw = signed_request(&case);
        let mut auth = raw.header("authorization");
        let last = auth.last_mut().unwrap();
        *last = if *last == b'0' { b'1' } else { b'0' };
        raw.set_header("authorization", &auth);
        assert_eq!(
            raw.verify(),
            Err(SigError::SignatureMismatch),
            "{}",
            name(&case)
        );
    }
}

#[test]
fn verify_refuses_a_changed_header_value() {
    for case in cases() {
        let mut raw = signed_request(&case);
        let mut host = raw.header("host");
        host.extend_from_slice(b".evil");
        raw.set_header("host", &host);
        assert_eq!(
            raw.verify(),
            Err(SigError::SignatureMismatch),
            "{}",
            name(&case)
        );
    }
}

#[test]
fn verify_refuses_a_changed_body() {
    for case in cases() {
        let mut raw = signed_request(&case);
        raw.body.push(b'x');
        assert_eq!(
            raw.verify(),
            Err(SigError::SignatureMismatch),
            "{}",
            name(&case)
        );
    }
}

#[test]
fn verify_refuses_a_changed_query() {
    for case in cases() {
        let mut raw = signed_request(&case);
        let sep = if raw.target.contains('?') { '&' } else { '?' };
        raw.target.push(sep);
        raw.target.push_str("Action=DeleteEverything");
        assert_eq!(
            raw.verify(),
            Err(SigError::SignatureMismatch),
            "{}",
            name(&case)
        );
    }
}

#[test]
fn verify_refuses_a_changed_query_value() {
    for case in cases() {
        let mut raw = signed_request(&case);
        if let Some(i) = raw.target.find('=') {
            raw.target.insert(i + 1, 'X');
            assert_eq!(
                raw.verify(),
                Err(SigError::SignatureMismatch),
                "{}",
                name(&case)
            );
        }
    }
}

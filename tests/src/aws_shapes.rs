//! Recorded AWS request shapes (tests/fixtures/aws-requests/): naming a
//! recorded request by service and operation, and writing it as a fixture
//! with the signature redacted. Pure: no IO.

use crate::aws_forwarder::AwsRequest;

/// What stands for a redacted value in a fixture.
pub const REDACTED: &str = "REDACTED";

/// The service the request was signed for: the credential scope's
/// `<date>/<region>/<service>/aws4_request`.
pub fn service(r: &AwsRequest) -> Option<String> {
    let auth = r.header("authorization")?;
    let cred = auth.split("Credential=").nth(1)?.split(',').next()?;
    let parts: Vec<&str> = cred.split('/').collect();
    (parts.len() == 5).then(|| parts[3].to_owned())
}

/// The API operation: `X-Amz-Target`'s (JSON protocols), the form's
/// `Action` (query protocols: EC2, STS, RDS), else by S3's and Lambda's
/// REST routes.
pub fn operation(r: &AwsRequest) -> Option<String> {
    if let Some(t) = r.header("x-amz-target") {
        return t.rsplit('.').next().map(str::to_owned);
    }
    let form = String::from_utf8_lossy(&r.body);
    if let Some(action) = form.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return Some(action.to_owned());
    }
    match service(r)?.as_str() {
        "s3" => s3_operation(r).map(str::to_owned),
        "lambda" => lambda_operation(r).map(str::to_owned),
        _ => None,
    }
}

fn s3_operation(r: &AwsRequest) -> Option<&'static str> {
    let (path, query) = r.target.split_once('?').unwrap_or((&r.target, ""));
    let host = r.host.split(':').next().unwrap_or_default();
    let virtual_bucket = host.contains(".s3.");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (bucket, key) = if virtual_bucket {
        (true, !segments.is_empty())
    } else {
        (!segments.is_empty(), segments.len() > 1)
    };
    let has = |q: &str| query.split('&').any(|kv| kv.split('=').next() == Some(q));
    Some(match (r.method.as_str(), bucket, key) {
        ("GET", false, _) => "ListBuckets",
        ("GET", true, false) if has("list-type") => "ListObjectsV2",
        ("GET", true, false) if has("location") => "GetBucketLocation",
        ("GET", true, false) => "ListObjects",
        ("GET", true, true) => "GetObject",
        ("HEAD", true, false) => "HeadBucket",
        ("HEAD", true, true) => "HeadObject",
        ("PUT", true, false) => "CreateBucket",
        ("PUT", true, true) if r.header("x-amz-copy-source").is_some() => "CopyObject",
        ("PUT", true, true) => "PutObject",
        ("POST", true, false) if has("delete") => "DeleteObjects",
        ("DELETE", true, false) => "DeleteBucket",
        ("DELETE", true, true) => "DeleteObject",
        _ => return None,
    })
}

fn lambda_operation(r: &AwsRequest) -> Option<&'static str> {
    let path = r.target.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (r.method.as_str(), segments.as_slice()) {
        ("DELETE", [_, "functions", _]) => Some("DeleteFunction"),
        ("GET", [_, "functions", _]) => Some("GetFunction"),
        ("GET", [_, "functions"]) => Some("ListFunctions"),
        ("POST", [_, "functions"]) => Some("CreateFunction"),
        _ => None,
    }
}

/// `<service>-<Operation>.http`, the fixture's file name.
pub fn fixture_name(r: &AwsRequest) -> Option<String> {
    Some(format!("{}-{}.http", service(r)?, operation(r)?))
}

/// The `Authorization` value with the signature's hex replaced by
/// [`REDACTED`]; the credential scope and signed headers are kept.
pub fn redact_authorization(value: &str) -> String {
    match value.split_once("Signature=") {
        Some((head, sig)) => {
            let rest = sig.trim_start_matches(|c: char| c.is_ascii_hexdigit());
            format!("{head}Signature={REDACTED}{rest}")
        }
        None => value.to_owned(),
    }
}

/// Headers whose whole value is a secret.
const SECRET_HEADERS: &[&str] = &["x-amz-security-token", "proxy-authorization", "cookie"];

/// The fixture: request line, headers (`name: value`, as recorded),
/// a blank line, the body's bytes. `secret` (the secret key) is replaced
/// wherever it would appear.
pub fn fixture(r: &AwsRequest, secret: &str) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", r.method, r.target);
    for (name, value) in &r.headers {
        let value = if name.eq_ignore_ascii_case("authorization") {
            redact_authorization(value)
        } else if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            REDACTED.to_owned()
        } else {
            value.clone()
        };
        out.push_str(&format!("{name}: {}\r\n", value.replace(secret, REDACTED)));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&r.body);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, host: &str, target: &str, auth_service: &str) -> AwsRequest {
        AwsRequest {
            method: method.into(),
            target: target.into(),
            host: host.into(),
            headers: vec![
                ("host".into(), host.into()),
                (
                    "authorization".into(),
                    format!(
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/{auth_service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd"
                    ),
                ),
            ],
            body: bytes::Bytes::new(),
        }
    }

    #[test]
    fn the_signature_is_redacted_and_the_scope_kept() {
        let r = req("GET", "s3.amazonaws.com", "/", "s3");
        let text = String::from_utf8(fixture(&r, "secret")).unwrap();
        assert!(text.contains("Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request"));
        assert!(text.contains("Signature=REDACTED\r\n"), "{text}");
        assert!(!text.contains("0123abcd"));
    }

    #[test]
    fn s3_routes_name_operations() {
        let op = |m, h, t| operation(&req(m, h, t, "s3")).unwrap();
        assert_eq!(op("GET", "s3.amazonaws.com", "/"), "ListBuckets");
        assert_eq!(
            op("GET", "b1.s3.amazonaws.com", "/?list-type=2&prefix="),
            "ListObjectsV2"
        );
        assert_eq!(op("PUT", "b1.s3.amazonaws.com", "/k.txt"), "PutObject");
        assert_eq!(
            op("POST", "b1.s3.amazonaws.com", "/?delete"),
            "DeleteObjects"
        );
        assert_eq!(op("DELETE", "b1.s3.amazonaws.com", "/"), "DeleteBucket");
        assert_eq!(op("DELETE", "s3.amazonaws.com", "/b1/k"), "DeleteObject");
    }
}

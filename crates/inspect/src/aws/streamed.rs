//! Which AWS requests are decided on their head, their body forwarded
//! unread: S3 object uploads (`PutObject`, `UploadPart`). Their body is the
//! object's data, never arguments, and it is often larger than any body
//! limit (`aws s3 cp` sends 8 MiB parts); the operation, bucket and key are
//! all in the head.

use super::{bundled, host};

/// True for `PUT` to an S3 object (a key under a bucket) with no query but
/// `partNumber` and `uploadId` together: `PutObject` or `UploadPart`.
pub fn streams_body(method: &str, authority: &str, target: &str) -> bool {
    if method != "PUT" || target.contains('#') {
        return false;
    }
    let Ok(table) = bundled() else {
        return false;
    };
    let Ok(ep) = host::parse(table, authority) else {
        return false;
    };
    if ep.prefix != "s3" {
        return false;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .count();
    let has_key = match ep.bucket {
        Some(_) => segments >= 1,
        None => segments >= 2,
    };
    has_key && plain_upload_query(query)
}

/// No query, or exactly `partNumber` and `uploadId` (any order, once each).
fn plain_upload_query(query: &str) -> bool {
    if query.is_empty() {
        return true;
    }
    let mut names: Vec<&str> = query
        .split('&')
        .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
        .collect();
    names.sort_unstable();
    names == ["partNumber", "uploadId"]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_uploads_stream_and_nothing_else_does() {
        let v = "ci-artifacts.s3.us-east-1.amazonaws.com";
        assert!(streams_body("PUT", v, "/builds/42.tar"));
        assert!(streams_body("PUT", v, "/big.bin?partNumber=2&uploadId=abc"));
        assert!(streams_body("PUT", v, "/big.bin?uploadId=abc&partNumber=2"));
        assert!(streams_body(
            "PUT",
            "s3.amazonaws.com",
            "/ci-artifacts/builds/42.tar"
        ));
        for (method, host, target) in [
            ("POST", v, "/builds/42.tar"),
            ("PUT", v, "/"),
            ("PUT", "s3.amazonaws.com", "/ci-artifacts"),
            ("PUT", v, "/k?tagging"),
            ("PUT", v, "/k?acl"),
            ("PUT", v, "/k?partNumber=1"),
            ("PUT", v, "/k?partNumber=1&uploadId=a&x-id=PutObject"),
            ("PUT", v, "/k?partNumber=1&partNumber=2&uploadId=a"),
            ("PUT", "dynamodb.us-east-1.amazonaws.com", "/k"),
            ("PUT", "api.github.com", "/repos/a/b"),
        ] {
            assert!(
                !streams_body(method, host, target),
                "{method} {host}{target}"
            );
        }
    }
}

//! Just the SigV4 credential scope (`AKID/date/region/service/aws4_request`)
//! of a request, from its `Authorization` header or a presigned query. Not
//! a signature check: the proxy verifies nothing here, it only compares the
//! service the client signed for with the host it sent to.

/// The credential scope a request presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Unsigned (anonymous S3 reads do this).
    None,
    Signed {
        /// Absent for SigV4a, whose scope names no region.
        region: Option<String>,
        service: String,
    },
    Unreadable(String),
}

/// `authorization` holds every `Authorization` header value, `query` the
/// decoded query pairs.
pub fn scope(authorization: &[&[u8]], query: &[(String, String)]) -> Scope {
    let presigned: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("x-amz-credential"))
        .map(|(_, v)| v.as_str())
        .collect();
    match (authorization, presigned.as_slice()) {
        ([], []) => Scope::None,
        ([h], []) => match std::str::from_utf8(h) {
            Ok(h) => from_header(h),
            Err(_) => Scope::Unreadable("the Authorization header is not UTF-8".into()),
        },
        ([], [c]) => credential(c),
        ([], _) => Scope::Unreadable("X-Amz-Credential is given more than once".into()),
        ([_], _) => Scope::Unreadable("signed both by header and by query".into()),
        _ => Scope::Unreadable("more than one Authorization header".into()),
    }
}

fn from_header(h: &str) -> Scope {
    let (alg, params) = h.trim().split_once(' ').unwrap_or((h, ""));
    if !matches!(alg, "AWS4-HMAC-SHA256" | "AWS4-ECDSA-P256-SHA256") {
        return Scope::Unreadable(format!("Authorization is not SigV4 ({alg})"));
    }
    let creds: Vec<&str> = params
        .split(',')
        .filter_map(|p| p.trim().strip_prefix("Credential="))
        .collect();
    match creds.as_slice() {
        [c] => credential(c),
        _ => Scope::Unreadable("Authorization names no single Credential".into()),
    }
}

/// `AKID/yyyymmdd/region/service/aws4_request` (SigV4) or
/// `AKID/yyyymmdd/service/aws4_request` (SigV4a).
fn credential(c: &str) -> Scope {
    let parts: Vec<&str> = c.split('/').collect();
    let (region, service) = match parts.as_slice() {
        [_, _, region, service, "aws4_request"] => (Some(*region), *service),
        [_, _, service, "aws4_request"] => (None, *service),
        _ => return Scope::Unreadable("the credential scope is malformed".into()),
    };
    if service.is_empty() || region.is_some_and(str::is_empty) {
        return Scope::Unreadable("the credential scope is malformed".into());
    }
    Scope::Signed {
        region: region.map(str::to_owned),
        service: service.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

    fn signed(region: Option<&str>, service: &str) -> Scope {
        Scope::Signed {
            region: region.map(str::to_owned),
            service: service.to_owned(),
        }
    }

    #[test]
    fn header_presigned_and_sigv4a() {
        assert_eq!(
            scope(&[AUTH.as_bytes()], &[]),
            signed(Some("us-east-1"), "s3")
        );
        let q = vec![(
            "X-Amz-Credential".to_owned(),
            "AKID/20261201/eu-west-1/ec2/aws4_request".to_owned(),
        )];
        assert_eq!(scope(&[], &q), signed(Some("eu-west-1"), "ec2"));
        let a = b"AWS4-ECDSA-P256-SHA256 Credential=AKID/20261201/s3/aws4_request, Signature=x";
        assert_eq!(scope(&[a], &[]), signed(None, "s3"));
        assert_eq!(scope(&[], &[]), Scope::None);
    }

    #[test]
    fn anything_odd_is_unreadable() {
        let odd: [&[&[u8]]; 4] = [
            &[b"AWS AKID:sig"],
            &[b"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/aws4_request"],
            &[AUTH.as_bytes(), AUTH.as_bytes()],
            &[b"AWS4-HMAC-SHA256 Credential=A/d/us-east-1/s3/aws4_request, Credential=A/d/us-east-1/ec2/aws4_request"],
        ];
        for a in odd {
            assert!(matches!(scope(a, &[]), Scope::Unreadable(_)), "{a:?}");
        }
        let q = vec![(
            "X-Amz-Credential".to_owned(),
            "A/d/r/s/aws4_request".to_owned(),
        )];
        assert!(matches!(
            scope(&[AUTH.as_bytes()], &q),
            Scope::Unreadable(_)
        ));
    }
}

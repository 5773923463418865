//! An AWS request as the inspector reports it: the operations
//! ([`super::read`]), the access key id it presents (SigV4, header or
//! presigned query), and the error shape its client reads refusals in.

use scopegate_model::{AuthScheme, CredentialLocation, Fingerprint, PresentedCredential};

use super::table::Protocol;
use super::{PROVIDER, bundled, host, read};
use crate::inspector::{EndpointKind, Inspection, Reading};
use crate::{RequestView, sigv4};

/// Reads `req`, an AWS request.
pub fn inspection(req: &RequestView<'_>) -> Inspection {
    Inspection {
        provider: Some(PROVIDER.to_owned()),
        endpoint: endpoint(req),
        operations: read(req),
        credential: credential(req),
        reading: Reading::Nothing,
    }
}

/// The access key id the request presents: its fingerprint, and where.
/// A signature that cannot be read, or two at once, is ambiguous.
fn credential(req: &RequestView<'_>) -> PresentedCredential {
    let r = sigv4::Request {
        method: req.method,
        target: req.target,
        headers: req.headers,
        body: req.body,
    };
    match sigv4::presented(&r) {
        Ok(Some(p)) => PresentedCredential::One {
            fingerprint: Fingerprint::of(p.access_key_id.as_bytes()),
            location: match p.kind {
                sigv4::Kind::Header => CredentialLocation::Authorization(AuthScheme::Other(
                    "aws4-hmac-sha256".to_owned(),
                )),
                sigv4::Kind::Presigned => CredentialLocation::Query("X-Amz-Credential".to_owned()),
            },
            also: Vec::new(),
        },
        Ok(None) => PresentedCredential::None,
        Err(e) => PresentedCredential::Ambiguous {
            why: format!("the AWS signature cannot be read: {e}"),
        },
    }
}

/// How the service's clients read errors: JSON (json, rest-json, cbor),
/// S3's `<Error>`, EC2's `<Response><Errors>`, or the query protocols'
/// `<ErrorResponse>`.
fn endpoint(req: &RequestView<'_>) -> EndpointKind {
    let Ok(table) = bundled() else {
        return EndpointKind::AwsXml;
    };
    let Ok(ep) = host::parse(table, req.host) else {
        return EndpointKind::AwsXml;
    };
    if ep.prefix == "s3" || ep.bucket.is_some() {
        return EndpointKind::AwsS3Xml;
    }
    let json = table.at_endpoint(&ep.prefix).next().is_some_and(|s| {
        [Protocol::Json, Protocol::RestJson, Protocol::Cbor]
            .iter()
            .any(|p| s.protocols.first() == Some(p))
    });
    match (json, ep.prefix.as_str()) {
        (true, _) => EndpointKind::AwsJson,
        (false, "ec2") => EndpointKind::AwsEc2Xml,
        (false, _) => EndpointKind::AwsXml,
    }
}

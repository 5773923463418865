//! AWS Signature Version 4: read which key a request presents, verify its
//! signature with that key's secret, and re-sign it with another key pair.
//!
//! The proxy gives an agent a surrogate AWS key. For each request it calls
//! [`presented`] to learn the access key id, looks up the surrogate's
//! secret, calls [`verify`] (a request that does not verify is refused: an
//! agent cannot claim another surrogate's identity), and then [`resign`]
//! with the real key pair, which yields the header, query or body changes
//! to forward. Everything here is pure: no IO, no clock (the caller checks
//! freshness from [`Presented::datetime`] and [`Presented::expires`]).
//!
//! Supported: `AWS4-HMAC-SHA256` in an `Authorization` header or in a
//! presigned query; payloads signed by hash, `UNSIGNED-PAYLOAD`,
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (no signatures in the body) and
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (aws-chunked, every chunk signature
//! checked and recomputed). Anything else is an error, so the proxy refuses.
//! No signature or secret ever appears in an error or a `Debug` output.

mod canonical;
mod chunked;
mod clock;
mod encode;
mod parse;
mod presign;
mod resign;
mod sign;
mod verify;

use std::fmt;

pub use chunked::aws_chunked_body;
pub use clock::{MAX_EXPIRES, SKEW_SECONDS, current, unix_seconds};
pub use parse::presented;
pub use presign::presign;
pub use resign::{Resigned, resign};
pub use sign::{Signed, sign};
pub use verify::{Verified, verify, verify_head};

/// The request as received: method, origin-form target (`path?query`,
/// exactly as on the wire), headers in order and the whole body.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: &'a [(&'a str, &'a [u8])],
    pub body: &'a [u8],
}

/// Where the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
    Header,
    /// `X-Amz-Algorithm`, `X-Amz-Credential`, … `X-Amz-Signature` in the query.
    Presigned,
}

/// What a signed request claims: its key, credential scope and signed
/// headers. The signature is kept private and is not shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Presented {
    pub access_key_id: String,
    /// `yyyymmdd` from the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case, sorted, as listed in `SignedHeaders`.
    pub signed_headers: Vec<String>,
    /// `yyyymmddThhmmssZ` from `x-amz-date` or `X-Amz-Date`.
    pub datetime: String,
    /// `X-Amz-Expires` in seconds (presigned only).
    pub expires: Option<u64>,
    pub kind: Kind,
    signature: String,
}

impl fmt::Debug for Presented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Presented")
            .field("access_key_id", &self.access_key_id)
            .field("date", &self.date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("signed_headers", &self.signed_headers)
            .field("datetime", &self.datetime)
            .field("expires", &self.expires)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Presented {
    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// A key pair to sign with. `Debug` shows the access key id only.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

/// Why a request's signature cannot be read, verified or re-signed. None
/// of the messages contains a signature, a secret or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    #[error("both an Authorization header and a presigned query")]
    BothForms,
    #[error("more than one {0}")]
    Duplicate(&'static str),
    #[error("signature algorithm is not AWS4-HMAC-SHA256")]
    UnknownAlgorithm,
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    #[error("host is not among the signed headers")]
    HostNotSigned,
    #[error("signed header {0} is missing from the request")]
    MissingSignedHeader(String),
    #[error("x-amz-content-sha256 does not match the body")]
    PayloadHashMismatch,
    #[error("signature does not verify")]
    SignatureMismatch,
    #[error(
        "the signature is not current: X-Amz-Date is more than 15 minutes from now, or the presigned URL expired"
    )]
    Stale,
    #[error("chunk {0} signature does not verify")]
    ChunkSignatureMismatch(usize),
}

/// S3 signs the path as sent; every other service signs it normalized and
/// encoded again.
fn normalizes_path(service: &str) -> bool {
    !(service == "s3" || service.starts_with("s3-") || service == "s3express")
}

/// All values of a header, in order (case-insensitive name).
fn header_values<'a>(
    headers: &'a [(&'a str, &'a [u8])],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// The single value of a header: `Ok(None)` if absent, an error if repeated.
fn single_header<'a>(
    headers: &'a [(&'a str, &'a [u8])],
    name: &'static str,
) -> Result<Option<&'a [u8]>, SigError> {
    let mut it = header_values(headers, name);
    let first = it.next();
    if it.next().is_some() {
        return Err(SigError::Duplicate(name));
    }
    Ok(first)
}

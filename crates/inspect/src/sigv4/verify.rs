//! Verifies a presented signature against the request as received.

use super::canonical::{self, STREAMING, STREAMING_UNSIGNED_TRAILER, UNSIGNED};
use super::encode::{eq_ct, is_hex64, sha256_hex};
use super::sign::{hmac_hex, key, string_to_sign};
use super::{Kind, Presented, Request, SigError, chunked, normalizes_path, single_header};

/// A request whose signature verified: the only input [`super::resign`]
/// accepts, so nothing is re-signed unverified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub(super) presented: Presented,
    /// The payload line the signature covered.
    pub(super) payload: String,
}

impl Verified {
    pub fn presented(&self) -> &Presented {
        &self.presented
    }
}

/// Checks `presented` (read from `req` by [`super::presented`]) with the
/// presented key's `secret`: `host` must be signed, a hex
/// `x-amz-content-sha256` must be the body's hash, the signature (and every
/// aws-chunked chunk signature) must match.
pub fn verify(
    req: &Request<'_>,
    secret: &str,
    presented: &Presented,
) -> Result<Verified, SigError> {
    check(req, secret, presented, payload_candidates(req, presented)?)
}

/// Like [`verify`], for a request whose body goes upstream unread (a large
/// S3 upload, decided on its head): the signature is checked over the
/// payload line the request declares, a hex hash or `UNSIGNED-PAYLOAD` or
/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, whose match with the body the
/// provider checks (the hash, or the trailer's checksum). A chunk-signed
/// body is refused: its chunk signatures would need the body.
pub fn verify_head(
    req: &Request<'_>,
    secret: &str,
    presented: &Presented,
) -> Result<Verified, SigError> {
    let payload = match single_header(req.headers, "x-amz-content-sha256")? {
        Some(v) => {
            let v = std::str::from_utf8(v)
                .map_err(|_| SigError::Malformed("x-amz-content-sha256"))?
                .trim();
            if v == STREAMING {
                return Err(SigError::Unsupported(
                    "a chunk-signed body streamed unread (send it under the body limit, or unsigned)",
                ));
            }
            if !(is_hex64(v) || v == UNSIGNED || v == STREAMING_UNSIGNED_TRAILER) {
                return Err(SigError::Unsupported("x-amz-content-sha256 value"));
            }
            v.to_owned()
        }
        None if presented.kind == Kind::Presigned => UNSIGNED.to_owned(),
        None => {
            return Err(SigError::Unsupported(
                "a body streamed unread without x-amz-content-sha256",
            ));
        }
    };
    check(req, secret, presented, vec![payload])
}

/// The signature against each candidate payload line; chunk signatures
/// too when the line says the body carries them.
fn check(
    req: &Request<'_>,
    secret: &str,
    p: &Presented,
    candidates: Vec<String>,
) -> Result<Verified, SigError> {
    if !p.signed_headers.iter().any(|h| h == "host") {
        return Err(SigError::HostNotSigned);
    }
    let scope = p.scope();
    let k = key(secret, &p.date, &p.region, &p.service);
    let normalize = normalizes_path(&p.service);
    let presigned = p.kind == Kind::Presigned;
    for payload in candidates {
        let creq = canonical::request(
            req.method,
            req.target,
            req.headers,
            &p.signed_headers,
            &payload,
            normalize,
            presigned,
        )?;
        let sts = string_to_sign(&p.datetime, &scope, &creq);
        if !eq_ct(&hmac_hex(&k, sts.as_bytes()), &p.signature) {
            continue;
        }
        if payload == STREAMING {
            chunked::verify(
                req.body,
                req.headers,
                &k,
                (&p.datetime, &scope),
                &p.signature,
            )?;
        }
        return Ok(Verified {
            presented: p.clone(),
            payload,
        });
    }
    Err(SigError::SignatureMismatch)
}

/// A header signature covers `x-amz-content-sha256` or the body's hash.
/// A presigned URL without that header covers `UNSIGNED-PAYLOAD` (most
/// SDKs) or the body's hash (some SDKs): either verifies, and re-signing
/// keeps the one that did.
fn payload_candidates(req: &Request<'_>, p: &Presented) -> Result<Vec<String>, SigError> {
    let given = single_header(req.headers, "x-amz-content-sha256")?.is_some();
    if p.kind == Kind::Header || given {
        return Ok(vec![canonical::payload_hash(req.headers, req.body)?]);
    }
    Ok(vec![UNSIGNED.to_owned(), sha256_hex(req.body)])
}

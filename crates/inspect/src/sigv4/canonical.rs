//! The canonical request: method, URI, query, signed headers, payload hash.

use super::encode::{decode, encode, is_hex64, normalize_path, sha256_hex};
use super::{SigError, header_values, single_header};

pub(super) const UNSIGNED: &str = "UNSIGNED-PAYLOAD";
pub(super) const STREAMING: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub(super) const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Splits an origin-form target into path and query.
pub(super) fn split_target(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

/// The canonical URI: S3's path as sent, other services' path normalized
/// and percent-encoded (again).
pub(super) fn uri(path: &str, normalize: bool) -> String {
    if path.is_empty() {
        return "/".into();
    }
    if normalize {
        encode(normalize_path(path).as_bytes(), true)
    } else {
        path.to_owned()
    }
}

/// The canonical query: every pair decoded and re-encoded strictly, sorted
/// by name then value; `X-Amz-Signature` left out when `presigned`.
pub(super) fn query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k), false), encode(&decode(v), false))
        })
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .collect();
    pairs.sort();
    let pairs: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

/// A header's canonical value: every occurrence trimmed, runs of spaces
/// collapsed, joined by commas. `None` if the header is absent.
fn header_value(headers: &[(&str, &[u8])], name: &str) -> Option<Vec<u8>> {
    let values: Vec<Vec<u8>> = header_values(headers, name).map(collapse).collect();
    (!values.is_empty()).then(|| values.join(&b','))
}

/// Trims a value and collapses each run of spaces or tabs into one space.
fn collapse(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut space = false;
    for &b in v.trim_ascii() {
        if b == b' ' || b == b'\t' {
            space = true;
            continue;
        }
        if space {
            out.push(b' ');
            space = false;
        }
        out.push(b);
    }
    out
}

/// The canonical request, as bytes (header values need not be UTF-8).
pub(super) fn request(
    method: &str,
    target: &str,
    headers: &[(&str, &[u8])],
    signed: &[String],
    payload: &str,
    normalize: bool,
    presigned: bool,
) -> Result<Vec<u8>, SigError> {
    let (path, q) = split_target(target);
    let mut out = Vec::new();
    out.extend_from_slice(method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(uri(path, normalize).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(query(q, presigned).as_bytes());
    out.push(b'\n');
    for name in signed {
        let value = header_value(headers, name)
            .ok_or_else(|| SigError::MissingSignedHeader(name.clone()))?;
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(&value);
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload.as_bytes());
    Ok(out)
}

/// The payload line for a header-signed request: `x-amz-content-sha256`
/// if sent (a hex hash must equal the body's), else the body's hash.
pub(super) fn payload_hash(headers: &[(&str, &[u8])], body: &[u8]) -> Result<String, SigError> {
    let Some(given) = single_header(headers, "x-amz-content-sha256")? else {
        return Ok(sha256_hex(body));
    };
    let given = std::str::from_utf8(given)
        .map_err(|_| SigError::Malformed("x-amz-content-sha256"))?
        .trim();
    if is_hex64(given) {
        if !given.eq_ignore_ascii_case(&sha256_hex(body)) {
            return Err(SigError::PayloadHashMismatch);
        }
        return Ok(given.to_owned());
    }
    match given {
        UNSIGNED | STREAMING | STREAMING_UNSIGNED_TRAILER => Ok(given.to_owned()),
        _ => Err(SigError::Unsupported("x-amz-content-sha256 value")),
    }
}

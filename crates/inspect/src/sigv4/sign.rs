//! Key derivation, string to sign, signature; [`sign`] signs a request anew.

use std::fmt;

use ring::hmac;

use super::encode::{hex, sha256_hex};
use super::{Credentials, Request, SigError, canonical, chunked, normalizes_path, single_header};

pub(super) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub(super) const TOKEN: &str = "x-amz-security-token";

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(super) fn key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut k = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, "aws4_request"] {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k), part.as_bytes());
        k = tag.as_ref().to_vec();
    }
    hmac::Key::new(hmac::HMAC_SHA256, &k)
}

pub(super) fn hmac_hex(key: &hmac::Key, data: &[u8]) -> String {
    hex(hmac::sign(key, data).as_ref())
}

pub(super) fn string_to_sign(datetime: &str, scope: &str, creq: &[u8]) -> String {
    format!("{ALGORITHM}\n{datetime}\n{scope}\n{}", sha256_hex(creq))
}

/// `yyyymmddThhmmssZ`.
pub(super) fn valid_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// The request's `x-amz-date`, which must be present once and well formed.
pub(super) fn request_datetime(headers: &[(&str, &[u8])]) -> Result<String, SigError> {
    let raw =
        single_header(headers, "x-amz-date")?.ok_or(SigError::Malformed("no x-amz-date header"))?;
    let s = std::str::from_utf8(raw).map_err(|_| SigError::Malformed("x-amz-date"))?;
    let s = s.trim();
    if !valid_datetime(s) {
        return Err(SigError::Malformed("x-amz-date"));
    }
    Ok(s.to_owned())
}

/// The headers with `authorization` and any `x-amz-security-token` removed,
/// and `token` added as `x-amz-security-token` when given.
pub(super) fn with_token<'a>(
    headers: &'a [(&'a str, &'a [u8])],
    token: Option<&'a str>,
) -> Vec<(&'a str, &'a [u8])> {
    let mut out: Vec<(&str, &[u8])> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization") && !n.eq_ignore_ascii_case(TOKEN))
        .copied()
        .collect();
    if let Some(t) = token {
        out.push((TOKEN, t.as_bytes()));
    }
    out
}

/// Signed header names: lower-case, sorted, unique, the session token
/// header exactly when `token`; `host` must be among them.
pub(super) fn signed_list<S: AsRef<str>>(
    names: &[S],
    token: bool,
) -> Result<Vec<String>, SigError> {
    let mut out: Vec<String> = names
        .iter()
        .map(|n| n.as_ref().to_ascii_lowercase())
        .filter(|n| n != TOKEN)
        .collect();
    if token {
        out.push(TOKEN.into());
    }
    out.sort();
    out.dedup();
    if !out.iter().any(|n| n == "host") {
        return Err(SigError::HostNotSigned);
    }
    Ok(out)
}

/// A request signed anew with [`sign`]. `Debug` omits the signature and
/// the canonical request (which holds the session token).
pub struct Signed {
    pub canonical_request: Vec<u8>,
    pub string_to_sign: String,
    pub signed_headers: Vec<String>,
    /// `x-amz-security-token` to send (the credentials' session token).
    pub session_token: Option<String>,
    /// The body with its chunk signatures recomputed (aws-chunked only).
    pub body: Option<Vec<u8>>,
    authorization: String,
}

impl Signed {
    /// The `Authorization` header value.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("string_to_sign", &self.string_to_sign)
            .field("signed_headers", &self.signed_headers)
            .finish_non_exhaustive()
    }
}

/// Signs `req` (header form) with `creds` for `region` and `service` at the
/// request's own `x-amz-date`, covering the named headers (plus the session
/// token header when `creds` has one). Any `Authorization` or
/// `x-amz-security-token` in `req` is ignored.
pub fn sign<S: AsRef<str>>(
    req: &Request<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    signed_headers: &[S],
) -> Result<Signed, SigError> {
    let datetime = request_datetime(req.headers)?;
    let payload = canonical::payload_hash(req.headers, req.body)?;
    sign_with(
        req,
        creds,
        region,
        service,
        signed_headers,
        &datetime,
        &payload,
    )
}

pub(super) fn sign_with<S: AsRef<str>>(
    req: &Request<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    signed_headers: &[S],
    datetime: &str,
    payload: &str,
) -> Result<Signed, SigError> {
    let token = creds.session_token.as_deref();
    let headers = with_token(req.headers, token);
    let signed = signed_list(signed_headers, token.is_some())?;
    let normalize = normalizes_path(service);
    let creq = canonical::request(
        req.method, req.target, &headers, &signed, payload, normalize, false,
    )?;
    let date = &datetime[..8];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sts = string_to_sign(datetime, &scope, &creq);
    let k = key(&creds.secret_access_key, date, region, service);
    let signature = hmac_hex(&k, sts.as_bytes());
    let body = if payload == canonical::STREAMING {
        Some(chunked::resign(
            req.body,
            &k,
            (datetime, &scope),
            &signature,
        )?)
    } else {
        None
    };
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        creds.access_key_id,
        signed.join(";")
    );
    Ok(Signed {
        canonical_request: creq,
        string_to_sign: sts,
        signed_headers: signed,
        session_token: token.map(str::to_owned),
        body,
        authorization,
    })
}

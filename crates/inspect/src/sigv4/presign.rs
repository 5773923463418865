//! Presigned URLs: signing one, and re-signing a verified one.

use super::canonical::{self, UNSIGNED, split_target};
use super::encode::{decode, encode};
use super::sign::{
    ALGORITHM, TOKEN, hmac_hex, key, signed_list, string_to_sign, valid_datetime, with_token,
};
use super::{Credentials, Request, Resigned, SigError, Verified, header_values, normalizes_path};

/// Query parameters [`presign`] and [`resign`] (re)write.
const REWRITTEN: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// The target's query pairs, as sent, except those named in `drop`.
fn kept_pairs(query: &str, drop: &[&str]) -> Vec<String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = decode(p.split_once('=').map_or(*p, |(k, _)| k));
            !drop
                .iter()
                .any(|d| d.as_bytes().eq_ignore_ascii_case(&name))
        })
        .map(str::to_owned)
        .collect()
}

struct Scope<'a> {
    datetime: &'a str,
    region: &'a str,
    service: &'a str,
}

/// Adds credential (and token) to `pairs`, signs, and returns the target.
fn finish(
    req: &Request<'_>,
    mut pairs: Vec<String>,
    creds: &Credentials,
    s: &Scope<'_>,
    signed: &[String],
    payload: &str,
) -> Result<String, SigError> {
    let date = &s.datetime[..8];
    let scope = format!("{date}/{}/{}/aws4_request", s.region, s.service);
    let credential = format!("{}/{scope}", creds.access_key_id);
    pairs.push(format!(
        "X-Amz-Credential={}",
        encode(credential.as_bytes(), false)
    ));
    if let Some(t) = &creds.session_token {
        pairs.push(format!(
            "X-Amz-Security-Token={}",
            encode(t.as_bytes(), false)
        ));
    }
    let target = format!("{}?{}", split_target(req.target).0, pairs.join("&"));
    let headers = with_token(req.headers, None);
    let normalize = normalizes_path(s.service);
    let creq = canonical::request(
        req.method, &target, &headers, signed, payload, normalize, true,
    )?;
    let sts = string_to_sign(s.datetime, &scope, &creq);
    let k = key(&creds.secret_access_key, date, s.region, s.service);
    Ok(format!(
        "{target}&X-Amz-Signature={}",
        hmac_hex(&k, sts.as_bytes())
    ))
}

/// A presigned target for `req` (its target's own query kept), signed with
/// `creds` at `datetime` (`yyyymmddThhmmssZ`) over `UNSIGNED-PAYLOAD`.
pub fn presign<S: AsRef<str>>(
    req: &Request<'_>,
    creds: &Credentials,
    (region, service): (&str, &str),
    datetime: &str,
    expires: u64,
    signed_headers: &[S],
) -> Result<String, SigError> {
    if !valid_datetime(datetime) {
        return Err(SigError::Malformed("datetime"));
    }
    let signed = signed_list(signed_headers, false)?;
    let mut pairs = kept_pairs(split_target(req.target).1, &REWRITTEN);
    pairs.extend([
        format!("X-Amz-Algorithm={ALGORITHM}"),
        format!("X-Amz-Date={datetime}"),
        format!("X-Amz-Expires={expires}"),
        format!(
            "X-Amz-SignedHeaders={}",
            encode(signed.join(";").as_bytes(), false)
        ),
    ]);
    let s = Scope {
        datetime,
        region,
        service,
    };
    finish(req, pairs, creds, &s, &signed, UNSIGNED)
}

/// Re-signs a verified presigned request: new credential, token and
/// signature in the query; everything else as sent.
pub(super) fn resign(
    req: &Request<'_>,
    v: &Verified,
    new: &Credentials,
) -> Result<Resigned, SigError> {
    let p = &v.presented;
    if p.signed_headers.iter().any(|h| h == TOKEN) {
        return Err(SigError::Unsupported(
            "presigned request signing the token header",
        ));
    }
    let drop = [
        "X-Amz-Credential",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
    ];
    let pairs = kept_pairs(split_target(req.target).1, &drop);
    let s = Scope {
        datetime: &p.datetime,
        region: &p.region,
        service: &p.service,
    };
    let target = finish(req, pairs, new, &s, &p.signed_headers, &v.payload)?;
    let has_token = header_values(req.headers, TOKEN).next().is_some();
    Ok(Resigned {
        set_headers: Vec::new(),
        remove_headers: if has_token {
            vec![TOKEN.to_owned()]
        } else {
            Vec::new()
        },
        target: Some(target),
        body: None,
    })
}

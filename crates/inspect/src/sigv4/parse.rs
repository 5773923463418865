//! Reads the presented key, scope and signed headers from an
//! `Authorization` header or a presigned query.

use super::canonical::split_target;
use super::encode::{decode, is_hex64};
use super::sign::{ALGORITHM, request_datetime, valid_datetime};
use super::{Kind, Presented, Request, SigError, single_header};

/// What a request presents: `Ok(None)` if it carries no SigV4 signature;
/// an error (refuse) for both forms at once, a repeated header or query
/// parameter, another algorithm, or any malformed part.
pub fn presented(req: &Request<'_>) -> Result<Option<Presented>, SigError> {
    let auth = single_header(req.headers, "authorization")?;
    let query = Query::read(split_target(req.target).1)?;
    match (auth, query) {
        (Some(_), Some(_)) => Err(SigError::BothForms),
        (Some(a), None) => from_header(a, req.headers).map(Some),
        (None, Some(q)) => q.presented().map(Some),
        (None, None) => Ok(None),
    }
}

fn from_header(raw: &[u8], headers: &[(&str, &[u8])]) -> Result<Presented, SigError> {
    let s = std::str::from_utf8(raw).map_err(|_| SigError::Malformed("authorization"))?;
    let (alg, rest) = s.trim().split_once(' ').ok_or(SigError::UnknownAlgorithm)?;
    if alg != ALGORITHM {
        return Err(SigError::UnknownAlgorithm);
    }
    let (mut cred, mut names, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(SigError::Malformed("authorization"))?;
        let slot = match k {
            "Credential" => &mut cred,
            "SignedHeaders" => &mut names,
            "Signature" => &mut sig,
            _ => return Err(SigError::Malformed("authorization field")),
        };
        if slot.replace(v.to_owned()).is_some() {
            return Err(SigError::Duplicate("authorization field"));
        }
    }
    let missing = SigError::Malformed("authorization lacks a field");
    Fields {
        credential: cred.ok_or(missing.clone())?,
        signed_headers: names.ok_or(missing.clone())?,
        signature: sig.ok_or(missing)?,
        datetime: request_datetime(headers)?,
        expires: None,
        kind: Kind::Header,
    }
    .build()
}

/// The presigned query parameters, decoded.
#[derive(Default)]
struct Query {
    algorithm: Option<String>,
    credential: Option<String>,
    date: Option<String>,
    expires: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
}

impl Query {
    /// `None` unless the query carries a presigned signature part.
    fn read(query: &str) -> Result<Option<Query>, SigError> {
        let mut q = Query::default();
        let mut any = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = String::from_utf8_lossy(&decode(k)).into_owned();
            let Some((exact, slot, marks)) = q.slot(&k) else {
                continue;
            };
            if k != exact {
                return Err(SigError::Malformed("presigned parameter case"));
            }
            let v = String::from_utf8(decode(v)).map_err(|_| SigError::Malformed("query"))?;
            if slot.replace(v).is_some() {
                return Err(SigError::Duplicate("presigned parameter"));
            }
            any |= marks;
        }
        Ok(any.then_some(q))
    }

    /// The field a parameter name fills (case-insensitively), its exact
    /// spelling, and whether it marks the request as presigned.
    fn slot(&mut self, k: &str) -> Option<(&'static str, &mut Option<String>, bool)> {
        let all: [(&'static str, &mut Option<String>, bool); 6] = [
            ("X-Amz-Algorithm", &mut self.algorithm, true),
            ("X-Amz-Credential", &mut self.credential, true),
            ("X-Amz-Date", &mut self.date, false),
            ("X-Amz-Expires", &mut self.expires, false),
            ("X-Amz-SignedHeaders", &mut self.signed_headers, true),
            ("X-Amz-Signature", &mut self.signature, true),
        ];
        all.into_iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case(k))
    }

    fn presented(self) -> Result<Presented, SigError> {
        let missing = SigError::Malformed("presigned query lacks a parameter");
        if self.algorithm.ok_or(missing.clone())? != ALGORITHM {
            return Err(SigError::UnknownAlgorithm);
        }
        let datetime = self.date.ok_or(missing.clone())?;
        if !valid_datetime(&datetime) {
            return Err(SigError::Malformed("X-Amz-Date"));
        }
        let expires = match self.expires {
            Some(e) => Some(
                e.parse()
                    .map_err(|_| SigError::Malformed("X-Amz-Expires"))?,
            ),
            None => None,
        };
        Fields {
            credential: self.credential.ok_or(missing.clone())?,
            signed_headers: self.signed_headers.ok_or(missing.clone())?,
            signature: self.signature.ok_or(missing)?,
            datetime,
            expires,
            kind: Kind::Presigned,
        }
        .build()
    }
}

struct Fields {
    credential: String,
    signed_headers: String,
    signature: String,
    datetime: String,
    expires: Option<u64>,
    kind: Kind,
}

impl Fields {
    fn build(self) -> Result<Presented, SigError> {
        let bad = SigError::Malformed("credential scope");
        let parts: Vec<&str> = self.credential.split('/').collect();
        let [akid, date, region, service, "aws4_request"] = parts[..] else {
            return Err(bad);
        };
        let word = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        let dated = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
        if !akid.bytes().all(|b| b.is_ascii_alphanumeric()) || akid.is_empty() || !dated {
            return Err(bad);
        }
        if !word(region) || !word(service) {
            return Err(bad);
        }
        if !self.datetime.starts_with(date) {
            return Err(SigError::Malformed(
                "credential date differs from the request date",
            ));
        }
        if !is_hex64(&self.signature) || self.signature.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(SigError::Malformed("signature"));
        }
        Ok(Presented {
            access_key_id: akid.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            signed_headers: signed_headers(&self.signed_headers)?,
            datetime: self.datetime,
            expires: self.expires,
            kind: self.kind,
            signature: self.signature,
        })
    }
}

/// `a;b;c`: lower-case header names, strictly ascending.
fn signed_headers(list: &str) -> Result<Vec<String>, SigError> {
    let names: Vec<String> = list.split(';').map(str::to_owned).collect();
    let tchar =
        |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b);
    let token = |n: &String| !n.is_empty() && n != "authorization" && n.bytes().all(tchar);
    if !names.iter().all(token) || !names.windows(2).all(|w| w[0] < w[1]) {
        return Err(SigError::Malformed("SignedHeaders"));
    }
    Ok(names)
}

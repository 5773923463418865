//! AWS surrogate keys (docs/sigv4.md): the agent signs with a
//! scopegate-issued key pair. Its signature is verified with the
//! surrogate's own secret as soon as the request is read, so a request that
//! does not verify is refused before any rule is consulted; a permitted
//! request is signed again with the real key pair (or an assumed role's
//! session credentials) just before it is forwarded.

use http::{HeaderName, HeaderValue};
use scopegate_inspect::Inspection;
use scopegate_inspect::sigv4::{self, Credentials, Verified};
use scopegate_model::PresentedCredential;
use scopegate_policy::{Surrogate, Token};

use crate::engine::Engine;

use super::credential::read_secret;
use super::permit::Permitted;
use super::read::Inbound;

/// The provider name AWS requests are read under.
const AWS: &str = "aws";

/// How much of the request a signature is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// The whole body was read: a hex payload hash must match it, and
    /// aws-chunked signatures are checked.
    Read,
    /// An S3 upload decided on its head, its body forwarded unread: the
    /// payload line the head declares is signed over, and S3 checks the
    /// body against it (`sigv4::verify_head`).
    Streamed,
}

impl Body {
    pub fn of(streamed: bool) -> Self {
        if streamed { Self::Streamed } else { Self::Read }
    }
}

/// Verifies an AWS surrogate's signature; a request that does not verify
/// (or is not current, or whose surrogate has no signing secret) gets an
/// ambiguous credential, which every scope map denies.
pub fn check(
    engine: &Engine,
    inbound: &Inbound,
    body: Body,
    inspection: &mut Inspection,
    now: i64,
) {
    if inspection.provider.as_deref() != Some(AWS) {
        return;
    }
    let Some((token, surrogate)) = surrogate(engine, &inspection.credential) else {
        return;
    };
    if let Err(why) = verified(engine, token, surrogate, (inbound, body), now) {
        inspection.credential = PresentedCredential::Ambiguous { why };
    }
}

/// Whether `credential` is an AWS surrogate (then only [`resign`] may
/// forward it).
pub fn is_surrogate(engine: &Engine, credential: &PresentedCredential) -> bool {
    surrogate(engine, credential).is_some_and(|(_, s)| s.signing.is_some())
}

/// Re-signs a permitted AWS request made with a surrogate key with the
/// real key pair: `Authorization` (or the presigned query), the session
/// token, and chunk signatures. `Err` is the sentence a refusal gives.
pub fn resign(
    engine: &Engine,
    credential: &PresentedCredential,
    (permitted, body): (&mut Permitted<Inbound>, Body),
    now: i64,
) -> Result<(), String> {
    let Some((token, surrogate)) = surrogate(engine, credential) else {
        return Ok(());
    };
    let inbound = permitted.inbound_mut();
    let verified = verified(engine, token, surrogate, (inbound, body), now)?;
    let real = real_credentials(engine, token, &surrogate.secret, now)?;
    let changes = with_request(inbound, |req| sigv4::resign(req, &verified, &real))
        .map_err(|e| format!("cannot re-sign the request for token `{}`: {e}", token.name))?;
    apply(inbound, changes)
}

/// The scope-map token and surrogate a presented AWS key id names.
fn surrogate<'e>(
    engine: &'e Engine,
    credential: &PresentedCredential,
) -> Option<(&'e Token, &'e Surrogate)> {
    let PresentedCredential::One { fingerprint, .. } = credential else {
        return None;
    };
    let (token, true) = engine.scope_map.token_for(fingerprint)? else {
        return None;
    };
    Some((token, token.surrogate.as_ref()?))
}

fn verified(
    engine: &Engine,
    token: &Token,
    surrogate: &Surrogate,
    (inbound, body): (&Inbound, Body),
    now: i64,
) -> Result<Verified, String> {
    let name = &token.name;
    let Some(signing) = &surrogate.signing else {
        return Err(format!(
            "token `{name}`'s surrogate is not an AWS key (it has no surrogate_secret), so an AWS signature made with it cannot be checked; issue one with `scopegate token issue --provider aws`"
        ));
    };
    let secret = read_secret(engine, name, signing)?;
    with_request(inbound, |req| {
        let presented = sigv4::presented(req)?.ok_or(sigv4::SigError::Malformed("unsigned"))?;
        sigv4::current(&presented, now)?;
        match body {
            Body::Read => sigv4::verify(req, &secret, &presented),
            Body::Streamed => sigv4::verify_head(req, &secret, &presented),
        }
    })
    .map_err(|e| format!("the AWS signature made with surrogate key `{name}` does not hold: {e}; sign with the surrogate's own secret access key, and a clock within 15 minutes"))
}

/// The real key pair: `credential_process` JSON (what `aws configure
/// export-credentials --format process` prints), read at each use, so a
/// file a sidecar refreshes with assumed-role credentials takes effect.
fn real_credentials(
    engine: &Engine,
    token: &Token,
    secret: &scopegate_policy::SecretRef,
    now: i64,
) -> Result<Credentials, String> {
    let text = read_secret(engine, &token.name, secret)?;
    parse_credentials(&text, now)
        .map_err(|why| format!("the real AWS key for token `{}`: {why}", token.name))
}

/// Parses `{"AccessKeyId", "SecretAccessKey", "SessionToken"?,
/// "Expiration"?}`; expired credentials are refused.
pub fn parse_credentials(text: &str, now: i64) -> Result<Credentials, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|_| {
        "expected credential_process JSON: {\"Version\": 1, \"AccessKeyId\": …, \"SecretAccessKey\": …, \"SessionToken\": … (optional)}".to_owned()
    })?;
    let field = |name: &str| {
        v.get(name)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (Some(id), Some(secret)) = (field("AccessKeyId"), field("SecretAccessKey")) else {
        return Err("it needs a non-empty AccessKeyId and SecretAccessKey".into());
    };
    if let Some(exp) = field("Expiration") {
        let at = sigv4::unix_seconds(exp).ok_or("its Expiration is not an ISO 8601 UTC time")?;
        if at <= now {
            return Err(format!("it expired at {exp}; refresh it"));
        }
    }
    Ok(Credentials {
        access_key_id: id.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: field("SessionToken").map(str::to_owned),
    })
}

/// Runs `f` over the request as SigV4 reads it: `host` from the URI when
/// the request has no `Host` header (HTTP/2's `:authority`).
fn with_request<R>(inbound: &Inbound, f: impl FnOnce(&sigv4::Request<'_>) -> R) -> R {
    let authority = inbound.parts.uri.authority().map(|a| a.as_str().as_bytes());
    let mut headers = inbound.header_pairs();
    if !inbound.parts.headers.contains_key(http::header::HOST)
        && let Some(a) = authority
    {
        headers.push(("host", a));
    }
    f(&sigv4::Request {
        method: inbound.parts.method.as_str(),
        target: inbound.target(),
        headers: &headers,
        body: &inbound.body,
    })
}

fn apply(inbound: &mut Inbound, changes: sigv4::Resigned) -> Result<(), String> {
    let bad = |_| "the re-signed request is not valid HTTP".to_owned();
    for name in &changes.remove_headers {
        inbound.parts.headers.remove(name.as_str());
    }
    for (name, value) in changes.set_headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| "bad header name")?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| "the real key is not a valid header value")?;
        inbound.parts.headers.insert(name, value);
    }
    if let Some(target) = changes.target {
        let mut uri = inbound.parts.uri.clone().into_parts();
        uri.path_and_query = Some(target.parse().map_err(bad)?);
        inbound.parts.uri = http::Uri::from_parts(uri).map_err(|_| "bad target")?;
    }
    if let Some(body) = changes.body {
        inbound.body = body.into();
    }
    Ok(())
}

#[cfg(test)]
mod tests;

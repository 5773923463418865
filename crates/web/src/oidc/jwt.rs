//! An ID token: its parts, and the checks on its claims (issuer,
//! audience, times, nonce). Pure: the key comes from the caller.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;

use super::Refusal;
use super::jwk::{Alg, Jwk};
use crate::auth::ct_eq;

/// Allowed clock difference with the provider.
const SKEW_SECS: i64 = 60;

/// A compact JWS, split and decoded; not yet trusted.
#[derive(Debug)]
pub(crate) struct IdToken {
    pub alg: Alg,
    pub kid: Option<String>,
    signing_input: String,
    signature: Vec<u8>,
    claims: Value,
}

/// What the claims must say.
pub(crate) struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now_secs: i64,
}

impl IdToken {
    /// Splits and decodes `token`; refuses any algorithm but RS256/ES256.
    pub fn parse(token: &str) -> Result<Self, Refusal> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::Malformed);
        };
        let json = |p: &str| -> Result<Value, Refusal> {
            let bytes = B64.decode(p).map_err(|_| Refusal::Malformed)?;
            serde_json::from_slice(&bytes).map_err(|_| Refusal::Malformed)
        };
        let header = json(h)?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or(Refusal::Malformed)?;
        let alg = Alg::parse(alg).ok_or(Refusal::Algorithm)?;
        if header.get("crit").is_some() {
            return Err(Refusal::Malformed);
        }
        let kid = match header.get("kid") {
            None => None,
            Some(k) => Some(k.as_str().ok_or(Refusal::Malformed)?.to_owned()),
        };
        let claims = json(c)?;
        if !claims.is_object() {
            return Err(Refusal::Malformed);
        }
        Ok(Self {
            alg,
            kid,
            signing_input: format!("{h}.{c}"),
            signature: B64.decode(s).map_err(|_| Refusal::Malformed)?,
            claims,
        })
    }

    /// The claims, once the signature is good under `key`.
    pub fn verified(self, key: &Jwk) -> Result<Value, Refusal> {
        if key.verify(self.alg, self.signing_input.as_bytes(), &self.signature) {
            Ok(self.claims)
        } else {
            Err(Refusal::Signature)
        }
    }
}

/// Checks `iss`, `aud` (and `azp` with several audiences), `exp`, `iat`
/// and `nonce`.
pub(crate) fn check_claims(c: &Value, want: &Expect<'_>) -> Result<(), Refusal> {
    if c.get("iss").and_then(Value::as_str) != Some(want.issuer) {
        return Err(Refusal::Issuer);
    }
    let auds: Vec<&str> = match c.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => return Err(Refusal::Audience),
    };
    if !auds.contains(&want.client_id) {
        return Err(Refusal::Audience);
    }
    let azp = c.get("azp").and_then(Value::as_str);
    if (auds.len() > 1 || azp.is_some()) && azp != Some(want.client_id) {
        return Err(Refusal::Audience);
    }
    let time = |k: &str| c.get(k).and_then(Value::as_i64).ok_or(Refusal::Malformed);
    if time("exp")?.saturating_add(SKEW_SECS) <= want.now_secs {
        return Err(Refusal::Expired);
    }
    if time("iat")? > want.now_secs.saturating_add(SKEW_SECS) {
        return Err(Refusal::IssuedInFuture);
    }
    let nonce = c.get("nonce").and_then(Value::as_str).unwrap_or("");
    if want.nonce.is_empty() || !ct_eq(nonce.as_bytes(), want.nonce.as_bytes()) {
        return Err(Refusal::Nonce);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn want() -> Expect<'static> {
        Expect {
            issuer: "https://id.example",
            client_id: "sg",
            nonce: "n1",
            now_secs: 1000,
        }
    }

    fn ok() -> Value {
        json!({"iss":"https://id.example","aud":"sg","exp":2000,"iat":990,"nonce":"n1"})
    }

    fn with(k: &str, v: Value) -> Value {
        let mut c = ok();
        c[k] = v;
        c
    }

    #[test]
    fn claims_are_checked() {
        assert_eq!(check_claims(&ok(), &want()), Ok(()));
        let cases = [
            (with("iss", json!("https://id.example/")), Refusal::Issuer),
            (with("aud", json!("other")), Refusal::Audience),
            (with("aud", json!(["sg", "other"])), Refusal::Audience),
            (with("exp", json!(939)), Refusal::Expired),
            (with("exp", json!("2000")), Refusal::Malformed),
            (with("iat", json!(1061)), Refusal::IssuedInFuture),
            (with("nonce", json!("n2")), Refusal::Nonce),
            (with("nonce", json!(null)), Refusal::Nonce),
        ];
        for (c, r) in cases {
            assert_eq!(check_claims(&c, &want()), Err(r), "{c}");
        }
        let mut two = with("aud", json!(["sg", "other"]));
        two["azp"] = json!("sg");
        assert_eq!(check_claims(&two, &want()), Ok(()));
        assert_eq!(check_claims(&with("exp", json!(941)), &want()), Ok(()));
    }

    #[test]
    fn none_and_hmac_are_refused_before_any_key() {
        let enc = |v: Value| B64.encode(v.to_string());
        for alg in ["none", "HS256"] {
            let t = format!("{}.{}.", enc(json!({"alg": alg})), enc(ok()));
            assert_eq!(IdToken::parse(&t).unwrap_err(), Refusal::Algorithm);
        }
        assert_eq!(IdToken::parse("a.b").unwrap_err(), Refusal::Malformed);
    }
}

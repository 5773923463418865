//! The provider's published keys (a JWK set) and signature checks with
//! them: RS256 (RSA PKCS#1 v1.5, SHA-256, 2048 bits or more) and ES256
//! (ECDSA P-256, SHA-256) only.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;

/// The two signature algorithms accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    /// Only `RS256` and `ES256`: never `none`, never HMAC.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }
}

/// One key, as much of it as is used.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Jwk {
    #[serde(default)]
    kid: Option<String>,
    kty: String,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// A JWK set.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Jwks {
    #[serde(default)]
    keys: Vec<Jwk>,
}

impl Jwk {
    /// Whether this key may check `alg` signatures.
    fn fits(&self, alg: Alg) -> bool {
        let kty = match alg {
            Alg::Rs256 => self.kty == "RSA",
            Alg::Es256 => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
        };
        let alg_name = match alg {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        };
        kty && self.use_.as_deref().is_none_or(|u| u == "sig")
            && self.alg.as_deref().is_none_or(|a| a == alg_name)
    }

    /// Whether `sig` is this key's `alg` signature over `message`.
    pub fn verify(&self, alg: Alg, message: &[u8], sig: &[u8]) -> bool {
        let b = |v: &Option<String>| v.as_deref().and_then(|s| B64.decode(s).ok());
        match alg {
            Alg::Rs256 => {
                let (Some(n), Some(e)) = (b(&self.n), b(&self.e)) else {
                    return false;
                };
                RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                    .is_ok()
            }
            Alg::Es256 => {
                let (Some(x), Some(y)) = (b(&self.x), b(&self.y)) else {
                    return false;
                };
                if x.len() != 32 || y.len() != 32 {
                    return false;
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
        }
    }
}

impl Jwks {
    /// The key for a token's `kid` and `alg`. Without a `kid`, the set's
    /// only key that fits, if there is exactly one.
    pub fn find(&self, kid: Option<&str>, alg: Alg) -> Option<&Jwk> {
        let mut fitting = self.keys.iter().filter(|k| k.fits(alg));
        match kid {
            Some(kid) => fitting.find(|k| k.kid.as_deref() == Some(kid)),
            None => {
                let only = fitting.next()?;
                fitting.next().is_none().then_some(only)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_rs256_and_es256() {
        assert_eq!(Alg::parse("RS256"), Some(Alg::Rs256));
        assert_eq!(Alg::parse("ES256"), Some(Alg::Es256));
        for a in ["none", "HS256", "RS384", "PS256", "rs256", ""] {
            assert_eq!(Alg::parse(a), None, "{a}");
        }
    }

    #[test]
    fn keys_are_found_by_kid_type_and_use() {
        let set: Jwks = serde_json::from_str(
            r#"{"keys":[{"kid":"r","kty":"RSA","n":"AQ","e":"AQAB"},
            {"kid":"enc","kty":"EC","crv":"P-256","use":"enc","x":"","y":""},
            {"kid":"e","kty":"EC","crv":"P-256","x":"","y":""}]}"#,
        )
        .unwrap();
        assert!(set.find(Some("r"), Alg::Rs256).is_some());
        assert!(set.find(Some("r"), Alg::Es256).is_none());
        assert!(set.find(Some("enc"), Alg::Es256).is_none());
        assert!(set.find(None, Alg::Es256).is_some());
        assert!(set.find(Some("x"), Alg::Rs256).is_none());
    }
}

//! One sign-in attempt: its state, nonce and PKCE verifier, kept in a
//! sealed cookie for ten minutes, and the authorization request built from
//! them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::auth::{self, Auth};
use crate::html::query_value;

pub(crate) const FLOW_COOKIE: &str = "sg_oidc";
/// How long a sign-in attempt may take.
pub(crate) const FLOW_SECS: u64 = 600;
const DOMAIN: &str = "sg-oidc-flow-v1";

/// A sign-in attempt in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flow {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where to go once signed in (a local path).
    pub next: String,
    pub expires_ms: i64,
}

impl Flow {
    /// A new attempt with random state, nonce and verifier.
    pub fn new(next: &str, now_ms: i64) -> Result<Self, crate::DashboardError> {
        Ok(Self {
            state: B64.encode(auth::random_bytes::<24>()?),
            nonce: B64.encode(auth::random_bytes::<24>()?),
            verifier: B64.encode(auth::random_bytes::<32>()?),
            next: next.to_owned(),
            expires_ms: now_ms.saturating_add(FLOW_SECS as i64 * 1000),
        })
    }

    /// The cookie value: every field base64url, sealed with the key.
    pub fn seal(&self, auth: &Auth) -> String {
        let payload = [&self.state, &self.nonce, &self.verifier, &self.next]
            .map(|f| B64.encode(f))
            .join("|");
        auth.seal(DOMAIN, &format!("{payload}|{}", self.expires_ms))
    }

    /// The attempt a cookie holds, if sealed by this key and not expired.
    pub fn open(auth: &Auth, cookie: &str, now_ms: i64) -> Option<Self> {
        let payload = auth.open(DOMAIN, cookie)?;
        let f: Vec<&str> = payload.split('|').collect();
        let [state, nonce, verifier, next, exp] = f.as_slice() else {
            return None;
        };
        let text = |s: &str| String::from_utf8(B64.decode(s).ok()?).ok();
        let flow = Self {
            state: text(state)?,
            nonce: text(nonce)?,
            verifier: text(verifier)?,
            next: text(next)?,
            expires_ms: exp.parse().ok()?,
        };
        (flow.expires_ms > now_ms).then_some(flow)
    }

    /// The PKCE S256 challenge: base64url(SHA-256(verifier)).
    pub fn challenge(&self) -> String {
        pkce_challenge(&self.verifier)
    }

    /// The authorization request URL for this attempt.
    pub fn authorize_url(
        &self,
        endpoint: &str,
        client_id: &str,
        redirect_uri: &str,
        scopes: &[String],
    ) -> String {
        let sep = if endpoint.contains('?') { '&' } else { '?' };
        format!(
            "{endpoint}{sep}response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={}&code_challenge_method=S256",
            query_value(client_id),
            query_value(redirect_uri),
            query_value(&scopes.join(" ")),
            query_value(&self.state),
            query_value(&self.nonce),
            query_value(&self.challenge()),
        )
    }
}

/// base64url(SHA-256(verifier)), RFC 7636's S256.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    B64.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref())
}

/// `Set-Cookie` for the attempt (or its removal with `max_age` 0): sent
/// back on the provider's top-level redirect (Lax), to the callback only.
pub(crate) fn set_cookie(value: &str, max_age_secs: u64) -> String {
    format!(
        "{FLOW_COOKIE}={value}; Path=/login/oidc; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::DashboardConfig;

    #[test]
    fn the_cookie_is_sealed_and_expires() {
        let a = Auth::new(&DashboardConfig::default(), &[7; 32]).unwrap();
        let f = Flow::new("/approvals/a|b", 1000).unwrap();
        let c = f.seal(&a);
        assert_eq!(Flow::open(&a, &c, 2000), Some(f.clone()));
        assert_eq!(Flow::open(&a, &c, 1000 + 600_000), None, "expired");
        let other = Auth::new(&DashboardConfig::default(), &[8; 32]).unwrap();
        assert_eq!(Flow::open(&other, &c, 2000), None, "another key");
        assert_eq!(f.verifier.len(), 43);
    }

    #[test]
    fn s256_matches_rfc_7636() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}

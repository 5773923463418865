//! Talking to the identity provider: discovery, its keys (cached; an
//! unknown `kid` refetches them at most once a minute) and the token
//! endpoint. Uses the dashboard's HTTP client (rustls with ring).

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::Refusal;
use super::jwk::{Alg, Jwk, Jwks};
use super::settings::issuer_allowed;
use crate::DashboardError;
use crate::html::query_value;
use crate::notify::{HttpClient, http_client};

const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BODY: usize = 1 << 20;
/// The least time between two key fetches.
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// The endpoints discovery names.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

#[derive(Default)]
struct Keys {
    set: Jwks,
    fetched: Option<Instant>,
}

pub(crate) struct Provider {
    issuer: String,
    client: HttpClient,
    metadata: Mutex<Option<Metadata>>,
    keys: Mutex<Keys>,
}

/// Whether the keys may be fetched again (never fetched, or a minute ago).
fn may_fetch(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|t| now.saturating_duration_since(t) >= REFETCH_AFTER)
}

impl Provider {
    pub fn new(issuer: &str) -> Result<Self, DashboardError> {
        Ok(Self {
            issuer: issuer.to_owned(),
            client: http_client()?,
            metadata: Mutex::new(None),
            keys: Mutex::new(Keys::default()),
        })
    }

    /// The provider's metadata, fetched once; its issuer must be ours
    /// exactly and its endpoints https (or loopback http).
    pub async fn metadata(&self) -> Result<Metadata, Refusal> {
        let mut cached = self.metadata.lock().await;
        if let Some(m) = cached.as_ref() {
            return Ok(m.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let m: Metadata = self.get_json(&url).await?;
        let endpoints = [&m.authorization_endpoint, &m.token_endpoint, &m.jwks_uri];
        if m.issuer != self.issuer || !endpoints.iter().all(|e| issuer_allowed(e)) {
            tracing::info!(
                "dashboard sso: the provider's discovery document does not match the issuer setting"
            );
            return Err(Refusal::Unreachable);
        }
        *cached = Some(m.clone());
        Ok(m)
    }

    /// The key for `kid`/`alg`: from the cache, else refetched (at most
    /// once a minute).
    pub async fn key(&self, kid: Option<&str>, alg: Alg) -> Result<Jwk, Refusal> {
        let mut keys = self.keys.lock().await;
        if let Some(k) = keys.set.find(kid, alg) {
            return Ok(k.clone());
        }
        if !may_fetch(keys.fetched, Instant::now()) {
            return Err(Refusal::UnknownKey);
        }
        let jwks_uri = self.metadata().await?.jwks_uri;
        keys.fetched = Some(Instant::now());
        keys.set = self.get_json(&jwks_uri).await?;
        keys.set.find(kid, alg).cloned().ok_or(Refusal::UnknownKey)
    }

    /// Exchanges `code` for an ID token (client_secret_basic, PKCE
    /// verifier).
    pub async fn exchange(
        &self,
        token_endpoint: &str,
        client: (&str, &str),
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<String, Refusal> {
        let basic = STANDARD.encode(format!(
            "{}:{}",
            query_value(client.0),
            query_value(client.1)
        ));
        let body = format!(
            "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
            query_value(code),
            query_value(redirect_uri),
            query_value(verifier)
        );
        let req = http::Request::post(token_endpoint)
            .header(http::header::AUTHORIZATION, format!("Basic {basic}"))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| Refusal::Unreachable)?;
        let (status, body) = self.send(req).await?;
        if !status.is_success() {
            tracing::info!(status = %status, "dashboard sso: the token endpoint refused the code");
            return Err(Refusal::CodeRejected);
        }
        #[derive(Deserialize)]
        struct TokenAnswer {
            id_token: String,
        }
        serde_json::from_slice::<TokenAnswer>(&body)
            .map(|t| t.id_token)
            .map_err(|_| Refusal::Malformed)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Refusal> {
        let req = http::Request::get(url)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|_| Refusal::Unreachable)?;
        let (status, body) = self.send(req).await?;
        if !status.is_success() {
            tracing::info!(status = %status, "dashboard sso: the provider answered an error");
            return Err(Refusal::Unreachable);
        }
        serde_json::from_slice(&body).map_err(|_| Refusal::Unreachable)
    }

    async fn send(
        &self,
        req: http::Request<Full<Bytes>>,
    ) -> Result<(http::StatusCode, Bytes), Refusal> {
        let exchange = async {
            let res = self.client.request(req).await.map_err(|e| {
                tracing::info!(error = %e, "dashboard sso: the provider could not be reached");
                Refusal::Unreachable
            })?;
            let status = res.status();
            let body = Limited::new(res.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|_| Refusal::Unreachable)?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| Refusal::Unreachable)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_refetched_at_most_once_a_minute() {
        let now = Instant::now();
        assert!(may_fetch(None, now));
        assert!(!may_fetch(Some(now), now + Duration::from_secs(59)));
        assert!(may_fetch(Some(now), now + Duration::from_secs(60)));
    }
}

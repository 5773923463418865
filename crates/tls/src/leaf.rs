//! Leaf certificates per intercepted host, minted on first use and cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use crate::{CertificateAuthority, TlsError};

struct Entry {
    config: Arc<ServerConfig>,
    renew_at: OffsetDateTime,
    last_used: u64,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeafStats {
    pub hits: u64,
    pub minted: u64,
    pub entries: usize,
}

/// A bounded cache of per-host `ServerConfig`s (ALPN `h2`, `http/1.1`).
/// Leaves live `valid_days`; one is re-minted once less than a quarter of
/// its life remains. When full, the least recently used host is evicted.
pub struct LeafCache {
    ca: Arc<CertificateAuthority>,
    provider: Arc<CryptoProvider>,
    capacity: usize,
    valid_days: i64,
    entries: Mutex<HashMap<String, Entry>>,
    clock: AtomicU64,
    hits: AtomicU64,
    minted: AtomicU64,
}

impl LeafCache {
    pub fn new(
        ca: Arc<CertificateAuthority>,
        provider: Arc<CryptoProvider>,
        capacity: usize,
        valid_days: i64,
    ) -> Self {
        Self {
            ca,
            provider,
            capacity: capacity.max(1),
            valid_days: valid_days.max(1),
            entries: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            minted: AtomicU64::new(0),
        }
    }

    /// The server configuration for `host` (a canonical host name or IP).
    pub fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, TlsError> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let now = OffsetDateTime::now_utc();
        if let Ok(mut map) = self.entries.lock()
            && let Some(e) = map.get_mut(host)
            && e.renew_at > now
        {
            e.last_used = tick;
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(e.config.clone());
        }
        // Mint outside the lock; a concurrent miss mints twice, harmlessly.
        let config = Arc::new(self.mint(host, now)?);
        self.minted.fetch_add(1, Ordering::Relaxed);
        let renew_at = now + Duration::days(self.valid_days) * 3 / 4;
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= self.capacity
                && !map.contains_key(host)
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, e)| e.last_used)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
            map.insert(
                host.to_owned(),
                Entry {
                    config: config.clone(),
                    renew_at,
                    last_used: tick,
                },
            );
        }
        Ok(config)
    }

    pub fn stats(&self) -> LeafStats {
        LeafStats {
            hits: self.hits.load(Ordering::Relaxed),
            minted: self.minted.load(Ordering::Relaxed),
            entries: self.entries.lock().map(|m| m.len()).unwrap_or(0),
        }
    }

    fn mint(&self, host: &str, now: OffsetDateTime) -> Result<ServerConfig, TlsError> {
        if host.is_empty() || host.len() > 253 {
            return Err(TlsError::BadHost(host.to_owned()));
        }
        let host_for_san = host.trim_start_matches('[').trim_end_matches(']');
        let mut params = CertificateParams::new(vec![host_for_san.to_owned()])
            .map_err(|_| TlsError::BadHost(host.to_owned()))?;
        params
            .distinguished_name
            .push(DnType::CommonName, host_for_san);
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(self.valid_days);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.ca.issuer)?;
        let chain = vec![cert.der().clone(), self.ca.cert_der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_bounds_and_mints_per_host() {
        let ca = Arc::new(CertificateAuthority::generate("test", 30).unwrap());
        let cache = LeafCache::new(ca, crate::provider(), 2, 7);
        let a = cache.server_config("a.example").unwrap();
        let a2 = cache.server_config("a.example").unwrap();
        assert!(Arc::ptr_eq(&a, &a2));
        assert_eq!(a.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        cache.server_config("b.example").unwrap();
        cache.server_config("c.example").unwrap();
        let s = cache.stats();
        assert_eq!((s.hits, s.minted, s.entries), (1, 3, 2));
        // a.example was least recently used and is gone: minted again
        cache.server_config("a.example").unwrap();
        assert_eq!(cache.stats().minted, 4);
        cache.server_config("127.0.0.1").unwrap();
        assert!(cache.server_config("").is_err());
    }
}

//! The resolution cache: (provider, credential fingerprint, resource kind,
//! id) → attributes, since what a token can see differs. Bounded (oldest
//! entry out first) and with a TTL. Times are passed in, for tests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use scopegate_inspect::resolve::Derived;

/// provider, credential fingerprint, resource kind, id: the same key as
/// the shared cache's.
pub type CacheKey = scopegate_model::ResolvedKey;

#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<HashMap<CacheKey, (Instant, Derived)>>,
}

impl Cache {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The attributes, if cached and not older than the TTL.
    pub fn get(&self, key: &CacheKey, now: Instant) -> Option<Derived> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((at, found)) if now.saturating_duration_since(*at) < self.ttl => {
                Some(found.clone())
            }
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Stores the attributes; at the bound, the oldest entry goes first.
    pub fn insert(&self, key: CacheKey, found: Derived, now: Instant) {
        if self.max_entries == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if !entries.contains_key(&key) && entries.len() >= self.max_entries {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (now, found));
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> CacheKey {
        CacheKey {
            provider: "railway".into(),
            credential: "fp".into(),
            kind: "volumeId".into(),
            id: id.into(),
        }
    }

    fn found(env: &str) -> Derived {
        let mut d = Derived::new();
        d.entry("environment".into())
            .or_default()
            .insert(env.into());
        d
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = Cache::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        cache.insert(key("v1"), found("staging"), t0);
        assert_eq!(
            cache.get(&key("v1"), t0 + Duration::from_secs(59)),
            Some(found("staging"))
        );
        assert_eq!(cache.get(&key("v1"), t0 + Duration::from_secs(60)), None);
        assert_eq!(cache.len(), 0, "an expired entry is dropped when seen");
    }

    #[test]
    fn the_oldest_entry_goes_at_the_bound() {
        let cache = Cache::new(Duration::from_secs(60), 2);
        let t0 = Instant::now();
        cache.insert(key("v1"), found("a"), t0);
        cache.insert(key("v2"), found("b"), t0 + Duration::from_secs(1));
        cache.insert(key("v3"), found("c"), t0 + Duration::from_secs(2));
        assert_eq!(cache.len(), 2);
        let now = t0 + Duration::from_secs(3);
        assert_eq!(cache.get(&key("v1"), now), None);
        assert_eq!(cache.get(&key("v3"), now), Some(found("c")));
    }

    #[test]
    fn another_credential_does_not_see_an_entry() {
        let cache = Cache::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        cache.insert(key("v1"), found("a"), t0);
        let other = CacheKey {
            credential: "other".into(),
            ..key("v1")
        };
        assert_eq!(cache.get(&other, t0), None);
    }
}

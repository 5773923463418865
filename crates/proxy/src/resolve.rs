//! Resource context (docs/resource-context.md): the cache of resolved ids,
//! shared by the request path (active lookups) and the forward phase
//! (passive fills from allowed reads).

use std::time::Instant;

use scopegate_inspect::resolve::{Derived, Graph, Resolver, everything};
use scopegate_model::PresentedCredential;

use crate::config::ResolveSettings;

pub mod cache;
pub mod passive;

pub use cache::{Cache, CacheKey};

/// The cache and its settings.
#[derive(Debug)]
pub struct Resolution {
    pub settings: ResolveSettings,
    pub cache: Cache,
}

impl Resolution {
    pub fn new(settings: ResolveSettings) -> Self {
        Self {
            cache: Cache::new(settings.ttl, settings.max_entries),
            settings,
        }
    }

    /// The cached attributes of (kind, id) for this credential.
    pub fn cached(&self, key: &CacheKey) -> Option<Derived> {
        self.cache.get(key, Instant::now())
    }

    /// Stores what a walked response says of every resolvable id in it;
    /// returns how many ids were stored.
    pub fn fill(&self, resolver: &Resolver, credential: &str, graph: &Graph) -> usize {
        let now = Instant::now();
        let found = everything(resolver, graph);
        let n = found.len();
        for (kind, id, attributes) in found {
            let key = CacheKey {
                provider: resolver.provider.clone(),
                credential: credential.to_owned(),
                kind,
                id,
            };
            self.cache.insert(key, attributes, now);
        }
        n
    }
}

/// The cache's name for a credential: its fingerprint (what a token can
/// see differs); `None` when no single credential was presented.
pub fn credential_key(credential: &PresentedCredential) -> Option<String> {
    match credential {
        PresentedCredential::One { fingerprint, .. } => Some(fingerprint.to_string()),
        _ => None,
    }
}

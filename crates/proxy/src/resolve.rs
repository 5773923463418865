//! Resource context (docs/resource-context.md): the cache of resolved ids,
//! shared by the request path (active lookups) and the forward phase
//! (passive fills from allowed reads); in front of the cache replicas
//! share through Postgres, when there is one.

use std::sync::Arc;
use std::time::Instant;

use scopegate_inspect::resolve::{Derived, Graph, Resolver, everything};
use scopegate_model::{PresentedCredential, SharedResolutions};

use crate::config::ResolveSettings;

pub mod cache;
pub mod passive;
pub mod shared;

pub use cache::{Cache, CacheKey};

/// The cache, its settings, and the replicas' shared cache if any.
pub struct Resolution {
    pub settings: ResolveSettings,
    pub cache: Cache,
    pub shared: Option<Arc<dyn SharedResolutions>>,
    writer: Option<shared::Writer>,
}

impl std::fmt::Debug for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolution")
            .field("settings", &self.settings)
            .field("cache", &self.cache)
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

/// Where a cached resolution came from: the metric's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// This process's cache: `cached`.
    Local,
    /// The replicas' shared cache: `shared`.
    Shared,
}

impl Hit {
    /// The outcome in `scopegate_resolve_lookups_total`.
    pub fn outcome(self) -> &'static str {
        match self {
            Self::Local => "cached",
            Self::Shared => "shared",
        }
    }
}

impl Resolution {
    /// A cache of this process's own.
    pub fn new(settings: ResolveSettings) -> Self {
        Self::with_shared(settings, None)
    }

    /// A cache in front of the replicas' shared cache, if any; writes to
    /// it need a Tokio runtime (outside one, none are made).
    pub fn with_shared(
        settings: ResolveSettings,
        shared: Option<Arc<dyn SharedResolutions>>,
    ) -> Self {
        let writer = shared
            .clone()
            .and_then(|s| shared::Writer::start(s, &settings));
        Self {
            cache: Cache::new(settings.ttl, settings.max_entries),
            settings,
            shared,
            writer,
        }
    }

    /// The cached attributes of (kind, id) for this credential, in this
    /// process only.
    pub fn cached(&self, key: &CacheKey) -> Option<Derived> {
        self.cache.get(key, Instant::now())
    }

    /// The cached attributes of (kind, id) for this credential: this
    /// process's cache, else the shared cache within
    /// [`shared::bound`]. A shared hit is kept here as old as it is there,
    /// so the TTL holds across replicas. A shared error or timeout is a
    /// miss.
    pub async fn get(&self, key: &CacheKey) -> Option<(Derived, Hit)> {
        if let Some(hit) = self.cached(key) {
            return Some((hit, Hit::Local));
        }
        let shared = self.shared.as_ref()?;
        let (found, age) = shared::get(shared.as_ref(), key, &self.settings).await?;
        if let Some(at) = Instant::now().checked_sub(age) {
            self.cache.insert(key.clone(), found.clone(), at);
        }
        Some((found, Hit::Shared))
    }

    /// Stores the attributes of one id, here and (without waiting) in the
    /// shared cache.
    pub fn insert(&self, key: CacheKey, found: Derived) {
        self.cache
            .insert(key.clone(), found.clone(), Instant::now());
        self.share(vec![(key, found)]);
    }

    /// Stores what a walked response says of every resolvable id in it,
    /// here and (without waiting) in the shared cache; returns how many ids
    /// were stored.
    pub fn fill(&self, resolver: &Resolver, credential: &str, graph: &Graph) -> usize {
        let now = Instant::now();
        let found = everything(resolver, graph);
        let n = found.len();
        let mut entries = Vec::with_capacity(n);
        for (kind, id, attributes) in found {
            let key = CacheKey {
                provider: resolver.provider.clone(),
                credential: credential.to_owned(),
                kind,
                id,
            };
            self.cache.insert(key.clone(), attributes.clone(), now);
            entries.push((key, attributes));
        }
        self.share(entries);
        n
    }

    /// Queues entries for the shared cache (in order, without waiting).
    fn share(&self, entries: Vec<(CacheKey, Derived)>) {
        if let Some(writer) = &self.writer
            && !entries.is_empty()
        {
            writer.put(entries);
        }
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

//! The resolution cache shared by replicas (docs/resource-context.md), as
//! the proxy uses it: resolved ids' attributes kept where every replica
//! can read them. A store implements it (Postgres); the proxy keeps its
//! own bounded cache in front of it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::BoxFut;

/// What a resolved id is keyed by: provider, credential fingerprint (what
/// a token can see differs), resource kind and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedKey {
    pub provider: String,
    pub credential: String,
    pub kind: String,
    pub id: String,
}

/// An id's attributes: name → values (a volume in two environments has
/// two `environment` values).
pub type ResolvedAttributes = BTreeMap<String, BTreeSet<String>>;

/// The shared resolution cache.
pub trait SharedResolutions: Send + Sync + 'static {
    /// The attributes stored for `key` less than `ttl` ago, and their age;
    /// `Err` (the store's error text, never a credential) when it cannot
    /// answer.
    fn get(
        &self,
        key: ResolvedKey,
        ttl: Duration,
    ) -> BoxFut<Result<Option<(ResolvedAttributes, Duration)>, String>>;
    /// Stores the entries as resolved now; drops entries older than `ttl`
    /// and the oldest beyond `max_entries` (not necessarily on every call).
    fn put(
        &self,
        entries: Vec<(ResolvedKey, ResolvedAttributes)>,
        ttl: Duration,
        max_entries: usize,
    ) -> BoxFut<Result<(), String>>;
}

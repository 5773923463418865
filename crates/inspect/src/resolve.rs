//! Resolvers: how a provider's resource ids become names and details
//! (docs/resource-context.md). Each is data (`config/catalog/*.resolve.toml`,
//! embedded). GraphQL: [`walk`] reads any response into entities and
//! [`derive`] gives the attributes of one (resource kind, id). REST:
//! [`rest`] gives the paths an id is read at and the attributes their
//! answers say. No IO.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub mod derive;
mod plain;
pub mod rest;
pub mod walk;

pub use derive::{Derived, attributes, each_ids, everything, tally};
pub use plain::plain_query;
pub use walk::{Entity, Graph, walk};

/// The embedded resolver descriptions (`RESOLVERS: &[(file, text)]`).
pub use crate::catalog::RESOLVERS;

/// One provider's resolver.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolver {
    pub version: u32,
    pub provider: String,
    /// The GraphQL path lookups go to, and whose allowed reads fill the
    /// cache; none for a resolver of REST kinds only.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The lookup queries: the first whose `credentials` name where the
    /// request's credential was presented, else the first without any.
    #[serde(rename = "lookup", default)]
    pub lookups: Vec<Lookup>,
    /// Entity type → how it is recognised.
    #[serde(default)]
    pub entities: BTreeMap<String, EntityType>,
    /// Resource kind (`volumeId`) → what it names.
    pub kinds: BTreeMap<String, Kind>,
}

/// The read query scopegate sends when a rule or an approval needs an
/// attribute the cache lacks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    pub query: String,
    /// Where the credential must have been presented for this query
    /// (`header:project-access-token`); empty: any.
    #[serde(default)]
    pub credentials: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityType {
    /// The response keys it sits under (`volume`, `volumes`).
    pub keys: Vec<String>,
    /// The fields kept besides `id` and `xId` references.
    #[serde(default)]
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    /// The entity type an id of this kind names (GraphQL kinds; empty for
    /// REST kinds, which have `get`).
    #[serde(default)]
    pub entity: String,
    /// Entity types it sits in (by nesting or reference): their names.
    #[serde(default)]
    pub within: Vec<String>,
    /// Entity types nested in it whose references describe it too.
    #[serde(default)]
    pub related: Vec<String>,
    /// Attribute → `entity.field`.
    #[serde(default)]
    pub details: BTreeMap<String, String>,
    /// Every attribute it can give.
    pub yields: Vec<String>,
    /// A further query per related entity (a volume's backups, per instance).
    #[serde(default)]
    pub each: Option<Each>,
    /// REST kinds: the reads that describe an id, each a GET whose JSON
    /// answer's fields become attributes ([`rest`]).
    #[serde(default)]
    pub get: Vec<Get>,
    /// REST kinds: ids must start with this, which is taken off before the
    /// id goes into a path (`heads/` of a git ref names a branch); other ids
    /// stay unresolved.
    #[serde(default)]
    pub strip_prefix: Option<String>,
}

/// One read of a REST kind: `path` with `{id}` (the id, less
/// `strip_prefix`) and `{kind}` (the operation's one id of that resource
/// kind) put in, percent-encoded; the answer's `fields` (attribute → field,
/// dotted for nested objects) copied as text, and `equals` (attribute →
/// field) giving `true` or `false` as the field equals the id or not.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Get {
    pub path: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub equals: BTreeMap<String, String>,
}

/// A further query per related entity: `$id` is that entity's id; the
/// entities of type `entity` in its answers are counted (`count`) and the
/// latest `latest.field` kept (`latest.attribute`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Each {
    pub related: String,
    pub query: String,
    pub entity: String,
    pub count: String,
    pub latest: Latest,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latest {
    pub attribute: String,
    pub field: String,
}

impl Resolver {
    pub fn from_toml(file: &str, text: &str) -> Result<Self, String> {
        let r: Self = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for (name, kind) in &r.kinds {
            kind.check(&r.entities)
                .map_err(|why| format!("{file}: kind {name}: {why}"))?;
        }
        if r.kinds.values().any(|k| k.get.is_empty()) && r.endpoint.is_none() {
            return Err(format!("{file}: GraphQL kinds need an `endpoint`"));
        }
        Ok(r)
    }

    /// The entity type a response key names, if any.
    pub fn entity_for_key(&self, key: &str) -> Option<&str> {
        self.entities
            .iter()
            .find(|(_, t)| t.keys.iter().any(|k| k == key))
            .map(|(name, _)| name.as_str())
    }

    /// The lookup for a credential presented at `location`.
    pub fn lookup_for(&self, location: &str) -> Option<&Lookup> {
        self.lookups
            .iter()
            .find(|l| l.credentials.iter().any(|c| c == location))
            .or_else(|| self.lookups.iter().find(|l| l.credentials.is_empty()))
    }

    /// The attributes a resource kind can give (empty for other kinds).
    pub fn yields(&self, kind: &str) -> &[String] {
        self.kinds.get(kind).map_or(&[], |k| &k.yields)
    }
}

impl Kind {
    /// GraphQL kinds name an entity type; REST kinds have reads that give
    /// every attribute they yield.
    fn check(&self, entities: &BTreeMap<String, EntityType>) -> Result<(), String> {
        if self.get.is_empty() {
            return match entities.contains_key(&self.entity) {
                true => Ok(()),
                false => Err(format!("no entity `{}`", self.entity)),
            };
        }
        if !self.entity.is_empty() || self.each.is_some() {
            return Err("a REST kind (`get`) has no `entity` or `each`".into());
        }
        let given: Vec<&String> = self
            .get
            .iter()
            .flat_map(|g| g.fields.keys().chain(g.equals.keys()))
            .collect();
        match self.yields.iter().find(|y| !given.contains(y)) {
            Some(y) => Err(format!("it yields `{y}`, which no `get` gives")),
            None => Ok(()),
        }
    }

    /// Whether its ids are read over REST.
    pub fn is_rest(&self) -> bool {
        !self.get.is_empty()
    }
}

/// The bundled resolvers, parsed once. A broken one is a build-time test
/// failure (`bundled_resolvers_parse`), and is skipped here.
pub fn bundled() -> &'static [Resolver] {
    static ALL: OnceLock<Vec<Resolver>> = OnceLock::new();
    ALL.get_or_init(|| {
        RESOLVERS
            .iter()
            .filter_map(|(file, text)| Resolver::from_toml(file, text).ok())
            .collect()
    })
}

/// The bundled resolver of a provider.
pub fn for_provider(provider: &str) -> Option<&'static Resolver> {
    bundled().iter().find(|r| r.provider == provider)
}

#[cfg(test)]
mod tests;

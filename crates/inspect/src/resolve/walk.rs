//! Reads a GraphQL response into entities: each object with an `id` that
//! sits under a key naming an entity type, with the fields kept, the entity
//! it is nested in, and its `xId` references. `edges[].node` is unwrapped.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::Resolver;

/// (entity type, id).
pub type Key = (String, String);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entity {
    /// Kept fields, as text (`name`, `mountPath`, `sizeMB`...).
    pub fields: BTreeMap<String, String>,
    /// The entity it was first found nested in.
    pub parent: Option<Key>,
    /// `environmentId = "env-1"` → (`environment`, `env-1`).
    pub refs: Vec<Key>,
}

/// Every entity found, by (type, id).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub entities: HashMap<Key, Entity>,
}

impl Graph {
    pub fn get(&self, kind: &str, id: &str) -> Option<&Entity> {
        self.entities.get(&(kind.to_owned(), id.to_owned()))
    }

    /// The name of (type, id), when known.
    pub fn name(&self, key: &Key) -> Option<&str> {
        self.entities
            .get(key)?
            .fields
            .get("name")
            .map(String::as_str)
    }

    /// The entities nested directly in `parent`, of type `kind`.
    pub fn children<'a>(
        &'a self,
        parent: &'a Key,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a Key, &'a Entity)> + 'a {
        self.entities
            .iter()
            .filter(move |(k, e)| k.0 == kind && e.parent.as_ref() == Some(parent))
    }
}

/// Walks a GraphQL response (`{"data": ...}` or the data itself).
pub fn walk(resolver: &Resolver, response: &Value) -> Graph {
    let mut graph = Graph::default();
    let root = response.get("data").unwrap_or(response);
    visit(resolver, &mut graph, root, None, None);
    graph
}

fn visit(r: &Resolver, g: &mut Graph, v: &Value, under: Option<&str>, parent: Option<&Key>) {
    match v {
        Value::Array(items) => {
            for item in items {
                visit(r, g, item, under, parent);
            }
        }
        Value::Object(map) => {
            let found = under.and_then(|kind| record(r, g, kind, map, parent));
            let parent = found.as_ref().or(parent);
            for (key, child) in map {
                let next = match key.as_str() {
                    "edges" | "node" => under,
                    _ => r.entity_for_key(key),
                };
                visit(r, g, child, next, parent);
            }
        }
        _ => {}
    }
}

/// Records an object as an entity of `kind` when it has an `id`; merges
/// with what is known of it already.
fn record(
    r: &Resolver,
    g: &mut Graph,
    kind: &str,
    map: &serde_json::Map<String, Value>,
    parent: Option<&Key>,
) -> Option<Key> {
    let id = map.get("id")?.as_str()?;
    let key = (kind.to_owned(), id.to_owned());
    let kept = r.entities.get(kind).map_or(&[][..], |t| &t.fields);
    let entity = g.entities.entry(key.clone()).or_default();
    if entity.parent.is_none() {
        entity.parent = parent.cloned();
    }
    for (field, value) in map {
        let Some(text) = scalar(value) else { continue };
        if kept.contains(field) {
            entity.fields.insert(field.clone(), text);
        } else if let Some(target) = field.strip_suffix("Id")
            && r.entities.contains_key(target)
        {
            let reference = (target.to_owned(), text);
            if !entity.refs.contains(&reference) {
                entity.refs.push(reference);
            }
        }
    }
    Some(key)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

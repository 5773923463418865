//! The attributes of one (resource kind, id), from a walked response: its
//! own name, the names of what it sits in, of what its related entities
//! reference (a volume's instances: environments, services), and details.

use std::collections::{BTreeMap, BTreeSet};

use super::walk::{Graph, Key};
use super::{Kind, Resolver};

/// Attribute → values (sorted, deduplicated).
pub type Derived = BTreeMap<String, BTreeSet<String>>;

/// The attributes of `id` of resource kind `kind`; `None` when the
/// response does not have it (or the kind is not resolvable).
pub fn attributes(r: &Resolver, g: &Graph, kind: &str, id: &str) -> Option<Derived> {
    let spec = r.kinds.get(kind)?;
    let key = (spec.entity.clone(), id.to_owned());
    let entity = g.entities.get(&key)?;
    let mut out = Derived::new();
    if let Some(name) = entity.fields.get("name") {
        add(&mut out, &spec.entity, name);
    }
    within(g, spec, &key, &mut out);
    for rel in &spec.related {
        for (child, _) in g.children(&key, rel) {
            referenced(g, child, &mut out);
        }
    }
    details(g, spec, &key, &mut out);
    Some(out)
}

/// Every entity of `kind` in the response, as (kind, id, attributes): what
/// a passive read gives the cache.
pub fn everything(r: &Resolver, g: &Graph) -> Vec<(String, String, Derived)> {
    let mut out = Vec::new();
    for (kind, spec) in &r.kinds {
        for (key, _) in g.entities.iter().filter(|(k, _)| k.0 == spec.entity) {
            if let Some(found) = attributes(r, g, kind, &key.1) {
                out.push((kind.clone(), key.1.clone(), found));
            }
        }
    }
    out
}

/// What the answers of an `each` query say: the count of its entities and
/// the latest of their `latest.field` (RFC 3339 times sort as text).
pub fn tally(each: &super::Each, answers: &[Graph], out: &mut Derived) {
    let found: Vec<&String> = answers
        .iter()
        .flat_map(|g| g.entities.iter())
        .filter(|(k, _)| k.0 == each.entity)
        .filter_map(|(_, e)| e.fields.get(&each.latest.field))
        .collect();
    let count = answers
        .iter()
        .flat_map(|g| g.entities.keys())
        .filter(|k| k.0 == each.entity)
        .count();
    add(out, &each.count, &count.to_string());
    if let Some(latest) = found.into_iter().max() {
        add(out, &each.latest.attribute, latest);
    }
}

/// The ids of the entities an `each` query runs for.
pub fn each_ids(g: &Graph, kind: &super::Kind, id: &str) -> Vec<String> {
    let Some(each) = &kind.each else {
        return Vec::new();
    };
    let key = (kind.entity.clone(), id.to_owned());
    g.children(&key, &each.related)
        .map(|(k, _)| k.1.clone())
        .collect()
}

/// Names of the `within` types: ancestors by nesting, and references.
fn within(g: &Graph, spec: &Kind, key: &Key, out: &mut Derived) {
    let mut at = g.entities.get(key).and_then(|e| e.parent.clone());
    let mut steps = 0;
    while let Some(parent) = at {
        if spec.within.contains(&parent.0)
            && let Some(name) = g.name(&parent)
        {
            add(out, &parent.0, name);
        }
        at = g.entities.get(&parent).and_then(|e| e.parent.clone());
        steps += 1;
        if steps > 16 {
            break;
        }
    }
    for reference in g.entities.get(key).map_or(&[][..], |e| &e.refs) {
        if spec.within.contains(&reference.0)
            && let Some(name) = g.name(reference)
        {
            add(out, &reference.0, name);
        }
    }
}

/// Names of what a related entity references (`environmentId`), and of the
/// entities nested in it (`environment { id name }`).
fn referenced(g: &Graph, child: &Key, out: &mut Derived) {
    let Some(entity) = g.entities.get(child) else {
        return;
    };
    for reference in &entity.refs {
        if let Some(name) = g.name(reference) {
            add(out, &reference.0, name);
        }
    }
    for (key, e) in &g.entities {
        if e.parent.as_ref() == Some(child)
            && let Some(name) = e.fields.get("name")
        {
            add(out, &key.0, name);
        }
    }
}

fn details(g: &Graph, spec: &Kind, key: &Key, out: &mut Derived) {
    for (attribute, source) in &spec.details {
        let Some((kind, field)) = source.split_once('.') else {
            continue;
        };
        let values: Vec<String> = if *kind == key.0 {
            g.entities
                .get(key)
                .and_then(|e| e.fields.get(field))
                .into_iter()
                .cloned()
                .collect()
        } else {
            g.children(key, kind)
                .filter_map(|(_, e)| e.fields.get(field).cloned())
                .collect()
        };
        for v in values {
            add(out, attribute, &v);
        }
    }
}

fn add(out: &mut Derived, attribute: &str, value: &str) {
    out.entry(attribute.to_owned())
        .or_default()
        .insert(value.to_owned());
}

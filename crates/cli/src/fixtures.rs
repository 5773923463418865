//! Resolved attributes supplied by hand, so that scope maps whose rules
//! name environments and projects stay testable offline (`scopegate check
//! --attributes FILE`, `policy test` cases; docs/resource-context.md).
//!
//! ```toml
//! [attributes."volumeId:vol-1"]
//! environment = "production"
//! project = "pocketos"
//! "volume.backups" = "3"
//!
//! [attributes."volumeId:vol-2"]
//! environment = { unresolved = "lookup timed out" }
//! ```
//!
//! Offline nothing else is resolved: an attribute a rule needs that no
//! fixture supplies is unresolved, exactly as a failed lookup would be.

use std::collections::BTreeMap;

use scopegate_model::{Attribute, Operation, PresentedCredential};
use scopegate_policy::{ScopeMap, needed_attributes};
use serde::Deserialize;

/// `kind:id` → attribute name → value.
pub type Fixtures = BTreeMap<String, BTreeMap<String, FixtureValue>>;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FixtureValue {
    One(String),
    Many(Vec<String>),
    Unresolved { unresolved: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    attributes: Fixtures,
}

/// A `--attributes` file.
pub fn parse(text: &str) -> Result<Fixtures, toml::de::Error> {
    toml::from_str::<FixtureFile>(text).map(|f| f.attributes)
}

const OFFLINE: &str = "no fixture supplies it (nothing is looked up offline)";

/// Sets on each operation what the fixtures say of the resources it names,
/// then marks every attribute the rules need and no fixture gave as
/// unresolved.
pub fn apply(
    fixtures: &Fixtures,
    map: &ScopeMap,
    credential: &PresentedCredential,
    ops: &mut [Operation],
) {
    for op in ops.iter_mut() {
        let mut found: BTreeMap<String, Attribute> = BTreeMap::new();
        for (kind, ids) in &op.resources {
            for id in ids {
                for (name, value) in fixtures.get(&format!("{kind}:{id}")).into_iter().flatten() {
                    merge(
                        found
                            .entry(name.clone())
                            .or_insert(Attribute::Known(vec![])),
                        value,
                    );
                }
            }
        }
        for (name, value) in found {
            op.set_attribute(&name, value);
        }
    }
    for (i, key) in needed_attributes(map, credential, ops) {
        if !ops[i].attributes.contains_key(&key) && resolvable(&ops[i], &key) {
            ops[i].set_attribute(&key, Attribute::Unresolved(OFFLINE.into()));
        }
    }
}

/// Whether one of the ids `op` names gives `key` when resolved: as in the
/// proxy, a key no id can give stays absent (the rule does not match) and
/// is never "unresolved".
fn resolvable(op: &Operation, key: &str) -> bool {
    scopegate_inspect::resolve::for_provider(&op.provider).is_some_and(|r| {
        op.resources
            .keys()
            .any(|kind| r.yields(kind).iter().any(|y| y == key))
    })
}

fn merge(into: &mut Attribute, value: &FixtureValue) {
    let add: Vec<String> = match value {
        FixtureValue::One(v) => vec![v.clone()],
        FixtureValue::Many(vs) => vs.clone(),
        FixtureValue::Unresolved { unresolved } => {
            *into = Attribute::Unresolved(unresolved.clone());
            return;
        }
    };
    if let Attribute::Known(have) = into {
        *into = Attribute::known(have.drain(..).chain(add));
    }
}

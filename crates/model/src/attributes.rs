//! What scopegate learned about the resources an operation names, by name
//! (docs/resource-context.md): `environment = ["production"]`,
//! `volume.backups = ["3"]`. The proxy's resolvers fill them; rules match
//! them like resource ids (`resources = { environment = ["staging"] }`);
//! approval cards show them; each decision record stores them beside the ids.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Attribute name → what is known of it.
pub type Attributes = BTreeMap<String, Attribute>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// The values, sorted and without duplicates.
    Known(Vec<String>),
    /// It could not be resolved, and why (`lookup timed out after 2 s`).
    Unresolved(String),
}

impl Attribute {
    pub fn known(values: impl IntoIterator<Item = String>) -> Self {
        let mut v: Vec<String> = values.into_iter().collect();
        v.sort();
        v.dedup();
        Self::Known(v)
    }

    /// The values, when known.
    pub fn values(&self) -> Option<&[String]> {
        match self {
            Self::Known(v) => Some(v),
            Self::Unresolved(_) => None,
        }
    }

    /// The one value, when exactly one is known.
    pub fn single(&self) -> Option<&str> {
        match self.values() {
            Some([one]) => Some(one),
            _ => None,
        }
    }
}

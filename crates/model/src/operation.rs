use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::attributes::{Attribute, Attributes};

/// What an operation does to the provider's state.
///
/// `Unknown` is what scopegate says when it cannot fully read a request; it
/// is never allowed without a rule that names the `unknown` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpClass {
    Read,
    Write,
    Destructive,
    Unknown,
}

impl OpClass {
    pub const ALL: [OpClass; 4] = [Self::Read, Self::Write, Self::Destructive, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Destructive => "destructive",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for OpClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Resource kind (`environmentId`, `repo`, ...) → every value the operation
/// names for it, sorted and deduplicated.
pub type Resources = BTreeMap<String, Vec<String>>;

/// One thing a request asks a provider to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Provider id, e.g. `railway`.
    pub provider: String,
    /// Operation name within the provider, e.g. `volumeDelete` or
    /// `repos/delete`. For `unknown` operations, a short label of what could
    /// not be read.
    pub name: String,
    pub class: OpClass,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: Resources,
    /// Why an operation is `unknown`, or why its class was raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the resources are, by name (environment, project, ...), when a
    /// rule or an approval needed it; empty otherwise, and then not
    /// serialised, so records without it hash as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
}

impl Operation {
    pub fn new(provider: impl Into<String>, name: impl Into<String>, class: OpClass) -> Self {
        Self {
            provider: provider.into(),
            name: name.into(),
            class,
            resources: Resources::new(),
            note: None,
            attributes: Attributes::new(),
        }
    }

    /// An operation that could not be read. `label` is a short machine name
    /// (`unparsable-body`), `why` a sentence for humans.
    pub fn unknown(provider: impl Into<String>, label: &str, why: impl Into<String>) -> Self {
        let mut op = Self::new(provider, label, OpClass::Unknown);
        op.note = Some(why.into());
        op
    }

    /// `provider:name`, the form scope-map patterns match against.
    pub fn qualified_name(&self) -> String {
        format!("{}:{}", self.provider, self.name)
    }

    /// Records what is known of `name`; a known value never gives way to
    /// an unresolved one.
    pub fn set_attribute(&mut self, name: &str, value: Attribute) {
        match (self.attributes.get(name), &value) {
            (Some(Attribute::Known(_)), Attribute::Unresolved(_)) => {}
            _ => {
                self.attributes.insert(name.to_owned(), value);
            }
        }
    }

    pub fn add_resource(&mut self, kind: &str, value: String) {
        let values = self.resources.entry(kind.to_owned()).or_default();
        if let Err(pos) = values.binary_search(&value) {
            values.insert(pos, value);
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} ({})", self.provider, self.name, self.class)?;
        for (k, vs) in &self.resources {
            write!(f, " {k}={}", vs.join(","))?;
        }
        Ok(())
    }
}

/// An operation a catalogue can produce, as scope maps are checked against
/// it when they load: its name, every class it can take (its own and any an
/// escalation raises it to) and the resource kinds it can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationWord {
    pub provider: String,
    pub name: String,
    pub classes: Vec<OpClass>,
    pub resources: Vec<String>,
}

impl OperationWord {
    /// `provider:name`, the form scope-map patterns match against.
    pub fn qualified_name(&self) -> String {
        format!("{}:{}", self.provider, self.name)
    }
}

//! `config/catalog/aws/overrides.toml`: name prefixes, class corrections and
//! escalations from arguments.

use std::collections::{BTreeMap, HashMap};

use scopegate_model::OpClass;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    prefix: BTreeMap<String, String>,
    #[serde(default)]
    also_speaks: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    class: BTreeMap<String, String>,
    #[serde(default)]
    escalate: Vec<RawEscalation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    operation: String,
    param: String,
    #[serde(default)]
    value: Option<String>,
    class: String,
    note: String,
}

/// An argument that raises an operation's class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub param: String,
    /// `None`: the rule fires when a member named `param` is present at
    /// any depth (`DeleteRequest` in a DynamoDB batch).
    pub value: Option<String>,
    pub class: OpClass,
    pub note: String,
}

#[derive(Debug, Default)]
pub struct Overrides {
    /// botocore service id → operation-name prefix.
    pub prefix: BTreeMap<String, String>,
    /// botocore service id → protocols it still accepts beyond botocore's
    /// (SQS over query, as older SDKs send it).
    pub also_speaks: BTreeMap<String, Vec<String>>,
    /// `prefix:Operation` → class.
    pub class: BTreeMap<String, OpClass>,
    escalate: Vec<(String, Escalation)>,
}

impl Overrides {
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.to_string())?;
        let class_of = |s: &str| OpClass::parse(s).ok_or_else(|| format!("unknown class `{s}`"));
        let class = raw
            .class
            .into_iter()
            .map(|(k, v)| Ok((k, class_of(&v)?)))
            .collect::<Result<_, String>>()?;
        let escalate = raw
            .escalate
            .into_iter()
            .map(|e| {
                let esc = Escalation {
                    param: e.param,
                    value: e.value,
                    class: class_of(&e.class)?,
                    note: e.note,
                };
                Ok((e.operation, esc))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            prefix: raw.prefix,
            also_speaks: raw.also_speaks,
            class,
            escalate,
        })
    }

    /// Escalations by operation name.
    pub fn escalations(&self) -> HashMap<String, Vec<Escalation>> {
        let mut out: HashMap<String, Vec<Escalation>> = HashMap::new();
        for (op, e) in &self.escalate {
            out.entry(op.clone()).or_default().push(e.clone());
        }
        out
    }

    /// Every operation name the file mentions (checked against the tables).
    #[cfg(test)]
    pub fn named_operations(&self) -> impl Iterator<Item = &str> {
        self.class
            .keys()
            .map(String::as_str)
            .chain(self.escalate.iter().map(|(o, _)| o.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::table::{OVERRIDES_TOML, Table};

    #[test]
    fn every_override_names_a_catalogued_operation() {
        let ov = Overrides::parse(OVERRIDES_TOML).unwrap();
        let t = Table::bundled().unwrap();
        for name in ov.named_operations() {
            let (prefix, op) = name.split_once(':').unwrap();
            let found = t
                .services
                .iter()
                .any(|s| s.name_prefix == prefix && s.op(op).is_some());
            assert!(
                found,
                "{name} is in overrides.toml but not in the catalogue"
            );
        }
        for id in ov.prefix.keys() {
            assert!(t.services.iter().any(|s| &s.id == id), "{id}");
        }
    }

    #[test]
    fn an_unknown_class_is_refused() {
        let err = Overrides::parse("[class]\n\"s3:PutObject\" = \"scary\"\n").unwrap_err();
        assert!(err.contains("scary"), "{err}");
    }
}

//! What an approval card adds beside an operation: a consequence its
//! resource's attributes cannot say ("its backups are deleted with it") and
//! a safer step to take first. Catalogue data
//! (`config/catalog/approval-hints.toml`), keyed by provider and operation.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The bundled hints file.
pub const BUNDLED_HINTS: &str = include_str!("../../../../config/catalog/approval-hints.toml");

/// What the card says beside one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    /// A fact the approver must know, shown with the resource's details.
    #[serde(default)]
    pub consequence: Option<String>,
    /// What to do first instead; text between backticks is code.
    #[serde(default)]
    pub safer_step: Option<String>,
}

/// Provider → operation name → hint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Hints(BTreeMap<String, BTreeMap<String, Hint>>);

impl Hints {
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| format!("approval-hints.toml: {e}"))
    }

    /// The bundled hints (empty if the bundled file does not parse, which
    /// a test rules out).
    pub fn bundled() -> &'static Self {
        static HINTS: OnceLock<Hints> = OnceLock::new();
        HINTS.get_or_init(|| Self::from_toml(BUNDLED_HINTS).unwrap_or_default())
    }

    pub fn get(&self, provider: &str, operation: &str) -> Option<&Hint> {
        self.0.get(provider)?.get(operation)
    }

    /// Every `(provider, operation)` with a hint.
    pub fn operations(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|(p, ops)| ops.keys().map(move |o| (p.as_str(), o.as_str())))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::catalog::CatalogSet;

    #[test]
    fn the_bundled_hints_parse_and_name_catalogued_operations() {
        let hints = Hints::from_toml(BUNDLED_HINTS).unwrap();
        let words = CatalogSet::bundled().unwrap().words();
        for (provider, op) in hints.operations() {
            assert!(
                words.iter().any(|w| w.provider == provider && w.name == op),
                "{provider}:{op} is in approval-hints.toml but no catalogue has it"
            );
        }
        let v = hints.get("railway", "volumeDelete").unwrap();
        assert_eq!(
            v.consequence.as_deref(),
            Some("its backups are deleted with it")
        );
        assert!(
            v.safer_step
                .as_deref()
                .unwrap()
                .contains("`volumeInstanceBackupCreate`")
        );
    }

    #[test]
    fn a_misspelled_field_does_not_load() {
        let e = Hints::from_toml("[railway.volumeDelete]\nconsequense = \"x\"\n").unwrap_err();
        assert!(e.contains("consequense"), "{e}");
    }
}

//! The serde form of a scope-map file.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeMapFile {
    pub version: Spanned<u32>,
    #[serde(default)]
    pub settings: Settings,
    /// Extra catalogue files, relative to the scope-map file.
    #[serde(default)]
    pub catalogs: Vec<String>,
    #[serde(default, rename = "token")]
    pub tokens: Vec<Token>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub unknown_token: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub fingerprint: Option<Spanned<String>>,
    pub surrogate: Option<Spanned<String>>,
    pub secret: Option<Secret>,
    /// AWS surrogates: the surrogate's own secret access key.
    pub surrogate_secret: Option<Secret>,
    pub mode: Option<Spanned<String>>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    pub env: Option<String>,
    pub file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: Spanned<String>,
    pub effect: Spanned<String>,
    #[serde(default)]
    pub operations: Vec<Spanned<String>>,
    /// Operations this rule does not apply to, even when the rest matches.
    #[serde(default)]
    pub except: Vec<Spanned<String>>,
    #[serde(default)]
    pub class: Vec<Spanned<String>>,
    #[serde(default)]
    pub resources: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub note: String,
    /// How many different approvers an `approve` rule needs (1 to 5).
    pub approvers: Option<Spanned<u32>>,
    /// Whether a dashboard user linked to the token or agent may approve
    /// its own requests (an `approve` rule; default true).
    pub self_approval: Option<Spanned<bool>>,
}

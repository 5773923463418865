//! `policy diff --against-log`: the logged requests decided again under
//! both maps, and those whose verdict changes. A record holds no
//! credential, only the token's name and a fingerprint prefix: each map's
//! token is found by that prefix, else by name.

use scopegate_model::{
    CredentialLocation, DecisionRecord, Fingerprint, PresentedCredential, Verdict,
};
use serde::Serialize;

use crate::scope_map::ScopeMap;

/// One logged request whose verdict the new map changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replayed {
    pub id: String,
    pub at_unix_ms: i64,
    pub token: Option<String>,
    pub method: String,
    pub host: String,
    pub path: String,
    pub operations: Vec<String>,
    pub old: Verdict,
    pub new: Verdict,
    pub old_rule: String,
    pub new_rule: String,
}

impl Replayed {
    pub fn widens(&self) -> bool {
        super::rank(self.new) > super::rank(self.old)
    }
}

/// The records that are decisions (approval steps after `held` repeat
/// their request), decided by both maps; those that differ.
pub fn replay(old: &ScopeMap, new: &ScopeMap, records: &[DecisionRecord]) -> Vec<Replayed> {
    records
        .iter()
        .filter(|r| !r.operations.is_empty())
        .filter(|r| r.approval.as_deref().is_none_or(|a| a.starts_with("held ")))
        .filter_map(|r| {
            let o = decided(old, r);
            let n = decided(new, r);
            (o.0 != n.0).then(|| Replayed {
                id: r.id.as_str().to_owned(),
                at_unix_ms: r.at_unix_ms,
                token: r.token.clone(),
                method: r.method.clone(),
                host: r.host.clone(),
                path: r.path.clone(),
                operations: r.operations.iter().map(|op| op.qualified_name()).collect(),
                old: o.0,
                new: n.0,
                old_rule: o.1,
                new_rule: n.1,
            })
        })
        .collect()
}

fn decided(map: &ScopeMap, r: &DecisionRecord) -> (Verdict, String) {
    let credential = match credential_in(map, r) {
        Some(fingerprint) => PresentedCredential::One {
            fingerprint,
            location: CredentialLocation::Header("replay".into()),
            also: Vec::new(),
        },
        None if r.token.is_some() || r.fingerprint_prefix.is_some() => unknown(),
        None => PresentedCredential::None,
    };
    let d = crate::evaluate(map, &credential, &r.operations);
    super::acting(&d)
}

/// The fingerprint `map` knows this record's token by: its prefix first,
/// then its name.
fn credential_in(map: &ScopeMap, r: &DecisionRecord) -> Option<Fingerprint> {
    let fps = |t: &crate::Token| {
        [t.fingerprint, t.surrogate.as_ref().map(|s| s.fingerprint)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
    };
    if let Some(prefix) = r.fingerprint_prefix.as_deref().filter(|p| !p.is_empty()) {
        let prefix = prefix.trim_start_matches("sha256:");
        let found = map
            .tokens
            .iter()
            .flat_map(fps)
            .find(|f| f.to_hex().starts_with(prefix));
        if found.is_some() {
            return found;
        }
    }
    let name = r.token.as_deref()?;
    map.tokens
        .iter()
        .find(|t| t.name == name)
        .and_then(|t| fps(t).first().copied())
}

/// A credential no scope map names.
fn unknown() -> PresentedCredential {
    PresentedCredential::One {
        fingerprint: Fingerprint::of(b"scopegate policy diff: a token neither map names"),
        location: CredentialLocation::Header("replay".into()),
        also: Vec::new(),
    }
}

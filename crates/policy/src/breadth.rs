//! Token breadth (docs/token-breadth.md): per token, what its scope map
//! allows, what the decision log shows it used, and what its provider says
//! it is granted; a token whose grant reaches beyond both is over-scoped,
//! and the narrower kind of token to create instead is named. Pure: the
//! caller gives the records of the window, the catalogues' words and the
//! providers' breadth descriptions.

use std::collections::{BTreeMap, BTreeSet};

use scopegate_model::breadth::split_list;
use scopegate_model::{Breadth, BreadthSpec, DecisionRecord, OpClass, OperationWord};
use serde::Serialize;

use crate::scope_map::{ScopeMap, Token};

mod assess;
mod reach;
pub mod text;

pub use reach::{Allowed, allowed};

/// One token's breadth.
#[derive(Debug, Clone, Serialize)]
pub struct TokenBreadth {
    pub token: String,
    /// `observe` or `enforce`: in observe mode the map is not enforced yet.
    pub mode: String,
    pub allowed: Allowed,
    pub used: Used,
    /// Per provider, what its answers said of the token.
    pub granted: Vec<Granted>,
}

/// What the log shows the token did (forwarded requests only).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Used {
    pub requests: usize,
    /// Class → the operations (`provider:name`) used in it.
    pub by_class: BTreeMap<OpClass, BTreeSet<String>>,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
}

/// What one provider said of the token's current credential.
#[derive(Debug, Clone, Serialize)]
pub struct Granted {
    pub provider: String,
    /// Scopes and expiry from the newest answer; the broadest kind seen in
    /// the window (an agent choosing where to present a token cannot hide
    /// an account token behind one project-token request).
    pub breadth: Breadth,
    /// When the newest answer came.
    pub seen_ms: i64,
    /// The most the grant lets the token do, when known.
    pub power: Option<OpClass>,
    /// What the endpoints used needed: fine-grained permissions (first
    /// set of each `accepted_permissions`) and scopes (`accepted_scopes`).
    pub needed_permissions: BTreeSet<String>,
    pub needed_scopes: BTreeSet<String>,
    pub over_scoped: Option<OverScoped>,
}

/// Why a grant is broader than the token's map and use, and what to
/// create instead.
#[derive(Debug, Clone, Serialize)]
pub struct OverScoped {
    pub why: String,
    /// `a project token`, `a fine-grained personal access token`.
    pub create: String,
    /// The span to limit it to: kind → values (`repository`: `acme/api`).
    pub limited_to: BTreeMap<String, BTreeSet<String>>,
    /// One token covers one value of the span: one each is needed.
    pub one_each: bool,
    /// Permissions to give it (`contents=read`), when the provider has them.
    pub permissions: BTreeSet<String>,
    /// Operations used that name none of the span's kinds: check the
    /// narrower token can still do them.
    pub outside: BTreeSet<String>,
}

impl OverScoped {
    /// One line: what to create, limited to what, with which permissions.
    pub fn advice(&self) -> String {
        let mut s = format!("create {}", self.create);
        let spans: Vec<String> = self
            .limited_to
            .iter()
            .map(|(k, vs)| format!("{k} {}", vs.iter().cloned().collect::<Vec<_>>().join(", ")))
            .collect();
        let several = self.limited_to.values().map(BTreeSet::len).sum::<usize>() > 1;
        if self.one_each && several {
            s.push_str(&format!(" for each of {}", spans.join("; ")));
        } else if !spans.is_empty() {
            s.push_str(&format!(" limited to {}", spans.join("; ")));
        }
        if !self.permissions.is_empty() {
            let p: Vec<&str> = self.permissions.iter().map(String::as_str).collect();
            s.push_str(&format!(" with permissions {}", p.join(", ")));
        }
        if !self.outside.is_empty() {
            let o: Vec<&str> = self.outside.iter().map(String::as_str).collect();
            s.push_str(&format!(
                "; check it can still do what was used outside them: {}",
                o.join(", ")
            ));
        }
        s
    }
}

/// The breadth of `token` from `records` (the window; other tokens'
/// records are skipped). What providers said counts only from requests
/// that presented the token's current credential (its fingerprint or
/// surrogate): a rotated token's old grant does not linger.
pub fn report<'a>(
    map: &ScopeMap,
    token: &Token,
    records: &[DecisionRecord],
    words: &[OperationWord],
    spec: impl Fn(&str) -> Option<&'a BreadthSpec>,
) -> TokenBreadth {
    let mine: Vec<&DecisionRecord> = records
        .iter()
        .filter(|r| r.token.as_deref() == Some(token.name.as_str()))
        .collect();
    let current: Vec<String> = [
        token.fingerprint,
        token.surrogate.as_ref().map(|s| s.fingerprint),
    ]
    .into_iter()
    .flatten()
    .map(|f| f.short())
    .collect();
    let evidence: Vec<&DecisionRecord> = mine
        .iter()
        .copied()
        .filter(|r| {
            r.fingerprint_prefix
                .as_ref()
                .is_some_and(|p| current.contains(p))
        })
        .collect();
    let allowed = allowed(map, token, words);
    let used = used(&mine);
    let providers: BTreeSet<&str> = evidence
        .iter()
        .filter(|r| r.breadth.is_some())
        .map(|r| r.provider.as_str())
        .collect();
    let granted = providers
        .into_iter()
        .filter_map(|provider| {
            let spec = spec(provider);
            let mut g = granted(provider, &evidence, spec)?;
            if let Some(spec) = spec {
                g.over_scoped = assess::assess(spec, &g, token, &allowed, &mine);
            }
            Some(g)
        })
        .collect();
    TokenBreadth {
        token: token.name.clone(),
        mode: token.mode.as_str().to_owned(),
        allowed,
        used,
        granted,
    }
}

fn used(mine: &[&DecisionRecord]) -> Used {
    let mut u = Used::default();
    for r in mine.iter().filter(|r| r.forwarded) {
        u.requests += 1;
        u.first_ms = Some(u.first_ms.map_or(r.at_unix_ms, |f| f.min(r.at_unix_ms)));
        u.last_ms = Some(u.last_ms.map_or(r.at_unix_ms, |l| l.max(r.at_unix_ms)));
        for op in &r.operations {
            u.by_class
                .entry(op.class)
                .or_default()
                .insert(op.qualified_name());
        }
    }
    u
}

/// What `provider`'s answers said: the newest answer's scopes and expiry,
/// the broadest kind seen, and what the endpoints needed.
fn granted(
    provider: &str,
    evidence: &[&DecisionRecord],
    spec: Option<&BreadthSpec>,
) -> Option<Granted> {
    let said: Vec<(&DecisionRecord, &Breadth)> = evidence
        .iter()
        .filter(|r| r.provider == provider)
        .filter_map(|r| r.breadth.as_ref().map(|b| (*r, b)))
        .collect();
    let (newest, latest) = said.iter().max_by_key(|(r, _)| r.at_unix_ms).copied()?;
    let rank = |k: &str| spec.map_or(0, |s| s.kind_rank(k));
    // Broadest first, then newest.
    let kind = said
        .iter()
        .filter_map(|(r, b)| b.kind.as_deref().map(|k| (rank(k), r.at_unix_ms, k)))
        .max()
        .map(|(_, _, k)| k.to_owned());
    let mut needed_permissions = BTreeSet::new();
    let mut needed_scopes = BTreeSet::new();
    for (_, b) in &said {
        if let Some(first) = b
            .accepted_permissions
            .as_deref()
            .and_then(|p| p.split(';').next())
        {
            needed_permissions.extend(split_list(first).into_iter().map(str::to_owned));
        }
        if let Some(s) = b.accepted_scopes.as_deref() {
            needed_scopes.extend(split_list(s).into_iter().map(str::to_owned));
        }
    }
    let breadth = Breadth {
        kind,
        accepted_scopes: None,
        accepted_permissions: None,
        ..latest.clone()
    };
    Some(Granted {
        provider: provider.to_owned(),
        power: spec.and_then(|s| s.granted_power(&breadth)),
        breadth,
        seen_ms: newest.at_unix_ms,
        needed_permissions,
        needed_scopes,
        over_scoped: None,
    })
}

#[cfg(test)]
mod tests;

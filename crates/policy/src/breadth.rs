//! Token breadth (docs/token-breadth.md): per token, what its scope map
//! allows, what the decision log shows it used, and what its provider says
//! it is granted; a token whose grant reaches beyond both is over-scoped,
//! and the narrower kind of token to create instead is named. Pure: the
//! caller gives the records of the window, the catalogues' words and the
//! providers' breadth descriptions.

use std::collections::{BTreeMap, BTreeSet};

use scopegate_model::breadth::{Narrower, power_rank, split_list};
use scopegate_model::{Attribute, Breadth, BreadthSpec, DecisionRecord, OpClass, OperationWord};
use serde::Serialize;

use crate::scope_map::{ScopeMap, Token};

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

/// What one provider said of the token, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct Granted {
    pub provider: String,
    /// The newest answer's word on kind, scopes and expiry.
    pub breadth: Breadth,
    pub seen_ms: i64,
    /// The most the grant lets the token do, when known.
    pub power: Option<OpClass>,
    /// Fine-grained permissions the endpoints used needed (from
    /// `accepted_permissions`, first alternative each).
    pub needed_permissions: BTreeSet<String>,
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
    /// Permissions to give it (`contents=read`), when the provider has them.
    pub permissions: BTreeSet<String>,
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
        if !spans.is_empty() {
            s.push_str(&format!(" limited to {}", spans.join("; ")));
        }
        if !self.permissions.is_empty() {
            let p: Vec<&str> = self.permissions.iter().map(String::as_str).collect();
            s.push_str(&format!(" with permissions {}", p.join(", ")));
        }
        s
    }
}

/// The breadth of `token` from `records` (the window; other tokens'
/// records are skipped).
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
    let allowed = allowed(map, token, words);
    let used = used(&mine);
    let granted = granted(&mine)
        .into_iter()
        .map(|(provider, (breadth, seen_ms, needed))| {
            let spec = spec(&provider);
            let power = spec.and_then(|s| s.granted_power(&breadth));
            let mut g = Granted {
                provider,
                breadth,
                seen_ms,
                power,
                needed_permissions: needed,
                over_scoped: None,
            };
            if let Some(spec) = spec {
                g.over_scoped = assess(spec, &g, token, &allowed, &mine);
            }
            g
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

/// Per provider: the newest breadth (kind, scopes and expiry each from the
/// newest answer that had it), when, and the permissions endpoints needed.
fn granted(mine: &[&DecisionRecord]) -> BTreeMap<String, (Breadth, i64, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (Breadth, i64, BTreeSet<String>)> = BTreeMap::new();
    let mut newest_first: Vec<&&DecisionRecord> = mine.iter().collect();
    newest_first.sort_by_key(|r| std::cmp::Reverse(r.at_unix_ms));
    for r in newest_first {
        let Some(b) = &r.breadth else { continue };
        let (g, seen, needed) = out
            .entry(r.provider.clone())
            .or_insert_with(|| (Breadth::default(), r.at_unix_ms, BTreeSet::new()));
        *seen = (*seen).max(r.at_unix_ms);
        g.kind = g.kind.take().or_else(|| b.kind.clone());
        g.scopes = g.scopes.take().or_else(|| b.scopes.clone());
        g.expires = g.expires.take().or_else(|| b.expires.clone());
        if let Some(first) = b
            .accepted_permissions
            .as_deref()
            .and_then(|p| p.split(';').next())
        {
            needed.extend(split_list(first).into_iter().map(str::to_owned));
        }
    }
    out
}

/// Over-scoped: a narrower kind of token exists for this grant, and the
/// grant reaches beyond both the map and the use, in power (a stronger
/// class than either reaches) or in span (the map and the use are confined
/// to named projects or repositories; the token is not).
fn assess(
    spec: &BreadthSpec,
    g: &Granted,
    token: &Token,
    allowed: &Allowed,
    mine: &[&DecisionRecord],
) -> Option<OverScoped> {
    let narrower = spec.narrower_for(&g.breadth)?;
    let provider_ops = || {
        mine.iter()
            .filter(|r| r.forwarded && r.provider == g.provider)
            .flat_map(|r| &r.operations)
    };
    let used_power = provider_ops()
        .filter(|o| o.class != OpClass::Unknown)
        .map(|o| power_rank(o.class))
        .max()
        .unwrap_or(0);
    let allowed_power = allowed.power().map_or(0, power_rank);
    let granted_power = g.power.map_or(0, power_rank);
    let mut spans = span_of(narrower, provider_ops());
    let map_confined = confined(token, narrower);
    if spans.is_empty() {
        spans = map_confined.clone().unwrap_or_default();
    }
    let why = if granted_power > used_power.max(allowed_power) {
        format!(
            "its grant lets it {}; its scope map and its use go no further than {}",
            class_word(granted_power),
            class_word(used_power.max(allowed_power)),
        )
    } else if map_confined.is_some() && !spans.is_empty() {
        "it reaches everything its owner can; its scope map and its use stay within the resources named below".to_owned()
    } else {
        return None;
    };
    let mut permissions = BTreeSet::new();
    if narrower.with_permissions {
        permissions = permissions_for(spec, g, provider_ops());
    }
    Some(OverScoped {
        why,
        create: narrower.create.clone(),
        limited_to: spans,
        permissions,
    })
}

fn class_word(rank: u8) -> &'static str {
    match rank {
        0 => "nothing",
        1 => "read",
        2 => "write",
        _ => "delete",
    }
}

/// The values the use names, of the first of the narrower's kinds each
/// operation has (a resolved attribute or a resource).
fn span_of<'a>(
    n: &Narrower,
    ops: impl Iterator<Item = &'a scopegate_model::Operation>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in ops {
        for kind in &n.limited_to {
            let values: Vec<String> = match op.attributes.get(kind) {
                Some(Attribute::Known(v)) if !v.is_empty() => v.to_vec(),
                _ => op.resources.get(kind).cloned().unwrap_or_default(),
            };
            if !values.is_empty() {
                out.entry(kind.clone()).or_default().extend(values);
                break;
            }
        }
    }
    out
}

/// When every rule that allows or holds anything is conditioned on one of
/// the narrower's kinds: those kinds and the patterns; `None` otherwise.
fn confined(token: &Token, n: &Narrower) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let granting = token
        .rules
        .iter()
        .filter(|r| r.effect != scopegate_model::Verdict::Deny);
    let mut any = false;
    for r in granting {
        any = true;
        let (kind, globs) = r.resources.iter().find(|(k, _)| n.limited_to.contains(k))?;
        out.entry(kind.clone())
            .or_default()
            .extend(globs.iter().map(|g| g.as_str().to_owned()));
    }
    any.then_some(out)
}

/// The permissions the use needs: what the answers said endpoints needed,
/// what the description maps each used operation to, and `metadata=read`;
/// one level per permission, the higher.
fn permissions_for<'a>(
    spec: &BreadthSpec,
    g: &Granted,
    ops: impl Iterator<Item = &'a scopegate_model::Operation>,
) -> BTreeSet<String> {
    let mut level: BTreeMap<String, &str> = BTreeMap::new();
    let mut add = |p: &str| {
        if let Some((name, lvl)) = p.split_once('=') {
            let lvl = if lvl == "read" { "read" } else { "write" };
            let e = level.entry(name.to_owned()).or_insert(lvl);
            if lvl == "write" {
                *e = "write";
            }
        }
    };
    add("metadata=read");
    for p in &g.needed_permissions {
        add(p);
    }
    for op in ops {
        if let Some(p) = spec.permission_of(&op.name, op.class) {
            add(&p);
        }
    }
    level.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

#[cfg(test)]
mod tests;

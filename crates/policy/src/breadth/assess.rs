//! Whether a grant is over-scoped, and the narrower token to create.

use std::collections::{BTreeMap, BTreeSet};

use scopegate_model::breadth::{Narrower, power_rank};
use scopegate_model::{Attribute, BreadthSpec, DecisionRecord, OpClass, Operation, Verdict};

use super::{Allowed, Granted, OverScoped};
use crate::scope_map::Token;

/// Over-scoped: a narrower kind of token exists for this grant, and the
/// grant reaches beyond both the map and the use at its provider, in power
/// (a stronger class than either reaches) or in span (the map's rules for
/// this provider are confined to named repositories or environments; the
/// token is not).
pub fn assess(
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
    let allowed_power = allowed
        .power_by_provider
        .get(&g.provider)
        .map_or(0, |c| power_rank(*c));
    let granted_power = g.power.map_or(0, power_rank);
    let (mut spans, outside) = span_of(narrower, provider_ops());
    let map_confined = confined(token, narrower, allowed.rules_for(&g.provider));
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
    let permissions = if narrower.with_permissions {
        permissions_for(spec, g, provider_ops())
    } else {
        BTreeSet::new()
    };
    Some(OverScoped {
        why,
        create: narrower.create.clone(),
        limited_to: spans,
        one_each: narrower.one_each,
        permissions,
        outside,
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
/// operation has (a resolved attribute or a resource), and the operations
/// that name none of them.
fn span_of<'a>(
    n: &Narrower,
    ops: impl Iterator<Item = &'a Operation>,
) -> (BTreeMap<String, BTreeSet<String>>, BTreeSet<String>) {
    let mut spans: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut outside = BTreeSet::new();
    'ops: for op in ops {
        for kind in &n.limited_to {
            let values: Vec<String> = match op.attributes.get(kind) {
                Some(Attribute::Known(v)) if !v.is_empty() => v.to_vec(),
                _ => op.resources.get(kind).cloned().unwrap_or_default(),
            };
            if !values.is_empty() {
                spans.entry(kind.clone()).or_default().extend(values);
                continue 'ops;
            }
        }
        outside.insert(op.qualified_name());
    }
    (spans, outside)
}

/// When every rule that allows or holds this provider's operations is
/// conditioned on one of the narrower's kinds, with a pattern that names
/// something (not `*` alone): those kinds and patterns; `None` otherwise.
fn confined(
    token: &Token,
    n: &Narrower,
    rules: &BTreeSet<String>,
) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let granting = token
        .rules
        .iter()
        .filter(|r| r.effect != Verdict::Deny && rules.contains(&r.id));
    let mut any = false;
    for r in granting {
        any = true;
        let (kind, globs) = r.resources.iter().find(|(k, _)| n.limited_to.contains(k))?;
        let names = |g: &&crate::Glob| g.as_str().chars().any(|c| !matches!(c, '*' | '?'));
        if !globs.iter().all(|g| names(&g)) {
            return None;
        }
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
    ops: impl Iterator<Item = &'a Operation>,
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

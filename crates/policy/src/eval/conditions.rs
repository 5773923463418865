//! A rule's resource conditions: on ids the operation names
//! (`environmentId = ["env-1"]`) or on attributes resolved by name
//! (`environment = ["staging"]`; docs/resource-context.md).
//!
//! Fail closed: an allow never rests on an attribute that could not be
//! resolved; a hold or a deny applies when it might.

use scopegate_model::{Attribute, Operation, Verdict};

use crate::glob::Glob;
use crate::scope_map::Rule;

/// Whether every resource condition of `rule` holds for `op`.
pub(super) fn hold(rule: &Rule, op: &Operation) -> bool {
    rule.resources
        .iter()
        .all(|(key, globs)| holds(rule.effect, op, key, globs))
}

fn holds(effect: Verdict, op: &Operation, key: &str, globs: &[Glob]) -> bool {
    let all_match = |vals: &[String]| {
        !vals.is_empty() && vals.iter().all(|v| globs.iter().any(|g| g.matches(v)))
    };
    if let Some(ids) = op.resources.get(key) {
        return all_match(ids);
    }
    match op.attributes.get(key) {
        Some(Attribute::Known(vals)) => all_match(vals),
        Some(Attribute::Unresolved(_)) => effect != Verdict::Allow,
        None => false,
    }
}

/// The conditions of `rule` that rest on attributes `op` could not
/// resolve, said for a reason: `environment (lookup timed out)`.
pub(super) fn unresolved(rule: &Rule, op: &Operation) -> Vec<String> {
    rule.resources
        .iter()
        .filter(|(key, _)| !op.resources.contains_key(key))
        .filter_map(|(key, _)| match op.attributes.get(key) {
            Some(Attribute::Unresolved(why)) => Some(format!("{key} ({why})")),
            _ => None,
        })
        .collect()
}

/// The keys of `rule`'s conditions that `op` does not carry as resource
/// ids: attributes a resolver may supply.
pub(super) fn attribute_keys<'r>(rule: &'r Rule, op: &Operation) -> impl Iterator<Item = &'r str> {
    rule.resources
        .iter()
        .map(|(key, _)| key.as_str())
        .filter(|key| !op.resources.contains_key(*key))
}

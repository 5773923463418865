//! What a change to a scope map changes, found by evaluating, not by
//! comparing text: both maps decide the same synthetic requests (every
//! catalogued operation a token's rules could reach, in each class it can
//! take, with resource values drawn from the resource patterns of either
//! map), and every request whose verdict differs is a change. A rename or a
//! reordering that changes no verdict shows nothing. Pure: the caller
//! gives the catalogues' words.

use std::collections::BTreeSet;

use scopegate_model::{
    Fingerprint, Mode, OpClass, Operation, OperationWord, PresentedCredential, Resources, Verdict,
};
use serde::Serialize;

use crate::evaluate;
use crate::scope_map::{Rule, ScopeMap, Token};

/// A resource value no pattern is written to match.
pub const OTHER_VALUE: &str = "scopegate-diff-other";

/// One request whose verdict differs between the maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The token's name (the new map's, if it has one), or
    /// `(unknown token)`.
    pub token: String,
    /// `provider:name`.
    pub operation: String,
    pub class: OpClass,
    /// Resource values of the synthetic request (kind, value).
    pub resources: Vec<(String, String)>,
    /// What happens to it: `allow` also for anything observe mode forwards.
    pub old: Verdict,
    pub new: Verdict,
    pub old_rule: String,
    pub new_rule: String,
}

impl Change {
    /// Whether the new map lets more through (deny → approve → allow).
    pub fn widens(&self) -> bool {
        rank(self.new) > rank(self.old)
    }
}

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Deny => 0,
        Verdict::Hold => 1,
        Verdict::Allow => 2,
    }
}

/// Every verdict that differs between `old` and `new`, for the operations
/// in `words`.
pub fn diff(old: &ScopeMap, new: &ScopeMap, words: &[OperationWord]) -> Vec<Change> {
    let mut out = unknown_token(old, new);
    // A token's fingerprint and its surrogate pick the same rules: one of
    // them is enough for each pair of tokens (old map's, new map's).
    let mut pairs = BTreeSet::new();
    for fp in credentials(old, new) {
        let pair = [old, new].map(|m| m.token_for(&fp).map(|(t, _)| t.name.clone()));
        if !pairs.insert(pair) {
            continue;
        }
        let tokens: Vec<&Token> = [old, new]
            .iter()
            .filter_map(|m| m.token_for(&fp).map(|(t, _)| t))
            .collect();
        let name = new
            .token_for(&fp)
            .or_else(|| old.token_for(&fp))
            .map_or_else(String::new, |(t, _)| t.name.clone());
        let credential = PresentedCredential::One {
            fingerprint: fp,
            location: scopegate_model::CredentialLocation::Header("diff".into()),
            also: Vec::new(),
        };
        let rules: Vec<&Rule> = tokens.iter().flat_map(|t| &t.rules).collect();
        let samples = samples(&rules);
        // An operation no rule can reach is denied by both maps, unless
        // the token is in one map only (the other's `unknown_token`
        // decides) or changes mode (observe forwards it).
        let every = tokens.len() != 2 || tokens[0].mode != tokens[1].mode;
        for word in words {
            for class in classes(word) {
                let qualified = word.qualified_name();
                if !every && !rules.iter().any(|r| could_match(r, &qualified, class)) {
                    continue;
                }
                for sample in samples.iter().filter(|s| fits(s, word)) {
                    let op = operation(word, class, sample);
                    let o = decide(old, &credential, &op);
                    let n = decide(new, &credential, &op);
                    if o.0 != n.0 {
                        out.push(change(&name, &op, o, n));
                    }
                }
            }
        }
    }
    out
}

/// The `unknown_token` setting: what a request with no known credential
/// gets, whatever it asks.
fn unknown_token(old: &ScopeMap, new: &ScopeMap) -> Vec<Change> {
    if old.unknown_token == new.unknown_token {
        return Vec::new();
    }
    vec![Change {
        token: "(unknown token)".into(),
        operation: "*".into(),
        class: OpClass::Unknown,
        resources: Vec::new(),
        old: old.unknown_token,
        new: new.unknown_token,
        old_rule: "builtin:unknown-token".into(),
        new_rule: "builtin:unknown-token".into(),
    }]
}

/// Every fingerprint either map names (a token's, or its surrogate's).
fn credentials(old: &ScopeMap, new: &ScopeMap) -> BTreeSet<Fingerprint> {
    [old, new]
        .iter()
        .flat_map(|m| &m.tokens)
        .flat_map(|t| [t.fingerprint, t.surrogate.as_ref().map(|s| s.fingerprint)])
        .flatten()
        .collect()
}

/// The classes an operation can take (`unknown` when the catalogue names
/// none).
pub(crate) fn classes(word: &OperationWord) -> Vec<OpClass> {
    if word.classes.is_empty() {
        vec![OpClass::Unknown]
    } else {
        word.classes.clone()
    }
}

/// Whether `rule` could decide `qualified` in `class`, resources aside.
pub(crate) fn could_match(rule: &Rule, qualified: &str, class: OpClass) -> bool {
    let named = rule.operations.is_empty() || rule.operations.iter().any(|g| g.matches(qualified));
    let excepted = rule.except.iter().any(|g| g.matches(qualified));
    let classed = if rule.classes.is_empty() {
        class != OpClass::Unknown
    } else {
        rule.classes.contains(&class)
    };
    named && !excepted && classed
}

/// Resource values to try: none; for each rule with conditions, a value
/// each of its patterns matches (all its kinds at once), and a value none
/// matches for each kind.
pub(crate) fn samples(rules: &[&Rule]) -> Vec<Resources> {
    let mut out: BTreeSet<Vec<(String, String)>> = BTreeSet::new();
    out.insert(Vec::new());
    for r in rules.iter().filter(|r| !r.resources.is_empty()) {
        let most = r.resources.iter().map(|(_, g)| g.len()).max().unwrap_or(0);
        for i in 0..most {
            let pick = |globs: &[crate::Glob]| example(globs[i.min(globs.len() - 1)].as_str());
            out.insert(
                r.resources
                    .iter()
                    .map(|(k, g)| (k.clone(), pick(g)))
                    .collect(),
            );
        }
        for (k, _) in &r.resources {
            out.insert(vec![(k.clone(), OTHER_VALUE.to_owned())]);
        }
    }
    out.into_iter()
        .map(|pairs| pairs.into_iter().map(|(k, v)| (k, vec![v])).collect())
        .collect()
}

/// A value `pattern` matches: its wildcards filled in.
fn example(pattern: &str) -> String {
    pattern.replace(['*', '?'], "x")
}

/// Whether the operation can carry every kind the sample names.
pub(crate) fn fits(sample: &Resources, word: &OperationWord) -> bool {
    sample.keys().all(|k| word.resources.iter().any(|r| r == k))
}

pub(crate) fn operation(word: &OperationWord, class: OpClass, sample: &Resources) -> Operation {
    let mut op = Operation::new(word.provider.clone(), word.name.clone(), class);
    op.resources = sample.clone();
    op
}

/// The verdict as it acts (observe mode forwards), and the deciding rule.
fn decide(map: &ScopeMap, credential: &PresentedCredential, op: &Operation) -> (Verdict, String) {
    acting(&evaluate(map, credential, std::slice::from_ref(op)))
}

/// What a decision does: `allow` for anything observe mode forwards.
fn acting(d: &scopegate_model::Decision) -> (Verdict, String) {
    if d.mode == Mode::Observe && d.verdict != Verdict::Allow {
        return (
            Verdict::Allow,
            format!("{} (observe mode: forwarded)", d.rule),
        );
    }
    (d.verdict, d.rule.to_string())
}

fn change(token: &str, op: &Operation, old: (Verdict, String), new: (Verdict, String)) -> Change {
    Change {
        token: token.to_owned(),
        operation: op.qualified_name(),
        class: op.class,
        resources: op
            .resources
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone())))
            .collect(),
        old: old.0,
        new: new.0,
        old_rule: old.1,
        new_rule: new.1,
    }
}

mod replay;

pub use replay::{Replayed, replay};

#[cfg(test)]
mod tests;

//! What a token's scope map allows: every catalogued operation its rules
//! could reach, decided as `policy diff` decides them (with resource values
//! its own patterns match), counted by class.

use std::collections::{BTreeMap, BTreeSet};

use scopegate_model::breadth::power_rank;
use scopegate_model::{CredentialLocation, OpClass, OperationWord, PresentedCredential, Verdict};
use serde::Serialize;

use crate::diff::{classes, could_match, fits, operation, samples};
use crate::evaluate;
use crate::scope_map::{Rule, ScopeMap, Token};

/// The operations a map lets a token ask for, by class.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Allowed {
    /// Class → how many operations are allowed outright (for some
    /// resource).
    pub allow: BTreeMap<OpClass, usize>,
    /// Class → how many more are held for approval.
    pub approve: BTreeMap<OpClass, usize>,
    /// The providers of those operations.
    pub providers: BTreeSet<String>,
    /// Per provider, the strongest class allowed or held.
    pub power_by_provider: BTreeMap<String, OpClass>,
    /// Per provider, the rules that allow or hold some of its operations.
    #[serde(skip)]
    pub rules_by_provider: BTreeMap<String, BTreeSet<String>>,
}

impl Allowed {
    /// The strongest class allowed or held.
    pub fn power(&self) -> Option<OpClass> {
        self.allow
            .keys()
            .chain(self.approve.keys())
            .copied()
            .max_by_key(|c| power_rank(*c))
    }

    /// The rules that allow or hold some of `provider`'s operations.
    pub fn rules_for(&self, provider: &str) -> &BTreeSet<String> {
        static NONE: BTreeSet<String> = BTreeSet::new();
        self.rules_by_provider.get(provider).unwrap_or(&NONE)
    }
}

impl Allowed {
    /// Notes that `rule` (`token/rule-id`) lets `provider`'s `class` through.
    fn note(&mut self, provider: &str, class: OpClass, rule: &str, token: &str) {
        self.providers.insert(provider.to_owned());
        let power = self
            .power_by_provider
            .entry(provider.to_owned())
            .or_insert(class);
        if power_rank(class) > power_rank(*power) {
            *power = class;
        }
        let id = rule
            .strip_prefix(token)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(rule);
        self.rules_by_provider
            .entry(provider.to_owned())
            .or_default()
            .insert(id.to_owned());
    }
}

/// What `token`'s rules in `map` let it ask for, among `words`. The map's
/// verdicts as written: observe mode, which forwards everything, aside.
pub fn allowed(map: &ScopeMap, token: &Token, words: &[OperationWord]) -> Allowed {
    let mut out = Allowed::default();
    let Some(fingerprint) = token
        .fingerprint
        .or_else(|| token.surrogate.as_ref().map(|s| s.fingerprint))
    else {
        return out;
    };
    let credential = PresentedCredential::One {
        fingerprint,
        location: CredentialLocation::Header("breadth".into()),
        also: Vec::new(),
    };
    let rules: Vec<&Rule> = token.rules.iter().collect();
    let samples = samples(&rules);
    for word in words {
        let qualified = word.qualified_name();
        for class in classes(word) {
            if !rules.iter().any(|r| could_match(r, &qualified, class)) {
                continue;
            }
            let best = samples
                .iter()
                .filter(|s| fits(s, word))
                .map(|s| evaluate(map, &credential, &[operation(word, class, s)]))
                .filter(|d| d.verdict != Verdict::Deny)
                .max_by_key(|d| d.verdict == Verdict::Allow);
            let Some(best) = best else { continue };
            let counts = match best.verdict {
                Verdict::Allow => &mut out.allow,
                _ => &mut out.approve,
            };
            *counts.entry(class).or_default() += 1;
            out.note(&word.provider, class, best.rule.0.as_str(), &token.name);
        }
    }
    out
}

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
                .map(|s| evaluate(map, &credential, &[operation(word, class, s)]).verdict)
                .max_by_key(|v| match v {
                    Verdict::Deny => 0,
                    Verdict::Hold => 1,
                    Verdict::Allow => 2,
                });
            let counts = match best {
                Some(Verdict::Allow) => &mut out.allow,
                Some(Verdict::Hold) => &mut out.approve,
                _ => continue,
            };
            *counts.entry(class).or_default() += 1;
            out.providers.insert(word.provider.clone());
        }
    }
    out
}

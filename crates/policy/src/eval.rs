//! Evaluation: pure and total. Problems push towards deny; nothing here
//! returns an error.

use scopegate_model::{
    Decision, Mode, OpClass, Operation, OperationVerdict, PresentedCredential, RuleRef, Verdict,
};

use crate::scope_map::{Rule, ScopeMap, Token};

/// Decides a request: the presented credential picks the token; each
/// operation is decided by that token's rules; the request gets the
/// strictest verdict among its operations.
pub fn evaluate(
    map: &ScopeMap,
    credential: &PresentedCredential,
    operations: &[Operation],
) -> Decision {
    let token = match credential {
        PresentedCredential::Ambiguous { why } => {
            return whole(
                Verdict::Deny,
                "ambiguous-credential",
                format!("the request's credentials are ambiguous: {why}"),
                None,
                operations,
            );
        }
        PresentedCredential::None => {
            return whole(
                map.unknown_token,
                "unknown-token",
                "the request presents no credential".into(),
                None,
                operations,
            );
        }
        PresentedCredential::One { fingerprint, .. } => match map.token_for(fingerprint) {
            Some((t, _)) => t,
            None => {
                return whole(
                    map.unknown_token,
                    "unknown-token",
                    format!(
                        "the request presents a credential no scope map names (sha256:{}…)",
                        fingerprint.short()
                    ),
                    None,
                    operations,
                );
            }
        },
    };
    if operations.is_empty() {
        return whole(
            Verdict::Deny,
            "no-operations",
            "the request asks for no operation scopegate can name".into(),
            Some(token),
            operations,
        );
    }
    let verdicts: Vec<OperationVerdict> = operations
        .iter()
        .map(|op| decide_operation(token, op))
        .collect();
    let worst = verdicts
        .iter()
        .map(|v| v.verdict)
        .max()
        .unwrap_or(Verdict::Deny);
    let decisive = verdicts.iter().find(|v| v.verdict == worst);
    let (rule, reason) = decisive.map_or_else(
        || (RuleRef::builtin("no-operations"), String::new()),
        |d| (d.rule.clone(), d.reason.clone()),
    );
    Decision {
        verdict: worst,
        mode: token.mode,
        rule,
        reason,
        token: Some(token.name.clone()),
        operations: verdicts,
    }
}

/// A decision taken before any rule: every operation gets the same verdict.
fn whole(
    verdict: Verdict,
    builtin: &str,
    reason: String,
    token: Option<&Token>,
    operations: &[Operation],
) -> Decision {
    let rule = RuleRef::builtin(builtin);
    Decision {
        verdict,
        mode: token.map_or(Mode::Enforce, |t| t.mode),
        rule: rule.clone(),
        reason: reason.clone(),
        token: token.map(|t| t.name.clone()),
        operations: operations
            .iter()
            .map(|op| OperationVerdict {
                operation: op.clone(),
                verdict,
                rule: rule.clone(),
                reason: reason.clone(),
            })
            .collect(),
    }
}

fn decide_operation(token: &Token, op: &Operation) -> OperationVerdict {
    let qualified = op.qualified_name();
    let mut best: Option<&Rule> = None;
    for rule in token
        .rules
        .iter()
        .filter(|r| rule_matches(r, op, &qualified))
    {
        if best.is_none_or(|b| rule.effect > b.effect) {
            best = Some(rule);
        }
    }
    match best {
        Some(rule) => OperationVerdict {
            operation: op.clone(),
            verdict: rule.effect,
            rule: RuleRef(format!("{}/{}", token.name, rule.id)),
            reason: format!(
                "{qualified} ({}) matched rule `{}` of token `{}`: {}",
                op.class, rule.id, token.name, rule.effect
            ),
        },
        None => OperationVerdict {
            operation: op.clone(),
            verdict: Verdict::Deny,
            rule: RuleRef::builtin("no-matching-rule"),
            reason: match &op.note {
                Some(note) if op.class == OpClass::Unknown => {
                    format!(
                        "{qualified} could not be read ({note}); no rule of token `{}` allows unknown operations",
                        token.name
                    )
                }
                _ => format!(
                    "no rule of token `{}` matches {qualified} ({})",
                    token.name, op.class
                ),
            },
        },
    }
}

fn rule_matches(rule: &Rule, op: &Operation, qualified: &str) -> bool {
    rule_matches_name(rule, qualified, op.class)
        && rule.resources.iter().all(|(kind, globs)| {
            op.resources.get(kind).is_some_and(|vals| {
                !vals.is_empty() && vals.iter().all(|v| globs.iter().any(|g| g.matches(v)))
            })
        })
}

/// Whether a rule matches an operation's name and class (its resource
/// conditions aside).
pub(crate) fn rule_matches_name(rule: &Rule, qualified: &str, class: OpClass) -> bool {
    let class_ok = if rule.classes.is_empty() {
        class != OpClass::Unknown
    } else {
        rule.classes.contains(&class)
    };
    class_ok
        && (rule.operations.is_empty() || rule.operations.iter().any(|g| g.matches(qualified)))
        && !rule.except.iter().any(|g| g.matches(qualified))
}

#[cfg(test)]
mod tests;

//! Evaluation: pure and total. Problems push towards deny; nothing here
//! returns an error.

use scopegate_model::{
    Decision, Mode, OpClass, Operation, OperationVerdict, PresentedCredential, RuleRef, Verdict,
};

use crate::scope_map::{Rule, ScopeMap, Token};

mod conditions;
mod who_decides;

pub use who_decides::who_decides;

/// Decides a request: the presented credential picks the token; each
/// operation is decided by that token's rules; the request gets the
/// strictest verdict among its operations.
pub fn evaluate(
    map: &ScopeMap,
    credential: &PresentedCredential,
    operations: &[Operation],
) -> Decision {
    let token = match chosen_token(map, credential) {
        Ok(t) => t,
        Err((verdict, builtin, reason)) => {
            return whole(verdict, builtin, reason, None, operations);
        }
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

/// The token the presented credential picks, or the verdict, builtin rule
/// and reason for a request whose credential picks none.
fn chosen_token<'m>(
    map: &'m ScopeMap,
    credential: &PresentedCredential,
) -> Result<&'m Token, (Verdict, &'static str, String)> {
    match credential {
        PresentedCredential::Ambiguous { why } => Err((
            Verdict::Deny,
            "ambiguous-credential",
            format!("the request's credentials are ambiguous: {why}"),
        )),
        PresentedCredential::None => Err((
            map.unknown_token,
            "unknown-token",
            "the request presents no credential".into(),
        )),
        PresentedCredential::One { fingerprint, .. } => match map.token_for(fingerprint) {
            Some((t, _)) => Ok(t),
            None => Err((
                map.unknown_token,
                "unknown-token",
                format!(
                    "the request presents a credential no scope map names (sha256:{}…)",
                    fingerprint.short()
                ),
            )),
        },
    }
}

/// The attributes the credential's rules could ask of each operation (by
/// index into `operations`): the condition keys of every rule whose name and
/// class match, that the operation does not carry as resource ids. Empty
/// when no rule conditions on an attribute, and then resolution costs
/// nothing (docs/resource-context.md).
pub fn needed_attributes(
    map: &ScopeMap,
    credential: &PresentedCredential,
    operations: &[Operation],
) -> Vec<(usize, String)> {
    let Ok(token) = chosen_token(map, credential) else {
        return Vec::new();
    };
    let mut needed = Vec::new();
    for (i, op) in operations.iter().enumerate() {
        let mut qualified: Option<String> = None;
        for rule in &token.rules {
            // Cheapest first: most rules name no attribute (keys the op
            // carries as ids), and then the name is never matched.
            let mut keys = conditions::attribute_keys(rule, op).peekable();
            if keys.peek().is_none() {
                continue;
            }
            let name = qualified.get_or_insert_with(|| op.qualified_name());
            if !rule_matches_name(rule, name, op.class) {
                continue;
            }
            for key in keys {
                if !needed.iter().any(|(j, k)| *j == i && k == key) {
                    needed.push((i, key.to_owned()));
                }
            }
        }
    }
    needed
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
                "{qualified} ({}) matched rule `{}` of token `{}`: {}{}",
                op.class,
                rule.id,
                token.name,
                rule.effect,
                unresolved_note(&conditions::unresolved(rule, op)),
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
                    "no rule of token `{}` matches {qualified} ({}){}",
                    token.name,
                    op.class,
                    unmatched_for_unresolved(token, op, &qualified),
                ),
            },
        },
    }
}

fn rule_matches(rule: &Rule, op: &Operation, qualified: &str) -> bool {
    rule_matches_name(rule, qualified, op.class) && conditions::hold(rule, op)
}

/// ` (could not resolve environment (lookup timed out))`, or nothing.
fn unresolved_note(unresolved: &[String]) -> String {
    if unresolved.is_empty() {
        String::new()
    } else {
        format!(" (could not resolve {})", unresolved.join(", "))
    }
}

/// For a refusal with no matching rule: the first allow rule that might
/// have matched but for an attribute that could not be resolved.
fn unmatched_for_unresolved(token: &Token, op: &Operation, qualified: &str) -> String {
    token
        .rules
        .iter()
        .filter(|r| r.effect == Verdict::Allow && rule_matches_name(r, qualified, op.class))
        .find_map(|r| {
            let missing = conditions::unresolved(r, op);
            (!missing.is_empty()).then(|| {
                format!(
                    "; rule `{}` needs what could not be resolved: {}",
                    r.id,
                    missing.join(", ")
                )
            })
        })
        .unwrap_or_default()
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

#[cfg(test)]
mod attribute_tests;

#[cfg(test)]
mod who_decides_tests;

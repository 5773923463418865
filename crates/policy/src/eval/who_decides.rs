//! Who may approve a held request: every `approve` rule that matches any
//! of its operations has its say, and the strictest wins (the most
//! approvers; no self-approval if any says so). Not only the rule the
//! decision cites: a batch that deletes a volume beside something lesser
//! still needs what the volume's rule asks.

use scopegate_model::{Decision, Verdict, WhoDecides};

use super::rule_matches;
use crate::scope_map::ScopeMap;

/// Who may approve what `decision` holds; the default (one approver,
/// anyone) for a decision of no known token.
pub fn who_decides(map: &ScopeMap, decision: &Decision) -> WhoDecides {
    let mut who = WhoDecides::default();
    let Some(token) = decision
        .token
        .as_deref()
        .and_then(|name| map.tokens.iter().find(|t| t.name == name))
    else {
        return who;
    };
    for ov in &decision.operations {
        let op = &ov.operation;
        let qualified = op.qualified_name();
        for rule in token
            .rules
            .iter()
            .filter(|r| r.effect == Verdict::Hold && rule_matches(r, op, &qualified))
        {
            who.approvers = who.approvers.max(rule.who_decides.approvers);
            who.self_approval &= rule.who_decides.self_approval;
        }
    }
    who
}

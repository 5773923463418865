//! A request whose body was not read in full. A body over the limit is a
//! decision like any other: refused (413) and recorded, with the token, the
//! provider and the endpoint its head names. What the body asked for is not
//! known, so the record names one `unknown` operation, `body-too-large`,
//! and its digest covers the head alone. Other read failures (a body that
//! stalls or breaks off) are refused as before.

use bytes::Bytes;
use scopegate_model::{
    Decision, Mode, Operation, OperationVerdict, PresentedCredential, RuleRef, Verdict,
};

use crate::engine::Engine;
use crate::ids::decision_id;
use crate::respond::{Refusal, Why};
use crate::shared::State;

use super::conn::Conn;
use super::inspect::inspect;
use super::read::{Inbound, Unread};
use super::record::{self, Facts, Step};

/// The refusal for `unread`, recorded first when it is a decision.
pub async fn refuse(state: &State, conn: &Conn, unread: Unread) -> Refusal {
    let Refusal::BodyTooLarge { max } = unread.why else {
        return unread.why;
    };
    let engine = state.engine.borrow().clone();
    let head = Inbound {
        parts: unread.parts,
        body: Bytes::new(),
    };
    let mut inspection = inspect(&engine, conn, &head).await;
    let reason = format!(
        "the request body is over the {max}-byte limit, and scopegate forwards nothing it has not read"
    );
    let provider = inspection.provider.clone().unwrap_or_default();
    inspection.operations = vec![Operation::unknown(provider, "body-too-large", &reason)];
    inspection.reading = scopegate_inspect::Reading::Nothing;
    let facts = Facts::new(decision_id(), conn, &head, &inspection);
    let decision = over_limit(&engine, &inspection, reason);
    let record = facts.record(&facts.id, &decision, &Step::Decided);
    if let Err(unrecorded) = record::durably(&*state.sink, record).await {
        return unrecorded;
    }
    record::refusal(
        inspection.endpoint,
        decision,
        &facts.id,
        Why::TooLarge { max },
    )
}

/// The decision for a body over the limit: deny, whatever the mode (the
/// body is gone: there is nothing to forward), under the built-in rule
/// `body-limit`.
fn over_limit(
    engine: &Engine,
    inspection: &scopegate_inspect::Inspection,
    reason: String,
) -> Decision {
    let token = match &inspection.credential {
        PresentedCredential::One { fingerprint, .. } => engine
            .scope_map
            .token_for(fingerprint)
            .map(|(t, _)| t.name.clone()),
        _ => None,
    };
    let rule = RuleRef::builtin("body-limit");
    let operations = inspection
        .operations
        .iter()
        .map(|op| OperationVerdict {
            operation: op.clone(),
            verdict: Verdict::Deny,
            rule: rule.clone(),
            reason: reason.clone(),
        })
        .collect();
    Decision {
        verdict: Verdict::Deny,
        mode: Mode::Enforce,
        rule,
        reason,
        token,
        operations,
    }
}

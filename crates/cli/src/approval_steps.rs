//! Every approval step in the decision log, through the journal: an
//! approver's approve or reject (recorded before it is applied, so before
//! it can release anything, whether or not the agent is still waiting) and
//! an approval or grant expiring. The
//! proxy records the rest (held, used, granted, refused). So `audit export`
//! tells an approval's whole story, with who decided it.

use std::sync::Arc;

use scopegate_model::{DecisionRecord, Mode, Operation, Verdict};
use scopegate_store::{Approval, DecisionLog};
use scopegate_web::StepLog;

/// What happened to an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Decided by an approver (its state says which way).
    Decided,
    /// Nobody decided in time, or its grant went unused.
    Expired,
}

/// The decision-log record of one step of `a`.
pub fn step_record(a: &Approval, step: Step) -> DecisionRecord {
    let operations: Vec<Operation> = a
        .detail
        .get("operations")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let by = a.decided_by.as_deref().unwrap_or("an unknown approver");
    let note = a.note.as_deref().filter(|n| !n.is_empty());
    let with_note = |s: String| match note {
        Some(n) => format!("{s}: {n}"),
        None => s,
    };
    let (verdict, approval, reason) = match (step, a.state.as_str()) {
        (Step::Decided, "not-applied") => (
            Verdict::Deny,
            format!(
                "not applied {} (decided by {by} after it stopped waiting)",
                a.id
            ),
            "the approval was no longer pending when the decision reached it".to_owned(),
        ),
        (Step::Decided, "approved") => (
            Verdict::Allow,
            format!("approved {} by {by}", a.id),
            with_note(format!("approved by {by}")),
        ),
        (Step::Decided, _) => (
            Verdict::Deny,
            format!("rejected {} by {by}", a.id),
            with_note(format!("rejected by {by}")),
        ),
        (Step::Expired, _) if a.decided_by.is_some() => (
            Verdict::Deny,
            format!("expired {} (approved by {by}, never resent)", a.id),
            "the grant was not used within its window".to_owned(),
        ),
        (Step::Expired, _) => (
            Verdict::Deny,
            format!("expired {}", a.id),
            "nobody decided in time".to_owned(),
        ),
    };
    let mut r = DecisionRecord::from_decision(
        scopegate_proxy::new_decision_id(),
        &scopegate_model::Decision {
            verdict,
            mode: Mode::Enforce,
            rule: scopegate_model::RuleRef(a.rule.clone()),
            reason,
            token: a.token.clone(),
            operations: Vec::new(),
        },
    );
    r.operations = operations;
    r.agent = a.agent.clone();
    r.fingerprint_prefix = a.fingerprint_prefix.clone();
    r.provider = a.provider.clone();
    r.host = a.host.clone();
    r.method = a.method.clone();
    r.path = a.path.clone();
    r.forwarded = false;
    r.approval = Some(approval);
    r
}

/// Appends a step and waits until the journal holds it.
pub async fn record(log: &DecisionLog, record: DecisionRecord) -> Result<(), String> {
    let ticket = log.append(record).map_err(|e| e.to_string())?;
    log.durable(ticket).await.map_err(|e| e.to_string())
}

/// Counts a step for the metrics (`approved`, `rejected`, `expired`).
pub type CountStep = Arc<dyn Fn(&'static str) + Send + Sync>;

/// The dashboard's approve and reject, recorded as they happen.
pub fn dashboard_steps(log: Arc<DecisionLog>, count: CountStep) -> StepLog {
    Arc::new(move |a: &Approval| {
        match a.state.as_str() {
            "approved" => count("approved"),
            "rejected" => count("rejected"),
            _ => {}
        }
        let log = log.clone();
        let r = step_record(a, Step::Decided);
        Box::pin(async move { record(&log, r).await })
    })
}

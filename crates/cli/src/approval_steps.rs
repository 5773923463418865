//! Every approval step in the decision log, through the journal: an
//! approver's approve or reject (recorded before it is applied, so before
//! it can release anything, whether or not the agent is still waiting) and
//! an approval or grant expiring. The
//! proxy records the rest (held, used, granted, refused). So `audit export`
//! tells an approval's whole story, with who resolved it.

use std::sync::Arc;

use scopegate_model::{DecisionRecord, Mode, Resolution, Verdict};
use scopegate_store::{Approval, DecisionLog};
use scopegate_web::{ApproverStep, StepLog};

/// What happened to an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One approver of several approved it: number `count` of `needed`.
    Approved { count: usize, needed: u8 },
    /// An approver resolved it: approved or rejected.
    Resolved(Resolution),
    /// An approver's resolution reached it after it had stopped waiting
    /// (expired, or resolved by another approver first).
    NotApplied,
    /// Nobody resolved it in time, or its grant went unused.
    Expired,
}

impl From<ApproverStep> for Step {
    fn from(s: ApproverStep) -> Self {
        match s {
            ApproverStep::Approved { count, needed } => Self::Approved { count, needed },
            ApproverStep::Resolved(r) => Self::Resolved(r),
            ApproverStep::NotApplied => Self::NotApplied,
        }
    }
}

/// The decision-log record of one step of `a`.
pub fn step_record(a: &Approval, step: Step) -> DecisionRecord {
    let h = &a.held;
    let by = a.decided_by.as_deref().unwrap_or("an unknown approver");
    let note = a.note.as_deref().filter(|n| !n.is_empty());
    let with_note = |s: String| match note {
        Some(n) => format!("{s}: {n}"),
        None => s,
    };
    let (verdict, approval, reason) = match step {
        Step::Approved { count, needed } => (
            Verdict::Hold,
            format!("approval step {} by {by} ({count} of {needed})", a.id),
            with_note(format!(
                "approved by {by}, {count} of {needed} different approvers"
            )),
        ),
        Step::NotApplied => (
            Verdict::Deny,
            format!(
                "not applied {} (decided by {by} after it stopped waiting)",
                a.id
            ),
            "the approval was no longer pending when the decision reached it".to_owned(),
        ),
        Step::Resolved(Resolution::Approve) => (
            Verdict::Allow,
            format!("approved {} by {by}", a.id),
            with_note(format!("approved by {by}")),
        ),
        Step::Resolved(Resolution::Reject) => (
            Verdict::Deny,
            format!("rejected {} by {by}", a.id),
            with_note(format!("rejected by {by}")),
        ),
        Step::Expired if a.decided_by.is_some() => (
            Verdict::Deny,
            format!("expired {} (approved by {by}, never resent)", a.id),
            "the grant was not used within its window".to_owned(),
        ),
        Step::Expired => (
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
            rule: scopegate_model::RuleRef(h.rule.clone()),
            reason,
            token: h.token.clone(),
            operations: Vec::new(),
        },
    );
    r.operations = h.operations.clone();
    r.agent = h.agent.clone();
    r.fingerprint_prefix = h.fingerprint_prefix.clone();
    r.provider = h.provider.clone();
    r.host = h.host.clone();
    r.method = h.method.clone();
    r.path = h.path.clone();
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
    Arc::new(move |a: &Approval, step: ApproverStep| {
        match step {
            ApproverStep::Resolved(Resolution::Approve) => count("approved"),
            ApproverStep::Resolved(Resolution::Reject) => count("rejected"),
            ApproverStep::Approved { .. } | ApproverStep::NotApplied => {}
        }
        let log = log.clone();
        let r = step_record(a, step.into());
        Box::pin(async move { record(&log, r).await })
    })
}

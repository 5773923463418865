//! What the decision log says about a request: the facts gathered by the
//! phases, and one record per step (decided, held, released, refused),
//! each built once, here, from those values. A decision that cannot be
//! recorded is not acted on.

use scopegate_inspect::{EndpointKind, Inspection};
use scopegate_model::{
    ApprovalId, Decision, DecisionId, DecisionRecord, DecisionSink, Grant, PresentedCredential,
    RecordError, RuleRef, Verdict,
};

use crate::respond::{PolicyRefusal, Refusal, Why};

use super::conn::Conn;
use super::read::Inbound;

/// A decided request as the later phases see it.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    pub facts: &'a Facts,
    pub inspection: &'a Inspection,
    /// The policy's decision, as made.
    pub decision: &'a Decision,
}

/// The record a permitted request is forwarded under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: DecisionId,
    pub step: Step,
}

/// Everything the record says about the request itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The decision's id (later steps get their own).
    pub id: DecisionId,
    pub at_unix_ms: i64,
    pub agent: Option<String>,
    pub fingerprint_prefix: Option<String>,
    pub provider: String,
    pub host: String,
    pub method: String,
    /// Path without the query (it may carry tokens).
    pub path: String,
    pub request_digest: String,
    pub decide_micros: u64,
}

/// The step a record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The policy's decision as made.
    Decided,
    /// Permitted, but the real secret for the surrogate could not be had:
    /// refused, after `after` (the step that permitted it).
    NoSecret { why: String, after: Box<Step> },
    /// Held for a human as this approval.
    Held { approval: ApprovalId },
    /// Released by an approved grant taken for this exact request.
    Granted(Grant),
    /// The waiting request released by its approval.
    Used { approval: ApprovalId, by: String },
    /// The waiting request refused: a human rejected it.
    Rejected { approval: ApprovalId, by: String },
    /// Not held: the approval queue could not be reached.
    QueueUnavailable,
}

impl Step {
    fn approval(&self) -> Option<String> {
        match self {
            Self::Decided => None,
            Self::NoSecret { after, .. } => after.approval(),
            Self::Held { approval } => Some(format!("held {approval}")),
            Self::Granted(g) => Some(format!("granted {} {}", g.approval_id, g.by())),
            Self::Used { approval, by } => Some(format!("used {approval} (approved by {by})")),
            Self::Rejected { approval, by } => {
                Some(format!("refused {approval} (rejected by {by})"))
            }
            Self::QueueUnavailable => Some("not held: the approval queue is unavailable".into()),
        }
    }

    fn forwarded(&self, d: &Decision) -> bool {
        match self {
            Self::Decided => d.forwards(),
            Self::Granted(_) | Self::Used { .. } => true,
            _ => false,
        }
    }

    fn verdict(&self, d: &Decision) -> Verdict {
        match self {
            Self::NoSecret { .. } | Self::Rejected { .. } | Self::QueueUnavailable => Verdict::Deny,
            _ => d.verdict,
        }
    }
}

impl Facts {
    /// The facts of a read and inspected request (`id` is its decision's).
    pub fn new(id: DecisionId, conn: &Conn, inbound: &Inbound, inspection: &Inspection) -> Self {
        let target = inbound.target();
        let method = inbound.parts.method.as_str();
        Self {
            request_digest: scopegate_model::request_digest(
                method,
                &conn.host,
                target,
                &inbound.body,
            ),
            id,
            at_unix_ms: now_ms(),
            agent: conn.agent.clone(),
            fingerprint_prefix: match &inspection.credential {
                PresentedCredential::One { fingerprint, .. } => Some(fingerprint.short()),
                _ => None,
            },
            provider: inspection.provider.clone().unwrap_or_default(),
            host: conn.host.clone(),
            method: method.to_owned(),
            path: short(target).to_owned(),
            decide_micros: 0,
        }
    }

    /// The record of `step`, under `id`.
    pub fn record(&self, id: &DecisionId, d: &Decision, step: &Step) -> DecisionRecord {
        let (rule, reason) = match step {
            Step::NoSecret { why, .. } => (RuleRef::builtin("surrogate").0, why.clone()),
            _ => (d.rule.0.clone(), d.reason.clone()),
        };
        DecisionRecord {
            id: id.clone(),
            at_unix_ms: self.at_unix_ms,
            agent: self.agent.clone(),
            token: d.token.clone(),
            fingerprint_prefix: self.fingerprint_prefix.clone(),
            provider: self.provider.clone(),
            host: self.host.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            request_digest: self.request_digest.clone(),
            operations: d.operations.iter().map(|o| o.operation.clone()).collect(),
            verdict: step.verdict(d),
            mode: d.mode,
            forwarded: step.forwarded(d),
            rule,
            reason,
            decide_micros: self.decide_micros,
            upstream_status: None,
            upstream_millis: None,
            approval: step.approval(),
            breadth: None,
        }
    }
}

/// The refusal for a decided request, under record `id`.
pub fn refusal(endpoint: EndpointKind, decision: Decision, id: &DecisionId, why: Why) -> Refusal {
    Refusal::Policy(Box::new(PolicyRefusal {
        endpoint,
        decision,
        id: id.clone(),
        why,
    }))
}

/// Records where a crash cannot lose it, and waits until power loss cannot
/// either: refusals are recorded so before they are answered.
pub async fn durably(sink: &dyn DecisionSink, record: DecisionRecord) -> Result<(), Refusal> {
    let ticket = sink.record(record).map_err(unrecorded)?;
    sink.durable(ticket).await.map_err(unrecorded)
}

/// Records where a crash cannot lose it: before anything is forwarded.
pub fn journal(sink: &dyn DecisionSink, record: DecisionRecord) -> Result<(), Refusal> {
    sink.record(record).map(|_| ()).map_err(unrecorded)
}

fn unrecorded(e: RecordError) -> Refusal {
    tracing::error!(error = %e, "decision could not be recorded; request not acted on");
    Refusal::Unrecorded
}

/// Paths in logs and records stop at the query string: it may carry tokens.
pub fn short(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

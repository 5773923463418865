//! The settle phase, for held requests: an approved grant for exactly this
//! request (as read) lets it through once; otherwise it is held for a
//! human and waits (bounded). Every step is recorded.

use scopegate_inspect::reading_key;
use scopegate_model::{
    ApprovalId, ApprovalQueue, DecisionSink, HeldRequest, HoldOutcome, PresentedCredential,
    QueueError,
};

use crate::approvals::{grant_key, human_duration};
use crate::engine::Engine;
use crate::ids::decision_id;
use crate::metrics::Metrics;
use crate::request_path::conn::Conn;
use crate::request_path::read::Inbound;
use crate::request_path::record::{Case, Release, Step, durably, refusal};
use crate::respond::{ApprovalLink, Refusal, Why};

use super::permitted::Permitted;

/// What holding needs: the queue, the log, the counters.
pub struct Hold<'a> {
    pub queue: &'a dyn ApprovalQueue,
    pub sink: &'a dyn DecisionSink,
    pub metrics: &'a Metrics,
}

/// Settles a held request: released (with the step to record) or refused.
pub async fn settle(
    hold: Hold<'_>,
    engine: &Engine,
    conn: &Conn,
    case: &Case<'_>,
    inbound: Inbound,
) -> Result<(Permitted<Inbound>, Release), Refusal> {
    let key = bind(conn, case, &inbound);
    match hold.queue.take_grant(key.clone()).await {
        Ok(Some(grant)) => {
            hold.metrics.approval_step("granted");
            let release = Release {
                id: case.facts.id.clone(),
                step: Step::Granted(grant),
            };
            return Ok((Permitted::new(inbound), release));
        }
        Ok(None) => {}
        Err(e) => return Err(unavailable(&hold, case, e).await),
    }
    let view = inbound.with_view(&authority(conn), |view| {
        engine.inspector.approver_view(view, case.inspection)
    });
    let mut request = held(case, key.clone(), view);
    let rule = &case.decision.rule.0;
    request.rule_note = engine.scope_map.rule_note(rule).map(str::to_owned);
    request.who_decides = scopegate_policy::who_decides(&engine.scope_map, case.decision);
    request.agent_reason = agent_reason(&inbound.parts.headers);
    let approval = match hold.queue.hold(request).await {
        Ok(a) => a,
        Err(e) => return Err(unavailable(&hold, case, e).await),
    };
    let step = Step::Held {
        approval: approval.clone(),
    };
    durably(
        hold.sink,
        case.facts.record(&case.facts.id, case.decision, &step),
    )
    .await?;
    wait(&hold, case, key, approval)
        .await
        .map(|release| (Permitted::new(inbound), release))
}

/// Waits for the human, then answers as the approval ended.
async fn wait(
    hold: &Hold<'_>,
    case: &Case<'_>,
    key: String,
    approval: ApprovalId,
) -> Result<Release, Refusal> {
    let link = ApprovalLink {
        link: hold.queue.link(&approval),
        grant_window_hint: human_duration(hold.queue.grant_window()),
        id: approval.clone(),
    };
    let refuse = |id: &scopegate_model::DecisionId, why| {
        refusal(case.inspection.endpoint, case.decision.clone(), id, why)
    };
    match hold
        .queue
        .wait(approval.clone(), hold.queue.hold_for())
        .await
    {
        Ok(HoldOutcome::Approved { by }) => match hold.queue.take_grant(key).await {
            Ok(Some(_)) => {
                hold.metrics.approval_step("used");
                Ok(Release {
                    id: decision_id(),
                    step: Step::Used { approval, by },
                })
            }
            // An identical request waiting on the same approval used the
            // grant first: this one is told so, not "pending".
            Ok(None) => Err(refuse(
                &case.facts.id,
                Why::GrantUsed { approval: link, by },
            )),
            Err(e) => Err(unavailable(hold, case, e).await),
        },
        Ok(HoldOutcome::Rejected { by, note }) => {
            let id = decision_id();
            let step = Step::Rejected {
                approval,
                by: by.clone(),
            };
            durably(hold.sink, case.facts.record(&id, case.decision, &step)).await?;
            Err(refuse(
                &id,
                Why::Rejected {
                    approval: link,
                    by,
                    note,
                },
            ))
        }
        Ok(HoldOutcome::Pending) => Err(refuse(&case.facts.id, Why::Pending(link))),
        Err(e) => Err(unavailable(hold, case, e).await),
    }
}

/// The grant key: the presented credential's full fingerprint and the
/// request's reading key.
fn bind(conn: &Conn, case: &Case<'_>, inbound: &Inbound) -> String {
    let fingerprint = match &case.inspection.credential {
        PresentedCredential::One { fingerprint, .. } => fingerprint.to_hex(),
        _ => String::new(),
    };
    let reading = inbound.with_view(&authority(conn), |view| reading_key(view, case.inspection));
    grant_key(&fingerprint, &reading)
}

fn authority(conn: &Conn) -> String {
    format!("{}:{}", conn.host, conn.port)
}

/// The header an agent explains a request with (docs/approvals.md).
pub const REASON_HEADER: &str = "x-scopegate-reason";

/// The agent's reason, as approvers will read it: one line, printable, at
/// most 500 characters; `None` when absent or blank.
pub fn agent_reason(headers: &http::HeaderMap) -> Option<String> {
    let raw = headers.get(REASON_HEADER)?;
    let text = String::from_utf8_lossy(raw.as_bytes());
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

/// The request as the approval queue keeps it.
fn held(case: &Case<'_>, grant_key: String, view: serde_json::Value) -> HeldRequest {
    let f = case.facts;
    HeldRequest {
        decision_id: f.id.clone(),
        grant_key,
        token: case.decision.token.clone(),
        fingerprint_prefix: f.fingerprint_prefix.clone(),
        agent: f.agent.clone(),
        provider: f.provider.clone(),
        host: f.host.clone(),
        method: f.method.clone(),
        path: f.path.clone(),
        rule: case.decision.rule.0.clone(),
        reason: case.decision.reason.clone(),
        operations: case
            .decision
            .operations
            .iter()
            .map(|o| o.operation.clone())
            .collect(),
        request: view,
        rule_note: None,
        agent_reason: None,
        who_decides: Default::default(),
    }
}

/// The approval queue cannot be reached (its database is down): refused,
/// and the refusal recorded through the journal before the client hears it.
async fn unavailable(hold: &Hold<'_>, case: &Case<'_>, error: QueueError) -> Refusal {
    tracing::error!(%error, "approval queue unavailable; refusing the held request");
    let id = decision_id();
    let record = case
        .facts
        .record(&id, case.decision, &Step::QueueUnavailable);
    match durably(hold.sink, record).await {
        Ok(()) => Refusal::QueueUnavailable,
        Err(unrecorded) => unrecorded,
    }
}

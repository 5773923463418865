//! Deciding an approval, the one path every way of deciding takes (the
//! pages, the API, Slack's buttons): who may decide, what they must type
//! to approve a destructive request, how many different approvers it
//! needs, and every step in the decision log before it takes effect.

use std::time::Duration;

use http::StatusCode;
use scopegate_model::{ApprovalId, ApprovalState, Resolution};
use scopegate_store::Approval;

use crate::blast_radius::confirm;
use crate::{AppState, ApproverStep, Principal, WebError};

/// What an approver asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ask<'a> {
    pub resolution: Resolution,
    pub note: &'a str,
    /// What they typed to confirm a destructive approval.
    pub confirm: Option<&'a str>,
}

impl<'a> Ask<'a> {
    pub fn new(resolution: Resolution, note: &'a str, confirm: Option<&'a str>) -> Self {
        Self {
            resolution,
            note,
            confirm,
        }
    }
}

/// Decides approval `id` for `who`. An approve that still needs another
/// approver returns the approval, still pending, with the step counted.
pub(crate) async fn resolve(
    state: &AppState,
    who: &Principal,
    id: &ApprovalId,
    ask: Ask<'_>,
) -> Result<Approval, WebError> {
    if !who.role.can_decide() {
        return Err(WebError::Forbidden(
            "viewers can read the queue but not decide; ask an approver",
        ));
    }
    let note: String = ask.note.trim().chars().take(2000).collect();
    let Some(current) = state.store.approval(id).await? else {
        return Err(WebError::NotFound);
    };
    if current.state != ApprovalState::Pending {
        return Err(WebError::Conflict(Box::new(current)));
    }
    let mut by = who.user.clone();
    if ask.resolution == Resolution::Approve {
        may_approve(state, who, &current, ask.confirm)?;
        if current.held.who_decides.approvers > 1 {
            match count_approve(state, who, &current, &note).await? {
                Some(all) => by = all.join(", "),
                None => return Ok(state.store.approval(id).await?.unwrap_or(current)),
            }
        }
    }
    apply(state, current, ask.resolution, by, note).await
}

/// Refuses an approve by a user linked to the requester (where the rule
/// says `self_approval = false`) or without the typed confirmation a
/// destructive request needs.
fn may_approve(
    state: &AppState,
    who: &Principal,
    a: &Approval,
    typed: Option<&str>,
) -> Result<(), WebError> {
    if let Some((kind, name)) = self_link(state, who, a) {
        return Err(WebError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "self_approval",
            message: format!(
                "you are linked to {kind} `{name}`, which sent this request, and its rule `{}` says self_approval = false: another approver must approve it",
                a.held.rule
            ),
        });
    }
    match confirm::phrase(&a.held.operations) {
        Some(expected) if !typed.is_some_and(|t| confirm::matches(&expected, t)) => {
            Err(WebError::Confirm {
                expected,
                typed: typed.is_some_and(|t| !t.trim().is_empty()),
            })
        }
        _ => Ok(()),
    }
}

/// What links `who` to the requester of `a` (`("token", name)`) where
/// its rule says `self_approval = false`; `None` when they may approve.
pub(crate) fn self_link(
    state: &AppState,
    who: &Principal,
    a: &Approval,
) -> Option<(&'static str, String)> {
    if a.held.who_decides.self_approval {
        return None;
    }
    state
        .config
        .users
        .iter()
        .find(|u| u.name == who.user)?
        .linked_to(a.held.token.as_deref(), a.held.agent.as_deref())
}

/// Counts `who`'s approve of an approval that needs several approvers:
/// every approver once enough different ones have approved, or `None`
/// while more are needed.
async fn count_approve(
    state: &AppState,
    who: &Principal,
    a: &Approval,
    note: &str,
) -> Result<Option<Vec<String>>, WebError> {
    let needed = a.held.who_decides.approvers;
    let before = state.store.approval_steps(&a.id).await?;
    let already = || WebError::Refused {
        status: StatusCode::CONFLICT,
        code: "already_approved",
        message: format!(
            "you already approved this; it needs {needed} different approvers, so another approver must approve it too"
        ),
    };
    if before.iter().any(|s| s.approver == who.user) {
        return Err(already());
    }
    let mut step = a.clone();
    step.decided_by = Some(who.user.clone());
    step.note = Some(note.to_owned());
    let count = before.len() + 1;
    record(state, &step, ApproverStep::Approved { count, needed }).await?;
    if !state
        .store
        .add_approval_step(&a.id, &who.user, note)
        .await?
    {
        return Err(already());
    }
    let after = state.store.approval_steps(&a.id).await?;
    tracing::info!(approval = %a.id, by = %who.user, count = after.len(), needed, "dashboard: approval step counted");
    if after.len() < usize::from(needed) {
        state.hub.publish(&a.id);
        state.store.notify(&a.id).await;
        return Ok(None);
    }
    Ok(Some(after.into_iter().map(|s| s.approver).collect()))
}

/// Records the resolution as it will read, then makes it: the store's
/// compare-and-set, the hub signal for waiters and live pages. A
/// resolution that cannot be recorded is not made.
async fn apply(
    state: &AppState,
    current: Approval,
    resolution: Resolution,
    by: String,
    note: String,
) -> Result<Approval, WebError> {
    let id = current.id.clone();
    let window = Duration::from_secs(state.config.grant_window_secs);
    let mut intended = current;
    intended.state = resolution.state();
    intended.decided_by = Some(by.clone());
    intended.note = Some(note.clone());
    record(state, &intended, ApproverStep::Resolved(resolution)).await?;
    if let Some(a) = state
        .store
        .resolve(&id, resolution, &by, &note, window)
        .await?
    {
        state.hub.publish(&id);
        tracing::info!(approval = %id, by = %by, decision = resolution.state().as_str(), "dashboard: approval decided");
        return Ok(a);
    }
    // Recorded, then overtaken (expired, or another approver was first):
    // the log says so too.
    let current = state.store.approval(&id).await?;
    if let Some(c) = &current {
        let mut void = c.clone();
        void.decided_by = Some(by);
        if let Err(e) = record(state, &void, ApproverStep::NotApplied).await {
            tracing::error!(approval = %id, error = ?e, "dashboard: a decision not applied was not recorded");
        }
    }
    match current {
        Some(a) => Err(WebError::Conflict(Box::new(a))),
        None => Err(WebError::NotFound),
    }
}

/// Puts an approver's step in the decision log and waits until it is
/// durable (nothing to do where no log is set).
async fn record(state: &AppState, a: &Approval, step: ApproverStep) -> Result<(), WebError> {
    let Some(log) = state.step_log.get() else {
        return Ok(());
    };
    log(a, step).await.map_err(|e| {
        tracing::error!(approval = %a.id, error = %e, "dashboard: decision not recorded, so not made");
        WebError::Internal
    })
}

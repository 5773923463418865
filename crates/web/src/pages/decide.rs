//! The decide card on an approval's page and its form posts: the typed
//! confirmation a destructive approval needs, how many approvers it needs
//! and who has approved, and why this user may not approve, if so.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::HeaderMap;
use scopegate_model::{ApprovalId, ApprovalState, Resolution};
use scopegate_store::{Approval, ApprovalStep};
use serde::Deserialize;

use super::{approval_href, detail_page, human_secs};
use crate::auth::Principal;
use crate::blast_radius::confirm;
use crate::error::{PageError, WebError};
use crate::html::{self, esc};
use crate::{AppState, Ask, PageUser, Shared, check_csrf, resolve};

/// What the decide card needs besides the approval.
pub(crate) struct Deciding {
    /// Who has approved so far (an approval needing several approvers).
    pub steps: Vec<ApprovalStep>,
    /// Why this user may not approve it (linked to the requester:
    /// `("token", name)`), if so.
    pub linked: Option<(&'static str, String)>,
    pub grant_window_secs: u64,
}

impl Deciding {
    pub async fn of(state: &AppState, who: &Principal, a: &Approval) -> Result<Self, WebError> {
        let steps = if a.held.who_decides.approvers > 1 {
            state.store.approval_steps(&a.id).await?
        } else {
            Vec::new()
        };
        Ok(Self {
            steps,
            linked: crate::decide::self_link(state, who, a),
            grant_window_secs: state.config.grant_window_secs,
        })
    }

    fn approved_by(&self, user: &str) -> bool {
        self.steps.iter().any(|s| s.approver == user)
    }
}

/// The banner after a decision (`?done=`), saying truthfully where it is.
pub(crate) fn banner(
    done: Option<&str>,
    a: &Approval,
    deciding: &Deciding,
) -> Option<(&'static str, String)> {
    let text = match (done?, a.state) {
        ("approved", ApprovalState::Used) => {
            "Approved, and the agent's request was released.".to_owned()
        }
        ("approved", ApprovalState::Pending) => format!(
            "Your approval is recorded ({} of {}). Nothing is released until another approver approves too.",
            deciding.steps.len(),
            a.held.who_decides.approvers
        ),
        ("approved", _) => {
            "Approved. The agent's identical request will go through once.".to_owned()
        }
        ("rejected", _) => {
            return Some((
                "bad",
                "Rejected. The agent will be told to stop.".to_owned(),
            ));
        }
        _ => return None,
    };
    Some(("ok", text))
}

/// A pending approval: approve (with the typed confirmation a destructive
/// request needs) or reject with a note, or a word that a viewer cannot.
pub(crate) fn form(b: &mut String, who: &Principal, a: &Approval, d: &Deciding, now: i64) {
    if !who.role.can_decide() {
        b.push_str("<p class=\"banner info\">You are a viewer: you can follow this request but an approver decides it.</p>");
        return;
    }
    let _ = write!(
        b,
        "<section class=\"card decide\"><h2>Decide</h2>\
<p>Approving lets this exact request (same token, same operations, same arguments) through <strong>once</strong>, within {window} of approval. The request expires {expires} if nobody decides.</p>",
        window = esc(&human_secs(d.grant_window_secs)),
        expires = esc(&html::relative(a.expires_ms, now)),
    );
    approvers(b, a, d);
    let can_approve = approve_blocked(b, who, d).is_none();
    let _ = write!(
        b,
        "<form method=\"post\" action=\"{href}/approve\" class=\"stack\">{csrf}",
        href = esc(&approval_href(&a.id)),
        csrf = html::csrf_field(who.csrf()),
    );
    let phrase = confirm::phrase(&a.held.operations);
    if let (true, Some(p)) = (can_approve, &phrase) {
        let _ = write!(
            b,
            "<label class=\"confirm\"><span>Type <code class=\"confirm-phrase\">{p}</code> to approve <span class=\"muted\">(what this request destroys)</span></span>\
<input type=\"text\" name=\"confirm\" required autocomplete=\"off\" autocapitalize=\"off\" autocorrect=\"off\" spellcheck=\"false\" inputmode=\"text\"></label>",
            p = esc(p),
        );
    }
    b.push_str("<label>Note <span class=\"muted\">(optional, recorded with your decision and shown to the agent on rejection)</span>\
<textarea name=\"note\" rows=\"2\" maxlength=\"2000\"></textarea></label><div class=\"buttons\">");
    if can_approve {
        let label = match (a.held.who_decides.approvers, &phrase) {
            (n, _) if n > 1 => format!("Approve ({} of {n})", d.steps.len() + 1),
            (_, Some(_)) => "Approve and destroy".to_owned(),
            _ => "Approve".to_owned(),
        };
        let _ = write!(
            b,
            "<button type=\"submit\" class=\"approve\">{}</button>",
            esc(&label)
        );
    }
    let _ = write!(
        b,
        "<button type=\"submit\" class=\"reject\" formaction=\"{href}/reject\" formnovalidate>Reject</button></div></form></section>",
        href = esc(&approval_href(&a.id)),
    );
}

/// "Needs 2 different approvers; approved so far by alice (12:01)".
fn approvers(b: &mut String, a: &Approval, d: &Deciding) {
    let needed = a.held.who_decides.approvers;
    if needed < 2 {
        return;
    }
    let so_far = if d.steps.is_empty() {
        "nobody yet".to_owned()
    } else {
        d.steps
            .iter()
            .map(|s| format!("{} ({})", esc(&s.approver), esc(&html::time(s.at_ms))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        b,
        "<p class=\"approvers\" data-needed=\"{needed}\" data-approved=\"{n}\">Needs <strong>{needed} different approvers</strong>; approved so far by {so_far}.</p>",
        n = d.steps.len(),
    );
}

/// Says why this user cannot approve, if so: linked to the requester, or
/// already one of the approvers.
fn approve_blocked(b: &mut String, who: &Principal, d: &Deciding) -> Option<()> {
    if let Some((kind, name)) = &d.linked {
        let _ = write!(
            b,
            "<p class=\"banner warn\">You are linked to {kind} <code>{}</code>, which sent this request, and its rule does not allow self-approval: another approver must approve it. You can still reject it.</p>",
            esc(name)
        );
        return Some(());
    }
    if d.approved_by(&who.user) {
        b.push_str("<p class=\"banner info\">You approved this. It waits for another approver; you can still reject it.</p>");
        return Some(());
    }
    None
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn approve(
    who: PageUser,
    state: State<Shared>,
    headers: HeaderMap,
    id: Path<ApprovalId>,
    form: Form<ResolveForm>,
) -> Result<Response, PageError> {
    resolve_posted(who, state, headers, id, form, Resolution::Approve).await
}

pub async fn reject(
    who: PageUser,
    state: State<Shared>,
    headers: HeaderMap,
    id: Path<ApprovalId>,
    form: Form<ResolveForm>,
) -> Result<Response, PageError> {
    resolve_posted(who, state, headers, id, form, Resolution::Reject).await
}

async fn resolve_posted(
    PageUser(who): PageUser,
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<ApprovalId>,
    Form(f): Form<ResolveForm>,
    resolution: Resolution,
) -> Result<Response, PageError> {
    check_csrf(&state, &headers, &who, Some(&f.csrf))?;
    let ask = Ask::new(resolution, &f.note, f.confirm.as_deref());
    let e = match resolve(&state, &who, &id, ask).await {
        Ok(_) => {
            let to = format!("{}?done={}", approval_href(&id), resolution.state());
            return Ok(Redirect::to(&to).into_response());
        }
        Err(e @ (WebError::Conflict(_) | WebError::Confirm { .. } | WebError::Refused { .. })) => e,
        Err(e) => return Err(PageError(e)),
    };
    // The page again, saying what stopped the decision.
    let a = match &e {
        WebError::Conflict(a) => (**a).clone(),
        _ => state.store.approval(&id).await?.ok_or(WebError::NotFound)?,
    };
    let kind = if matches!(e, WebError::Conflict(_)) {
        "warn"
    } else {
        "bad"
    };
    let deciding = Deciding::of(&state, &who, &a).await?;
    let page = detail_page(&who, &a, Some((kind, e.message())), None, &deciding);
    Ok((e.status(), Html(page)).into_response())
}

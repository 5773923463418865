//! The HTML pages: the pending queue, an approval's detail with the
//! decision form, all approvals by state, the decision log, the scope maps
//! and health. Every value from the store or the scope map is escaped with
//! `esc` where it is written into markup.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use scopegate_model::{ApprovalId, ApprovalState};
use scopegate_store::{Approval, Filter, Release};
use serde::Deserialize;

use crate::auth::Principal;
use crate::error::{PageError, WebError};
use crate::html::{self, Nav, class_badge, esc, page, state_badge, url_segment};
use crate::view::{self, OpView};
use crate::{PageUser, Shared, now_ms, state_filter};

mod breadth;
mod decide;
mod draft;
mod log_table;
mod token_card;
pub use draft::draft;

use decide::Deciding;
pub use decide::{approve, reject};

const QUEUE_LIMIT: i64 = 200;
const PAGE_SIZE: i64 = 50;

fn approval_href(id: &ApprovalId) -> String {
    format!("/approvals/{}", url_segment(id.as_str()))
}

/// The pending queue; `/static/app.js` refreshes it on every event.
pub async fn queue(
    PageUser(who): PageUser,
    State(state): State<Shared>,
) -> Result<Html<String>, PageError> {
    let pending = state
        .store
        .approvals(Some(ApprovalState::Pending), QUEUE_LIMIT, 0)
        .await?;
    let body = format!(
        "<h1>Pending approvals <span class=\"count\" id=\"pending-count\">{n}</span></h1>\
<p class=\"lead\">Requests that a scope map holds for a human. Approve one and the agent's identical request goes through once; reject it and the agent is told to stop. <span class=\"live\" id=\"live\" hidden>live</span></p>\
<section id=\"pending\" data-live=\"pending\" aria-live=\"polite\">{list}</section>",
        n = pending.len(),
        list = pending_list(&pending, now_ms()),
    );
    Ok(Html(page(
        "Pending approvals",
        Nav::Queue,
        Some(&who),
        &body,
    )))
}

/// The queue's list alone, for live refresh.
pub async fn pending_fragment(
    PageUser(_who): PageUser,
    State(state): State<Shared>,
) -> Result<Html<String>, PageError> {
    let pending = state
        .store
        .approvals(Some(ApprovalState::Pending), QUEUE_LIMIT, 0)
        .await?;
    Ok(Html(pending_list(&pending, now_ms())))
}

fn pending_list(pending: &[Approval], now: i64) -> String {
    if pending.is_empty() {
        return "<p class=\"empty\">Nothing is waiting for a decision.</p>".into();
    }
    let mut out = String::new();
    for a in pending {
        let ops = view::operations(a);
        let title = title(a, &ops);
        let _ = write!(
            out,
            "<article class=\"approval\" data-id=\"{id}\"><div class=\"row\">{class}<a class=\"title\" href=\"{href}\">{title}</a>\
<span class=\"muted\">asked {created} · expires {expires} · {attempts} attempt{s}</span></div>\
{blast}<p class=\"summary\">{summary}</p><p class=\"meta\">held by rule <code>{rule}</code>{note}</p>{said}\
<a class=\"button\" href=\"{href}\">Review</a></article>",
            id = esc(a.id.as_str()),
            class = class_badge(view::top_class(&ops)),
            href = esc(&approval_href(&a.id)),
            title = esc(&title),
            created = esc(&html::relative(a.created_ms, now)),
            expires = esc(&html::relative(a.expires_ms, now)),
            attempts = a.attempts,
            s = if a.attempts == 1 { "" } else { "s" },
            summary = esc(&view::summary(a)),
            blast = view::blast_html(a, now),
            rule = esc(&a.held.rule),
            note = a
                .held
                .rule_note
                .as_deref()
                .map(|n| format!(": {}", esc(n)))
                .unwrap_or_default(),
            said = agent_said(a),
        );
    }
    out
}

/// The agent's own reason, marked as its words: `<p>` or nothing.
fn agent_said(a: &Approval) -> String {
    a.held
        .agent_reason
        .as_deref()
        .map(|r| {
            format!(
                "<p class=\"meta agent-reason\">the agent says: “{}” <span class=\"muted\">(not verified)</span></p>",
                esc(r)
            )
        })
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn detail(
    PageUser(who): PageUser,
    State(state): State<Shared>,
    Path(id): Path<ApprovalId>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let a = state.store.approval(&id).await?.ok_or(WebError::NotFound)?;
    let release = match a.state {
        ApprovalState::Used => {
            let since = a.created_ms - scopegate_store::release::EARLIEST_MS;
            state.store.release_of(&a.id, since).await?
        }
        _ => None,
    };
    let deciding = Deciding::of(&state, &who, &a).await?;
    let banner = decide::banner(q.done.as_deref(), &a, &deciding);
    Ok(Html(detail_page(&who, &a, banner, release.as_ref(), &deciding)).into_response())
}

fn detail_page(
    who: &Principal,
    a: &Approval,
    banner: Option<(&str, String)>,
    release: Option<&Release>,
    deciding: &Deciding,
) -> String {
    let now = now_ms();
    let ops = view::operations(a);
    let title = title(a, &ops);
    let mut b = String::new();
    detail_header(&mut b, a, &title, banner);
    // The resolution form, or who resolved it.
    if a.state == ApprovalState::Pending {
        decide::form(&mut b, who, a, deciding, now);
    } else {
        resolution_facts(&mut b, a, release);
    }
    operations_table(&mut b, &ops);
    who_and_why(&mut b, a, now);
    request_documents(&mut b, a);
    page(&format!("{title} ({})", a.state), Nav::Queue, Some(who), &b)
}

/// What an approval is called: its operations, or its method and path.
fn title(a: &Approval, ops: &[OpView]) -> String {
    if ops.is_empty() {
        format!("{} {}", a.held.method, a.held.path)
    } else {
        ops.iter()
            .map(OpView::qualified)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Crumbs, the title with the state, the summary, a banner if any, and the
/// (hidden) notice that the approval changed.
fn detail_header(b: &mut String, a: &Approval, title: &str, banner: Option<(&str, String)>) {
    let _ = write!(
        b,
        "<p class=\"crumbs\"><a href=\"/\">Pending</a> › <a href=\"/approvals\">Approvals</a> › <code>{id}</code></p>\
<h1 class=\"detail-title\" data-approval=\"{id}\" data-state=\"{state}\">{title} {badge}</h1>\
{blast}<p class=\"lead summary\">{summary}</p>",
        id = esc(a.id.as_str()),
        state = esc(a.state.as_str()),
        title = esc(title),
        badge = state_badge(a.state.as_str()),
        summary = esc(&view::summary(a)),
        blast = view::blast_html(a, now_ms()),
    );
    if let Some((kind, text)) = banner {
        let _ = write!(
            b,
            "<p class=\"banner {kind}\" role=\"status\">{}</p>",
            esc(&text)
        );
    }
    b.push_str("<p class=\"banner info\" id=\"changed\" hidden>This approval changed while you were looking. <a href=\"\" id=\"reload\">Reload</a></p>");
}

/// An approval no longer pending: its state, who resolved it and when,
/// the note, and an approval's grant.
/// What became of the request, in words: released and what the provider
/// answered, waiting for the resend, or nothing released.
pub(crate) fn what_happened(a: &Approval, release: Option<&Release>) -> String {
    match (a.state, release) {
        (ApprovalState::Used, Some(r)) => match (r.upstream_status, &r.error) {
            (Some(status), _) => format!(
                "Released at {} (decision {}): the provider answered HTTP {status}.",
                html::time(r.at_ms),
                r.decision_id
            ),
            (None, Some(e)) => format!(
                "Released at {} (decision {}), but the provider gave no answer: {e}.",
                html::time(r.at_ms),
                r.decision_id
            ),
            (None, None) => format!(
                "Released at {} (decision {}); the provider's answer is not recorded yet.",
                html::time(r.at_ms),
                r.decision_id
            ),
        },
        (ApprovalState::Used, None) => {
            "Released; its record has not reached the database yet.".to_owned()
        }
        (ApprovalState::Approved, _) => format!(
            "Waiting for the agent to send the identical request again (until {}); nothing has been released yet.",
            html::time(a.expires_ms)
        ),
        (ApprovalState::Expired, _) => "Expired: nothing was released.".to_owned(),
        (ApprovalState::Rejected, _) => {
            "Rejected: nothing was released, and the agent was told to stop.".to_owned()
        }
        (ApprovalState::Pending, _) => "Waiting for a decision.".to_owned(),
    }
}

fn resolution_facts(b: &mut String, a: &Approval, release: Option<&Release>) {
    let by = a.decided_by.as_deref().unwrap_or("nobody");
    let when = a.decided_ms.map(html::time).unwrap_or_default();
    let _ = write!(
        b,
        "<section class=\"card\"><h2>Decision</h2><dl class=\"facts\"><dt>State</dt><dd>{state}</dd>\
<dt>Decided by</dt><dd>{by}</dd><dt>When</dt><dd>{when}</dd>{note}{grant}\
<dt>What happened</dt><dd class=\"what-happened\">{happened}</dd></dl></section>",
        state = state_badge(a.state.as_str()),
        happened = esc(&what_happened(a, release)),
        by = esc(by),
        when = esc(&when),
        note = a
            .note
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| format!("<dt>Note</dt><dd class=\"note\">{}</dd>", esc(n)))
            .unwrap_or_default(),
        grant = if a.state == ApprovalState::Approved {
            format!(
                "<dt>Grant</dt><dd>the identical request may pass once until {}</dd>",
                esc(&html::time(a.expires_ms))
            )
        } else {
            String::new()
        },
    );
}

/// What was asked: one row per operation, with its class and resources.
fn operations_table(b: &mut String, ops: &[OpView]) {
    b.push_str("<h2>What the agent asked for</h2>");
    if ops.is_empty() {
        b.push_str("<p class=\"muted\">No operations were recorded.</p>");
        return;
    }
    b.push_str("<div class=\"table-wrap\"><table class=\"ops\"><thead><tr><th>Operation</th><th>Class</th><th>Resources</th></tr></thead><tbody>");
    for o in ops {
        let mut res = String::new();
        for (k, vs) in &o.resources {
            let _ = write!(
                res,
                "<div><span class=\"muted\">{}</span> {}</div>",
                esc(k),
                vs.iter()
                    .map(|v| format!("<code>{}</code>", esc(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        if res.is_empty() {
            res.push_str("<span class=\"muted\">none named</span>");
        }
        let note = o
            .note
            .as_deref()
            .map(|n| format!("<div class=\"muted\">{}</div>", esc(n)))
            .unwrap_or_default();
        let _ = write!(
            b,
            "<tr><td><code>{}</code>{note}</td><td>{}</td><td>{res}</td></tr>",
            esc(&o.qualified()),
            class_badge(&o.class)
        );
    }
    b.push_str("</tbody></table></div>");
}

/// Who asked (token, agent, provider, request) and why it was held (rule,
/// reason, times, ids).
fn who_and_why(b: &mut String, a: &Approval, now: i64) {
    let h = &a.held;
    let fp = h
        .fingerprint_prefix
        .as_deref()
        .map(|f| format!(" <span class=\"muted\">sha256:{}…</span>", esc(f)))
        .unwrap_or_default();
    let _ = write!(
        b,
        "<div class=\"grid\"><section class=\"card\"><h2>Who asked</h2><dl class=\"facts\">\
<dt>Token</dt><dd><code>{token}</code>{fp}</dd><dt>Agent</dt><dd>{agent}</dd>\
<dt>Provider</dt><dd>{provider} <span class=\"muted\">{host}</span></dd>\
<dt>Request</dt><dd><code>{method} {path}</code></dd><dt>Attempts</dt><dd>{attempts}</dd>{said}</dl></section>\
<section class=\"card\"><h2>Why it was held</h2><dl class=\"facts\">\
<dt>Rule</dt><dd><code>{rule}</code></dd>{note}<dt>Reason</dt><dd>{reason}</dd>\
<dt>Asked</dt><dd>{created}</dd><dt>Expires</dt><dd>{expires}</dd>\
<dt>Decision id</dt><dd><code>{decision}</code></dd><dt>Approval id</dt><dd><code>{id}</code></dd></dl></section></div>",
        token = esc(h.token.as_deref().unwrap_or("(unknown token)")),
        agent = h.agent.as_deref().map(esc).unwrap_or_else(|| {
            "<span class=\"muted\">not named (no proxy credential)</span>".into()
        }),
        provider = esc(&h.provider),
        host = esc(&h.host),
        method = esc(&h.method),
        path = esc(&h.path),
        attempts = a.attempts,
        rule = esc(&h.rule),
        note = h
            .rule_note
            .as_deref()
            .map(|n| format!("<dt>Rule note</dt><dd class=\"rule-note\">{}</dd>", esc(n)))
            .unwrap_or_default(),
        said = h
            .agent_reason
            .as_deref()
            .map(|r| format!(
                "<dt>The agent says</dt><dd class=\"agent-reason\">“{}” <span class=\"muted\">(its own words, not verified)</span></dd>",
                esc(r)
            ))
            .unwrap_or_default(),
        reason = esc(&h.reason),
        created = esc(&html::time(a.created_ms)),
        expires = esc(&format!(
            "{} ({})",
            html::time(a.expires_ms),
            html::relative(a.expires_ms, now)
        )),
        decision = esc(h.decision_id.as_str()),
        id = esc(a.id.as_str()),
    );
}

/// The request itself, secrets masked: its GraphQL documents with their
/// variables, then anything else it carried.
fn request_documents(b: &mut String, a: &Approval) {
    let docs = view::graphql(a);
    let extra = view::request_extra(a);
    if !docs.is_empty() || !extra.is_empty() {
        b.push_str("<h2>The request <span class=\"muted small\">(secrets masked)</span></h2>");
    }
    for (i, d) in docs.iter().enumerate() {
        let _ = write!(
            b,
            "<section class=\"card gql\"><h3>GraphQL document{num}{name}</h3>{unparsed}<pre class=\"code\"><code>{doc}</code></pre>{vars}</section>",
            num = if docs.len() > 1 {
                format!(" {}", i + 1)
            } else {
                String::new()
            },
            name = d
                .operation_name
                .as_deref()
                .map(|n| format!(
                    " <span class=\"muted\">operationName</span> <code>{}</code>",
                    esc(n)
                ))
                .unwrap_or_default(),
            unparsed = if d.parsed {
                ""
            } else {
                "<p class=\"muted\">Shown as sent: it does not parse as GraphQL.</p>"
            },
            doc = esc(&d.document),
            vars = if d.variables.is_empty() {
                String::new()
            } else {
                format!(
                    "<h4>Variables</h4><pre class=\"code\"><code>{}</code></pre>",
                    esc(&d.variables)
                )
            },
        );
    }
    if !extra.is_empty() {
        let _ = write!(b, "<pre class=\"code\"><code>{}</code></pre>", esc(&extra));
    }
}

fn human_secs(s: u64) -> String {
    match s {
        0..=119 => format!("{s} seconds"),
        120..=7199 => format!("{} minutes", s / 60),
        _ => format!("{} hours", s / 3600),
    }
}

#[derive(Debug, Deserialize)]
pub struct ApprovalsQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

/// Every approval, newest first, by state, paged.
pub async fn approvals(
    PageUser(who): PageUser,
    State(state): State<Shared>,
    Query(q): Query<ApprovalsQuery>,
) -> Result<Html<String>, PageError> {
    let filter = state_filter(q.state.as_deref())
        .map_err(|s| WebError::BadRequest(format!("unknown state {s:?}")))?;
    let page_no = q.page.unwrap_or(1).clamp(1, 100_000);
    let rows = state
        .store
        .approvals(filter, PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE)
        .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let mut b = String::from(
        "<h1>Approvals</h1><p class=\"lead\">Every held request and what became of it, newest first.</p><nav class=\"tabs\">",
    );
    let st = filter.map_or("all", ApprovalState::as_str);
    for s in ["all"]
        .into_iter()
        .chain(ApprovalState::ALL.map(ApprovalState::as_str))
    {
        let cur = st == s;
        let _ = write!(
            b,
            "<a href=\"/approvals?state={s}\"{}>{s}</a>",
            if cur { " aria-current=\"page\"" } else { "" }
        );
    }
    b.push_str("</nav>");
    if rows.is_empty() {
        b.push_str("<p class=\"empty\">No approvals here.</p>");
    } else {
        b.push_str("<div class=\"table-wrap\"><table class=\"approvals\"><thead><tr><th>Asked</th><th>State</th><th>What</th><th>Decided by</th><th>Note</th></tr></thead><tbody>");
        for a in rows.iter().take(PAGE_SIZE as usize) {
            let _ = write!(
                b,
                "<tr><td class=\"nowrap\"><a href=\"{href}\">{created}</a></td><td>{badge}</td><td>{summary}</td><td>{by}</td><td class=\"note\">{note}</td></tr>",
                href = esc(&approval_href(&a.id)),
                created = esc(&html::time(a.created_ms)),
                badge = state_badge(a.state.as_str()),
                summary = esc(&view::summary(a)),
                by = esc(a.decided_by.as_deref().unwrap_or("")),
                note = esc(a.note.as_deref().unwrap_or("")),
            );
        }
        b.push_str("</tbody></table></div>");
    }
    b.push_str("<nav class=\"pager\">");
    if page_no > 1 {
        let _ = write!(
            b,
            "<a href=\"/approvals?state={st}&amp;page={}\">← Newer</a>",
            page_no - 1
        );
    }
    if more {
        let _ = write!(
            b,
            "<a href=\"/approvals?state={st}&amp;page={}\">Older →</a>",
            page_no + 1
        );
    }
    b.push_str("</nav>");
    Ok(Html(page("Approvals", Nav::Approvals, Some(&who), &b)))
}

/// History filters, as the form sends them (empty = any).
#[derive(Debug, Default, Deserialize)]
pub struct HistoryQuery {
    #[serde(default)]
    pub verdict: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    /// `YYYY-MM-DDTHH:MM` (UTC) or empty.
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    /// Page: rows before this sequence number (older ones), newest first.
    #[serde(default)]
    pub before: Option<i64>,
    /// API: rows after this sequence number, in chain order.
    #[serde(default)]
    pub after: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

pub(crate) fn some_text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl HistoryQuery {
    pub fn filter(&self) -> Result<Filter, WebError> {
        let time = |s: &Option<String>, what: &str| match some_text(s) {
            None => Ok(None),
            Some(t) => html::parse_time(&t).map(Some).ok_or_else(|| {
                WebError::BadRequest(format!(
                    "{what}: expected YYYY-MM-DDTHH:MM (UTC), got {t:?}"
                ))
            }),
        };
        let verdict = some_text(&self.verdict);
        if let Some(v) = &verdict
            && scopegate_model::Verdict::parse(v).is_none()
        {
            return Err(WebError::BadRequest(format!("unknown verdict {v:?}")));
        }
        Ok(Filter {
            since_ms: time(&self.since, "since")?,
            until_ms: time(&self.until, "until")?,
            token: some_text(&self.token),
            agent: some_text(&self.agent),
            verdict,
            provider: some_text(&self.provider),
        })
    }

    fn link(&self, before: Option<i64>) -> String {
        let mut q = String::from("/history?");
        for (k, v) in [
            ("verdict", &self.verdict),
            ("token", &self.token),
            ("agent", &self.agent),
            ("provider", &self.provider),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(v) = some_text(v) {
                let _ = write!(q, "{k}={}&", html::query_value(&v));
            }
        }
        match before {
            Some(b) => {
                let _ = write!(q, "before={b}");
            }
            None => {
                q.pop();
            }
        }
        q
    }
}

/// The decision log: every decision the proxy made, filtered and paged in
/// log order.
pub async fn history(
    PageUser(who): PageUser,
    State(state): State<Shared>,
    Query(q): Query<HistoryQuery>,
) -> Result<Html<String>, PageError> {
    let filter = q.filter()?;
    let before = q.before.filter(|b| *b > 0);
    let limit = q.limit.unwrap_or(PAGE_SIZE).clamp(1, 500);
    let rows = state.store.rows_newest(&filter, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];

    let mut b = String::from(
        "<h1>Decision log</h1><p class=\"lead\">Every request the proxy decided, newest first (narrow it with the filters).</p>",
    );
    b.push_str(&log_table::filters(&q, &filter));
    if rows.is_empty() {
        b.push_str("<p class=\"empty\">No decisions match.</p>");
    } else {
        b.push_str("<div class=\"table-wrap\"><table class=\"log\"><thead><tr><th>#</th><th>When</th><th>Verdict</th><th>Operations</th><th>Token</th><th>Agent</th><th>Rule and reason</th><th>Result</th></tr></thead><tbody>");
        for row in rows {
            b.push_str(&log_table::row(row));
        }
        b.push_str("</tbody></table></div>");
    }
    b.push_str("<nav class=\"pager\">");
    if before.is_some() {
        let _ = write!(b, "<a href=\"{}\">⇤ Newest</a>", esc(&q.link(None)));
    }
    if more && let Some(last) = rows.last() {
        let _ = write!(
            b,
            "<a href=\"{}\">Older →</a>",
            esc(&q.link(Some(last.seq)))
        );
    }
    b.push_str("</nav>");
    Ok(Html(page("Decision log", Nav::History, Some(&who), &b)))
}

/// The scope maps in force, read-only, with each token's breadth over
/// the last `days` days (docs/token-breadth.md).
pub async fn tokens(
    PageUser(who): PageUser,
    State(state): State<Shared>,
    Query(q): Query<draft::DraftQuery>,
) -> Result<Html<String>, PageError> {
    let map = (state.scope_map)();
    let days = q.days()?;
    let mut b = format!(
        "<h1>Tokens and scope maps</h1><p class=\"lead\">What each token may do, as the proxy enforces it now (read-only; edit the scope-map files and reload), what it did in the last {days} days, and what its provider says it is granted. A request with an unknown token gets <strong>{}</strong>.</p>",
        esc(map.unknown_token.as_str())
    );
    let records = breadth::newest_records(&state, days).await;
    match &records {
        Err(why) => {
            let _ = write!(
                b,
                "<p class=\"notice\">{}: what tokens used and were granted is not shown.</p>",
                esc(why)
            );
        }
        Ok((_, Some(oldest))) => {
            let _ = write!(
                b,
                "<p class=\"notice\">The window holds more than {} decisions: what was used is counted from the newest of them, back to {}. <code>scopegate tokens</code> reads them all.</p>",
                breadth::PAGE_RECORDS,
                esc(&scopegate_model::utc_iso(*oldest))
            );
        }
        Ok(_) => {}
    }
    let reports = breadth::reports(&state, &map, records.ok().map(|(r, _)| r)).await;
    if map.tokens.is_empty() {
        b.push_str("<p class=\"empty\">No tokens are configured.</p>");
    }
    for (i, t) in map.tokens.iter().enumerate() {
        b.push_str(&token_card::card(t, reports.get(i), days));
    }
    Ok(Html(page("Tokens", Nav::Tokens, Some(&who), &b)))
}

/// What health shows, also served as JSON.
#[derive(Debug, serde::Serialize)]
pub struct HealthReport {
    pub ok: bool,
    pub database: &'static str,
    pub database_reachable: bool,
    pub pending: Option<i64>,
    pub decisions: Option<i64>,
    pub tokens: usize,
    pub users: usize,
    pub uptime_secs: i64,
}

pub async fn health_report(state: &Shared) -> HealthReport {
    let pending = state
        .store
        .approvals(Some(ApprovalState::Pending), 10_000, 0)
        .await;
    let decisions = state.store.count().await;
    if let Err(e) = &pending {
        tracing::warn!(error = %e, "dashboard health: database unreachable");
    }
    let reachable = pending.is_ok() && decisions.is_ok();
    HealthReport {
        ok: reachable,
        database: state.store.backend(),
        database_reachable: reachable,
        pending: pending.ok().map(|p| p.len() as i64),
        decisions: decisions.ok(),
        tokens: (state.scope_map)().tokens.len(),
        users: state.config.users.len(),
        uptime_secs: (now_ms() - state.started_ms) / 1000,
    }
}

pub async fn health(PageUser(who): PageUser, State(state): State<Shared>) -> Response {
    let h = health_report(&state).await;
    let yes_no = |ok: bool, yes: &str, no: &str| {
        if ok {
            format!("<span class=\"badge ok\">{yes}</span>")
        } else {
            format!("<span class=\"badge bad\">{no}</span>")
        }
    };
    let n = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), |v| v.to_string());
    let body = format!(
        "<h1>Health</h1><dl class=\"facts card\">\
<dt>Overall</dt><dd>{overall}</dd>\
<dt>Database</dt><dd>{db} <span class=\"muted\">{backend}</span></dd>\
<dt>Pending approvals</dt><dd><a href=\"/\">{pending}</a></dd>\
<dt>Decisions recorded</dt><dd><a href=\"/history\">{decisions}</a></dd>\
<dt>Tokens in the scope map</dt><dd><a href=\"/tokens\">{tokens}</a></dd>\
<dt>Dashboard users</dt><dd>{users}</dd>\
<dt>Up for</dt><dd>{uptime}</dd></dl>",
        overall = yes_no(h.ok, "healthy", "degraded"),
        db = yes_no(h.database_reachable, "reachable", "unreachable"),
        backend = esc(h.database),
        pending = n(h.pending),
        decisions = n(h.decisions),
        tokens = h.tokens,
        users = h.users,
        uptime = esc(&human_secs(u64::try_from(h.uptime_secs).unwrap_or(0))),
    );
    let status = if h.ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Html(page("Health", Nav::Health, Some(&who), &body))).into_response()
}

/// For load balancers: no sign-in, no detail.
pub async fn healthz(State(state): State<Shared>) -> Response {
    if state
        .store
        .approvals(Some(ApprovalState::Pending), 1, 0)
        .await
        .is_ok()
    {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
    }
}

pub async fn not_found() -> PageError {
    PageError(WebError::NotFound)
}

//! The Tokens page's breadth block (docs/token-breadth.md): what the scope
//! map allows, what the token used in the window, what its provider says it
//! is granted, and, when the grant exceeds both, "over-scoped" with the
//! narrower token to create instead. Also the window's records, which the
//! draft page reads too.

use std::fmt::Write as _;

use scopegate_model::DecisionRecord;
use scopegate_policy::breadth::{TokenBreadth, text};

use crate::Shared;
use crate::html::esc;

/// Records a draft reads at most: a busy log's window only up to this.
const MAX_RECORDS: usize = 200_000;

/// Records the Tokens page reads at most, newest first: it is opened often,
/// and what providers said lately matters most.
pub const PAGE_RECORDS: usize = 20_000;

/// The records of the last `days` days (of `token` only, when named),
/// oldest first; `Err` when the log cannot be read now.
pub async fn window_records(
    state: &Shared,
    token: Option<&str>,
    days: u32,
) -> Result<Vec<DecisionRecord>, String> {
    let filter = scopegate_store::Filter {
        token: token.map(str::to_owned),
        since_ms: Some(crate::now_ms() - i64::from(days) * 86_400_000),
        ..scopegate_store::Filter::default()
    };
    let mut records = Vec::new();
    let mut after = 0;
    while records.len() < MAX_RECORDS {
        let rows = state.store.rows(&filter, after, 1000).await.map_err(|e| {
            tracing::warn!(error = %e, "dashboard: the decision log cannot be read");
            "the decision log cannot be read now".to_owned()
        })?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        records.extend(rows.into_iter().map(|r| r.record));
    }
    Ok(records)
}

/// The newest records of the last `days` days, at most [`PAGE_RECORDS`],
/// and whether the window held more (then the oldest read's time).
pub async fn newest_records(
    state: &Shared,
    days: u32,
) -> Result<(Vec<DecisionRecord>, Option<i64>), String> {
    let filter = scopegate_store::Filter {
        since_ms: Some(crate::now_ms() - i64::from(days) * 86_400_000),
        ..scopegate_store::Filter::default()
    };
    let mut records = Vec::new();
    let mut before = None;
    // One row past the cap tells a full window from a larger one.
    while records.len() <= PAGE_RECORDS {
        let want = (PAGE_RECORDS + 1 - records.len()).min(1000);
        let rows = state
            .store
            .rows_newest(&filter, before, want as i64)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "dashboard: the decision log cannot be read");
                "the decision log cannot be read now".to_owned()
            })?;
        let Some(last) = rows.last() else {
            return Ok((records, None));
        };
        before = Some(last.seq);
        records.extend(rows.into_iter().map(|r| r.record));
    }
    records.truncate(PAGE_RECORDS);
    let oldest = records.last().map(|r| r.at_unix_ms);
    Ok((records, oldest))
}

/// Every token's breadth, in the map's order, worked out off the async
/// runtime (a map weighed against every catalogued operation takes
/// milliseconds per token); empty without records.
pub async fn reports(
    state: &Shared,
    map: &std::sync::Arc<scopegate_policy::ScopeMap>,
    records: Option<Vec<DecisionRecord>>,
) -> Vec<TokenBreadth> {
    let Some(records) = records else {
        return Vec::new();
    };
    let (map, state) = (map.clone(), state.clone());
    let work = tokio::task::spawn_blocking(move || {
        let words = state.words();
        map.tokens
            .iter()
            .map(|t| {
                scopegate_policy::breadth::report(
                    &map,
                    t,
                    &records,
                    &words,
                    scopegate_inspect::breadth::for_provider,
                )
            })
            .collect()
    });
    work.await.unwrap_or_default()
}

/// One token's block.
pub fn block(b: &TokenBreadth, days: u32) -> String {
    let mut s = format!(
        "<dl class=\"facts breadth\"><dt>Allowed</dt><dd>{}</dd><dt>Used</dt><dd>{}</dd>",
        esc(&text::allowed(b)),
        esc(&text::used(b, days)),
    );
    if b.granted.is_empty() {
        s.push_str(
            "<dt>Granted</dt><dd class=\"muted\">unknown: no answer in the window said</dd>",
        );
    }
    for g in &b.granted {
        let _ = write!(s, "<dt>Granted</dt><dd>{}</dd>", esc(&text::granted(g)));
    }
    s.push_str("</dl>");
    for o in b.granted.iter().filter_map(|g| g.over_scoped.as_ref()) {
        let _ = write!(
            s,
            "<p class=\"over-scoped\"><span class=\"badge bad\">over-scoped</span> {why}.<br><strong>Instead: {advice}.</strong></p>",
            why = esc(&o.why),
            advice = esc(&o.advice()),
        );
    }
    s
}

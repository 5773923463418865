//! The decision log page's parts: its filter form and one row per decision.

use scopegate_store::{Filter, StoredRow};

use super::{HistoryQuery, some_text};
use crate::html::{self, class_badge, esc, state_badge};

/// The filter form, filled in with what is asked now.
pub fn filters(q: &HistoryQuery, filter: &Filter) -> String {
    let opt = |v: &str, cur: &Option<String>| {
        format!(
            "<option value=\"{v}\"{}>{}</option>",
            if cur.as_deref() == Some(v) {
                " selected"
            } else {
                ""
            },
            if v.is_empty() { "any" } else { v }
        )
    };
    format!(
        "<form method=\"get\" action=\"/history\" class=\"filters\">\
<label>Verdict <select name=\"verdict\">{o0}{o1}{o2}{o3}</select></label>\
<label>Token <input name=\"token\" value=\"{token}\" placeholder=\"name\"></label>\
<label>Agent <input name=\"agent\" value=\"{agent}\"></label>\
<label>Provider <input name=\"provider\" value=\"{provider}\" placeholder=\"railway\"></label>\
<label>Since (UTC) <input type=\"datetime-local\" name=\"since\" value=\"{since}\"></label>\
<label>Until (UTC) <input type=\"datetime-local\" name=\"until\" value=\"{until}\"></label>\
<button type=\"submit\">Filter</button> <a href=\"/history\">Clear</a></form>",
        o0 = opt("", &q.verdict),
        o1 = opt("allow", &q.verdict),
        o2 = opt("approve", &q.verdict),
        o3 = opt("deny", &q.verdict),
        token = esc(&some_text(&q.token).unwrap_or_default()),
        agent = esc(&some_text(&q.agent).unwrap_or_default()),
        provider = esc(&some_text(&q.provider).unwrap_or_default()),
        since = esc(&filter.since_ms.map(html::time_input).unwrap_or_default()),
        until = esc(&filter.until_ms.map(html::time_input).unwrap_or_default()),
    )
}

/// One decision as a table row: when, verdict, operations with their
/// resources, token, agent, rule and reason, and what became of it.
pub fn row(row: &StoredRow) -> String {
    let r = &row.record;
    let ops = r
        .operations
        .iter()
        .map(|o| {
            let res = o
                .resources
                .iter()
                .map(|(k, vs)| format!("{k} {}", vs.join(" | ")))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "<div><code>{}:{}</code> {}{}</div>",
                esc(&o.provider),
                esc(&o.name),
                class_badge(o.class.as_str()),
                if res.is_empty() {
                    String::new()
                } else {
                    format!(" <span class=\"muted\">{}</span>", esc(&res))
                }
            )
        })
        .collect::<String>();
    let result = match (r.forwarded, r.upstream_status) {
        (true, Some(s)) => format!("forwarded, {s}"),
        (true, None) => "forwarded".to_owned(),
        (false, _) => "not forwarded".to_owned(),
    };
    let approval = r
        .approval
        .as_deref()
        .map(|a| format!("<div class=\"muted\">{}</div>", esc(a)))
        .unwrap_or_default();
    format!(
        "<tr><td class=\"muted\">{seq}</td><td class=\"nowrap\">{when}</td><td>{verdict}{mode}</td><td>{ops}</td><td>{token}</td><td>{agent}</td>\
<td><code>{rule}</code><div class=\"muted\">{reason}</div></td><td>{result}{approval}</td></tr>",
        seq = row.seq,
        when = esc(&html::time(r.at_unix_ms)),
        verdict = state_badge(r.verdict.as_str()),
        mode = if r.mode == scopegate_model::Mode::Observe {
            " <span class=\"badge muted\">observe</span>"
        } else {
            ""
        },
        token = esc(r.token.as_deref().unwrap_or("")),
        agent = esc(r.agent.as_deref().unwrap_or("")),
        rule = esc(&r.rule),
        reason = esc(&r.reason),
        result = esc(&result),
    )
}

//! One token's card on the Tokens page: its identity, its breadth (allowed,
//! used, granted, over-scoped), its rules, and the draft form.

use std::fmt::Write as _;

use scopegate_policy::breadth::TokenBreadth;
use scopegate_policy::{Rule, SecretRef, Token};

use crate::html::{esc, state_badge};

/// The card for `t`, with its breadth over the last `days` days when known.
pub fn card(t: &Token, report: Option<&TokenBreadth>, days: u32) -> String {
    let mut b = format!(
        "<section class=\"card\"><h2><code>{name}</code> <span class=\"badge {mode_class}\">{mode}</span></h2>\
<p class=\"muted\">token {who}</p>",
        name = esc(&t.name),
        mode = esc(t.mode.as_str()),
        mode_class = if t.mode == scopegate_model::Mode::Observe {
            "warn"
        } else {
            "muted"
        },
        who = esc(&identity(t)),
    );
    if let Some(report) = report {
        b.push_str(&super::breadth::block(report, days));
    }
    b.push_str("<div class=\"table-wrap\"><table class=\"rules\"><thead><tr><th>Rule</th><th>Effect</th><th>Operations</th><th>Except</th><th>Classes</th><th>Resources</th></tr></thead><tbody>");
    for r in &t.rules {
        b.push_str(&rule_row(r));
    }
    let _ = write!(
        b,
        "</tbody></table></div><form class=\"draft\" method=\"get\" action=\"/tokens/{path}/draft\"><label>Draft a scope map from what this token did in the last <input name=\"days\" type=\"number\" min=\"1\" max=\"366\" value=\"{days}\" inputmode=\"numeric\"> days</label> <button type=\"submit\">Draft</button></form></section>",
        path = esc(&path_segment(&t.name)),
    );
    b
}

/// `sha256:1a2b…· surrogate sha256:…, real secret from file …`.
fn identity(t: &Token) -> String {
    let fp = t
        .fingerprint
        .map(|f| format!("sha256:{}…", f.short()))
        .unwrap_or_else(|| "—".into());
    let surrogate = t.surrogate.as_ref().map_or_else(
        || "no surrogate".to_owned(),
        |s| {
            let from = |r: &SecretRef| match r {
                SecretRef::Env(v) => format!("env {v}"),
                SecretRef::File(p) => format!("file {p}"),
            };
            let signing = s.signing.as_ref().map_or_else(String::new, |g| {
                format!(", signature checked with the secret from {}", from(g))
            });
            format!(
                "surrogate sha256:{}…, real secret from {}{signing}",
                s.fingerprint.short(),
                from(&s.secret)
            )
        },
    );
    format!("{fp} · {surrogate}")
}

/// One rule as a table row.
fn rule_row(r: &Rule) -> String {
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "<span class=\"muted\">any</span>".to_owned()
        } else {
            v.iter()
                .map(|x| format!("<code>{}</code>", esc(x)))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let resources = if r.resources.is_empty() {
        "<span class=\"muted\">any</span>".to_owned()
    } else {
        r.resources
            .iter()
            .map(|(k, gs)| {
                let values: Vec<String> = gs
                    .iter()
                    .map(|g| format!("<code>{}</code>", esc(g.as_str())))
                    .collect();
                format!("{} ∈ {}", esc(k), values.join(" "))
            })
            .collect::<Vec<_>>()
            .join("<br>")
    };
    format!(
        "<tr><td><code>{id}</code></td><td>{effect}</td><td>{ops}</td><td>{except}</td><td>{classes}</td><td>{resources}</td></tr>",
        id = esc(&r.id),
        effect = state_badge(r.effect.as_str()),
        ops = list(r.operations.iter().map(|g| g.as_str().to_owned()).collect()),
        except = if r.except.is_empty() {
            String::new()
        } else {
            list(r.except.iter().map(|g| g.as_str().to_owned()).collect())
        },
        classes = list(r.classes.iter().map(|c| c.as_str().to_owned()).collect()),
    )
}

/// A token name as one URL path segment.
fn path_segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

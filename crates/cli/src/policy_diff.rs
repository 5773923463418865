//! `policy diff OLD NEW`: the verdicts a scope-map change changes
//! (`scopegate_policy::diff`), as a table a reviewer reads or JSON for CI,
//! and an exit status that says whether anything widens.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use scopegate_model::{DecisionRecord, OperationWord};
use scopegate_policy::diff::{Change, Replayed, diff, replay};

use crate::engine::Engine;

/// Nothing changes.
pub const EXIT_SAME: i32 = 0;
/// Verdicts change, and none lets more through.
pub const EXIT_NARROWS: i32 = 1;
/// Some verdict lets more through (deny → approve → allow): review it.
pub const EXIT_WIDENS: i32 = 2;

/// Operations listed per group before "and N more".
const LISTED: usize = 8;

/// What changes: on every operation the rules reach, and (with a log) on
/// the logged requests.
#[derive(Debug, Default)]
pub struct Compared {
    pub changes: Vec<Change>,
    /// `None` without `--against-log`; then how many records were read
    /// and the ones that change.
    pub log: Option<(usize, Vec<Replayed>)>,
}

impl Compared {
    pub fn widens(&self) -> bool {
        self.changes.iter().any(Change::widens)
            || self
                .log
                .as_ref()
                .is_some_and(|(_, r)| r.iter().any(Replayed::widens))
    }

    fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.log.as_ref().is_none_or(|(_, r)| r.is_empty())
    }
}

/// Loads both maps (each with its own catalogues) and compares them, and
/// replays `log` (JSON lines from `scopegate audit export`) when given.
pub fn compare(old: &Path, new: &Path, log: Option<&[u8]>) -> anyhow::Result<Compared> {
    let (a, b) = (Engine::load(old)?, Engine::load(new)?);
    let mut words: BTreeMap<String, OperationWord> = BTreeMap::new();
    for e in [&a, &b] {
        for w in e.words().iter() {
            words.entry(w.qualified_name()).or_insert_with(|| w.clone());
        }
    }
    let words: Vec<OperationWord> = words.into_values().collect();
    let changes = diff(&a.scope_map, &b.scope_map, &words);
    let log = match log {
        Some(text) => {
            let records = records(text)?;
            Some((records.len(), replay(&a.scope_map, &b.scope_map, &records)))
        }
        None => None,
    };
    Ok(Compared { changes, log })
}

/// JSON lines of decision records (extra fields, `seq` and `hash`, ignored).
pub fn records(text: &[u8]) -> anyhow::Result<Vec<DecisionRecord>> {
    let text = std::str::from_utf8(text).context("the log is not UTF-8")?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).with_context(|| {
                format!(
                    "log line {}: not a decision record (use `scopegate audit export`)",
                    n + 1
                )
            })
        })
        .collect()
}

/// The exit status for what changes.
pub fn exit_status(c: &Compared) -> i32 {
    if c.widens() {
        EXIT_WIDENS
    } else if c.is_empty() {
        EXIT_SAME
    } else {
        EXIT_NARROWS
    }
}

/// `{"widens": …, "changes": [...], "log": {"records": n, "changed": [...]}}`.
pub fn to_json(c: &Compared) -> serde_json::Value {
    let mut v = serde_json::json!({
        "widens": c.widens(),
        "changes": c.changes,
    });
    if let Some((n, changed)) = &c.log {
        v["log"] = serde_json::json!({"records": n, "changed": changed});
    }
    v
}

/// The catalogue's changes, then the log's.
pub fn to_text(c: &Compared) -> String {
    let mut out = changes_text(&c.changes);
    if let Some((n, changed)) = &c.log {
        out.push_str(&log_text(*n, changed));
    }
    out
}

/// Logged requests listed before "and N more".
const LOGGED: usize = 20;

fn log_text(n: usize, changed: &[Replayed]) -> String {
    let mut out = format!(
        "against the log: {} of {n} logged request(s) change\n",
        changed.len()
    );
    for r in changed.iter().take(LOGGED) {
        let how = if r.widens() { "WIDENS " } else { "narrows" };
        let _ = writeln!(
            out,
            "  {how} {} → {}  {} {} {}{} [{}] token {} ({} → {})",
            r.old.as_str(),
            r.new.as_str(),
            r.id,
            r.method,
            r.host,
            r.path,
            r.operations.join(", "),
            r.token.as_deref().unwrap_or("-"),
            r.old_rule,
            r.new_rule
        );
    }
    if changed.len() > LOGGED {
        let _ = writeln!(out, "  … and {} more", changed.len() - LOGGED);
    }
    out
}

/// One block per token; within it one line per (old → new, rules), with
/// the operations it covers.
fn changes_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no verdict changes\n".into();
    }
    type Key<'a> = (&'a str, bool, &'a str, &'a str, &'a str, &'a str);
    // per group: operation (with class) → the resource variants that change
    let mut groups: BTreeMap<Key<'_>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for c in changes {
        let key = (
            c.token.as_str(),
            !c.widens(),
            c.old.as_str(),
            c.new.as_str(),
            c.old_rule.as_str(),
            c.new_rule.as_str(),
        );
        let op = format!("{} ({})", c.operation, c.class);
        let variants = groups.entry(key).or_default().entry(op).or_default();
        variants.push(resources(c));
    }
    let mut out = String::new();
    let mut token = None;
    for ((t, narrows, old, new, old_rule, new_rule), ops) in groups {
        if token != Some(t) {
            let _ = writeln!(out, "token {t}");
            token = Some(t);
        }
        let how = if narrows { "narrows" } else { "WIDENS " };
        let _ = writeln!(out, "  {how} {old} → {new}  ({old_rule} → {new_rule})");
        for (op, variants) in ops.iter().take(LISTED) {
            let _ = writeln!(out, "      {op}{}", where_(variants));
        }
        if ops.len() > LISTED {
            let _ = writeln!(out, "      … and {} more", ops.len() - LISTED);
        }
    }
    let widen = changes.iter().filter(|c| c.widens()).count();
    let _ = writeln!(
        out,
        "{widen} verdict(s) widen, {} narrow",
        changes.len() - widen
    );
    out
}

/// `k=v k=v` for a change's resources (empty: none named).
fn resources(c: &Change) -> String {
    let res: Vec<String> = c
        .resources
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    res.join(" ")
}

/// Where an operation's verdict changes: nothing when it changes whatever
/// the resources (a variant names none); else each variant.
fn where_(variants: &[String]) -> String {
    if variants.iter().any(String::is_empty) {
        return String::new();
    }
    format!(" where {}", variants.join(" | "))
}

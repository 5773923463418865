//! `scopegate suggest`: a draft scope map for one token, written from what
//! the decision log shows it did (typically in `observe` mode, where every
//! request passes and the log records it). Pure: records in, TOML out.
//!
//! - Only requests that went upstream count (`forwarded`).
//! - One rule per class and resource condition, listing the operations.
//! - Reads and writes seen are allowed; destructive operations seen are
//!   held (`approve`), never allowed; unknown ones are left out.
//! - Resources: the resolved `environment` names (else `project` names)
//!   when every request of the operation has them; otherwise the ids seen,
//!   listed. Nothing is widened to a wildcard.
//! - Everything not seen matches no rule, so it is denied.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use scopegate_model::{Attribute, DecisionRecord, OpClass, Operation, utc_iso};

use crate::scope_map::{SecretRef, Token};

/// A resource condition: kind → values, sorted.
type Condition = BTreeMap<String, BTreeSet<String>>;

/// What the log shows for one rule (or one operation).
#[derive(Debug, Default, Clone)]
struct Evidence {
    requests: BTreeSet<String>,
    first: Option<i64>,
    last: Option<i64>,
}

impl Evidence {
    fn add(&mut self, id: &str, at: i64) {
        self.requests.insert(id.to_owned());
        self.first = Some(self.first.map_or(at, |f| f.min(at)));
        self.last = Some(self.last.map_or(at, |l| l.max(at)));
    }

    fn merge(&mut self, other: &Self) {
        self.requests.extend(other.requests.iter().cloned());
        self.first = [self.first, other.first].into_iter().flatten().min();
        self.last = [self.last, other.last].into_iter().flatten().max();
    }
}

/// One operation's uses: the conditions of each request, and evidence.
#[derive(Debug, Default)]
struct Uses {
    conditions: Vec<Condition>,
    evidence: Evidence,
}

/// The draft for `token`, whose identity lines (fingerprint, surrogate,
/// secret) come from `identity`; with `explain`, each rule lists the
/// decision ids it rests on.
pub fn draft(identity: &Token, records: &[DecisionRecord], explain: bool) -> String {
    let (uses, unknown, total) = collect(&identity.name, records);
    let rules = rules(&uses);
    let mut out = header(identity, total, &rules, unknown);
    for (n, ((class, condition), (ops, ev))) in rules.iter().enumerate() {
        rule(&mut out, n + 1, *class, condition, ops, ev, explain);
    }
    out.push_str("\n# Everything else this token might ask matches no rule above, so it is\n# denied. Widen a rule only on evidence.\n");
    out
}

/// Per (operation, class): its uses by `token`, the unknown operations
/// left out, and how many requests count.
fn collect(
    token: &str,
    records: &[DecisionRecord],
) -> (BTreeMap<(String, OpClass), Uses>, BTreeSet<String>, usize) {
    let mut uses: BTreeMap<(String, OpClass), Uses> = BTreeMap::new();
    let mut unknown = BTreeSet::new();
    let mut total = 0;
    for r in records
        .iter()
        .filter(|r| r.token.as_deref() == Some(token) && r.forwarded)
    {
        total += 1;
        for op in &r.operations {
            if op.class == OpClass::Unknown {
                unknown.insert(op.qualified_name());
                continue;
            }
            let u = uses.entry((op.qualified_name(), op.class)).or_default();
            u.conditions.push(condition_of(op));
            u.evidence.add(r.id.as_str(), r.at_unix_ms);
        }
    }
    (uses, unknown, total)
}

/// A request's resources as a rule would name them: resolved environment
/// (else project) names, else every id it names.
fn condition_of(op: &Operation) -> Condition {
    for name in ["environment", "project"] {
        if let Some(Attribute::Known(v)) = op.attributes.get(name)
            && !v.is_empty()
        {
            return BTreeMap::from([(name.to_owned(), v.iter().cloned().collect())]);
        }
    }
    op.resources
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
        .collect()
}

/// One operation's condition over all its uses: the kinds every use
/// names, with every value seen. (A kind some uses lack cannot condition a
/// rule those uses must match.)
fn merged(conditions: &[Condition]) -> Condition {
    let Some(first) = conditions.first() else {
        return Condition::new();
    };
    let kinds: Vec<&String> = first
        .keys()
        .filter(|k| conditions.iter().all(|c| c.contains_key(*k)))
        .collect();
    kinds
        .into_iter()
        .map(|k| {
            let values = conditions
                .iter()
                .flat_map(|c| c[k].iter().cloned())
                .collect();
            (k.clone(), values)
        })
        .collect()
}

type Rules = BTreeMap<(OpClass, Condition), (BTreeSet<String>, Evidence)>;

/// Operations grouped by class and condition.
fn rules(uses: &BTreeMap<(String, OpClass), Uses>) -> Rules {
    let mut rules = Rules::new();
    for ((name, class), u) in uses {
        let entry = rules.entry((*class, merged(&u.conditions))).or_default();
        entry.0.insert(name.clone());
        entry.1.merge(&u.evidence);
    }
    rules
}

fn header(t: &Token, total: usize, rules: &Rules, unknown: BTreeSet<String>) -> String {
    let mut ev = Evidence::default();
    rules.values().for_each(|(_, e)| ev.merge(e));
    let mut out = format!(
        "# Draft scope map for token `{}` (scopegate suggest), from {total} request(s)\n# it made{}.\n# Review before use: each rule rests only on the evidence in its comment.\n",
        t.name,
        span(&ev).map_or_else(String::new, |s| format!(" {s}"))
    );
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.into_iter().collect();
        let _ = writeln!(
            out,
            "# Unknown operations seen, left denied: {}.",
            list.join(", ")
        );
    }
    out.push_str("version = 1\n\n[[token]]\n");
    let _ = writeln!(out, "name = {}", quote(&t.name));
    if let Some(fp) = t.fingerprint {
        let _ = writeln!(out, "fingerprint = {}", quote(&fp.to_string()));
    }
    if let Some(s) = &t.surrogate {
        let _ = writeln!(out, "surrogate = {}", quote(&s.fingerprint.to_string()));
        let _ = writeln!(out, "secret = {}", secret_ref(&s.secret));
        if let Some(g) = &s.signing {
            let _ = writeln!(out, "surrogate_secret = {}", secret_ref(g));
        }
    }
    out
}

fn span(ev: &Evidence) -> Option<String> {
    Some(format!(
        "between {} and {}",
        utc_iso(ev.first?),
        utc_iso(ev.last?)
    ))
}

fn rule(
    out: &mut String,
    n: usize,
    class: OpClass,
    condition: &Condition,
    ops: &BTreeSet<String>,
    ev: &Evidence,
    explain: bool,
) {
    let (effect, why) = match class {
        OpClass::Destructive => ("approve", "; destructive: held for a human, never allowed"),
        _ => ("allow", ""),
    };
    let _ = writeln!(
        out,
        "\n# {} request(s){}{why}",
        ev.requests.len(),
        span(ev).map_or_else(String::new, |s| format!(", {s}"))
    );
    if explain {
        let ids: Vec<&str> = ev.requests.iter().map(String::as_str).collect();
        let _ = writeln!(out, "# covers: {}", ids.join(", "));
    }
    let _ = writeln!(
        out,
        "[[token.rule]]\nid = \"{}-{n}\"\neffect = \"{effect}\"",
        class.as_str()
    );
    let _ = writeln!(out, "operations = {}", list(ops));
    let _ = writeln!(out, "class = [\"{}\"]", class.as_str());
    if !condition.is_empty() {
        let parts: Vec<String> = condition
            .iter()
            .map(|(k, v)| format!("{k} = {}", list(v)))
            .collect();
        let _ = writeln!(out, "resources = {{ {} }}", parts.join(", "));
    }
}

fn list(values: &BTreeSet<String>) -> String {
    let q: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("[{}]", q.join(", "))
}

fn secret_ref(r: &SecretRef) -> String {
    match r {
        SecretRef::Env(v) => format!("{{ env = {} }}", quote(v)),
        SecretRef::File(f) => format!("{{ file = {} }}", quote(f)),
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;

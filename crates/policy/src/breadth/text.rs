//! Token breadth as text (`scopegate tokens`, the dashboard's Tokens
//! page): per token, what its scope map allows, what it used in the window,
//! what its provider grants, and whether it is over-scoped, with the
//! narrower token to create (docs/token-breadth.md).

use std::fmt::Write as _;

use super::{Granted, TokenBreadth};
use scopegate_model::{OpClass, utc_iso};

/// The report for `tokens` over the last `days` days.
pub fn to_text(tokens: &[TokenBreadth], days: u32) -> String {
    let mut s = String::new();
    if tokens.is_empty() {
        s.push_str("No tokens are configured in the scope map.\n");
    }
    for t in tokens {
        let _ = writeln!(s, "{} ({})", t.token, t.mode);
        let _ = writeln!(s, "  allowed  {}", allowed(t));
        let _ = writeln!(s, "  used     {}", used(t, days));
        if t.granted.is_empty() {
            let _ = writeln!(
                s,
                "  granted  unknown: no answer in the window said (GitHub's and Railway's do)"
            );
        }
        for g in &t.granted {
            let _ = writeln!(s, "  granted  {}", granted(g));
            if let Some(o) = &g.over_scoped {
                let _ = writeln!(s, "  OVER-SCOPED: {}", o.why);
                let _ = writeln!(s, "           → {}", o.advice());
            }
        }
        s.push('\n');
    }
    s
}

/// `read: 12 allowed · destructive: 3 held for approval (github operations)`.
pub fn allowed(t: &TokenBreadth) -> String {
    let a = &t.allowed;
    let mut parts = Vec::new();
    for class in OpClass::ALL {
        let n = a.allow.get(&class).copied().unwrap_or(0);
        let h = a.approve.get(&class).copied().unwrap_or(0);
        match (n, h) {
            (0, 0) => {}
            (n, 0) => parts.push(format!("{}: {n} allowed", class.as_str())),
            (0, h) => parts.push(format!("{}: {h} held for approval", class.as_str())),
            (n, h) => parts.push(format!("{}: {n} allowed, {h} held", class.as_str())),
        }
    }
    if parts.is_empty() {
        return "nothing (every request is denied)".into();
    }
    let providers: Vec<&str> = a.providers.iter().map(String::as_str).collect();
    format!(
        "{} ({} operations)",
        parts.join(" · "),
        providers.join(", ")
    )
}

/// `4 requests in the last 30 days, using 2 read and 1 write operations,
/// from … to …`.
pub fn used(t: &TokenBreadth, days: u32) -> String {
    let u = &t.used;
    if u.requests == 0 {
        return format!("nothing in the last {days} days");
    }
    let mut by: Vec<String> = u
        .by_class
        .iter()
        .map(|(c, ops)| format!("{} {}", ops.len(), c.as_str()))
        .collect();
    let last = by.pop().unwrap_or_default();
    let by = if by.is_empty() {
        last
    } else {
        format!("{} and {last}", by.join(", "))
    };
    let span = match (u.first_ms, u.last_ms) {
        (Some(f), Some(l)) => format!(", from {} to {}", utc_iso(f), utc_iso(l)),
        _ => String::new(),
    };
    let n = u.requests;
    let requests = if n == 1 { "request" } else { "requests" };
    let distinct: usize = u
        .by_class
        .values()
        .map(std::collections::BTreeSet::len)
        .sum();
    let operations = if distinct == 1 {
        "operation"
    } else {
        "operations"
    };
    format!("{n} {requests} in the last {days} days, using {by} {operations}{span}")
}

/// `github: scopes repo, delete_repo; expires …; can delete (seen …)`.
pub fn granted(g: &Granted) -> String {
    let b = &g.breadth;
    let mut said: Vec<String> = Vec::new();
    if let Some(k) = &b.kind {
        said.push(k.clone());
    }
    if let Some(sc) = &b.scopes {
        let sc = if sc.is_empty() { "none" } else { sc };
        said.push(format!("scopes {sc}"));
    }
    if let Some(e) = &b.expires {
        said.push(format!("expires {e}"));
    }
    if let Some(p) = g.power {
        said.push(format!("can {}", power_word(p)));
    }
    let needed: Vec<&str> = g
        .needed_scopes
        .iter()
        .chain(&g.needed_permissions)
        .map(String::as_str)
        .collect();
    if !needed.is_empty() {
        said.push(format!("the endpoints used needed {}", needed.join(", ")));
    }
    format!(
        "{}: {} (seen {})",
        g.provider,
        said.join("; "),
        utc_iso(g.seen_ms)
    )
}

fn power_word(c: OpClass) -> &'static str {
    match c {
        OpClass::Read => "read",
        OpClass::Write => "write",
        OpClass::Destructive | OpClass::Unknown => "delete",
    }
}

//! The words of a blast-radius sentence: the action an operation name
//! says, and the details its dotted attributes carry (sizes, backups,
//! visibility...).

use scopegate_model::{Attribute, Operation};

use super::{Sentence, Span};

/// The camelCase words of an operation name: `volumeInstanceBackupCreate`
/// → `volume`, `instance`, `backup`, `create`.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in name.chars() {
        match out.last_mut() {
            Some(w) if !c.is_ascii_uppercase() => w.push(c),
            _ => out.push(c.to_ascii_lowercase().to_string()),
        }
    }
    out
}

/// What an operation acts on: `volumeDelete` → `volume`; a name with `/`
/// (a REST route's) → its first part.
pub fn noun(name: &str) -> String {
    if let Some((first, _)) = name.split_once('/') {
        return first.to_owned();
    }
    let mut w = words(name);
    w.pop();
    w.join(" ")
}

/// `volumeDelete` → `Delete volume`; a name with `/` is shown as it is.
pub fn action(name: &str) -> String {
    if name.contains('/') || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return name.to_owned();
    }
    let mut w = words(name);
    let Some(verb) = w.pop() else {
        return name.to_owned();
    };
    let mut verb = verb;
    if let Some(first) = verb.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if w.is_empty() {
        verb
    } else {
        format!("{verb} {}", w.join(" "))
    }
}

/// `environment` → `environment`; `volume.sizeMB` of a volume → `size`.
pub fn label(key: &str, subject: Option<&str>) -> String {
    let short = match (key.split_once('.'), subject) {
        (Some((k, rest)), Some(s)) if k == s => rest,
        _ => key,
    };
    let short = match short {
        "sizeMB" => "size",
        "usedMB" => "space used",
        "latestBackup" => "latest backup",
        "mountPath" => "mount path",
        s if subject == Some(s) => "name",
        s => s,
    };
    short.to_owned()
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The details in parentheses: ` (4.2 GB used, 3 backups; **…**)`, the
/// last one (the consequence) after a semicolon.
pub fn parenthesis(s: &mut Sentence, facts: Vec<Span>) {
    if facts.is_empty() {
        return;
    }
    let n = facts.len();
    s.text(" (");
    for (i, f) in facts.into_iter().enumerate() {
        if i > 0 {
            let last_strong = i == n - 1 && matches!(f, Span::Strong(_));
            s.text(if last_strong { "; " } else { ", " });
        }
        s.spans.push(f);
    }
    s.text(")");
}

/// The known dotted attributes, as short facts: the subject's first.
pub fn facts(op: &Operation, subject: Option<&str>, now: i64) -> Vec<Span> {
    let known = |k: &str| op.attributes.get(k).and_then(Attribute::values);
    let one = |k: &str| known(k).map(|v| v.join(", "));
    let mut out = Vec::new();
    if let Some(s) = subject {
        let key = |d: &str| format!("{s}.{d}");
        match (one(&key("usedMB")), one(&key("sizeMB"))) {
            (Some(u), Some(t)) => out.push(format!("{} used of {}", size(&u), size(&t))),
            (Some(u), None) => out.push(format!("{} used", size(&u))),
            (None, Some(t)) => out.push(size(&t)),
            (None, None) => {}
        }
        if let Some(b) = one(&key("backups")) {
            out.push(count(&b, "backup"));
        }
        if let Some(t) = one(&key("latestBackup")) {
            out.push(format!("latest {}", ago(&t, now)));
        }
    }
    const DONE: [&str; 4] = ["usedMB", "sizeMB", "backups", "latestBackup"];
    for (k, a) in &op.attributes {
        let Some((head, tail)) = k.split_once('.') else {
            continue;
        };
        if Some(head) == subject && DONE.contains(&tail) {
            continue;
        }
        if let Some(v) = a.values() {
            out.push(flag(head, tail, &v.join(", "), subject));
        }
    }
    out.into_iter().map(Span::Text).collect()
}

/// `repository.archived = true` → `archived`; `ref.isDefault = true` →
/// `the default branch`; anything else → `mount path /data`.
fn flag(head: &str, tail: &str, v: &str, subject: Option<&str>) -> String {
    let yes = v == "true";
    match tail {
        "archived" => (if yes { "archived" } else { "not archived" }).to_owned(),
        "protected" => format!("{}{head}", if yes { "protected " } else { "unprotected " }),
        "isDefault" if yes => "the default branch".to_owned(),
        "isDefault" => "not the default branch".to_owned(),
        "visibility" => v.to_owned(),
        "defaultBranch" => format!("default branch {v}"),
        _ => format!("{} {v}", label(&format!("{head}.{tail}"), subject)),
    }
}

/// Megabytes as `512 MB` or `4.2 GB`.
pub fn size(mb: &str) -> String {
    match mb.parse::<f64>() {
        Ok(m) if m >= 1000.0 => format!("{:.1} GB", m / 1000.0).replace(".0 GB", " GB"),
        Ok(m) => format!("{} MB", m.round()),
        Err(_) => format!("{mb} MB"),
    }
}

fn count(n: &str, what: &str) -> String {
    match n {
        "0" => format!("no {what}s"),
        "1" => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

/// An RFC 3339 time as `2 h ago`; as given when it does not read.
pub fn ago(t: &str, now: i64) -> String {
    t.get(..19)
        .and_then(crate::html::parse_time)
        .map_or_else(|| t.to_owned(), |ms| crate::html::relative(ms, now))
}

//! REST kinds (docs/resource-context.md): the paths an id is read at, and
//! the attributes their JSON answers say. A field an answer lacks leaves
//! its attribute unresolved, with why: never absent, so that a rule that
//! names it cannot be passed over.

use scopegate_model::Resources;
use serde_json::Value;

use super::{Derived, Get, Kind};

/// An attribute that could not be had, and why.
pub type Missing = Vec<(String, String)>;

/// The paths `id` (of resource kind `kind`) is read at, one per `get`, or
/// why it cannot be read: an id without the kind's `strip_prefix`, a
/// segment scopegate does not send (empty, `.`, `..`), or a `{kind}` the
/// operation names not exactly once.
pub fn paths(kind: &Kind, id: &str, resources: &Resources) -> Result<Vec<String>, String> {
    let bare = bare_id(kind, id)?;
    kind.get
        .iter()
        .map(|get| expand(&get.path, bare, resources))
        .collect()
}

/// The id as it goes into paths: less the kind's prefix.
pub fn bare_id<'a>(kind: &Kind, id: &'a str) -> Result<&'a str, String> {
    match &kind.strip_prefix {
        Some(prefix) => id
            .strip_prefix(prefix.as_str())
            .filter(|rest| !rest.is_empty())
            .ok_or_else(|| format!("`{id}` does not start with `{prefix}`, so it is not resolved")),
        None => Ok(id),
    }
}

fn expand(template: &str, id: &str, resources: &Resources) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + id.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in `{template}`"))?;
        let name = &rest[open + 1..open + close];
        let value = match name {
            "id" => id,
            other => one(resources, other)?,
        };
        push_encoded(&mut out, value)?;
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn one<'a>(resources: &'a Resources, kind: &str) -> Result<&'a str, String> {
    match resources.get(kind).map(Vec::as_slice) {
        Some([only]) => Ok(only),
        Some([]) | None => Err(format!("the operation names no `{kind}`")),
        Some(_) => Err(format!("the operation names more than one `{kind}`")),
    }
}

/// Appends `value` percent-encoded, its `/` kept between segments; a
/// segment that is empty, `.` or `..` is refused (it would read another
/// path than the one named).
fn push_encoded(out: &mut String, value: &str) -> Result<(), String> {
    for (i, segment) in value.split('/').enumerate() {
        if matches!(segment, "" | "." | "..") {
            return Err(format!(
                "`{value}` has a path segment scopegate does not send"
            ));
        }
        if i > 0 {
            out.push('/');
        }
        for b in segment.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Ok(())
}

/// The attributes the answers say (one answer per `get`, in order; an
/// answer that failed is `Err(why)`), and those that could not be had.
pub fn attributes(kind: &Kind, id: &str, answers: &[Result<Value, String>]) -> (Derived, Missing) {
    let mut found = Derived::new();
    let mut missing = Missing::new();
    let bare = bare_id(kind, id).unwrap_or(id);
    for (get, answer) in kind.get.iter().zip(answers) {
        match answer {
            Ok(value) => read_answer(get, bare, value, &mut found, &mut missing),
            Err(why) => missing.extend(
                get.fields
                    .keys()
                    .chain(get.equals.keys())
                    .map(|a| (a.clone(), why.clone())),
            ),
        }
    }
    (found, missing)
}

fn read_answer(get: &Get, id: &str, answer: &Value, found: &mut Derived, missing: &mut Missing) {
    for (attribute, field) in &get.fields {
        match field_text(answer, field) {
            Some(text) => {
                found.entry(attribute.clone()).or_default().insert(text);
            }
            None => missing.push((attribute.clone(), lacks(&get.path, field))),
        }
    }
    for (attribute, field) in &get.equals {
        match field_text(answer, field) {
            Some(text) => {
                let same = (text == id).to_string();
                found.entry(attribute.clone()).or_default().insert(same);
            }
            None => missing.push((attribute.clone(), lacks(&get.path, field))),
        }
    }
}

fn lacks(path: &str, field: &str) -> String {
    format!("the answer to GET {path} has no `{field}`")
}

/// A scalar field's text (`visibility`, `owner.login`); `None` for a
/// missing, null, object or array field.
fn field_text(answer: &Value, field: &str) -> Option<String> {
    let value = field
        .split('.')
        .try_fold(answer, |at, key| at.as_object()?.get(key))?;
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

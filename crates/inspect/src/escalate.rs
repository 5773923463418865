//! Argument-level escalation: an operation's class is raised when a value
//! found at a path in what the request sends meets a condition.
//!
//! One mechanism for GraphQL and REST. A path is a list of keys; a `*`
//! segment stands for every key of an object or every element of a list.
//! For a GraphQL field the root is the field's arguments (variables
//! substituted); for a REST route it is `body` (the JSON body) and `query`
//! (the query parameters, `query.<name>`). See docs/catalogues.md.

use scopegate_model::{OpClass, Operation};
use serde_json::Value;

use crate::catalog::raw;
use crate::content::MediaType;

/// What the value at an escalation's path must look like for the class to
/// be raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalateIf {
    /// The value holds `"isDeleted"` set to anything but `false`, or a
    /// `null`, anywhere inside it (Railway's environment patches delete
    /// things that way).
    ContainsDeletion,
    /// The value is present and neither `null` nor `false`.
    Truthy,
    /// The value is present and not `null`.
    Present,
    /// The key is there, even with `null` (which often clears a setting:
    /// `startCommand: null` changes what a service runs too).
    Set,
    /// The value equals one of these (`equals = v` is `in = [v]`).
    OneOf(Vec<Value>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Path segments; `*` is any key or element.
    pub arg: Vec<String>,
    pub when: EscalateIf,
    pub class: OpClass,
    pub why: String,
}

/// Where an escalation's path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// A GraphQL field's arguments.
    Arguments,
    /// A REST request: `body.…` or `query.<name>`.
    Rest,
}

pub const ANY: &str = "*";

/// Validates one escalation from its catalogue form.
pub fn from_raw(e: raw::Escalate, root: Root) -> Result<Escalation, String> {
    let arg: Vec<String> = e.arg.split('.').map(str::to_owned).collect();
    if arg.iter().any(String::is_empty) {
        return Err(format!("escalation path `{}` has an empty segment", e.arg));
    }
    match root {
        Root::Arguments if arg[0] == ANY => {
            return Err(format!("escalation path `{}` must name an argument", e.arg));
        }
        Root::Rest => match arg[0].as_str() {
            "body" => {}
            "query" if arg.len() == 2 && arg[1] != ANY => {}
            _ => {
                return Err(format!(
                    "escalation path `{}` must be `body[.…]` or `query.<name>`",
                    e.arg
                ));
            }
        },
        Root::Arguments => {}
    }
    let when = match (e.when.as_str(), e.equals, e.one_of) {
        ("contains-deletion", None, None) => EscalateIf::ContainsDeletion,
        ("truthy", None, None) => EscalateIf::Truthy,
        ("present", None, None) => EscalateIf::Present,
        ("set", None, None) => EscalateIf::Set,
        ("", Some(v), None) => EscalateIf::OneOf(vec![v]),
        ("", None, Some(vs)) if !vs.is_empty() => EscalateIf::OneOf(vs),
        ("", None, None) => {
            return Err("escalation needs `when`, `equals` or `in`".to_owned());
        }
        (other, None, None) => return Err(format!("unknown escalation condition `{other}`")),
        _ => return Err("escalation takes exactly one of `when`, `equals`, `in`".to_owned()),
    };
    if let EscalateIf::OneOf(vs) = &when
        && vs
            .iter()
            .any(|v| v.is_null() || v.is_object() || v.is_array())
    {
        return Err("`equals`/`in` compare with strings, numbers or booleans".to_owned());
    }
    let class = OpClass::parse(&e.class)
        .filter(|c| *c != OpClass::Unknown)
        .ok_or_else(|| format!("escalation class `{}` is not valid", e.class))?;
    if e.why.trim().is_empty() {
        return Err(format!("escalation on `{}` needs a `why`", e.arg));
    }
    Ok(Escalation {
        arg,
        when,
        class,
        why: e.why,
    })
}

impl EscalateIf {
    /// Whether one value found at the path meets the condition.
    pub fn holds(&self, v: &Value) -> bool {
        match self {
            Self::Set => true,
            _ if v.is_null() => false,
            Self::Present => true,
            Self::Truthy => *v != Value::Bool(false),
            Self::ContainsDeletion => match v {
                Value::String(s) => {
                    json_in_string(s).is_some_and(|v| v.as_ref().is_none_or(contains_deletion))
                }
                _ => contains_deletion(v),
            },
            Self::OneOf(vs) => vs.contains(v),
        }
    }
}

/// Whether any value at `path` under `root` meets `when`.
pub fn any_at(root: &Value, path: &[String], when: &EscalateIf) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return when.holds(root);
    };
    if let Value::String(s) = root
        && let Some(parsed) = json_in_string(s)
    {
        // JSON sent as a string where an object belongs: a server with a
        // lenient JSON scalar may parse it, so it is read too.
        return parsed.is_none_or(|v| any_at(&v, path, when));
    }
    match root {
        Value::Object(m) if first == ANY => m.values().any(|v| any_at(v, rest, when)),
        Value::Object(m) => m.get(first.as_str()).is_some_and(|v| any_at(v, rest, when)),
        // A list where a key is expected: each element, as GraphQL input
        // coercion and the masking walk read it.
        Value::Array(a) if first == ANY => a.iter().any(|v| any_at(v, rest, when)),
        Value::Array(a) => a.iter().any(|v| any_at(v, path, when)),
        Value::Null => false,
        // One value where a list belongs is a list of one (GraphQL input
        // coercion): `enabledServiceIds: "svc"` reads as `["svc"]`.
        _ if first == ANY => any_at(root, rest, when),
        _ => false,
    }
}

/// A string that looks like a JSON object or list: `Some(Some(value))` when
/// it parses strictly, `Some(None)` when it does not (and so cannot be ruled
/// out), `None` when it is not JSON-like at all.
fn json_in_string(s: &str) -> Option<Option<Value>> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    Some(
        crate::strict_json::parse_strict(s.as_bytes())
            .ok()
            .filter(|v| v.is_object() || v.is_array()),
    )
}

/// Raises a REST operation's class by its route's escalations, looking at
/// the decoded body as JSON (`body.…`) and the query parameters
/// (`query.<name>`, every value of a repeated name). Fails closed: a body
/// that cannot be read as JSON makes every `body` escalation hold, and so
/// does a query parameter named like the body field (`archived`, or
/// `archived[...]`), since frameworks such as Rails merge the two.
pub fn rest(
    op: &mut Operation,
    escalations: &[Escalation],
    content_type: Option<&str>,
    body: &[u8],
    query: &[(String, String)],
) {
    let mut json: Option<Result<Value, String>> = None;
    for e in escalations {
        if e.class <= op.class {
            continue;
        }
        let note = match e.arg[0].as_str() {
            "query" => query
                .iter()
                .filter(|(k, _)| *k == e.arg[1])
                .any(|(_, v)| e.when.holds(&Value::String(v.clone())))
                .then(|| e.why.clone()),
            _ if query.iter().any(|(k, _)| names_body_field(k, &e.arg[1..])) => Some(format!(
                "{} (assumed: the query string carries a parameter of that name)",
                e.why
            )),
            _ => match json.get_or_insert_with(|| body_json(content_type, body)) {
                Ok(v) => any_at(v, &e.arg[1..], &e.when).then(|| e.why.clone()),
                Err(unread) => Some(format!(
                    "{} (assumed: {unread}, so scopegate cannot rule it out)",
                    e.why
                )),
            },
        };
        if note.is_some() {
            op.class = e.class;
            op.note = note;
        }
    }
}

/// Adds the resources a REST route names in its request: every string or
/// number at a body path (a body that is not strict JSON names none, so a
/// rule that needs the kind does not match), and every value of a query
/// parameter — for a body path, also of one named like the body field,
/// since frameworks such as Rails merge the two. Every value found is one,
/// so a rule on the kind must accept them all.
pub fn rest_resources(
    op: &mut Operation,
    resources: &[(Vec<String>, String)],
    content_type: Option<&str>,
    body: &[u8],
    query: &[(String, String)],
) {
    let mut json: Option<Result<Value, String>> = None;
    for (path, kind) in resources {
        let (root, rest) = path.split_at(1);
        let field = if root[0] == "query" {
            rest
        } else {
            &rest[..rest.len().min(1)]
        };
        for (k, v) in query {
            let named = match root[0].as_str() {
                "query" => field.first().is_some_and(|f| f == k),
                _ => !field.is_empty() && names_body_field(k, field),
            };
            if named {
                op.add_resource(kind, v.clone());
            }
        }
        if root[0] == "body"
            && let Ok(v) = json.get_or_insert_with(|| body_json(content_type, body))
        {
            let mut found = Vec::new();
            scalars_at(v, rest, &mut found);
            for s in found {
                op.add_resource(kind, s);
            }
        }
    }
}

/// Every string or number at `path` under `root` (`*` any key or element;
/// a list where a key is expected, each element).
fn scalars_at(root: &Value, path: &[String], out: &mut Vec<String>) {
    let Some((first, rest)) = path.split_first() else {
        match root {
            Value::String(s) => out.push(s.clone()),
            Value::Number(n) => out.push(n.to_string()),
            Value::Array(a) => a.iter().for_each(|v| scalars_at(v, path, out)),
            _ => {}
        }
        return;
    };
    match root {
        Value::Object(m) if first == ANY => m.values().for_each(|v| scalars_at(v, rest, out)),
        Value::Object(m) => {
            if let Some(v) = m.get(first.as_str()) {
                scalars_at(v, rest, out);
            }
        }
        Value::Array(a) if first == ANY => a.iter().for_each(|v| scalars_at(v, rest, out)),
        Value::Array(a) => a.iter().for_each(|v| scalars_at(v, path, out)),
        _ => {}
    }
}

/// Whether a query key names the body field at `path` (its first segment;
/// any key for the whole body or a `*`).
fn names_body_field(key: &str, path: &[String]) -> bool {
    match path.first() {
        None => true,
        Some(f) if f == ANY => true,
        Some(f) => key
            .strip_prefix(f.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('[')),
    }
}

/// The body as JSON: `null` when empty; an error when its content type is
/// not JSON (or missing) or it does not parse strictly.
fn body_json(content_type: Option<&str>, body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    if let Some(ct) = content_type {
        let mt = MediaType::parse(ct).ok_or("the content type does not parse")?;
        let json = mt.essence == "application/json" || mt.essence.ends_with("+json");
        if !json || !mt.charset_is_utf8() {
            return Err(format!("the body is `{}`, not JSON", mt.essence));
        }
    }
    crate::strict_json::parse_strict(body).map_err(|_| "the body is not strict JSON".to_owned())
}

/// `isDeleted` set to anything but `false`, or any `null`, anywhere inside.
fn contains_deletion(v: &Value) -> bool {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Null => return true,
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "isDeleted" && *x != Value::Bool(false) {
                        return true;
                    }
                    stack.push(x);
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn wildcards_reach_every_key_and_element() {
        let v = json!({ "services": {
            "a": { "deploy": { "numReplicas": 2 } },
            "b": { "deploy": { "startCommand": "rm -rf /data" } },
        }, "list": [ { "x": 1 }, { "x": null } ] });
        let present = EscalateIf::Present;
        assert!(any_at(
            &v,
            &path("services.*.deploy.startCommand"),
            &present
        ));
        assert!(!any_at(
            &v,
            &path("services.*.build.buildCommand"),
            &present
        ));
        assert!(any_at(&v, &path("list.*.x"), &present));
        assert!(!any_at(&v, &path("list.*.y"), &present));
        // a `*` over a scalar reads it as a list of one (GraphQL input
        // coercion), and a key below it finds nothing
        assert!(any_at(
            &json!({ "services": 3 }),
            &path("services.*"),
            &present
        ));
        assert!(!any_at(
            &json!({ "services": 3 }),
            &path("services.*.x"),
            &present
        ));
        // a list where a key is expected: each element
        assert!(any_at(
            &json!({ "services": [{ "x": 1 }] }),
            &path("services.x"),
            &present
        ));
        // null is not present, but it is set
        assert!(!any_at(&json!({ "a": null }), &path("a"), &present));
        assert!(any_at(&json!({ "a": null }), &path("a"), &EscalateIf::Set));
        assert!(!any_at(&json!({ "b": null }), &path("a"), &EscalateIf::Set));
    }

    #[test]
    fn json_sent_as_a_string_is_read_too() {
        let patch = json!({ "services": r#"{"s":{"deploy":{"startCommand":"x"}}}"# });
        assert!(any_at(
            &patch,
            &path("services.*.deploy.startCommand"),
            &EscalateIf::Present
        ));
        let whole = json!(r#"{"services":{"s":{"isDeleted":true}}}"#);
        assert!(EscalateIf::ContainsDeletion.holds(&whole));
        // JSON-like but unreadable: cannot be ruled out
        let broken = json!({ "services": r#"{"s": {"a":1,"a":2}}"# });
        assert!(any_at(&broken, &path("services.*.x"), &EscalateIf::Present));
        assert!(EscalateIf::ContainsDeletion.holds(&json!("[1,")));
        // ordinary strings are strings: a list of one under `*`, nothing
        // below them
        assert!(any_at(
            &json!({ "services": "web" }),
            &path("services.*"),
            &EscalateIf::Present
        ));
        assert!(!any_at(
            &json!({ "services": "web" }),
            &path("services.*.x"),
            &EscalateIf::Present
        ));
        assert!(!EscalateIf::ContainsDeletion.holds(&json!("null")));
    }

    #[test]
    fn conditions() {
        let one_of = EscalateIf::OneOf(vec![json!("public"), json!(true)]);
        assert!(one_of.holds(&json!("public")));
        assert!(one_of.holds(&json!(true)));
        assert!(!one_of.holds(&json!("private")));
        assert!(!one_of.holds(&json!("true")));
        assert!(EscalateIf::Truthy.holds(&json!("false")));
        assert!(EscalateIf::Truthy.holds(&json!(0)));
        assert!(!EscalateIf::Truthy.holds(&json!(false)));
        assert!(!EscalateIf::Truthy.holds(&json!(null)));
        assert!(EscalateIf::ContainsDeletion.holds(&json!({ "a": { "isDeleted": 1 } })));
        assert!(EscalateIf::ContainsDeletion.holds(&json!({ "a": [null] })));
        assert!(!EscalateIf::ContainsDeletion.holds(&json!({ "isDeleted": false })));
    }

    fn raw(arg: &str, when: &str) -> raw::Escalate {
        raw::Escalate {
            arg: arg.into(),
            when: when.into(),
            equals: None,
            one_of: None,
            class: "destructive".into(),
            why: "because".into(),
        }
    }

    fn esc(arg: &str, when: &str, equals: Option<Value>) -> Escalation {
        let mut r = raw(arg, when);
        r.equals = equals;
        from_raw(r, Root::Rest).unwrap()
    }

    fn rest_class(
        escs: &[Escalation],
        ct: Option<&str>,
        body: &[u8],
        query: &[(&str, &str)],
    ) -> OpClass {
        let mut op = Operation::new("p", "x", OpClass::Write);
        let q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        rest(&mut op, escs, ct, body, &q);
        op.class
    }

    #[test]
    fn rest_query_and_body_roots() {
        use OpClass::{Destructive, Write};
        let upsert = [esc("query.upsert", "", Some(json!("true")))];
        assert_eq!(
            rest_class(&upsert, None, b"", &[("upsert", "true")]),
            Destructive
        );
        assert_eq!(
            rest_class(&upsert, None, b"", &[("upsert", "false")]),
            Write
        );
        // every value of a repeated parameter counts
        assert_eq!(
            rest_class(
                &upsert,
                None,
                b"",
                &[("upsert", "false"), ("upsert", "true")]
            ),
            Destructive
        );
        // a query escalation never reads the body, so an unreadable one is fine
        assert_eq!(rest_class(&upsert, Some("text/plain"), b"x", &[]), Write);
        let whole = [esc("body", "contains-deletion", None)];
        let json_ct = Some("application/json");
        assert_eq!(rest_class(&whole, json_ct, br#"{"a":{"b":1}}"#, &[]), Write);
        assert_eq!(
            rest_class(&whole, json_ct, br#"{"a":{"b":null}}"#, &[]),
            Destructive
        );
        // a whole-body escalation holds for any query parameter
        assert_eq!(
            rest_class(&whole, json_ct, br#"{"a":1}"#, &[("x", "1")]),
            Destructive
        );
        let nested = [esc("body.a.b", "present", None)];
        assert_eq!(
            rest_class(&nested, json_ct, br#"{"a":{"c":1}}"#, &[("ab", "1")]),
            Write
        );
        assert_eq!(
            rest_class(&nested, json_ct, br#"{"a":{"c":1}}"#, &[("a[b]", "1")]),
            Destructive
        );
    }

    #[test]
    fn catalogue_form_is_validated() {
        assert!(from_raw(raw("patch.services.*", "present"), Root::Arguments).is_ok());
        assert!(from_raw(raw("*.x", "present"), Root::Arguments).is_err());
        assert!(from_raw(raw("a..b", "present"), Root::Arguments).is_err());
        assert!(from_raw(raw("a", "sometimes"), Root::Arguments).is_err());
        assert!(from_raw(raw("a", ""), Root::Arguments).is_err());
        assert!(from_raw(raw("body.archived", "truthy"), Root::Rest).is_ok());
        assert!(from_raw(raw("body", "contains-deletion"), Root::Rest).is_ok());
        assert!(from_raw(raw("query.force", "present"), Root::Rest).is_ok());
        assert!(from_raw(raw("query.a.b", "present"), Root::Rest).is_err());
        assert!(from_raw(raw("query.*", "present"), Root::Rest).is_err());
        assert!(from_raw(raw("archived", "truthy"), Root::Rest).is_err());
        let mut both = raw("a", "present");
        both.equals = Some(json!(true));
        assert!(from_raw(both, Root::Arguments).is_err());
        let mut eq = raw("a", "");
        eq.equals = Some(json!("public"));
        assert_eq!(
            from_raw(eq, Root::Arguments).unwrap().when,
            EscalateIf::OneOf(vec![json!("public")])
        );
        let mut no_why = raw("a", "present");
        no_why.why = " ".into();
        assert!(from_raw(no_why, Root::Arguments).is_err());
        let mut bad_class = raw("a", "present");
        bad_class.class = "unknown".into();
        assert!(from_raw(bad_class, Root::Arguments).is_err());
    }
}

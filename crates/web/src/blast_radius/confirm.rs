//! What an approver types to approve a destructive request: the name of
//! what it destroys as the proxy resolved it, or its id when it could not
//! be resolved (docs/approvals.md, "Typed confirmation").

use scopegate_model::{Attribute, OpClass, Operation};

use super::Subject;

/// The words to type before approving `ops`, or `None` when nothing in
/// them is destructive. Several destructive targets are listed in order,
/// separated by `, `.
pub fn phrase(ops: &[Operation]) -> Option<String> {
    let mut targets: Vec<String> = Vec::new();
    for op in ops.iter().filter(|o| o.class == OpClass::Destructive) {
        let t = target(op);
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    (!targets.is_empty()).then(|| targets.join(", "))
}

/// Whether `typed` is `expected`, ignoring only surrounding spaces.
pub fn matches(expected: &str, typed: &str) -> bool {
    !expected.is_empty() && typed.trim() == expected
}

/// One operation's target: its resolved name, else its id, else the
/// resource its REST route names, else the operation's own name.
fn target(op: &Operation) -> String {
    let subject = Subject::of(op);
    let name = subject
        .kind
        .as_deref()
        .and_then(|k| op.attributes.get(k))
        .and_then(Attribute::values);
    if let Some(v) = name.filter(|v| !v.is_empty()) {
        return v.join(", ");
    }
    if let Some(id) = subject.id {
        return id;
    }
    route_resource(op).unwrap_or_else(|| op.name.clone())
}

/// `git/delete-ref` → its `ref`; `repos/delete` → its `repo`: the last
/// word of the route's name that names a resource (or does once singular).
fn route_resource(op: &Operation) -> Option<String> {
    op.name
        .split(['/', '-', '_'])
        .rev()
        .flat_map(|w| [w.to_owned(), w.strip_suffix('s').unwrap_or(w).to_owned()])
        .find_map(|k| op.resources.get(&k).filter(|v| !v.is_empty()))
        .map(|v| v.join(", "))
}

#[cfg(test)]
mod tests {
    use scopegate_model::{Attribute, OpClass, Operation};

    use super::{matches, phrase};

    fn op(name: &str, class: OpClass, resources: &[(&str, &str)]) -> Operation {
        let mut o = Operation::new("p", name, class);
        for (k, v) in resources {
            o.add_resource(k, (*v).to_owned());
        }
        o
    }

    #[test]
    fn the_resolved_name_else_the_id() {
        let mut del = op(
            "volumeDelete",
            OpClass::Destructive,
            &[("volumeId", "vol-1")],
        );
        assert_eq!(phrase(std::slice::from_ref(&del)).as_deref(), Some("vol-1"));
        del.set_attribute("volume", Attribute::Known(vec!["postgres-data".into()]));
        assert_eq!(phrase(&[del]).as_deref(), Some("postgres-data"));
        let mut unresolved = op(
            "volumeDelete",
            OpClass::Destructive,
            &[("volumeId", "vol-2")],
        );
        unresolved.set_attribute("volume", Attribute::Unresolved("timed out".into()));
        assert_eq!(phrase(&[unresolved]).as_deref(), Some("vol-2"));
    }

    #[test]
    fn only_destructive_operations_ask_and_each_target_once() {
        let read = op("volume", OpClass::Read, &[("volumeId", "vol-1")]);
        let write = op("volumeUpdate", OpClass::Write, &[("volumeId", "vol-1")]);
        assert_eq!(phrase(&[read.clone(), write]), None);
        let a = op(
            "volumeDelete",
            OpClass::Destructive,
            &[("volumeId", "vol-1")],
        );
        let b = op(
            "volumeDelete",
            OpClass::Destructive,
            &[("volumeId", "vol-2")],
        );
        assert_eq!(
            phrase(&[read, a.clone(), b, a]).as_deref(),
            Some("vol-1, vol-2")
        );
    }

    #[test]
    fn a_rest_route_names_its_resource() {
        let del_ref = op(
            "git/delete-ref",
            OpClass::Destructive,
            &[("owner", "acme"), ("repo", "site"), ("ref", "heads/old")],
        );
        assert_eq!(phrase(&[del_ref]).as_deref(), Some("heads/old"));
        let del_repo = op(
            "repos/delete",
            OpClass::Destructive,
            &[("owner", "acme"), ("repo", "site")],
        );
        assert_eq!(phrase(&[del_repo]).as_deref(), Some("site"));
        let bare = op("zones/purge", OpClass::Destructive, &[]);
        assert_eq!(phrase(&[bare]).as_deref(), Some("zones/purge"));
    }

    #[test]
    fn the_typed_words_must_be_exactly_the_phrase() {
        assert!(matches("postgres-data", " postgres-data "));
        for wrong in [
            "",
            "postgres",
            "Postgres-data",
            "postgres-data, vol-2",
            "yes",
        ] {
            assert!(!matches("postgres-data", wrong), "{wrong:?}");
        }
        assert!(!matches("", ""), "an empty phrase confirms nothing");
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use scopegate_model::OpClass;

/// 2026-12-01 10:00:00 UTC.
const NOW: i64 = 1_796_119_200_000;

fn volume_delete(attrs: &[(&str, Attribute)]) -> Operation {
    let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    op.add_resource("volumeId", "vol-4f1c".into());
    for (k, a) in attrs {
        op.set_attribute(k, a.clone());
    }
    op
}

fn known(v: &str) -> Attribute {
    Attribute::known([v.to_owned()])
}

fn plain(ops: &[Operation]) -> Vec<String> {
    describe_bundled(ops, NOW)
        .iter()
        .map(Sentence::plain)
        .collect()
}

fn resolved() -> Operation {
    volume_delete(&[
        ("volume", known("postgres-data")),
        ("volume.usedMB", known("4200")),
        ("volume.backups", known("3")),
        ("volume.latestBackup", known("2026-12-01T08:00:00Z")),
        ("service", known("Postgres")),
        ("project", known("pocketos")),
        ("environment", known("production")),
    ])
}

#[test]
fn a_resolved_volume_delete_says_what_goes_and_where() {
    assert_eq!(
        plain(&[resolved()]),
        [
            "Delete volume postgres-data (4.2 GB used, 3 backups, latest 2 h ago; its backups are deleted with it), mounted by Postgres in pocketos / production.",
            "Safer: create a backup first: `volumeInstanceBackupCreate`.",
        ]
    );
    let html = describe_bundled(&[resolved()], NOW)[0].html();
    for bold in [
        "postgres-data",
        "its backups are deleted with it",
        "Postgres",
        "pocketos / production",
    ] {
        assert!(
            html.contains(&format!("<strong>{bold}</strong>")),
            "{bold} in {html}"
        );
    }
}

#[test]
fn a_partly_resolved_volume_says_what_it_knows_and_what_it_could_not() {
    let op = volume_delete(&[
        ("volume", known("postgres-data")),
        ("project", known("pocketos")),
        (
            "environment",
            Attribute::Unresolved("lookup timed out after 2 s".into()),
        ),
        (
            "service",
            Attribute::Unresolved("lookup timed out after 2 s".into()),
        ),
    ]);
    let kinds: Vec<Kind> = describe_bundled(std::slice::from_ref(&op), NOW)
        .iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(kinds, [Kind::Effect, Kind::Unresolved, Kind::Safer]);
    assert_eq!(
        plain(&[op])[..2],
        [
            "Delete volume postgres-data (its backups are deleted with it) in project pocketos.",
            "Could not resolve the environment and service of volume `vol-4f1c` (lookup timed out after 2 s).",
        ]
    );
}

#[test]
fn an_unresolved_volume_is_said_plainly_never_a_bare_id() {
    let why = Attribute::Unresolved("the token sees no volume vol-4f1c".into());
    let op = volume_delete(&[("volume", why.clone()), ("environment", why)]);
    assert_eq!(
        plain(&[op])[..2],
        [
            "Delete volume `vol-4f1c` (its backups are deleted with it).",
            "Could not resolve volume `vol-4f1c` (the token sees no volume vol-4f1c).",
        ]
    );
}

#[test]
fn github_repository_facts_an_operation_with_nothing_to_say_and_one_with_only_a_hint() {
    let mut op = Operation::new("github", "repos/delete", OpClass::Destructive);
    op.add_resource("repository", "acme/site".into());
    op.set_attribute("repository.visibility", known("private"));
    op.set_attribute("repository.archived", known("false"));
    op.set_attribute("repository.defaultBranch", known("main"));
    let quiet = Operation::new("railway", "me", OpClass::Read);
    let unresolved_yet = volume_delete(&[]);
    assert_eq!(
        plain(&[op, quiet, unresolved_yet]),
        [
            "repos/delete `acme/site` (not archived, default branch main, private).",
            "Safer: archive it first: `repos/update` with `archived: true`.",
            "Delete volume `vol-4f1c` (its backups are deleted with it).",
            "Safer: create a backup first: `volumeInstanceBackupCreate`.",
        ]
    );
}

#[test]
fn names_cannot_inject_markup_in_any_form() {
    let op = volume_delete(&[
        ("volume", known("<!channel> *x* <b>")),
        ("service", known("pg_primary")),
    ]);
    let s = &describe_bundled(&[op], NOW)[0];
    assert!(
        s.mrkdwn()
            .starts_with("Delete volume *&lt;!channel&gt; x &lt;b&gt;*"),
        "{}",
        s.mrkdwn()
    );
    assert!(
        s.html()
            .contains("<strong>&lt;!channel&gt; *x* &lt;b&gt;</strong>"),
        "{}",
        s.html()
    );
    assert!(
        s.mrkdwn().contains("mounted by *pg_primary*"),
        "a name keeps its underscores: {}",
        s.mrkdwn()
    );
}

#[test]
fn sizes_and_counts_read_naturally() {
    assert_eq!(details::size("512"), "512 MB");
    assert_eq!(details::size("10000"), "10 GB");
    assert_eq!(
        details::action("volumeInstanceBackupCreate"),
        "Create volume instance backup"
    );
    assert_eq!(details::ago("not a time", NOW), "not a time");
}

//! Every document the Railway CLI sends is read to its true root fields,
//! and none is `unknown`: if a catalogue entry goes missing, this fails.
//! The documents are those of the pinned CLI version
//! (config/catalog/sources/railway/cli-version; `scripts/railway-cli-docs
//! check` compares them with the crate).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use scopegate_inspect::{CatalogSet, EndpointKind, Inspector, Limits, RequestView};
use scopegate_model::OpClass;

fn fixtures() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/railway-cli"
    ))
}

fn golden() -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(fixtures().join("roots.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (doc, roots) = l.split_once('\t').unwrap();
            (
                doc.to_owned(),
                roots.split(' ').map(str::to_owned).collect(),
            )
        })
        .collect()
}

fn inspect_doc(inspector: &Inspector, doc: &str) -> scopegate_inspect::Inspection {
    let body = serde_json::to_vec(&serde_json::json!({ "query": doc, "variables": {} })).unwrap();
    inspector.inspect(&RequestView {
        method: "POST",
        host: "backboard.railway.com",
        target: "/graphql/v2",
        headers: &[
            ("content-type", b"application/json"),
            ("authorization", b"Bearer t"),
        ],
        body: &body,
    })
}

#[test]
fn every_cli_document_is_read_to_its_root_fields() {
    let inspector = Inspector::new(CatalogSet::bundled().unwrap(), Limits::default());
    let golden = golden();
    let count = |kind: &str| golden.iter().filter(|(d, _)| d.starts_with(kind)).count();
    assert_eq!(
        (
            count("mutations/"),
            count("queries/"),
            count("subscriptions/")
        ),
        (81, 65, 7)
    );
    for kind in ["mutations", "queries", "subscriptions"] {
        let on_disk = std::fs::read_dir(fixtures().join(kind)).unwrap().count();
        assert_eq!(
            on_disk,
            count(&format!("{kind}/")),
            "roots.tsv must cover every {kind} file"
        );
    }
    for (doc, roots) in &golden {
        let text = std::fs::read_to_string(fixtures().join(doc)).unwrap();
        let got = inspect_doc(&inspector, &text);
        assert_eq!(got.endpoint, EndpointKind::Graphql);
        let names: Vec<&str> = got.operations.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, *roots, "{doc}");
        for op in &got.operations {
            assert_ne!(
                op.class,
                OpClass::Unknown,
                "{doc}: {op} is unknown ({:?})",
                op.note
            );
            assert_eq!(op.provider, "railway");
            // A query file may carry a mutation too (AgentBootstraps.graphql
            // holds two queries and agentBootstrapSave; the CLI picks one
            // with operationName): only its query operations are reads.
            let holds_mutation = text.contains("mutation ");
            if (doc.starts_with("queries/") || doc.starts_with("subscriptions/")) && !holds_mutation
            {
                assert_eq!(op.class, OpClass::Read, "{doc}: {op}");
            }
        }
    }
}

#[test]
fn the_incident_and_other_known_classes() {
    let inspector = Inspector::new(CatalogSet::bundled().unwrap(), Limits::default());
    let class_of = |doc: &str| {
        let text = std::fs::read_to_string(fixtures().join(doc)).unwrap();
        let got = inspect_doc(&inspector, &text);
        got.operations.iter().map(|o| o.class).max().unwrap()
    };
    for (doc, class) in [
        ("mutations/VolumeDelete.graphql", OpClass::Destructive),
        (
            "mutations/VolumeInstanceBackupDelete.graphql",
            OpClass::Destructive,
        ),
        ("mutations/ServiceDelete.graphql", OpClass::Destructive),
        ("mutations/EnvironmentDelete.graphql", OpClass::Destructive),
        ("mutations/CustomDomainDelete.graphql", OpClass::Destructive),
        ("mutations/VariableDelete.graphql", OpClass::Destructive),
        ("mutations/CustomDomainCreate.graphql", OpClass::Write),
        ("mutations/ServiceCreate.graphql", OpClass::Write),
        ("mutations/DeploymentRestart.graphql", OpClass::Write),
        ("mutations/VolumeCreate.graphql", OpClass::Write),
        // an environment patch is destructive only when it deletes; with no
        // patch value (variables empty) it is a write
        ("mutations/EnvironmentPatchCommit.graphql", OpClass::Write),
    ] {
        assert_eq!(class_of(doc), class, "{doc}");
    }
}

//! The decision log keeps what the proxy resolved of each operation
//! (project, environment...) in the hash chain, and `audit export` finds
//! records by those names: `--project`, `--environment`, globs allowed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use scopegate_model::{
    Attribute, Decision, DecisionRecord, Mode, OpClass, Operation, OperationVerdict, RuleRef,
    Verdict,
};
use scopegate_store::Store;

/// A `volumeDelete` resolved to `project` / `environment` (or unresolved).
fn record(id: &str, project: &str, environment: Attribute) -> DecisionRecord {
    let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    op.add_resource("volumeId", format!("vol-{id}"));
    op.set_attribute("project", Attribute::known([project.to_owned()]));
    op.set_attribute("environment", environment);
    let d = Decision {
        verdict: Verdict::Allow,
        mode: Mode::Enforce,
        rule: RuleRef("t/r".into()),
        reason: "r".into(),
        token: Some("agent".into()),
        operations: vec![OperationVerdict {
            operation: op,
            verdict: Verdict::Allow,
            rule: RuleRef("t/r".into()),
            reason: "r".into(),
        }],
    };
    DecisionRecord::from_decision(id.into(), &d)
}

fn env(name: &str) -> Attribute {
    Attribute::known([name.to_owned()])
}

fn scopegate(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &err,
    )
}

/// The ids `audit export --database URL ARGS...` prints.
fn exported(url: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["audit", "export", "--database", url];
    all.extend_from_slice(args);
    let (code, out) = scopegate(&all);
    assert_eq!(code, 0, "{out}");
    out.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// A fresh, migrated SQLite decision log: its folder, URL and store.
async fn log() -> (std::path::PathBuf, String, Store) {
    let dir = std::env::temp_dir().join(format!("sg-audit-attrs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("log.db").display());
    assert_eq!(scopegate(&["migrate", "--database", &url]).0, 0);
    let store = Store::connect(&url).await.unwrap();
    (dir, url, store)
}

/// Edits record `seq` behind the log's back: `from` → `to`.
async fn rename_in_record(store: &Store, seq: i64, from: &str, to: &str) {
    let Store::Sqlite(pool) = store else {
        panic!("a SQLite log")
    };
    sqlx::query("UPDATE decisions SET record = REPLACE(record, ?, ?) WHERE seq = ?")
        .bind(format!("\"{from}\""))
        .bind(format!("\"{to}\""))
        .bind(seq)
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn export_filters_by_project_and_environment_and_the_chain_holds_the_names() {
    let (dir, url, store) = log().await;
    let timed_out = Attribute::Unresolved("lookup timed out after 2 s".into());
    store
        .append(&[
            record("d1", "pocketos", env("production")),
            record("d2", "pocketos", env("staging")),
            record("d3", "pocketos", env("pr-42")),
            record("d4", "acme-web", env("production")),
            record("d5", "pocketos", timed_out),
        ])
        .await
        .unwrap();
    let (code, out) = scopegate(&["audit", "verify", "--database", &url]);
    assert_eq!((code, out.starts_with("ok: 5 records")), (0, true), "{out}");

    assert_eq!(
        exported(&url, &["--environment", "production"]),
        ["d1", "d4"]
    );
    assert_eq!(exported(&url, &["--environment", "pr-*"]), ["d3"]);
    assert_eq!(
        exported(
            &url,
            &["--project", "pocketos", "--environment", "production"]
        ),
        ["d1"]
    );
    assert_eq!(exported(&url, &["--project", "acme-*"]), ["d4"]);
    // an environment that could not be resolved matches no name
    assert_eq!(
        exported(&url, &["--environment", "*"]),
        ["d1", "d2", "d3", "d4"]
    );
    let (_, out) = scopegate(&[
        "audit",
        "export",
        "--database",
        &url,
        "--project",
        "pocketos",
    ]);
    assert!(
        out.contains(r#""environment":{"known":["production"]}"#),
        "{out}"
    );
    assert!(
        out.contains(r#""environment":{"unresolved":"lookup timed out after 2 s"}"#),
        "{out}"
    );

    // the names are in the chain: moving d1 to staging is caught
    rename_in_record(&store, 1, "production", "staging").await;
    let (code, out) = scopegate(&["audit", "verify", "--database", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("record 1 was edited"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

//! `scopegate audit verify | export` and `scopegate migrate` as an auditor
//! runs them against a decision log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use scopegate_model::{
    Decision, DecisionRecord, Mode, OpClass, Operation, OperationVerdict, RuleRef, Verdict,
};
use scopegate_store::Store;

fn record(id: &str, verdict: Verdict, token: &str) -> DecisionRecord {
    let op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    let d = Decision {
        verdict,
        mode: Mode::Enforce,
        rule: RuleRef("t/r".into()),
        reason: "reason, with a comma".into(),
        token: Some(token.into()),
        operations: vec![OperationVerdict {
            operation: op,
            verdict,
            rule: RuleRef("t/r".into()),
            reason: "r".into(),
        }],
    };
    let mut r = DecisionRecord::from_decision(id.into(), &d);
    r.provider = "railway".into();
    r.host = "backboard.railway.com".into();
    r.method = "POST".into();
    r.path = "/graphql/v2".into();
    r
}

fn scopegate(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn verify_export_and_tamper() {
    let dir = std::env::temp_dir().join(format!("sg-audit-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("log.db").display());
    let (code, out) = scopegate(&["migrate", "--database", &url]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("applied migrations"), "{out}");
    let store = Store::connect(&url).await.unwrap();
    store
        .append(&[
            record("d1", Verdict::Deny, "ci"),
            record("d2", Verdict::Allow, "ci"),
            record("d3", Verdict::Deny, "agent"),
        ])
        .await
        .unwrap();

    let (code, out) = scopegate(&["audit", "verify", "--database", &url]);
    assert_eq!((code, out.starts_with("ok: 3 records")), (0, true), "{out}");

    let (code, out) = scopegate(&[
        "audit",
        "export",
        "--database",
        &url,
        "--verdict",
        "deny",
        "--token",
        "ci",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0]["id"].as_str(), lines[0]["seq"].as_i64()),
        (Some("d1"), Some(1))
    );

    let (code, out) = scopegate(&["audit", "export", "--database", &url, "--format", "csv"]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 4, "{out}");
    assert!(rows[0].starts_with("seq,id,at_ms,"));
    assert!(
        rows[1].contains("\"reason, with a comma\""),
        "CSV quoting: {}",
        rows[1]
    );

    // an auditor's nightmare: someone turns a deny into an allow
    if let Store::Sqlite(pool) = &store {
        sqlx::raw_sql("UPDATE decisions SET record = REPLACE(record, '\"verdict\":\"deny\"', '\"verdict\":\"allow\"'), verdict = 'allow' WHERE seq = 3")
            .execute(pool)
            .await
            .unwrap();
    }
    let (code, out) = scopegate(&["audit", "verify", "--database", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("record 3 was edited"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

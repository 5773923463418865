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

/// Runs scopegate in `cwd`; returns the exit code and stderr.
fn scopegate_err(cwd: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SCOPEGATE_DATABASE_URL")
        .env_remove("SCOPEGATE_CONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn database_url_mistakes_are_named_and_nothing_is_created() {
    let dir = std::env::temp_dir().join(format!("sg-audit-urls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pg_down = format!("postgres://postgres@127.0.0.1:{closed}/scopegate");
    let cases = [
        (
            "mysql://root:hunter2@db/scopegate",
            "unsupported database URL scheme `mysql` (use postgres:// or sqlite:)".to_owned(),
        ),
        (
            "postgres//db/scopegate",
            "malformed database URL scheme `postgres//`".to_owned(),
        ),
        (
            pg_down.as_str(),
            format!("connection refused at 127.0.0.1:{closed}"),
        ),
    ];
    for (url, want) in &cases {
        for cmd in [
            &["migrate", "--database", url][..],
            &["audit", "verify", "--database", url],
            &["audit", "export", "--database", url],
        ] {
            let (code, err) = scopegate_err(&dir, cmd);
            assert_eq!(code, 3, "{cmd:?}: {err}");
            assert!(err.contains(want.as_str()), "{cmd:?}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
    // the same from the settings file's [store] url
    std::fs::write(
        dir.join("s.toml"),
        "version = 1\nscope_map = \"x.toml\"\n[store]\nurl = \"mysql://db/scopegate\"\n",
    )
    .unwrap();
    let (code, err) = scopegate_err(&dir, &["migrate", "-c", "s.toml"]);
    assert_eq!(code, 3);
    assert!(
        err.contains("unsupported database URL scheme `mysql`"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec!["s.toml"], "no SQLite file was made of a URL");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unknown_verdict_filter_is_an_error() {
    let dir = std::env::temp_dir().join(format!("sg-audit-verdict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("log.db").display());
    for cmd in ["export", "tail"] {
        let (code, err) = scopegate_err(
            &dir,
            &["audit", cmd, "--verdict", "bogus", "--database", &url],
        );
        assert_eq!(code, 3, "{err}");
        assert!(
            err.contains("invalid value 'bogus' for '--verdict"),
            "{err}"
        );
        assert!(err.contains("allow, approve, deny"), "{err}");
    }
    assert!(
        !dir.join("log.db").exists(),
        "refused before opening anything"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

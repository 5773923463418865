//! Backends for the store suite: SQLite always; Postgres when
//! SCOPEGATE_TEST_DATABASE_URL names a server (CI sets it; without it the
//! Postgres half says it was skipped, and fails if CI is set).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use scopegate_model::{
    Decision, DecisionRecord, Mode, OpClass, Operation, OperationVerdict, RuleRef, Verdict,
};
use scopegate_store::Store;
use sqlx::Connection as _;

pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "sg-store-{tag}-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    t ^ N.fetch_add(1, Ordering::Relaxed)
}

pub async fn sqlite() -> Store {
    let dir = temp_dir("sqlite");
    let s = Store::connect(&format!("sqlite://{}", dir.join("log.db").display()))
        .await
        .unwrap();
    s.migrate().await.unwrap();
    s
}

/// The admin URL of the test Postgres server, or None (skip, unless CI).
pub fn pg_url() -> Option<String> {
    match std::env::var("SCOPEGATE_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but SCOPEGATE_TEST_DATABASE_URL is not: Postgres tests must run in CI"
            );
            eprintln!(
                "skipped: Postgres half of this test (set SCOPEGATE_TEST_DATABASE_URL=postgres://... to run it)"
            );
            None
        }
    }
}

/// A fresh database on the test server; returns its URL.
pub async fn pg_fresh_db(admin_url: &str) -> String {
    let name = format!("sg_test_{:x}", unique());
    let mut c = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    format!("{base}/{name}")
}

pub async fn postgres() -> Option<Store> {
    let admin = pg_url()?;
    let url = pg_fresh_db(&admin).await;
    let s = Store::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    Some(s)
}

pub fn record(id: &str, verdict: Verdict) -> DecisionRecord {
    let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    op.add_resource("volumeId", "vol-1".into());
    let d = Decision {
        verdict,
        mode: Mode::Enforce,
        rule: RuleRef("t/r".into()),
        reason: "because".into(),
        token: Some("t".into()),
        operations: vec![OperationVerdict {
            operation: op,
            verdict,
            rule: RuleRef("t/r".into()),
            reason: "because".into(),
        }],
    };
    let mut r = DecisionRecord::from_decision(id.into(), &d);
    r.provider = "railway".into();
    r.host = "backboard.railway.com".into();
    r.method = "POST".into();
    r.path = "/graphql/v2".into();
    r.agent = Some("agent-1".into());
    r
}

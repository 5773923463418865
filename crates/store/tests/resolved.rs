//! The resolution cache replicas share, on Postgres: put and get, the TTL,
//! the bound, one credential's entries unseen by another, and no
//! fingerprint in the table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::postgres;
use scopegate_model::{ResolvedAttributes, ResolvedKey};
use scopegate_store::Store;

const TTL: Duration = Duration::from_secs(300);

fn key(credential: &str, id: &str) -> ResolvedKey {
    ResolvedKey {
        provider: "railway".into(),
        credential: credential.into(),
        kind: "volumeId".into(),
        id: id.into(),
    }
}

fn found(environment: &str) -> ResolvedAttributes {
    let mut a = ResolvedAttributes::new();
    a.entry("environment".into())
        .or_default()
        .insert(environment.into());
    a
}

/// Makes every entry `by` older.
async fn age(s: &Store, by: Duration) {
    let Store::Pg(pool) = s else { unreachable!() };
    sqlx::query("UPDATE resolved SET resolved_ms = resolved_ms - $1")
        .bind(i64::try_from(by.as_millis()).unwrap())
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn what_is_put_is_got_with_its_age() {
    let Some(s) = postgres().await else { return };
    s.resolved_put(&[
        (key("fp-a", "vol-1"), found("production")),
        (key("fp-a", "vol-2"), found("staging")),
        // a key given twice keeps its last attributes
        (key("fp-a", "vol-1"), found("staging")),
    ])
    .await
    .unwrap();
    age(&s, Duration::from_secs(7)).await;
    let (got, age) = s
        .resolved_get(&key("fp-a", "vol-1"), TTL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, found("staging"));
    assert!(
        age >= Duration::from_secs(7) && age < Duration::from_secs(60),
        "{age:?}"
    );
    // a put again renews it
    s.resolved_put(&[(key("fp-a", "vol-1"), found("staging"))])
        .await
        .unwrap();
    let (_, age) = s
        .resolved_get(&key("fp-a", "vol-1"), TTL)
        .await
        .unwrap()
        .unwrap();
    assert!(age < Duration::from_secs(7), "{age:?}");
    assert_eq!(
        s.resolved_get(&key("fp-a", "vol-3"), TTL).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn an_entry_older_than_the_ttl_is_not_returned_and_is_pruned() {
    let Some(s) = postgres().await else { return };
    s.resolved_put(&[(key("fp-a", "vol-1"), found("staging"))])
        .await
        .unwrap();
    age(&s, Duration::from_secs(61)).await;
    let ttl = Duration::from_secs(60);
    assert_eq!(
        s.resolved_get(&key("fp-a", "vol-1"), ttl).await.unwrap(),
        None
    );
    assert!(
        s.resolved_get(&key("fp-a", "vol-1"), TTL)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(s.resolved_prune(ttl, 100).await.unwrap(), 1);
    assert_eq!(
        s.resolved_get(&key("fp-a", "vol-1"), TTL).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn pruning_keeps_the_newest_max_entries() {
    let Some(s) = postgres().await else { return };
    for id in ["vol-1", "vol-2", "vol-3", "vol-4"] {
        s.resolved_put(&[(key("fp-a", id), found("staging"))])
            .await
            .unwrap();
        // each older than the next
        age(&s, Duration::from_secs(1)).await;
    }
    assert_eq!(s.resolved_prune(TTL, 2).await.unwrap(), 2);
    for (id, kept) in [
        ("vol-1", false),
        ("vol-2", false),
        ("vol-3", true),
        ("vol-4", true),
    ] {
        let got = s.resolved_get(&key("fp-a", id), TTL).await.unwrap();
        assert_eq!(got.is_some(), kept, "{id}");
    }
}

#[tokio::test]
async fn another_credential_does_not_see_an_entry() {
    let Some(s) = postgres().await else { return };
    s.resolved_put(&[(key("fp-a", "vol-1"), found("staging"))])
        .await
        .unwrap();
    assert_eq!(
        s.resolved_get(&key("fp-b", "vol-1"), TTL).await.unwrap(),
        None
    );
    assert!(
        s.resolved_get(&key("fp-a", "vol-1"), TTL)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_table_holds_no_fingerprint() {
    let Some(s) = postgres().await else { return };
    let fingerprint = "sha256:0123456789abcdef";
    s.resolved_put(&[(key(fingerprint, "vol-1"), found("staging"))])
        .await
        .unwrap();
    let Store::Pg(pool) = &s else { unreachable!() };
    let stored: Vec<String> = sqlx::query_scalar("SELECT credential FROM resolved")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains("0123456789abcdef"), "{}", stored[0]);
    assert_eq!(stored[0].len(), 64, "a SHA-256 in hex");
    assert_eq!(
        stored[0],
        scopegate_store::resolved::credential_column(fingerprint)
    );
}

#[tokio::test]
async fn sqlite_shares_nothing() {
    let s = common::sqlite().await;
    let e = s
        .resolved_get(&key("fp-a", "vol-1"), TTL)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("only through Postgres"), "{e}");
}

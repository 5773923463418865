//! The same behaviour suite against SQLite and Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{postgres, record, sqlite};
use scopegate_model::Verdict;
use scopegate_store::{Filter, Store, Tamper, verify};

async fn backends() -> Vec<Store> {
    let mut v = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        v.push(pg);
    }
    v
}

async fn verify_store(s: &Store) -> Result<u64, Tamper> {
    let (rows, head) = s.chain().await.unwrap();
    verify(&rows, (head.0, &head.1))
}

#[tokio::test]
async fn appends_in_order_and_the_chain_verifies() {
    for s in backends().await {
        s.append(&[record("d1", Verdict::Deny), record("d2", Verdict::Allow)])
            .await
            .unwrap();
        s.append(&[record("d3", Verdict::Approve)]).await.unwrap();
        // replaying is idempotent
        s.append(&[record("d2", Verdict::Allow), record("d3", Verdict::Approve)])
            .await
            .unwrap();
        assert_eq!(s.count().await.unwrap(), 3, "{}", s.backend());
        assert_eq!(verify_store(&s).await, Ok(3), "{}", s.backend());
        let rows = s.rows(&Filter::default(), 0, 100).await.unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| r.record.id.as_str())
                .collect::<Vec<_>>(),
            ["d1", "d2", "d3"]
        );
        assert_eq!(
            rows[0].record,
            record("d1", Verdict::Deny).with_time(rows[0].record.at_unix_ms)
        );
        let denies = s
            .rows(
                &Filter {
                    verdict: Some("deny".into()),
                    ..Filter::default()
                },
                0,
                100,
            )
            .await
            .unwrap();
        assert_eq!(denies.len(), 1);
        let none = s
            .rows(
                &Filter {
                    token: Some("other".into()),
                    ..Filter::default()
                },
                0,
                100,
            )
            .await
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(s.rows(&Filter::default(), 2, 100).await.unwrap().len(), 1);
        // migrations are idempotent
        assert!(s.migrate().await.unwrap().is_empty());
    }
}

async fn exec(s: &Store, sql: &'static str) {
    match s {
        Store::Pg(p) => {
            sqlx::raw_sql(sql).execute(p).await.unwrap();
        }
        Store::Sqlite(p) => {
            sqlx::raw_sql(sql).execute(p).await.unwrap();
        }
    }
}

#[tokio::test]
async fn verify_names_each_kind_of_tampering() {
    type Case = (&'static str, &'static str, fn(&Tamper) -> bool);
    let cases: [Case; 5] = [
        (
            "edited",
            "UPDATE decisions SET record = REPLACE(record, 'because', 'innocent') WHERE seq = 2",
            |t| matches!(t, Tamper::Edited { seq: 2 }),
        ),
        (
            "verdict column",
            "UPDATE decisions SET verdict = 'allow' WHERE seq = 2",
            |t| matches!(t, Tamper::Edited { seq: 2 }),
        ),
        ("deleted", "DELETE FROM decisions WHERE seq = 2", |t| {
            matches!(t, Tamper::Deleted { seq: 2 })
        }),
        ("truncated", "DELETE FROM decisions WHERE seq = 3", |t| {
            matches!(
                t,
                Tamper::Truncated {
                    head_seq: 3,
                    last_seq: 2
                }
            )
        }),
        (
            "reordered",
            "UPDATE decisions SET seq = CASE seq WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE seq END WHERE seq IN (1, 2)",
            |t| matches!(t, Tamper::Reordered { .. }),
        ),
    ];
    for (name, sql, expect) in cases {
        for s in backends().await {
            s.append(&[
                record("a", Verdict::Deny),
                record("b", Verdict::Deny),
                record("c", Verdict::Deny),
            ])
            .await
            .unwrap();
            assert_eq!(verify_store(&s).await, Ok(3));
            if name == "reordered" {
                // the primary key forbids a direct swap in one statement on some backends
                exec(&s, "UPDATE decisions SET seq = -1 WHERE seq = 1").await;
                exec(&s, "UPDATE decisions SET seq = 1 WHERE seq = 2").await;
                exec(&s, "UPDATE decisions SET seq = 2 WHERE seq = -1").await;
            } else {
                exec(&s, sql).await;
            }
            let got = verify_store(&s).await;
            assert!(
                got.as_ref().err().is_some_and(expect),
                "{name} on {}: {got:?}",
                s.backend()
            );
        }
    }
}

#[tokio::test]
async fn an_inserted_record_is_caught() {
    for s in backends().await {
        s.append(&[record("a", Verdict::Deny), record("b", Verdict::Deny)])
            .await
            .unwrap();
        // a forger appends a row that is internally consistent but not chained
        exec(&s, "INSERT INTO decisions (seq, id, at_ms, provider, host, method, path, verdict, mode, forwarded, rule, record, prev_hash, hash) \
            SELECT 3, 'forged', at_ms, provider, host, method, path, verdict, mode, forwarded, rule, record, prev_hash, hash FROM decisions WHERE seq = 2").await;
        let got = verify_store(&s).await;
        assert!(
            matches!(
                got,
                Err(Tamper::Edited { seq: 3 } | Tamper::Inserted { .. })
            ),
            "{}: {got:?}",
            s.backend()
        );
    }
}

//! The same behaviour suite against SQLite and Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{postgres, record, sqlite};
use scopegate_model::Verdict;
use scopegate_store::{Filter, Store, Stored, Tamper, verify};

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
        s.append(&[record("d3", Verdict::Hold)]).await.unwrap();
        // replaying is idempotent
        s.append(&[record("d2", Verdict::Allow), record("d3", Verdict::Hold)])
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

/// What an outcome says of its token (docs/token-breadth.md).
fn scopes(i: u64) -> scopegate_model::Breadth {
    scopegate_model::Breadth {
        scopes: Some(format!("repo, scope-{i}")),
        ..Default::default()
    }
}

/// A batch far larger than one multi-row statement (SQLite inserts 128 rows
/// per statement, then 64, 32 … for the rest), with the outcomes of every
/// other record in the same batch and a replay of the whole batch: every row
/// once, in order, with its own fields, its outcome (and its breadth)
/// attached, the chain whole.
#[tokio::test]
async fn a_large_batch_with_outcomes_lands_whole_and_in_order() {
    use scopegate_model::{DecisionOutcome, JournalEntry};
    for s in backends().await {
        let n = 301;
        let mut entries = Vec::new();
        for i in 0..n {
            let verdict = if i % 3 == 0 {
                Verdict::Deny
            } else {
                Verdict::Allow
            };
            let mut r = record(&format!("d{i:04}"), verdict);
            r.path = format!("/p/{i}");
            r.agent = (i % 2 == 0).then(|| format!("agent-{i}"));
            entries.push(JournalEntry::Record(Box::new(r)));
            if i % 2 == 1 {
                entries.push(JournalEntry::Outcome {
                    outcome: DecisionOutcome {
                        decision_id: format!("d{i:04}").into(),
                        upstream_status: Some(200 + u16::try_from(i % 7).unwrap()),
                        upstream_millis: i,
                        error: None,
                        breadth: (i % 4 == 1).then(|| scopes(i)),
                    },
                });
            }
        }
        s.append_entries(&entries, Stored::No).await.unwrap();
        // Claiming a stored batch is new fails it whole (the decision id is
        // unique) and changes nothing; replaying it is idempotent.
        assert!(s.append_entries(&entries, Stored::No).await.is_err());
        assert_eq!(s.count().await.unwrap(), n as i64, "{}", s.backend());
        s.append_entries(&entries, Stored::Maybe).await.unwrap();
        assert_eq!(s.count().await.unwrap(), n as i64, "{}", s.backend());
        assert_eq!(verify_store(&s).await, Ok(n), "{}", s.backend());
        let rows = s.rows(&Filter::default(), 0, 1000).await.unwrap();
        assert_eq!(rows.len(), 301);
        for (i, row) in rows.iter().enumerate() {
            let r = &row.record;
            assert_eq!(r.id, format!("d{i:04}"), "{}", s.backend());
            assert_eq!(r.path, format!("/p/{i}"));
            assert_eq!(r.agent, (i % 2 == 0).then(|| format!("agent-{i}")));
            assert_eq!(r.verdict == Verdict::Deny, i % 3 == 0);
            if i % 2 == 1 {
                assert_eq!(r.upstream_status, Some(200 + (i % 7) as u16));
                assert_eq!(r.upstream_millis, Some(i as u64));
                assert_eq!(r.breadth, (i % 4 == 1).then(|| scopes(i as u64)));
            } else {
                assert_eq!(r.upstream_status, None);
            }
        }
        // the indexed columns were written from the right fields
        let agent_rows = s
            .rows(
                &Filter {
                    agent: Some("agent-200".into()),
                    ..Filter::default()
                },
                0,
                10,
            )
            .await
            .unwrap();
        assert_eq!(agent_rows.len(), 1);
        assert_eq!(agent_rows[0].record.id, "d0200");
    }
}

//! Nothing answered is lost: through a database outage (Postgres cut in the
//! middle of a load run) and through kill -9 of the writing process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{pg_fresh_db, pg_url, record, sqlite, temp_dir};
use scopegate_model::{DecisionOutcome, Verdict};
use scopegate_store::{DecisionLog, Filter, Store, verify};
use tokio::net::{TcpListener, TcpStream};

/// A TCP forwarder to Postgres that can be cut (every connection dropped,
/// new ones refused) and restored on the same port: a database outage
/// without disturbing the server other tests use.
struct Cuttable {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
}

impl Cuttable {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let flag = up.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let flag = flag.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.split();
                    let (mut sr, mut sw) = server.split();
                    let copy = async {
                        tokio::select! {
                            _ = tokio::io::copy(&mut cr, &mut sw) => {}
                            _ = tokio::io::copy(&mut sr, &mut cw) => {}
                        }
                    };
                    let watch = async {
                        while flag.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = watch => {} }
                });
            }
        });
        Self { addr, up }
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

async fn wait_for_count(store: &Store, n: i64) {
    for _ in 0..300 {
        if store.count().await.unwrap_or(0) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the log never reached {n} records (has {})",
        store.count().await.unwrap_or(-1)
    );
}

async fn assert_complete(store: &Store, ids: &[String]) {
    wait_for_count(store, ids.len() as i64).await;
    let rows = store.rows(&Filter::default(), 0, 100_000).await.unwrap();
    let got: Vec<&str> = rows.iter().map(|r| r.record.id.as_str()).collect();
    assert_eq!(
        got,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "records in answer order"
    );
    let (chain, head) = store.chain().await.unwrap();
    assert_eq!(verify(&chain, (head.0, &head.1)), Ok(ids.len() as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_mid_load_loses_nothing() {
    let Some(admin) = pg_url() else { return };
    let url = pg_fresh_db(&admin).await;
    let pg_addr: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let cut = Cuttable::start(pg_addr).await;
    let through = url.replacen("127.0.0.1:5432", &cut.addr.to_string(), 1);
    assert_ne!(through, url, "the test URL must name 127.0.0.1:5432");
    let log =
        DecisionLog::open(Store::connect(&through).await.unwrap(), &temp_dir("outage")).unwrap();
    let mut ids = Vec::new();
    for i in 0..300 {
        if i == 100 {
            cut.set(false);
        }
        if i == 200 {
            cut.set(true);
        }
        let id = format!("d{i:04}");
        let ticket = log
            .append(record(
                &id,
                if i % 3 == 0 {
                    Verdict::Deny
                } else {
                    Verdict::Allow
                },
            ))
            .unwrap();
        if i % 3 == 0 {
            // a refusal waits for durability before it is answered
            log.durable(ticket).await.unwrap();
        }
        ids.push(id);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(
        log.stats.db_failures.load(Ordering::Relaxed) > 0,
        "the outage was not noticed"
    );
    let direct = Store::connect(&url).await.unwrap();
    assert_complete(&direct, &ids).await;
}

/// Child half of the kill -9 test: appends records with the database down,
/// printing each id once `append` returned (i.e. once it could be answered).
#[tokio::test]
async fn crash_child() {
    let Ok(dir) = std::env::var("SG_CRASH_CHILD_DIR") else {
        return;
    };
    let dead = Store::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .unwrap();
    let log = DecisionLog::open(dead, std::path::Path::new(&dir)).unwrap();
    for i in 0.. {
        let id = format!("c{i:05}");
        log.append(record(&id, Verdict::Allow)).unwrap();
        println!("acked {id}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_that_was_answered() {
    let dir = temp_dir("crash");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("SG_CRASH_CHILD_DIR", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < 150 {
        let line = lines.next().expect("child ended early").unwrap();
        if let Some(id) = line.split("acked ").nth(1) {
            acked.push(id.to_owned());
        }
    }
    // SIGKILL: no destructors, no flush, no goodbye.
    child.kill().unwrap();
    child.wait().unwrap();
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.split("acked ").nth(1) {
            acked.push(id.to_owned());
        }
    }
    let store = sqlite().await;
    let _log = DecisionLog::open(store.clone(), &dir).unwrap();
    wait_for_count(&store, acked.len() as i64).await;
    let rows = store.rows(&Filter::default(), 0, 100_000).await.unwrap();
    let got: Vec<&str> = rows.iter().map(|r| r.record.id.as_str()).collect();
    // every answered record is there, in order (one written but not yet
    // acknowledged when the kill landed may follow)
    assert_eq!(
        &got[..acked.len()],
        acked
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
    );
    assert!(got.len() <= acked.len() + 1);
}

/// A crash between the database commit and the journal's note of it leaves
/// records in both: the restart replays them, skips what is stored, and
/// adds the rest once, without a failed batch (replayed entries are looked
/// up; only entries appended since are inserted unchecked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_overlapping_the_database_lands_once() {
    let dir = temp_dir("overlap");
    let ids: Vec<String> = (0..40).map(|i| format!("o{i:03}")).collect();
    {
        let (journal, pending) = scopegate_store::Journal::open(&dir).unwrap();
        assert!(pending.is_empty());
        for id in &ids {
            journal.append(&record(id, Verdict::Allow)).unwrap();
        }
    }
    let store = sqlite().await;
    // The first half reached the database before the crash.
    store
        .append(
            &ids[..20]
                .iter()
                .map(|id| record(id, Verdict::Allow))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let log = DecisionLog::open(store.clone(), &dir).unwrap();
    log.append(record("fresh", Verdict::Allow)).unwrap();
    wait_for_count(&store, 41).await;
    let mut all = ids.clone();
    all.push("fresh".into());
    assert_complete(&store, &all).await;
    assert_eq!(
        log.stats.db_failures.load(Ordering::Relaxed),
        0,
        "no batch failed on the overlap"
    );
}

/// An outage that outlasts the writer's memory: past its cap it leaves
/// entries in the journal and reads them back when the database returns.
/// Two appenders race (so entries reach the writer slightly out of journal
/// order); every record and outcome lands exactly once, the chain verifies,
/// and the writer never held much more than its cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_longer_than_memory_reads_the_journal_back() {
    let Some(admin) = pg_url() else { return };
    let url = pg_fresh_db(&admin).await;
    let pg_addr: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let cut = Cuttable::start(pg_addr).await;
    let through = url.replacen("127.0.0.1:5432", &cut.addr.to_string(), 1);
    const CAP: usize = 16;
    let log = Arc::new(
        DecisionLog::open_with_cap(
            Store::connect(&through).await.unwrap(),
            &temp_dir("spill"),
            CAP,
        )
        .unwrap(),
    );
    log.append(record("first", Verdict::Allow)).unwrap();
    let direct = Store::connect(&url).await.unwrap();
    wait_for_count(&direct, 1).await;
    cut.set(false);
    let appenders: Vec<_> = (0..2)
        .map(|t| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..150 {
                    let id = format!("t{t}-{i:03}");
                    log.append(record(&id, Verdict::Allow)).unwrap();
                    if i % 2 == 1 {
                        log.append_outcome(DecisionOutcome {
                            decision_id: id.into(),
                            upstream_status: Some(201),
                            upstream_millis: i,
                            error: None,
                            breadth: None,
                        })
                        .unwrap();
                    }
                    if i % 25 == 0 {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            })
        })
        .collect();
    for a in appenders {
        a.await.unwrap();
    }
    // Let the writer fail and spill for a while, then restore the database.
    tokio::time::sleep(Duration::from_millis(300)).await;
    cut.set(true);
    wait_for_count(&direct, 301).await;
    let rows = direct.rows(&Filter::default(), 0, 10_000).await.unwrap();
    assert_eq!(rows.len(), 301, "each record exactly once");
    let mut got: Vec<&str> = rows.iter().map(|r| r.record.id.as_str()).collect();
    got.sort_unstable();
    got.dedup();
    assert_eq!(got.len(), 301);
    for r in &rows[1..] {
        let i: u64 = r.record.id.as_str()[3..].parse().unwrap();
        let want = (i % 2 == 1).then_some(201);
        assert_eq!(r.record.upstream_status, want, "{}", r.record.id);
    }
    let (chain, head) = direct.chain().await.unwrap();
    assert_eq!(verify(&chain, (head.0, &head.1)), Ok(301));
    let s = &log.stats;
    assert!(
        s.read_back.load(Ordering::Relaxed) > 0,
        "nothing was spilled"
    );
    let peak = s.queue_peak.load(Ordering::Relaxed) as usize;
    assert!(
        peak <= CAP + 8,
        "the writer held {peak} entries (cap {CAP})"
    );
    // Once everything is in, the journal count matches: nothing twice.
    for _ in 0..100 {
        if s.committed.load(Ordering::Relaxed) == s.journaled.load(Ordering::Relaxed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        s.committed.load(Ordering::Relaxed),
        s.journaled.load(Ordering::Relaxed)
    );
}

/// A journal left with more entries than the writer holds in memory (a
/// long outage, then a restart): the first ones are loaded, the rest read
/// back as those are committed, then what was appended since; all once, in
/// journal order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_long_journal_reads_it_back_in_order() {
    let dir = temp_dir("long-journal");
    let mut ids: Vec<String> = (0..100).map(|i| format!("l{i:03}")).collect();
    {
        let (journal, pending) = scopegate_store::Journal::open(&dir).unwrap();
        assert!(pending.is_empty());
        for id in &ids {
            journal.append(&record(id, Verdict::Allow)).unwrap();
        }
    }
    let store = sqlite().await;
    let log = DecisionLog::open_with_cap(store.clone(), &dir, 16).unwrap();
    assert_eq!(log.stats.journaled.load(Ordering::Relaxed), 100);
    log.append(record("after", Verdict::Allow)).unwrap();
    ids.push("after".into());
    assert_complete(&store, &ids).await;
    let s = &log.stats;
    assert!(s.read_back.load(Ordering::Relaxed) >= 84);
    let peak = s.queue_peak.load(Ordering::Relaxed);
    assert!(peak <= 16 + 8, "the writer held {peak} entries (cap 16)");
}

/// A forwarder to Postgres that starts silent: connections made while it
/// is silent are accepted and never answered (a hung server, or dropped
/// packets), for good. Once opened, new connections reach Postgres.
struct Silent {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
}

impl Silent {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(false));
        let flag = open.clone();
        tokio::spawn(async move {
            let mut hung = Vec::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !flag.load(Ordering::SeqCst) {
                    hung.push(client);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Self { addr, open }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_silent_at_start_is_migrated_once_it_answers() {
    let Some(admin) = pg_url() else { return };
    let url = pg_fresh_db(&admin).await;
    let silent = Silent::start("127.0.0.1:5432".parse().unwrap()).await;
    let through = url.replacen("127.0.0.1:5432", &silent.addr.to_string(), 1);
    assert_ne!(through, url, "the test URL must name 127.0.0.1:5432");
    let log =
        DecisionLog::open(Store::connect(&through).await.unwrap(), &temp_dir("silent")).unwrap();
    let schema = log.schema();
    // decisions are taken while the database is silent
    let ticket = log.append(record("s0", Verdict::Deny)).unwrap();
    log.durable(ticket).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!schema.is_migrated(), "nothing answered the migrations");
    // the database answers new connections; the one the writer is stuck
    // on never will: the writer gives it up and migrates on another
    silent.open.store(true, Ordering::SeqCst);
    log.append(record("s1", Verdict::Allow)).unwrap();
    let direct = Store::connect(&url).await.unwrap();
    assert_complete(&direct, &["s0".to_owned(), "s1".to_owned()]).await;
    assert!(schema.is_migrated());
}

/// The insert-only user docs/decision-log.md recommends may not migrate
/// (no CREATE on the schema, no lock on the migrations table): the owner
/// migrated, and the log writes as that user anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insert_only_user_writes_the_log_the_owner_migrated() {
    use sqlx::Connection as _;
    let Some(admin) = pg_url() else { return };
    let url = pg_fresh_db(&admin).await;
    let owner = Store::connect(&url).await.unwrap();
    owner.migrate().await.unwrap(); // creates the scopegate_proxy role
    let role = format!("sg_test_proxy_{}", std::process::id());
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    for sql in [
        format!("DROP ROLE IF EXISTS {role}"),
        format!("CREATE ROLE {role} LOGIN IN ROLE scopegate_proxy"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    }
    let as_proxy = url.replacen("postgres@", &format!("{role}@"), 1);
    assert_ne!(as_proxy, url, "the test URL must name the user postgres");
    let log = DecisionLog::open(
        Store::connect(&as_proxy).await.unwrap(),
        &temp_dir("insert-only"),
    )
    .unwrap();
    log.append(record("p0", Verdict::Allow)).unwrap();
    assert_complete(&owner, &["p0".to_owned()]).await;
    assert!(log.schema().is_migrated());
    drop(log);
    let db = url.rsplit_once('/').unwrap().1;
    for sql in [
        format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        format!("DROP ROLE IF EXISTS {role}"),
    ] {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await;
    }
}

/// Runs `sql` on the store's own connection (the owner's).
async fn exec(store: &Store, sql: &str) {
    let run = sqlx::AssertSqlSafe(sql.to_owned());
    match store {
        Store::Pg(pool) => sqlx::raw_sql(run).execute(pool).await.map(|_| ()),
        Store::Sqlite(pool) => sqlx::raw_sql(run).execute(pool).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database whose schema is older than this scopegate (an insert-only
/// user could not migrate it; here the outcomes table is put back as it
/// was before this version's column):
/// the writer says so (`schema_behind`, and an error naming `scopegate
/// migrate`), nothing is lost, and once the schema is brought up to date
/// the waiting decisions land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_older_than_scopegate_is_named_and_decisions_wait_for_it() {
    let mut stores = vec![common::sqlite().await];
    if let Some(admin) = pg_url() {
        let url = pg_fresh_db(&admin).await;
        let pg = Store::connect(&url).await.unwrap();
        pg.migrate().await.unwrap();
        stores.push(pg);
    }
    for store in stores {
        // the outcomes table as migration 0007 (sqlite 0005) found it
        exec(&store, "DROP TABLE decision_outcomes").await;
        exec(
            &store,
            "CREATE TABLE decision_outcomes (decision_id TEXT PRIMARY KEY, upstream_status INTEGER, upstream_ms BIGINT NOT NULL, error TEXT)",
        )
        .await;
        let log = DecisionLog::open(store.clone(), &temp_dir("schema-behind")).unwrap();
        log.append(record("b0", Verdict::Allow)).unwrap();
        log.append_outcome(DecisionOutcome {
            decision_id: "b0".into(),
            upstream_status: Some(200),
            upstream_millis: 5,
            error: None,
            breadth: None,
        })
        .unwrap();
        let mut behind = false;
        for _ in 0..100 {
            behind = log.stats.schema_behind.load(Ordering::Relaxed);
            if behind {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(behind, "{}: the failure is named", store.backend());
        assert_eq!(store.count().await.unwrap(), 0, "nothing half-written");
        exec(
            &store,
            "ALTER TABLE decision_outcomes ADD COLUMN breadth TEXT",
        )
        .await;
        assert_complete(&store, &["b0".to_owned()]).await;
        assert!(!log.stats.schema_behind.load(Ordering::Relaxed));
    }
}

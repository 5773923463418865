//! The resolution cache shared by replicas through Postgres
//! (docs/resource-context.md), end to end: two `scopegate serve` processes
//! on one fresh database, each with its own fake Railway, so that each
//! replica's lookups are counted apart. What A resolved, B uses without a
//! lookup, until the TTL ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::Serve;
use scopegate_e2e::railway_lookup::{RW_VOLUME_PROD, RW_VOLUME_STAGING};
use scopegate_e2e::{
    Fake, RAILWAY_HOST, REAL_SECRET, SURROGATE, TempDir, TestCa, gql_request, header, init, metric,
    wire,
};
use sqlx::Connection as _;

fn scope_map() -> String {
    scopegate_e2e::railway_lookup::staging_agent_scope_map()
}

fn volume_delete(id: &str) -> String {
    format!(r#"{{"query":"mutation {{ volumeDelete(volumeId: \"{id}\") }}"}}"#)
}

/// How many `volumeDelete`s of `id` reached the fake.
fn deletes(fake: &Fake, id: &str) -> usize {
    let needle = format!("volumeDelete(volumeId: \\\"{id}\\\")");
    fake.received()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains(&needle))
        .count()
}

/// Two replicas on one fresh database; dropped (with the database) after.
struct Replicas {
    admin_url: String,
    db: String,
    url: String,
    dir: TempDir,
    a: Option<(Serve, Fake, String)>,
    b: Option<(Serve, Fake, String)>,
}

impl Replicas {
    /// `None` (skipped, saying why) without SCOPEGATE_TEST_DATABASE_URL,
    /// unless CI is set.
    async fn start(tag: &str, extra: &str) -> Option<Self> {
        let admin_url = match std::env::var("SCOPEGATE_TEST_DATABASE_URL") {
            Ok(u) if !u.is_empty() => u,
            _ => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but SCOPEGATE_TEST_DATABASE_URL is not"
                );
                eprintln!("skipped: two replicas need Postgres (set SCOPEGATE_TEST_DATABASE_URL)");
                return None;
            }
        };
        let db = format!("sg_test_shared_{tag}_{}", std::process::id());
        admin(
            &admin_url,
            &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        )
        .await;
        admin(&admin_url, &format!("CREATE DATABASE {db}")).await;
        let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
        let dir = TempDir::new(&format!("shared-{tag}"));
        let ca = TestCa::new();
        dir.write("test-ca.pem", &ca.pem);
        dir.write("scope.toml", scope_map());
        let secret = dir.write("railway-secret.txt", format!("{REAL_SECRET}\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let settings = format!("[store]\nurl = \"{url}\"\n[approvals]\nhold_secs = 0\n{extra}");
        let mut r = Self {
            admin_url,
            db,
            url,
            dir,
            a: None,
            b: None,
        };
        for data in ["data-a", "data-b"] {
            let fake = Fake::start(&ca).await;
            let serve = common::serve_with(&r.dir, &fake, data, &settings);
            wait_ready(serve.admin).await;
            let ca_pem =
                std::fs::read_to_string(r.dir.path().join(format!("ca-{data}/ca.pem"))).unwrap();
            let replica = Some((serve, fake, ca_pem));
            if data == "data-a" {
                r.a = replica;
            } else {
                r.b = replica;
            }
        }
        Some(r)
    }

    fn a(&self) -> &(Serve, Fake, String) {
        self.a.as_ref().unwrap()
    }

    fn b(&self) -> &(Serve, Fake, String) {
        self.b.as_ref().unwrap()
    }

    /// Waits until the shared table holds `id` with attributes containing
    /// `text` (a replica's write is not waited for).
    async fn wait_shared(&self, id: &str, text: &str) {
        let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
        for _ in 0..100 {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM resolved WHERE id = $1 AND strpos(attributes, $2) > 0",
            )
            .bind(id)
            .bind(text)
            .fetch_one(&mut c)
            .await
            .unwrap();
            if n > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{id} with {text} never reached the shared table");
    }
}

impl Drop for Replicas {
    /// Stops both replicas, then drops the database (also after a failed
    /// assertion).
    fn drop(&mut self) {
        drop((self.a.take(), self.b.take()));
        let (url, sql) = (
            self.admin_url.clone(),
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db),
        );
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(admin(&url, &sql));
        })
        .join();
        if dropped.is_err() && !std::thread::panicking() {
            panic!("the test database could not be dropped");
        }
    }
}

async fn admin(url: &str, sql: &str) {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap();
}

/// An admin listener's answer to `GET path`.
async fn admin_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return String::new();
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    out
}

/// The replica's database is migrated (a shared read before it is a miss).
async fn wait_ready(addr: SocketAddr) {
    for _ in 0..200 {
        if admin_get(addr, "/readyz").await.starts_with("HTTP/1.1 200") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the replica never became ready");
}

async fn send_delete(replica: &(Serve, Fake, String), id: &str) -> wire::Resp {
    let (serve, _, ca_pem) = replica;
    let req = gql_request(RAILWAY_HOST, SURROGATE, &volume_delete(id));
    common::send(serve.proxy, ca_pem, req).await
}

/// Held for a human (the approval is pending), not allowed.
fn assert_held(resp: &wire::Resp) {
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert_eq!(header(resp, "x-scopegate-decision"), "approve");
}

async fn shared_hits(replica: &(Serve, Fake, String)) -> f64 {
    let text = admin_get(replica.0.admin, "/metrics").await;
    let series = r#"scopegate_resolve_lookups_total{provider="railway",outcome="shared"}"#;
    metric(&text, series).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_replica_resolved_another_uses_without_a_lookup() {
    init();
    let Some(r) = Replicas::start("use", "").await else {
        return;
    };
    // A looks the staging volume up, and allows its delete
    let resp = send_delete(r.a(), RW_VOLUME_STAGING).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let fake_a = &r.a().1;
    assert!(!fake_a.lookups().is_empty(), "A looked the volume up");
    assert_eq!(deletes(fake_a, RW_VOLUME_STAGING), 1);
    // A holds a production delete: its card's attributes (backups) too
    let resp = send_delete(r.a(), RW_VOLUME_PROD).await;
    assert_held(&resp);
    r.wait_shared(RW_VOLUME_STAGING, "staging").await;
    r.wait_shared(RW_VOLUME_PROD, "volume.backups").await;

    // B allows the same delete from the shared cache: no lookup of its own
    let resp = send_delete(r.b(), RW_VOLUME_STAGING).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let fake_b = &r.b().1;
    assert_eq!(
        deletes(fake_b, RW_VOLUME_STAGING),
        1,
        "B's fake got the delete"
    );
    assert_eq!(fake_b.lookups().len(), 0, "B made no lookup");
    assert_eq!(shared_hits(r.b()).await, 1.0);

    // the production delete A resolved: held on B, still no lookup
    let resp = send_delete(r.b(), RW_VOLUME_PROD).await;
    assert_held(&resp);
    assert_eq!(deletes(fake_b, RW_VOLUME_PROD), 0, "held, not sent");
    assert_eq!(fake_b.lookups().len(), 0, "B made no lookup");
    assert_eq!(shared_hits(r.b()).await, 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_ttl_a_replica_looks_up_again() {
    init();
    let Some(r) = Replicas::start("ttl", "[resolve]\nttl_secs = 1\n").await else {
        return;
    };
    let resp = send_delete(r.a(), RW_VOLUME_STAGING).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    r.wait_shared(RW_VOLUME_STAGING, "staging").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let resp = send_delete(r.b(), RW_VOLUME_STAGING).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let fake_b = &r.b().1;
    assert_eq!(fake_b.lookups().len(), 1, "the shared entry had expired");
    assert_eq!(deletes(fake_b, RW_VOLUME_STAGING), 1);
    assert_eq!(shared_hits(r.b()).await, 0.0);
}

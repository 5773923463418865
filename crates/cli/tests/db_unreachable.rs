//! `scopegate serve` started while its database does not answer: it serves
//! at once (decisions go to the journal first), and the approval queue,
//! whose tables may not exist yet, refuses holds with 503 until the
//! database is migrated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::serve_with;
use scopegate_e2e::{
    CUSTOM_DOMAIN_CREATE, Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, VOLUME_DELETE,
    gql_request, init, standard_scope_map,
};

/// A "database" that accepts connections and never says a word: a server
/// that hangs, or a host whose packets are dropped. Every connection is
/// held open, unanswered, until the test ends.
fn silent_database() -> (u16, Arc<Mutex<Vec<std::net::TcpStream>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held: Arc<Mutex<Vec<std::net::TcpStream>>> = Arc::default();
    let h = held.clone();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            h.lock().unwrap().push(c);
        }
    });
    (port, held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_while_its_database_is_silent() {
    init();
    let (db_port, held) = silent_database();
    let dir = TempDir::new("db-silent");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let store = format!("[store]\nurl = \"postgres://postgres@127.0.0.1:{db_port}/scopegate\"\n");
    let started = Instant::now();
    let serve = serve_with(&dir, &fake, "data", &store);
    // serve used to wait up to 5 s on the migrations before it listened;
    // a start takes well under a second here
    let banner = started.elapsed();
    assert!(
        banner < Duration::from_secs(4),
        "serve waited {banner:?} on a silent database before listening"
    );
    let ca_pem = std::fs::read_to_string(dir.path().join("ca-data/ca.pem")).unwrap();

    // an allowed request is decided and forwarded...
    let resp = common::send(
        serve.proxy,
        &ca_pem,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = fake.received();
    assert_eq!(got.len(), 1);
    assert!(String::from_utf8_lossy(&got[0].body).contains("customDomainCreate"));

    // ...a held one is refused (no approval can be created), recorded,
    // and not forwarded
    let resp = common::send(
        serve.proxy,
        &ca_pem,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, VOLUME_DELETE),
    )
    .await;
    assert_eq!(resp.status, 503, "{}", resp.text());
    assert!(
        resp.text().contains("the approval queue is unavailable"),
        "{}",
        resp.text()
    );
    assert_eq!(
        fake.received().len(),
        1,
        "the volumeDelete was not forwarded"
    );

    // all of it while the database was still silent: serve did try it
    assert!(
        !held.lock().unwrap().is_empty(),
        "serve never tried the database"
    );
}

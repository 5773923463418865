//! The decision log through the real binary: `scopegate serve` killed with
//! SIGKILL under load and restarted loses no answered decision, the chain
//! stays intact, and no secret a request carried is anywhere in the
//! database or the journal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scopegate_e2e::{
    CUSTOM_DOMAIN_CREATE, Fake, RAILWAY_HOST, RAILWAY_TOKEN, REAL_SECRET, SURROGATE, TempDir,
    TestCa, VOLUME_DELETE, gql_request, init, standard_scope_map, wire,
};
use scopegate_store::{Filter, Store, verify};

fn settings(fake: &Fake) -> String {
    format!(
        r#"version = 1
scope_map = "scope.toml"
data_dir = "data"

[proxy]
listen = "127.0.0.1:0"
header_timeout_secs = 5
upstream_timeout_secs = 10

[admin]
listen = "127.0.0.1:0"

[dashboard]
listen = "127.0.0.1:{dashboard}"

[approvals]
hold_secs = 0

[upstream]
extra_ca_files = ["test-ca.pem"]

[upstream.routes]
"{RAILWAY_HOST}:443" = "{addr}"
"#,
        addr = fake.addr,
        // never the default 9091: a scopegate the developer runs may hold it
        dashboard = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
    )
}

/// Starts `scopegate serve` and returns it with its proxy and admin addresses.
fn serve(config: &Path) -> (Child, std::net::SocketAddr, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("SCOPEGATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(a) = line.strip_prefix("scopegate is listening on ") {
            break a.trim().parse().unwrap();
        }
    };
    let admin = loop {
        let line = lines
            .next()
            .expect("serve printed its metrics address")
            .unwrap();
        if let Some(a) = line.trim().strip_prefix("metrics: http://") {
            break a.trim_end_matches("/metrics").parse().unwrap();
        }
    };
    // keep draining stdout so the child never blocks on a full pipe
    std::thread::spawn(move || for _ in lines {});
    (child, addr, admin)
}

/// The `scopegate_log_*` gauges and counters from the admin listener.
async fn log_metrics(admin: std::net::SocketAddr) -> Vec<(String, u64)> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut tcp = tokio::net::TcpStream::connect(admin).await.unwrap();
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    tcp.read_to_string(&mut text).await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("scopegate_log_"))
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
        .collect()
}

async fn send(
    proxy: std::net::SocketAddr,
    ca_pem: &str,
    token: &str,
    body: &str,
) -> Option<(u16, String)> {
    let (status, _, tcp) = tokio::time::timeout(
        Duration::from_secs(5),
        wire::connect_opt(proxy, &format!("{RAILWAY_HOST}:443")),
    )
    .await
    .ok()??;
    if status != 200 {
        return None;
    }
    let tls = wire::tls(tcp, RAILWAY_HOST, ca_pem, &[b"http/1.1"])
        .await
        .ok()?;
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        wire::h1_once_opt(tls, gql_request(RAILWAY_HOST, token, body)),
    )
    .await
    .ok()??;
    let id = resp
        .headers
        .get("x-scopegate-id")?
        .to_str()
        .ok()?
        .to_owned();
    Some((resp.status.as_u16(), id))
}

const SECRET_VALUE: &str = "SECRET-VARIABLE-VALUE-7f3a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_answered_decision_and_stores_no_secret() {
    init();
    let dir = TempDir::new("serve-log");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let secret = dir.write("railway-secret.txt", format!("{REAL_SECRET}\n"));
    // serve refuses a real secret others can read
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let config = dir.write("scopegate.toml", settings(&fake));
    let (mut child, addr, _) = serve(&config);
    let ca_pem = std::fs::read_to_string(dir.path().join("ca-public/ca.pem")).unwrap();

    // requests that carry secrets: a variable value, the real token, a surrogate
    let with_secret = CUSTOM_DOMAIN_CREATE.replace(
        "\"app.example.com\"",
        &format!("\"app.example.com\",\"note\":\"{SECRET_VALUE}\""),
    );
    let upsert = format!(
        r#"{{"query":"mutation($i: VariableUpsertInput!) {{ variableUpsert(input: $i) }}","variables":{{"i":{{"name":"DB_PASSWORD","value":"{SECRET_VALUE}","environmentId":"env-1","projectId":"p","serviceId":"s"}}}}}}"#
    );
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut load = Vec::new();
    for worker in 0..6 {
        let (answered, ca_pem, with_secret, upsert) = (
            answered.clone(),
            ca_pem.clone(),
            with_secret.clone(),
            upsert.clone(),
        );
        load.push(tokio::spawn(async move {
            for i in 0.. {
                let (token, body) = match (worker + i) % 4 {
                    0 => (RAILWAY_TOKEN, with_secret.as_str()),
                    1 => (RAILWAY_TOKEN, VOLUME_DELETE),
                    2 => (SURROGATE, upsert.as_str()),
                    _ => (SURROGATE, with_secret.as_str()),
                };
                match send(addr, &ca_pem, token, body).await {
                    Some((_, id)) => answered.lock().unwrap().push(id),
                    None => return,
                }
            }
        }));
    }
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if answered.lock().unwrap().len() >= 200 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for l in load {
        l.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 200);

    // restart: the journal is replayed into the database
    let (mut child, addr, admin) = serve(&config);
    let after = send(addr, &ca_pem, RAILWAY_TOKEN, VOLUME_DELETE)
        .await
        .expect("serves after restart");
    assert_eq!(after.0, 403);
    let store = Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("data/scopegate.db").display()
    ))
    .await
    .unwrap();
    let mut ids = Vec::new();
    for _ in 0..100 {
        ids = store
            .rows(&Filter::default(), 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.record.id.into_string())
            .collect::<Vec<_>>();
        if answered.iter().all(|a| ids.contains(a)) && ids.contains(&after.1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let missing: Vec<&String> = answered.iter().filter(|a| !ids.contains(a)).collect();
    assert!(
        missing.is_empty(),
        "{} answered decisions missing after kill -9, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let (chain, head) = store.chain().await.unwrap();
    assert_eq!(verify(&chain, (head.0, &head.1)), Ok(chain.len() as u64));
    // the metrics say the same: the replayed journal and the new decision
    // are all in the database, none behind
    let mut metrics = Vec::new();
    for _ in 0..50 {
        metrics = log_metrics(admin).await;
        if metrics.contains(&("scopegate_log_backlog".to_owned(), 0)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let get = |k: &str| metrics.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    assert_eq!(get("scopegate_log_backlog"), Some(0), "{metrics:?}");
    assert!(get("scopegate_log_journaled_total").unwrap() > 0);
    assert_eq!(
        get("scopegate_log_journaled_total"),
        get("scopegate_log_committed_total")
    );
    assert_eq!(
        get("scopegate_log_read_back_total"),
        Some(0),
        "no outage here"
    );
    // the surrogate's real secret did reach the provider (it was swapped in)...
    assert!(
        fake.received()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {REAL_SECRET}")))
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // ...but no secret is stored anywhere: database, WAL, journal
    let mut everything = Vec::new();
    collect_files(&dir.path().join("data"), &mut everything);
    assert!(everything.len() > 1000, "found the log files");
    for secret in [SECRET_VALUE, RAILWAY_TOKEN, SURROGATE, REAL_SECRET] {
        assert!(
            !contains(&everything, secret.as_bytes()),
            "{secret} is stored in the decision log"
        );
    }
}

fn collect_files(dir: &Path, out: &mut Vec<u8>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "ca") {
                continue;
            }
            collect_files(&p, out);
        } else {
            out.extend(std::fs::read(&p).unwrap());
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

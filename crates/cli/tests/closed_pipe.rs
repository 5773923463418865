//! `scopegate ... | head -1`: when the reader goes away, every command that
//! prints stops quietly — no "failed printing to stdout: Broken pipe"
//! panic, nothing on stderr — and exits with the status it would have had
//! (0 for listings and exports, the verdict for `check`; docs/closed-pipe.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use scopegate_e2e::TempDir;
use scopegate_model::{Decision, DecisionRecord, Mode, OpClass, Operation, RuleRef, Verdict};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .current_dir(root())
        .env("SCOPEGATE_API_TOKEN", "sgapi_closed_pipe_test")
        .env_remove("SCOPEGATE_DASHBOARD_URL")
        .env_remove("SCOPEGATE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the child and checks it ended quietly with `code`.
fn ends_quietly(mut child: Child, code: i32, what: &str) {
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what}: {stderr}"
    );
    assert!(stderr.is_empty(), "{what}: nothing on stderr, got {stderr}");
    assert_eq!(status.code(), Some(code), "{what}: {stderr}");
}

/// Reads one line of the child's output, then closes the pipe.
fn read_one_line_and_close(child: &mut Child) -> String {
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    drop(reader);
    line
}

#[test]
fn check_json_to_a_closed_pipe_keeps_its_verdict() {
    let mut child = spawn(&[
        "check",
        "--json",
        "--config",
        "config/examples/railway-domains.toml",
        "-",
    ]);
    // the reader is gone before scopegate has read its request
    drop(child.stdout.take());
    let request =
        std::fs::read(root().join("config/examples/requests/volume-delete.http")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&request).unwrap();
    drop(stdin);
    ends_quietly(child, 2, "check --json");
}

fn record(i: usize) -> DecisionRecord {
    let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    op.add_resource("volumeId", format!("vol-{i:06}-{}", "x".repeat(200)));
    let d = Decision {
        verdict: Verdict::Deny,
        mode: Mode::Enforce,
        rule: RuleRef("t/deny".into()),
        reason: "a reason long enough to fill the pipe quickly".repeat(4),
        token: Some("t".into()),
        operations: Vec::new(),
    };
    let mut r = DecisionRecord::from_decision(format!("dec_{i}").into(), &d);
    r.operations = vec![op];
    r.provider = "railway".into();
    r
}

/// A decision log with far more than a pipe holds (64 KiB).
async fn big_log(dir: &TempDir) -> String {
    let url = format!("sqlite://{}", dir.path().join("log.db").display());
    let store = scopegate_store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let records: Vec<DecisionRecord> = (0..2000).map(record).collect();
    store.append(&records).await.unwrap();
    url
}

#[tokio::test]
async fn audit_export_and_tail_stop_when_the_reader_goes() {
    let dir = TempDir::new("closed-pipe-audit");
    let url = big_log(&dir).await;
    for (args, what) in [
        (
            vec!["audit", "export", "--database", url.as_str()],
            "export jsonl",
        ),
        (
            vec![
                "audit",
                "export",
                "--format",
                "csv",
                "--database",
                url.as_str(),
            ],
            "export csv",
        ),
        (vec!["audit", "tail", "--database", url.as_str()], "tail"),
    ] {
        let mut child = spawn(&args);
        let first = read_one_line_and_close(&mut child);
        assert!(
            first.contains("dec_0") || first.starts_with("seq,"),
            "{what}: {first}"
        );
        // tail follows the log: it must notice on its own that nobody reads
        let child = tokio::task::spawn_blocking(move || ends_quietly(child, 0, what));
        tokio::time::timeout(Duration::from_secs(30), child)
            .await
            .unwrap_or_else(|_| panic!("{what} kept running after its reader went"))
            .unwrap();
    }
}

/// A dashboard API that answers `GET /api/approvals` once `go` says so.
fn slow_dashboard(go: mpsc::Receiver<()>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        let mut b = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut b).unwrap();
            buf.extend_from_slice(&b[..n]);
        }
        go.recv().unwrap();
        let one = r#"{"id":"apr_1","state":"pending","created_ms":0,"attempts":1,"detail":{"operations":[{"provider":"railway","name":"volumeDelete","class":"destructive","resources":{"volumeId":["vol-1"]}}]}}"#;
        let body = format!("{{\"approvals\":[{}]}}", vec![one; 50].join(","));
        write!(
            s,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    url
}

#[test]
fn approvals_list_to_a_closed_pipe_ends_quietly() {
    let (go, wait) = mpsc::channel();
    let url = slow_dashboard(wait);
    let mut child = spawn(&["approvals", "--url", &url, "list"]);
    drop(child.stdout.take());
    go.send(()).unwrap();
    ends_quietly(child, 0, "approvals list");
}

#[test]
fn ca_to_a_closed_pipe_ends_quietly() {
    let dir = TempDir::new("closed-pipe-ca");
    let settings = dir.write(
        "scopegate.toml",
        "version = 1\nscope_map = \"scope.toml\"\ndata_dir = \"data\"\n",
    );
    let mut child = spawn(&["ca", "-c", settings.to_str().unwrap()]);
    // closed long before the CA is generated and described
    drop(child.stdout.take());
    ends_quietly(child, 0, "ca");
}

//! One scopegate per data folder: a second `serve` on the same folder
//! refuses to start before it touches anything, names the first one's pid,
//! and the first keeps recording. Before, the second replayed and rotated
//! the journal, leaving the first writing to a deleted file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{send, serve_with};
use scopegate_e2e::{
    Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, gql_request, init, standard_scope_map,
};

fn journal_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_the_same_data_folder_refuses_and_names_the_first() {
    init();
    let dir = TempDir::new("data-lock");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let first = serve_with(&dir, &fake, "data", "");
    let config = dir.path().join("scopegate-data.toml");
    let journal = dir.path().join("data/journal");
    let before = journal_files(&journal);

    let mut second = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while second.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the second serve kept running"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = second.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("(pid {})", first.child.id())) && err.contains("data folder"),
        "{err}"
    );
    assert_eq!(
        journal_files(&journal),
        before,
        "the journal was not touched"
    );

    // the first still works and records
    let ca_pem = std::fs::read_to_string(dir.path().join("data/ca/ca.pem")).unwrap();
    let body = r#"{"query":"{ me { id } }"}"#;
    let resp = send(
        first.proxy,
        &ca_pem,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, body),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(fake.received().len(), 1);
}

//! `scopegate approvals list` tells two pending `volumeDelete`s apart: each
//! line shows its resources, and `--operation`, `--token` and `--resource`
//! narrow the list through the API's filters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{API_TOKEN, serve_with};
use scopegate_e2e::{
    Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, gql_request, init, standard_scope_map,
};
use scopegate_web::ApiClient;

fn delete(volume: &str) -> String {
    format!(
        r#"{{"query":"mutation VolumeDelete($id: String!) {{ volumeDelete(volumeId: $id) }}","variables":{{"id":"{volume}"}},"operationName":"VolumeDelete"}}"#
    )
}

/// `scopegate approvals list -c CONFIG ARGS...`: one line per approval
/// (without the blast radius indented under each).
async fn list(config: &str, args: &[&str]) -> Vec<String> {
    let mut lines = list_all(config, args).await;
    lines.retain(|l| !l.starts_with(' '));
    lines
}

/// `scopegate approvals list -c CONFIG ARGS...`: its stdout lines.
async fn list_all(config: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["approvals", "list", "-c", config];
    all.extend_from_slice(args);
    let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .args(&all)
            .env("SCOPEGATE_API_TOKEN", API_TOKEN)
            .env_remove("SCOPEGATE_DASHBOARD_URL")
            .env_remove("SCOPEGATE_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Agents send a `volumeDelete` of each volume; returns once all are held.
async fn hold_volume_deletes(dir: &TempDir, s: &common::Serve, volumes: &[&str]) {
    let ca_pem = std::fs::read_to_string(dir.path().join("ca-data/ca.pem")).unwrap();
    for volume in volumes {
        let (proxy, ca_pem, body) = (s.proxy, ca_pem.clone(), delete(volume));
        tokio::spawn(async move {
            common::send(
                proxy,
                &ca_pem,
                gql_request(RAILWAY_HOST, RAILWAY_TOKEN, &body),
            )
            .await
        });
    }
    let api = ApiClient::new(&s.dashboard, API_TOKEN).unwrap();
    for _ in 0..100 {
        if common::pending(&api).await.len() == volumes.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pending_volume_deletes_are_told_apart_and_filtered() {
    init();
    let dir = TempDir::new("approvals-list");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let s = serve_with(&dir, &fake, "data", "");
    let config = dir.path().join("scopegate-data.toml");
    let config = config.to_str().unwrap();
    // two agents wait on two volumeDeletes
    hold_volume_deletes(&dir, &s, &["vol-a", "vol-b"]).await;

    let both = list(config, &[]).await;
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(
        both.iter().any(|l| l.contains("volumeId=vol-a")),
        "{both:?}"
    );
    assert!(
        both.iter().any(|l| l.contains("volumeId=vol-b")),
        "{both:?}"
    );

    let b = list(config, &["--resource", "volumeId=vol-b"]).await;
    assert_eq!(b.len(), 1, "{b:?}");
    assert!(
        b[0].contains("railway:volumeDelete (destructive) volumeId=vol-b"),
        "{b:?}"
    );
    // under it, what the catalogue knows of a volumeDelete (the fake
    // resolves nothing: what could not be resolved may come between)
    let b = list_all(config, &["--resource", "volumeId=vol-b"]).await;
    assert_eq!(
        [b[1].as_str(), b[b.len() - 1].as_str()],
        [
            "    Delete volume `vol-b` (its backups are deleted with it).",
            "    Safer: create a backup first: `volumeInstanceBackupCreate`.",
        ],
        "{b:?}"
    );
    assert!(b[2..].iter().all(|l| l.starts_with("    ")), "{b:?}");
    let a = list(
        config,
        &["--resource", "vol-a", "--operation", "railway:volumeDelete"],
    )
    .await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].contains("volumeId=vol-a"), "{a:?}");
    let mine = list(config, &["--token", "railway-domains"]).await;
    assert_eq!(mine.len(), 2, "{mine:?}");
    let none = list(config, &["--token", "github-ci"]).await;
    assert_eq!(none, ["no pending approvals match"]);
    assert!(fake.received().is_empty(), "nothing was approved");
}

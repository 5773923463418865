//! In headless Chromium (`tests/browser/approve.mjs`), the approver sees
//! the blast radius on the queue's card and on the request's page: the
//! volume, service, project and environment by name and the warning that
//! its backups go with it; screenshots at a phone's width land in
//! `target/screenshots/blast/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use scopegate_model::ApprovalId;

const EXPECT: &str = "postgres-data|4.2 GB used, 3 backups, latest 2 h ago|its backups are deleted with it|Postgres|pocketos / production|Safer: create a backup first: volumeInstanceBackupCreate";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approver_sees_names_and_the_backups_warning_in_the_browser() {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the browser test cannot run: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let app = app().await;
    let h = resolved_volume_delete_hold("apr_blast_browser");
    let id = ApprovalId::new("apr_blast_browser");
    app.store.hold(&h, PENDING_FOR, &id).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.dashboard.serve(listener, async {
        let _ = stopped.await;
    }));

    let shots = repo_root().join("target/screenshots/blast");
    let _ = std::fs::remove_dir_all(&shots);
    let out = tokio::task::spawn_blocking({
        let shots = shots.clone();
        move || {
            Command::new("node")
                .arg(repo_root().join("tests/browser/approve.mjs"))
                .args(["--url", &url, "--user", "alice", "--password", PASSWORD])
                .args(["--out", shots.to_str().unwrap(), "--expect", EXPECT])
                // the name it destroys, as resolved, not the id
                .args(["--confirm", "postgres-data"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "browser: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(id.as_str()));
    for name in ["02-pending-queue-phone.png", "03-request-detail-phone.png"] {
        assert!(shots.join(name).exists(), "{name} kept as an artifact");
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

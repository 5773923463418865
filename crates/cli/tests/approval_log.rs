//! Every approval step is in the decision log, with who took it: held,
//! approved or rejected (when the approver decides, whether or not the
//! agent still waits), expired, and the resent request released by the
//! grant, naming its approver. Through `scopegate serve`, its dashboard
//! API and `scopegate audit export`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use scopegate_model::Resolution;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{API_TOKEN, pending, send, serve_with};
use scopegate_e2e::{
    Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, gql_request, init, standard_scope_map,
};
use scopegate_web::ApiClient;
use serde_json::Value;

fn delete(volume: &str) -> String {
    format!(r#"{{"query":"mutation {{ volumeDelete(volumeId: \"{volume}\") }}"}}"#)
}

/// The `approval` field of every record in the log, in order.
fn approval_steps(config: &Path) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["audit", "export", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|r| r["approval"].as_str().map(str::to_owned))
        .collect()
}

async fn wait_for_steps(config: &Path, want: &[&str]) -> Vec<String> {
    let mut steps = Vec::new();
    for _ in 0..100 {
        steps = approval_steps(config);
        if want.iter().all(|w| steps.iter().any(|s| s.contains(w))) {
            return steps;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("log steps {steps:?} lack one of {want:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_taken_while_the_agent_is_away_are_in_the_log_with_their_approver() {
    init();
    let dir = TempDir::new("approval-log");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    // the agent is told at once that its request waits; approvers decide later
    let s = serve_with(
        &dir,
        &fake,
        "data",
        "[approvals]\nhold_secs = 0\npending_secs = 2\n",
    );
    let config = dir.path().join("scopegate-data.toml");
    let ca_pem = std::fs::read_to_string(dir.path().join("data/ca/ca.pem")).unwrap();
    let api = ApiClient::new(&s.dashboard, API_TOKEN).unwrap();
    let agent = |volume: &str| {
        send(
            s.proxy,
            &ca_pem,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, &delete(volume)),
        )
    };

    // approved while nobody waits; the resend is released by the grant
    assert_eq!(agent("vol-1").await.status, 403);
    let approved = pending(&api).await.remove(0);
    api.resolve_with(
        &approved,
        Resolution::Approve,
        "scratch volume",
        Some("vol-1"),
    )
    .await
    .unwrap();
    // rejected while nobody waits
    assert_eq!(agent("vol-2").await.status, 403);
    let rejected = pending(&api).await.remove(0);
    api.resolve(&rejected, Resolution::Reject, "that is production")
        .await
        .unwrap();
    // nobody decides
    assert_eq!(agent("vol-3").await.status, 403);
    let expired = pending(&api).await.remove(0);

    let resent = agent("vol-1").await;
    assert_eq!(resent.status, 200, "{}", resent.text());
    assert_eq!(
        fake.received().len(),
        1,
        "only the approved volume reached Railway"
    );

    let steps = wait_for_steps(
        &config,
        &[
            &format!("held {approved}"),
            &format!("approved {approved} by alice"),
            &format!("granted {approved} (approved by alice)"),
            &format!("held {rejected}"),
            &format!("rejected {rejected} by alice"),
            &format!("held {expired}"),
            &format!("expired {expired}"),
        ],
    )
    .await;
    // and in that order for the approved one
    let at = |w: String| steps.iter().position(|s| *s == w).unwrap();
    assert!(
        at(format!("held {approved}")) < at(format!("approved {approved} by alice"))
            && at(format!("approved {approved} by alice"))
                < at(format!("granted {approved} (approved by alice)")),
        "{steps:?}"
    );

    // one approval's whole story, on its own, in order
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args([
            "audit",
            "export",
            "--config",
            config.to_str().unwrap(),
            "--approval",
            &approved,
        ])
        .output()
        .unwrap();
    let story: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["approval"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        story,
        vec![
            format!("held {approved}"),
            format!("approved {approved} by alice"),
            format!("granted {approved} (approved by alice)"),
        ]
    );
    let csv = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args([
            "audit",
            "export",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "csv",
            "--approval",
            &rejected,
        ])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(csv.lines().next().unwrap().ends_with(",approval"), "{csv}");
    assert!(
        csv.contains(&format!("rejected {rejected} by alice")),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "header, held, rejected: {csv}");
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvers_release_it_only_together_and_each_step_is_in_the_log() {
    init();
    let dir = TempDir::new("approval-two");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    let map = standard_scope_map().replace(
        "id = \"hold-destructive\"\neffect = \"approve\"\n",
        "id = \"hold-destructive\"\neffect = \"approve\"\napprovers = 2\n",
    );
    assert!(map.contains("approvers = 2"));
    dir.write("scope.toml", map);
    let s = serve_with(&dir, &fake, "data", "[approvals]\nhold_secs = 0\n");
    let config = dir.path().join("scopegate-data.toml");
    let ca_pem = std::fs::read_to_string(dir.path().join("data/ca/ca.pem")).unwrap();
    let (alice, bob) = (
        ApiClient::new(&s.dashboard, API_TOKEN).unwrap(),
        ApiClient::new(&s.dashboard, common::BOB_API_TOKEN).unwrap(),
    );
    let agent = || {
        send(
            s.proxy,
            &ca_pem,
            gql_request(RAILWAY_HOST, RAILWAY_TOKEN, &delete("vol-5")),
        )
    };
    assert_eq!(agent().await.status, 403);
    let id = pending(&alice).await.remove(0);

    let first = alice
        .resolve_with(&id, Resolution::Approve, "ok by me", Some("vol-5"))
        .await
        .unwrap();
    assert_eq!(first.approval.state.as_str(), "pending");
    let again = agent().await;
    assert_eq!(again.status, 403, "one approver of two releases nothing");
    assert!(fake.received().is_empty());
    match alice
        .resolve_with(&id, Resolution::Approve, "", Some("vol-5"))
        .await
    {
        Err(scopegate_web::ClientError::Refused {
            status: 409, error, ..
        }) => {
            assert_eq!(error, "already_approved");
        }
        other => panic!("the same approver twice: {other:?}"),
    }

    let second = bob
        .resolve_with(&id, Resolution::Approve, "agreed", Some("vol-5"))
        .await
        .unwrap();
    assert_eq!(
        (
            second.approval.state.as_str(),
            second.approval.decided_by.as_deref()
        ),
        ("approved", Some("alice, bob"))
    );
    let resent = agent().await;
    assert_eq!(resent.status, 200, "{}", resent.text());
    assert_eq!(fake.received().len(), 1);

    let want = [
        format!("held {id}"),
        format!("approval step {id} by alice (1 of 2)"),
        format!("approval step {id} by bob (2 of 2)"),
        format!("approved {id} by alice, bob"),
        format!("granted {id} (approved by alice, bob)"),
    ];
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    let steps = wait_for_steps(&config, &want).await;
    let at = |w: &str| steps.iter().position(|s| s == w).unwrap();
    assert!(
        want.windows(2).all(|p| at(p[0]) < at(p[1])),
        "in order: {steps:?}"
    );
    drop(s);
}

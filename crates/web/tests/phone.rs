//! Every signed-in page fits a phone: headless Chromium
//! (`tests/browser/widths.mjs`) signs in and opens the queue, a request's
//! detail, the approvals, the decision log, the tokens and the health page
//! at 390x844 and 1280x800, over realistic data (long GraphQL documents,
//! long ids, a decision log with many columns), and checks that no page is
//! wider than the window. Screenshots land in `target/screenshots/widths/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use scopegate_model::Resolution;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use scopegate_model::{
    Decision, DecisionRecord, Mode, OpClass, Operation, OperationVerdict, RuleRef, Verdict,
};
use scopegate_policy::ScopeMap;
use scopegate_store::{ApprovalHub, Store};
use scopegate_web::{Dashboard, DashboardConfig};

const LONG_ID: &str =
    "apr_01JDZ3K7Q9W2X4V6B8N0M1P3R5T7Y9A2C4E6G8J0L2N4Q6S8U0W2Y4A6C8E0G2J4L6N8Q0S2U4W6Y8";
const VOLUME: &str = "vol-3f2c9a7e-81b4-4d0f-9c6e-2b7d5a1e8f43-production-postgres-primary-data";

/// A scope map with long rule ids, many globs and resource conditions.
const SCOPE_MAP: &str = r#"version = 1

[settings]
unknown_token = "deny"

[[token]]
name = "railway-production-deployments-from-the-release-pipeline"
fingerprint = "sha256:7a748b32060e3a7a10710c8b5da81f17729d5343de9670d9af01bb3a50f8cbb9"

[[token.rule]]
id = "allow-reads-and-deployment-status-everywhere-including-production"
effect = "allow"
class = ["read"]
operations = ["railway:deployment*", "railway:service*", "railway:environment*", "railway:project*", "railway:volume*", "railway:customDomain*"]

[[token.rule]]
id = "hold-every-destructive-operation-in-production-for-a-human-approver"
effect = "approve"
class = ["destructive", "write"]
except = ["railway:customDomainCreate", "railway:customDomainDelete", "railway:deploymentRestart"]

[[token]]
name = "github-classic-token-of-the-release-bot"
fingerprint = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62"

[[token.rule]]
id = "read-the-platform-repository"
effect = "allow"
class = ["read"]
operations = ["github:*"]
resources = { repository = ["acme/platform-infrastructure-with-a-long-repository-name"] }
"#;

/// The classic GitHub token's scopes, as GitHub's answers listed them.
const SCOPES: &str = "repo, delete_repo, admin:org, admin:repo_hook, workflow, write:packages";
const REPOSITORY: &str = "acme/platform-infrastructure-with-a-long-repository-name";

/// The release bot's reads of one repository, each with its answer's
/// outcome carrying what GitHub said of the token.
fn github_reads() -> Vec<scopegate_model::JournalEntry> {
    use scopegate_model::{Breadth, DecisionOutcome, JournalEntry};
    let mut out = Vec::new();
    for (i, name) in ["pulls/list", "repos/get-content"].into_iter().enumerate() {
        let mut op = Operation::new("github", name, OpClass::Read);
        op.add_resource("repository", REPOSITORY.into());
        let d = Decision {
            verdict: Verdict::Allow,
            mode: Mode::Enforce,
            rule: RuleRef(
                "github-classic-token-of-the-release-bot/read-the-platform-repository".into(),
            ),
            reason: String::new(),
            token: Some("github-classic-token-of-the-release-bot".into()),
            operations: vec![OperationVerdict {
                operation: op,
                verdict: Verdict::Allow,
                rule: RuleRef("r".into()),
                reason: String::new(),
            }],
        };
        let id = format!("dec_github_read_{i}");
        let mut r = DecisionRecord::from_decision(id.clone().into(), &d);
        r.provider = "github".into();
        r.host = "api.github.com".into();
        r.method = "GET".into();
        r.path = format!("/repos/{REPOSITORY}/pulls");
        r.fingerprint_prefix = Some("1a7674eb4ee7".into());
        out.push(JournalEntry::Record(Box::new(r)));
        out.push(JournalEntry::Outcome {
            outcome: DecisionOutcome {
                decision_id: id.into(),
                upstream_status: Some(200),
                upstream_millis: 80,
                error: None,
                breadth: Some(Breadth {
                    scopes: Some(SCOPES.into()),
                    accepted_scopes: Some("repo".into()),
                    expires: Some("2027-01-31 12:00:00 UTC".into()),
                    ..Breadth::default()
                }),
            },
        });
    }
    out
}

/// A GraphQL document as agents send them: long, nested, one very long line.
fn long_document() -> String {
    let fields = (0..40)
        .map(|i| format!("field{i}WithAQuiteLongNameForTesting"))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "mutation DeleteProductionVolumeAndEveryBackupBecauseTheCredentialsDidNotMatch($volumeId: String!, $environmentId: String!) {{\n  volumeDelete(volumeId: $volumeId)\n  environment(id: $environmentId) {{ {fields} }}\n}}"
    )
}

fn hold(n: usize) -> scopegate_model::HeldRequest {
    with_detail(scopegate_model::HeldRequest {
        grant_key: format!("grant-key-{n}"),
        decision_id: format!("dec_01JDZ3K7Q9W2X4V6B8N0M1P3R5T7Y9A2C4E6G8J0L2N4Q6S8U0W2-{n}").into(),
        token: Some("railway-production-deployments-from-the-release-pipeline".into()),
        fingerprint_prefix: Some("7a748b32060e".into()),
        agent: Some("claude-code-on-ci-runner-ephemeral-4f2a9c7e1b3d5f7a9c1e3b5d7f9a".into()),
        provider: "railway".into(),
        host: "backboard.railway.com".into(),
        method: "POST".into(),
        path: "/graphql/v2?operationName=DeleteProductionVolumeAndEveryBackupBecauseTheCredentialsDidNotMatch".into(),
        rule: "railway-production-deployments-from-the-release-pipeline/hold-every-destructive-operation-in-production-for-a-human-approver".into(),
        reason: format!("railway:volumeDelete is destructive; {VOLUME} is in environment env-7c1d4e9f2a6b8c0d3e5f7a9b1c3d5e7f (production)"),
        operations: Vec::new(),
        request: serde_json::Value::Null,
        rule_note: None,
        agent_reason: None,
        who_decides: Default::default(),
    }, serde_json::json!({
            "operations": [
                {"provider": "railway", "name": "volumeDelete", "class": "destructive",
                 "resources": {"volumeId": [VOLUME], "environmentId": ["env-7c1d4e9f2a6b8c0d3e5f7a9b1c3d5e7f9a1b3c5d7e9f"]}},
                {"provider": "railway", "name": "environment", "class": "read",
                 "resources": {"environmentId": ["env-7c1d4e9f2a6b8c0d3e5f7a9b1c3d5e7f9a1b3c5d7e9f"]}}
            ],
            "request": {"method": "POST", "path": "/graphql/v2", "graphql": [
                {"query": long_document(),
                 "variables": {"volumeId": VOLUME, "environmentId": "env-7c1d4e9f2a6b8c0d3e5f7a9b1c3d5e7f9a1b3c5d7e9f"},
                 "operationName": "DeleteProductionVolumeAndEveryBackupBecauseTheCredentialsDidNotMatch"},
                {"query": "query { me { id email teams { edges { node { id name } } } } }", "variables": {}, "operationName": null}
            ]}
        }))
}

fn record(i: usize) -> DecisionRecord {
    let verdict = [Verdict::Allow, Verdict::Deny, Verdict::Hold][i % 3];
    let mut ops = Vec::new();
    for name in [
        "volumeDelete",
        "environmentDelete",
        "serviceInstanceRedeploy",
    ] {
        let mut op = Operation::new("railway", name, OpClass::Destructive);
        op.add_resource("volumeId", VOLUME.into());
        op.add_resource(
            "environmentId",
            "env-7c1d4e9f2a6b8c0d3e5f7a9b1c3d5e7f9a1b3c5d7e9f".into(),
        );
        ops.push(OperationVerdict {
            operation: op,
            verdict,
            rule: RuleRef("r".into()),
            reason: String::new(),
        });
    }
    let d = Decision {
        verdict,
        mode: if i.is_multiple_of(4) {
            Mode::Observe
        } else {
            Mode::Enforce
        },
        rule: RuleRef(
            "railway-production-deployments-from-the-release-pipeline/hold-every-destructive-operation-in-production-for-a-human-approver".into(),
        ),
        reason: format!("railway:volumeDelete is destructive and {VOLUME} is production"),
        token: Some("railway-production-deployments-from-the-release-pipeline".into()),
        operations: ops,
    };
    let mut r = DecisionRecord::from_decision(
        format!("dec_01JDZ3K7Q9W2X4V6B8N0M1P3R5T7Y9A2C4E6G8J0L2N4Q6S8U0W2-{i}").into(),
        &d,
    );
    r.provider = "railway".into();
    r.host = "backboard.railway.com".into();
    r.method = "POST".into();
    r.path = "/graphql/v2".into();
    r.agent = Some("claude-code-on-ci-runner-ephemeral-4f2a9c7e1b3d5f7a9c1e3b5d7f9a".into());
    r.forwarded = verdict == Verdict::Allow;
    r.upstream_status = r.forwarded.then_some(200);
    r.approval = (verdict == Verdict::Hold).then(|| format!("held {LONG_ID}-{i}"));
    r
}

/// The store, filled: three pending holds (one with a long id), resolved
/// ones with long notes, and twenty decisions.
async fn populate(store: &Store) {
    // the first is resolved, with long names: its blast radius must fit too
    let mut first = hold(0);
    for (k, v) in [
        ("volume", VOLUME),
        (
            "service",
            "postgres-primary-with-a-very-long-service-name-for-testing",
        ),
        ("project", "pocketos-production-infrastructure"),
        ("environment", "production-eu-west-with-a-long-name"),
        ("volume.backups", "12"),
    ] {
        first.operations[0].set_attribute(k, scopegate_model::Attribute::known([v.to_owned()]));
    }
    store
        .hold(
            &first,
            std::time::Duration::from_secs(3600),
            &scopegate_model::ApprovalId::new(LONG_ID),
        )
        .await
        .unwrap();
    for n in 1..6 {
        store
            .hold(
                &hold(n),
                Duration::from_secs(3600),
                &format!("{LONG_ID}-{n}").into(),
            )
            .await
            .unwrap();
    }
    for n in 3..6_usize {
        store
            .resolve(
                &format!("{LONG_ID}-{n}").into(),
                if n.is_multiple_of(2) {
                    Resolution::Approve
                } else {
                    Resolution::Reject
                },
                "alice-the-on-call-platform-engineer@example.com",
                "Checked with the owning team in #incident-4711: this volume is the production primary; https://railway.com/project/5b0f2c1e-8d3a-4f6b-9e7c-1a2b3c4d5e6f/service/9f8e7d6c-5b4a-3c2d-1e0f-abcdefabcdef?environmentId=production",
                Duration::from_secs(60),
            )
            .await
            .unwrap();
    }
    let records: Vec<DecisionRecord> = (0..20).map(record).collect();
    store.append(&records).await.unwrap();
    store
        .append_entries(&github_reads(), scopegate_store::Stored::No)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_signed_in_page_fits_a_phone_and_a_desktop() {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the browser test cannot run: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let store = common::store().await;
    populate(&store).await;
    let dir = temp_dir("phone");
    let map = Arc::new(ScopeMap::from_toml("production.toml", SCOPE_MAP).unwrap());
    let dashboard = Dashboard::new(
        DashboardConfig {
            users: users(),
            session_key_file: Some(dir.join("dashboard.key")),
            ..DashboardConfig::default()
        },
        store,
        ApprovalHub::default(),
        move || map.clone(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dashboard.serve(listener, async {
        let _ = stopped.await;
    }));

    let shots = repo_root().join("target/screenshots/widths");
    let _ = std::fs::remove_dir_all(&shots);
    let pages = format!(
        "/,/approvals/{LONG_ID},/approvals/{LONG_ID}-4,/approvals,/history,/tokens,/health"
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(repo_root().join("tests/browser/widths.mjs"))
            .args(["--url", &url, "--user", "alice", "--password", PASSWORD])
            .args(["--pages", &pages, "--out", shots.to_str().unwrap()])
            // the Tokens page shows what GitHub granted, and flags it
            .args(["--expect", &expected_on_tokens()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let results: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let too_wide: Vec<&serde_json::Value> = results.iter().filter(|r| r["ok"] != true).collect();
    assert!(
        out.status.success() && too_wide.is_empty(),
        "pages wider than the window, or missing what they must show:\n{}\n{}",
        too_wide
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    // sign-in plus 7 pages, at each of the two widths
    assert_eq!(results.len(), 16, "{stdout}");
    for width in [390, 1280] {
        assert_eq!(
            results.iter().filter(|r| r["width"] == width).count(),
            8,
            "{stdout}"
        );
    }
    let shots = repo_root().join("target/screenshots/widths");
    for name in ["phone-05-history.png", "desktop-06-tokens.png"] {
        assert!(shots.join(name).exists(), "{name} kept as an artifact");
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// What the Tokens page must say of the classic token (widths.mjs
/// `--expect`): granted, used, allowed, and over-scoped with the narrower
/// token to create.
fn expected_on_tokens() -> String {
    [
        format!("github: scopes {SCOPES}; expires 2027-01-31 12:00:00 UTC; can delete"),
        "2 requests in the last 30 days, using 2 read operations".to_owned(),
        "(github operations)".to_owned(),
        "its grant lets it delete; its scope map and its use go no further than read".to_owned(),
        "over-scoped".to_owned(),
        format!("Instead: create a fine-grained personal access token limited to repository {REPOSITORY} with permissions contents=read, metadata=read, pull_requests=read."),
    ]
    .iter()
    .map(|t| format!("/tokens={t}"))
    .collect::<Vec<_>>()
    .join("|")
}

/// `h` with the operations and request of a `detail` value.
fn with_detail(
    mut h: scopegate_model::HeldRequest,
    detail: serde_json::Value,
) -> scopegate_model::HeldRequest {
    h.set_detail(scopegate_model::HeldDetail::from_value(detail).expect("a held detail"));
    h
}

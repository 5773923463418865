//! `gh` from Debian driving GitHub's GraphQL API through scopegate, under a
//! read-only scope map: reads (`gh api graphql`, `gh repo view`, `gh pr
//! list`) pass and reach the fake; a ref deletion and `gh pr create` are
//! refused, never reach it, and `gh` prints why; `gh pr create` passes
//! under a map that grants writes. A missing `gh` prints `skipped: <why>`; with
//! `CI` set it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_e2e::clients::{self, Ran};
use scopegate_e2e::*;
use scopegate_model::OpClass::{Destructive, Read};
use scopegate_model::Verdict;

/// The CI token, allowed to read and nothing else.
fn github_read_only() -> String {
    read_only_scope_map("github-read-only", GITHUB_TOKEN)
}

struct Gh {
    gh: std::path::PathBuf,
    h: Harness,
    config: TempDir,
}

impl Gh {
    async fn run(&self, args: &[&str]) -> Ran {
        let proxy = self.h.proxy_url();
        clients::gh_run(
            &self.gh,
            &proxy,
            &self.h.ca_path,
            self.config.path(),
            GITHUB_TOKEN,
            args,
        )
        .await
    }
}

async fn start() -> Option<Gh> {
    start_with(&github_read_only()).await
}

async fn start_with(map: &str) -> Option<Gh> {
    let gh = clients::gh()?;
    let h = Harness::start_with(map, Options::default()).await;
    Some(Gh {
        gh,
        h,
        config: TempDir::new("gh"),
    })
}

const VIEWER: &str = "query { viewer { login } }";
const DELETE_REF: &str = r#"mutation { deleteRef(input: {refId: "x"}) { clientMutationId } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gh_api_graphql_reads_pass_and_a_ref_deletion_is_refused() {
    let Some(g) = start().await else { return };

    let out = g
        .run(&["api", "graphql", "-f", &format!("query={VIEWER}")])
        .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["data"]["viewer"]["login"], "octocat");
    let got = g.h.fake.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].target, "/graphql");
    assert_eq!(got[0].authority.as_deref(), Some(GITHUB_HOST));
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["query"], VIEWER, "the document arrived as gh sent it");

    let out = g
        .run(&["api", "graphql", "-f", &format!("query={DELETE_REF}")])
        .await;
    assert_ne!(out.code, Some(0), "{out:?}");
    // gh prints the GraphQL error's message: who refused, and why.
    assert!(out.stderr.contains("scopegate"), "{out:?}");
    assert!(out.stderr.contains("deleteRef"), "{out:?}");
    assert_eq!(g.h.fake.received().len(), 1, "the deletion never arrived");

    let recs = g.h.sink.records();
    let seen: Vec<_> = recs
        .iter()
        .map(|r| {
            (
                r.verdict,
                r.operations[0].name.clone(),
                r.operations[0].class,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Verdict::Allow, "viewer".to_owned(), Read),
            (Verdict::Deny, "deleteRef".to_owned(), Destructive),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gh_repo_view_and_pr_list_read_through_graphql() {
    let Some(g) = start().await else { return };

    let out = g.run(&["pr", "list", "-R", "acme/site"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("Fix the site"), "{out:?}");

    let out = g.run(&["repo", "view", "acme/site"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("acme/site"), "{out:?}");

    let got = g.h.fake.received();
    let graphql: Vec<_> = got.iter().filter(|r| r.target == "/graphql").collect();
    assert!(graphql.len() >= 2, "{got:?}");
    for r in &graphql {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            body["query"].as_str().unwrap().contains("repository("),
            "{body}"
        );
    }
    for r in g.h.sink.records() {
        assert_eq!(r.verdict, Verdict::Allow, "{r:?}");
        for op in &r.operations {
            assert_eq!(op.class, Read, "{op:?}");
            if op.name == "repository" {
                assert_eq!(op.resources["repository"], ["acme/site"], "{op:?}");
            }
        }
    }
}

/// `gh pr create` reads the repository (twice), then sends the
/// `createPullRequest` mutation: a write, refused under the read-only map
/// (gh prints why), passed under one that grants writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gh_pr_create_is_a_write() {
    let args = [
        "pr",
        "create",
        "-R",
        "acme/site",
        "--head",
        "feature",
        "--base",
        "main",
        "--title",
        "Fix",
        "--body",
        "b",
    ];
    let Some(g) = start().await else { return };
    let out = g.run(&args).await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("scopegate refused"), "{out:?}");
    assert!(
        out.stderr.contains("github:createPullRequest (write)"),
        "{out:?}"
    );
    let got = g.h.fake.received();
    assert!(
        got.iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("createPullRequest")),
        "the mutation never arrived: {got:?}"
    );
    let recs = g.h.sink.records();
    let last = recs.last().unwrap();
    assert_eq!(last.verdict, Verdict::Deny);
    assert_eq!(last.operations[0].name, "createPullRequest");
    assert_eq!(last.operations[0].class, scopegate_model::OpClass::Write);

    let writes = github_read_only().replace(r#"class = ["read"]"#, r#"class = ["read", "write"]"#);
    let Some(g) = start_with(&writes).await else {
        return;
    };
    let out = g.run(&args).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("https://github.com/acme/site/pull/2"),
        "{out:?}"
    );
    let got = g.h.fake.received();
    let sent = got
        .iter()
        .find(|r| String::from_utf8_lossy(&r.body).contains("createPullRequest"))
        .expect("the mutation arrived");
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["variables"]["input"]["title"], "Fix", "{body}");
    assert_eq!(body["variables"]["input"]["repositoryId"], "R_1", "{body}");
}

//! The providers' own CLIs from npm — wrangler (Cloudflare), vercel,
//! neonctl (Neon) and supabase — driven through scopegate as a user would
//! run them: `HTTPS_PROXY`, scopegate's CA in `NODE_EXTRA_CA_CERTS` (and
//! `SSL_CERT_FILE` for supabase's Go binary), the token in the CLI's own
//! variable or flag. Each token may read and nothing else. For each CLI an
//! allowed read reaches the fake with the token and prints what the fake
//! answered; a destructive command is refused, never reaches the fake, and
//! the CLI prints scopegate's reason. `scripts/setup-test-clients` installs
//! the pinned CLIs (tests/clis/package-lock.json); without them these tests
//! print `skipped: <why>`, and with `CI` set they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_e2e::cli_answers::*;
use scopegate_e2e::clients::{self, Ran};
use scopegate_e2e::*;
use scopegate_model::OpClass::{Destructive, Read};
use scopegate_model::Verdict;

const CF_TOKEN: &str = "demo-cloudflare-agent-token";
/// The vercel CLI refuses a `--token` with a `-` in it.
const VERCEL_TOKEN: &str = "demoVercelAgentToken";
const NEON_TOKEN: &str = "demo-neon-agent-token";
/// supabase checks the shape: `sbp_` and 40 hex digits.
const SUPABASE_TOKEN: &str = "sbp_0123456789abcdef0123456789abcdef01234567";

/// A CLI, a proxy in front of the fake, and the CLI's environment.
struct Cli {
    bin: std::path::PathBuf,
    h: Harness,
    home: TempDir,
    env: Vec<(&'static str, &'static str)>,
}

impl Cli {
    async fn start(
        name: &str,
        token: &str,
        env: Vec<(&'static str, &'static str)>,
    ) -> Option<Self> {
        Self::start_with(name, &read_only_scope_map(name, token), env).await
    }

    async fn start_with(
        name: &str,
        scope_map: &str,
        env: Vec<(&'static str, &'static str)>,
    ) -> Option<Self> {
        let bin = clients::npm_cli(name)?;
        let h = Harness::start_with(scope_map, Options::default()).await;
        let home = TempDir::new(name);
        Some(Self { bin, h, home, env })
    }

    async fn run(&self, args: &[&str]) -> Ran {
        let proxy = self.h.proxy_url();
        clients::npm_cli_run(
            &self.bin,
            &proxy,
            &self.h.ca_path,
            self.home.path(),
            &self.env,
            args,
        )
        .await
    }

    /// `(method, target)` of what the fake received on `host`, in order.
    fn received(&self, host: &str) -> Vec<(String, String)> {
        self.h
            .fake
            .received()
            .iter()
            .filter(|r| r.authority.as_deref() == Some(host))
            .map(|r| (r.method.to_string(), r.target.clone()))
            .collect()
    }

    /// Every request that reached `host` carried `authorization`.
    fn assert_credential(&self, host: &str, authorization: &str) {
        for r in self.h.fake.received() {
            if r.authority.as_deref() == Some(host) {
                assert_eq!(r.header("authorization"), Some(authorization), "{r:?}");
            }
        }
    }

    /// `(verdict, operation, class)` of each decision on `host`, in order.
    fn decisions(&self, host: &str) -> Vec<(Verdict, String, scopegate_model::OpClass)> {
        self.h
            .sink
            .records()
            .iter()
            .filter(|r| r.host == host)
            .map(|r| {
                let op = &r.operations[0];
                (r.verdict, op.name.clone(), op.class)
            })
            .collect()
    }
}

/// What the CLI printed, both streams, for refusal checks.
fn printed(out: &Ran) -> String {
    format!("{}\n{}", out.stdout, out.stderr)
}

/// The refusal reached the user: who refused, what, and that a human or
/// another token is the way on — not a bare status code.
fn assert_understandable(out: &Ran, operation: &str) {
    let text = printed(out);
    assert!(
        text.contains("scopegate refused this request"),
        "the CLI shows who refused: {out:?}"
    );
    assert!(
        text.contains(operation),
        "the CLI names the operation: {out:?}"
    );
}

const CF_HOST: &str = "api.cloudflare.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrangler_whoami_reads_and_a_kv_namespace_deletion_is_refused() {
    let env = vec![
        ("CLOUDFLARE_API_TOKEN", CF_TOKEN),
        ("CLOUDFLARE_ACCOUNT_ID", CF_ACCOUNT),
    ];
    let Some(c) = Cli::start("wrangler", CF_TOKEN, env).await else {
        return;
    };

    let out = c.run(&["whoami"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("agent@acme.dev"), "{out:?}");
    assert!(out.stdout.contains(CF_ACCOUNT), "{out:?}");
    let reads = c.received(CF_HOST);
    assert_eq!(
        reads,
        [
            ("GET".into(), "/client/v4/user/tokens/verify".into()),
            ("GET".into(), "/client/v4/user".into()),
            ("GET".into(), "/client/v4/accounts?page=1".into()),
        ]
    );
    assert_eq!(
        c.decisions(CF_HOST),
        [
            (Verdict::Allow, "user.tokens.verify".into(), Read),
            (Verdict::Allow, "user.get".into(), Read),
            (Verdict::Allow, "accounts.list".into(), Read),
        ]
    );

    let out = c
        .run(&[
            "kv",
            "namespace",
            "delete",
            "--namespace-id",
            CF_KV_NAMESPACE,
        ])
        .await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert_understandable(&out, "kv.namespaces.delete");
    assert_eq!(c.received(CF_HOST), reads, "the deletion never arrived");
    assert_eq!(
        c.decisions(CF_HOST).last().unwrap(),
        &(Verdict::Deny, "kv.namespaces.delete".into(), Destructive)
    );
    c.assert_credential(CF_HOST, &format!("Bearer {CF_TOKEN}"));
}

const VERCEL_HOST: &str = "api.vercel.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vercel_whoami_reads_and_removing_a_project_is_refused() {
    let Some(c) = Cli::start("vercel", VERCEL_TOKEN, vec![]).await else {
        return;
    };

    let out = c.run(&["whoami", "--token", VERCEL_TOKEN]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout.trim(), "agent", "{out:?}");
    assert_eq!(c.received(VERCEL_HOST), [("GET".into(), "/v2/user".into())]);

    // `vercel remove` looks the name up (a project read, a deployment
    // read), then deletes on an unversioned path the catalogue knows.
    let out = c
        .run(&["remove", VERCEL_PROJECT, "--yes", "--token", VERCEL_TOKEN])
        .await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert_understandable(&out, "delete-project");
    let got = c.received(VERCEL_HOST);
    assert!(
        got.iter().all(|(m, _)| m == "GET"),
        "the deletion never arrived: {got:?}"
    );
    let decisions = c.decisions(VERCEL_HOST);
    assert_eq!(
        decisions.last().unwrap(),
        &(Verdict::Deny, "delete-project".into(), Destructive),
        "{decisions:?}"
    );
    assert!(
        decisions[..decisions.len() - 1]
            .iter()
            .all(|(v, _, class)| *v == Verdict::Allow && *class == Read),
        "{decisions:?}"
    );
    c.assert_credential(VERCEL_HOST, &format!("Bearer {VERCEL_TOKEN}"));
}

const NEON_HOST: &str = "console.neon.tech";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neonctl_lists_projects_and_deleting_one_is_refused() {
    let Some(c) = Cli::start("neonctl", NEON_TOKEN, vec![]).await else {
        return;
    };
    let common = ["--api-key", NEON_TOKEN, "--analytics", "false"];

    let mut args = vec!["projects", "list", "--output", "json"];
    args.extend(common);
    let out = c.run(&args).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["projects"][0]["id"], NEON_PROJECT, "{out:?}");
    let reads = c.received(NEON_HOST);
    assert_eq!(
        reads,
        [
            ("GET".into(), "/api/v2/projects?limit=100".into()),
            ("GET".into(), "/api/v2/projects/shared?limit=100".into()),
        ]
    );
    assert_eq!(
        c.decisions(NEON_HOST),
        [
            (Verdict::Allow, "listProjects".into(), Read),
            (Verdict::Allow, "listSharedProjects".into(), Read),
        ]
    );

    let mut args = vec!["projects", "delete", NEON_PROJECT];
    args.extend(common);
    let out = c.run(&args).await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert_understandable(&out, "deleteProject");
    assert_eq!(c.received(NEON_HOST), reads, "the deletion never arrived");
    assert_eq!(
        c.decisions(NEON_HOST).last().unwrap(),
        &(Verdict::Deny, "deleteProject".into(), Destructive)
    );
    c.assert_credential(NEON_HOST, &format!("Bearer {NEON_TOKEN}"));
}

/// neonctl sends its key as Bearer and as two cookies. An agent holding a
/// surrogate gets the real key swapped in at all three places, and the
/// surrogate reaches the provider nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neonctl_with_a_surrogate_key_reaches_neon_with_the_real_key_everywhere() {
    let map = format!(
        r#"version = 1

[[token]]
name = "neon-agent"
surrogate = "{}"
secret = {{ file = "railway-secret.txt" }}

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]
"#,
        fp(SURROGATE)
    );
    let Some(c) = Cli::start_with("neonctl", &map, vec![]).await else {
        return;
    };
    let out = c
        .run(&[
            "projects",
            "list",
            "--output",
            "json",
            "--api-key",
            SURROGATE,
            "--analytics",
            "false",
        ])
        .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let got = c.h.fake.received();
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {REAL_SECRET}").as_str())
        );
        assert_eq!(
            r.header("cookie"),
            Some(format!("zenith={REAL_SECRET}; keycloak_token={REAL_SECRET}").as_str())
        );
        for (name, value) in &r.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(!value.contains(SURROGATE), "{name}: {value}");
        }
    }
}

const SUPABASE_HOST: &str = "api.supabase.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supabase_lists_projects_and_deleting_one_is_refused() {
    let env = vec![("SUPABASE_ACCESS_TOKEN", SUPABASE_TOKEN)];
    let Some(c) = Cli::start("supabase", SUPABASE_TOKEN, env).await else {
        return;
    };

    let out = c.run(&["projects", "list", "--output", "json"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()[0]["ref"], SUPABASE_REF, "{out:?}");
    let reads = c.received(SUPABASE_HOST);
    assert_eq!(reads, [("GET".into(), "/v1/projects".into())]);
    assert_eq!(
        c.decisions(SUPABASE_HOST),
        [(Verdict::Allow, "v1-list-all-projects".into(), Read)]
    );

    let out = c.run(&["projects", "delete", SUPABASE_REF, "--yes"]).await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert_understandable(&out, "v1-delete-a-project");
    // supabase reads the project after the refusal, to say which one.
    let got = c.received(SUPABASE_HOST);
    assert!(
        got.iter().all(|(m, _)| m == "GET"),
        "the deletion never arrived: {got:?}"
    );
    assert!(
        c.decisions(SUPABASE_HOST).contains(&(
            Verdict::Deny,
            "v1-delete-a-project".into(),
            Destructive
        )),
        "{:?}",
        c.decisions(SUPABASE_HOST)
    );
    c.assert_credential(SUPABASE_HOST, &format!("Bearer {SUPABASE_TOKEN}"));
}

//! The official Railway CLI (crate `railwayapp`, pinned in
//! `config/catalog/sources/railway/cli-version`) driven through scopegate
//! as `scopegate run` runs a command: the variables `run` sets (proxy,
//! scopegate's CA with the system's roots in `SSL_CERT_FILE`, which the
//! CLI's rustls native roots read, and `RAILWAY_NO_AUTO_UPDATE` /
//! `RAILWAY_NO_TELEMETRY`), a throwaway `HOME`, and a surrogate in
//! `RAILWAY_API_TOKEN` that scopegate swaps for the real token.
//!
//! `railway up` uploads its tarball on the streamed `up` route; `railway
//! logs` (given a terminal, as it streams only to one) subscribes over
//! WebSocket; `railway environment delete` is refused and never reaches the
//! fake. `scripts/setup-railway-cli` builds the CLI once into a cache;
//! without it these tests print `skipped: <why>`, and with `CI` set they
//! fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::path::PathBuf;
use std::process::Stdio;

use scopegate_e2e::clients::{self, Ran};
use scopegate_e2e::railway_answers::*;
use scopegate_e2e::*;
use scopegate_model::OpClass::{Destructive, Read, Write};
use scopegate_model::{OpClass, Verdict};
use tokio::process::Command;

/// What the agent may do with the surrogate: read, deploy to staging, and
/// never delete an environment.
fn scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "railway-agent"
surrogate = "{surrogate}"
secret = {{ file = "railway-secret.txt" }}

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "deploys-to-staging"
effect = "allow"
operations = ["railway:up"]
resources = {{ environmentId = ["{RW_ENV_STAGING}"] }}

[[token.rule]]
id = "never-delete-environments"
effect = "deny"
operations = ["railway:environmentDelete"]
"#,
        surrogate = fp(SURROGATE),
    )
}

/// The CLI, a proxy in front of the fake, a `HOME`, a project folder, and
/// the environment `scopegate run` would give it.
struct Railway {
    bin: PathBuf,
    h: Harness,
    home: TempDir,
    app: TempDir,
    /// The CA files `run` writes (removed with it).
    _trust: TempDir,
    env: Vec<(&'static str, String)>,
}

impl Railway {
    async fn start() -> Option<Self> {
        let bin = clients::railway_cli()?;
        let h = Harness::start_with(&scope_map(), Options::default()).await;
        let home = TempDir::new("railway-home");
        let trust = TempDir::new("railway-trust");
        let mut env =
            clients::scopegate_run_env(&h.proxy_addr().to_string(), &h.ca_pem, trust.path());
        env.push(("RAILWAY_API_TOKEN", SURROGATE.to_owned()));
        env.push(("NO_COLOR", "1".to_owned()));
        let app = TempDir::new("railway-app");
        Some(Self {
            bin,
            h,
            home,
            app,
            _trust: trust,
            env,
        })
    }

    /// `railway ARGS` in the project folder, with `extra` variables; on a
    /// terminal when `tty` (`None` when none can be had).
    async fn run(&self, args: &[&str], extra: &[(&str, &str)], tty: bool) -> Option<Ran> {
        let mut c = if tty {
            clients::in_terminal(&self.bin, args)?
        } else {
            let mut c = Command::new(&self.bin);
            c.args(args);
            c
        };
        // Nothing inherited (no CI, no RAILWAY_* of the machine's own).
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("TERM", "dumb")
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .envs(extra.iter().copied())
            .current_dir(self.app.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Some(clients::run(c).await)
    }

    /// Every request the fake received on Railway's host.
    fn received(&self) -> Vec<Received> {
        self.h
            .fake
            .received()
            .into_iter()
            .filter(|r| r.sni.as_deref() == Some(RAILWAY_HOST))
            .collect()
    }

    /// `(verdict, operation, class)` of each decision, in order.
    fn decisions(&self) -> Vec<(Verdict, String, OpClass)> {
        self.h
            .sink
            .records()
            .iter()
            .map(|r| {
                let op = &r.operations[0];
                (r.verdict, op.name.clone(), op.class)
            })
            .collect()
    }

    /// Every request reached Railway with the real token, and the surrogate
    /// nowhere.
    fn assert_real_token_only(&self) {
        let got = self.received();
        assert!(!got.is_empty());
        for r in &got {
            assert_eq!(
                r.header("authorization"),
                Some(format!("Bearer {REAL_SECRET}").as_str()),
                "{} {}",
                r.method,
                r.target
            );
            for (name, value) in &r.headers {
                let value = String::from_utf8_lossy(value.as_bytes());
                assert!(!value.contains(SURROGATE), "{name}: {value}");
            }
        }
    }
}

/// The files (name, contents) of a gzip tarball.
fn untar(gz: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut tar)
        .expect("the upload is gzip");
    let mut files = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at] != 0 {
        let head = &tar[at..at + 512];
        let field = |r: std::ops::Range<usize>| {
            String::from_utf8_lossy(&head[r])
                .trim_matches(|c: char| c == '\0' || c == ' ')
                .to_owned()
        };
        let size = usize::from_str_radix(&field(124..136), 8).expect("a tar size");
        let name = format!("{}{}", field(345..500), field(0..100));
        let body = tar[at + 512..at + 512 + size].to_vec();
        if head[156] == b'0' || head[156] == 0 {
            files.push((name, body));
        }
        at += 512 + size.div_ceil(512) * 512;
    }
    files
}

/// `railway up` to the service, in `environment`, without waiting on the
/// deployment.
fn up_args(environment: &str) -> [&str; 8] {
    let (p, s) = (RW_PROJECT, RW_SERVICE_NAME);
    ["up", "--detach", "-p", p, "-e", environment, "-s", s]
}

const PACKAGE: &str = r#"{"name":"site","version":"1.0.0"}"#;

/// The gzip tarball holds each `(file name, contents)`.
fn assert_holds(gz: &[u8], expected: &[(&str, &str)]) {
    let files = untar(gz);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for (name, contents) in expected {
        let sent = files.iter().find(|(n, _)| n.ends_with(name));
        let sent = sent.map(|(_, b)| b.as_slice());
        assert_eq!(sent, Some(contents.as_bytes()), "{name} in {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn railway_up_uploads_the_source_through_scopegate_with_the_real_token() {
    let Some(r) = Railway::start().await else {
        return;
    };
    let hello = "hello from the scopegate e2e suite\n";
    r.app.write("hello.txt", hello);
    r.app.write("package.json", PACKAGE);

    let out = r.run(&up_args("staging"), &[], false).await.unwrap();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains(&format!("?id={RW_DEPLOYMENT}")),
        "{out:?}"
    );

    let got = r.received();
    let up = got.last().unwrap();
    assert_eq!(up.method, "POST");
    assert_eq!(
        up.target,
        format!("/project/{RW_PROJECT}/environment/{RW_ENV_STAGING}/up?serviceId={RW_SERVICE}")
    );
    assert_eq!(up.header("content-type"), Some("application/gzip"));
    assert_holds(&up.body, &[("hello.txt", hello), ("package.json", PACKAGE)]);
    r.assert_real_token_only();

    let decisions = r.decisions();
    assert_eq!(
        decisions.last().unwrap(),
        &(Verdict::Allow, "up".into(), Write),
        "{decisions:?}"
    );
    let rec = r.h.sink.records().pop().unwrap();
    assert!(rec.forwarded);
    assert_eq!(rec.token.as_deref(), Some("railway-agent"));
    assert_eq!(rec.rule, "railway-agent/deploys-to-staging");
    assert!(
        decisions[..decisions.len() - 1]
            .iter()
            .all(|(v, _, class)| *v == Verdict::Allow && *class == Read),
        "{decisions:?}"
    );
}

/// The upload is decided on its head: to an environment the rule does not
/// name, the tarball never leaves scopegate. The CLI shows only the status
/// (it reads an upload error's `message` on a 400 alone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn railway_up_to_an_environment_not_permitted_sends_nothing() {
    let Some(r) = Railway::start().await else {
        return;
    };
    r.app.write("hello.txt", "not for production\n");
    let out = r.run(&up_args("production"), &[], false).await.unwrap();
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("403"), "{out:?}");
    let got = r.received();
    assert!(
        got.iter()
            .all(|q| q.method == "POST" && q.target == "/graphql/v2"),
        "only the project was read: {got:?}"
    );
    let decisions = r.decisions();
    assert_eq!(
        decisions.last().unwrap(),
        &(Verdict::Deny, "up".into(), Write),
        "{decisions:?}"
    );
    assert!(!r.h.sink.records().pop().unwrap().forwarded);
}

/// The CLI subscribed over the fake's socket, to the deployment's logs.
fn assert_subscribed(r: &Railway) {
    let got = r.h.fake.ws_received();
    let subscribe = got.iter().find(|m| m["type"] == "subscribe");
    let subscribe = subscribe.expect("the CLI subscribed");
    let query = subscribe["payload"]["query"].as_str().unwrap();
    assert!(query.contains("deploymentLogs"), "{subscribe}");
    let variables = &subscribe["payload"]["variables"];
    assert_eq!(variables["deploymentId"], RW_DEPLOYMENT, "{subscribe}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn railway_logs_streams_deployment_logs_over_a_decided_subscription() {
    let Some(r) = Railway::start().await else {
        return;
    };
    // JSON lines; the CLI picks the service's successful deployment
    let (p, s) = (RW_PROJECT, RW_SERVICE_NAME);
    let args = [
        "logs",
        "--deployment",
        "--json",
        "-p",
        p,
        "-e",
        "production",
        "-s",
        s,
    ];
    let Some(out) = r.run(&args, &[], true).await else {
        return;
    };
    assert_eq!(out.code, Some(0), "{out:?}");
    let printed: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .map(|v| v["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        printed,
        ["log line 1", "log line 2", "log line 3"],
        "{out:?}"
    );

    assert_subscribed(&r);
    let upgrade = r
        .received()
        .into_iter()
        .find(|q| q.header("upgrade").is_some());
    assert!(upgrade.is_some(), "the socket reached the fake");
    r.assert_real_token_only();

    let recs = r.h.sink.records();
    let ws: Vec<_> = recs.iter().filter(|d| d.method == "WEBSOCKET").collect();
    assert_eq!(ws.len(), 1, "{recs:?}");
    assert_eq!(
        ws[0].operations[0].qualified_name(),
        "railway:deploymentLogs"
    );
    assert_eq!((ws[0].verdict, ws[0].forwarded), (Verdict::Allow, true));
    assert_eq!(ws[0].operations[0].class, Read);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn railway_environment_delete_is_refused_and_never_reaches_railway() {
    let Some(r) = Railway::start().await else {
        return;
    };
    let linked = [
        ("RAILWAY_PROJECT_ID", RW_PROJECT),
        ("RAILWAY_ENVIRONMENT_ID", RW_ENV_PROD),
    ];
    let out = r
        .run(
            &["environment", "delete", "staging", "--yes"],
            &linked,
            false,
        )
        .await
        .unwrap();
    assert_ne!(out.code, Some(0), "{out:?}");
    let text = format!("{}\n{}", out.stdout, out.stderr);
    assert!(text.contains("scopegate refused this request"), "{out:?}");
    assert!(text.contains("railway:environmentDelete"), "{out:?}");
    assert!(text.contains("never-delete-environments"), "{out:?}");
    assert!(!text.contains("Unauthorized"), "{out:?}");

    let got = r.received();
    assert!(!got.is_empty(), "the CLI read the project first");
    for q in &got {
        let body = String::from_utf8_lossy(&q.body);
        assert!(
            !body.contains("environmentDelete"),
            "the deletion never arrived: {body}"
        );
    }
    r.assert_real_token_only();
    let decisions = r.decisions();
    assert_eq!(
        decisions.last().unwrap(),
        &(Verdict::Deny, "environmentDelete".into(), Destructive),
        "{decisions:?}"
    );
    assert!(!r.h.sink.records().pop().unwrap().forwarded);
}

//! `scopegate run -- COMMAND` against a running `scopegate serve`: curl
//! given nothing but `run` reaches the provider through scopegate and
//! trusts its CA; with `--isolate` the same curl told to skip the proxy
//! reaches nothing, while through the proxy it is decided; and where
//! isolation cannot be set up, `run` says so and does not run the command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::Serve;
use scopegate_e2e::{Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, init, standard_scope_map};

const ME: &str = r#"{"query":"query { me { id } }"}"#;

struct Setup {
    dir: TempDir,
    fake: Fake,
    serve: Serve,
}

async fn setup() -> Setup {
    setup_with("").await
}

async fn setup_with(extra: &str) -> Setup {
    init();
    let dir = TempDir::new("run");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let serve = common::serve_with(&dir, &fake, "data", extra);
    Setup { dir, fake, serve }
}

impl Setup {
    /// `scopegate run [extra] -- sh -c SCRIPT`, the CA found through the
    /// settings file, the proxy's port given (the settings say port 0).
    fn run(&self, extra: &[&str], script: &str) -> Output {
        self.run_env(extra, script, &[])
    }

    fn run_env(&self, extra: &[&str], script: &str, env: &[(&str, &str)]) -> Output {
        let config = self.dir.path().join("scopegate-data.toml");
        Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .arg("run")
            .arg("--config")
            .arg(&config)
            .arg("--proxy")
            .arg(self.serve.proxy.to_string())
            .args(extra)
            .args(["--", "sh", "-c", script])
            .current_dir(self.dir.path())
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("CURL_CA_BUNDLE")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SCOPEGATE_AGENT_KEY")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    /// A curl that asks Railway who it is, through whatever `run` set.
    fn curl_me(&self) -> String {
        format!(
            "curl -sS --max-time 10 -H 'authorization: Bearer {RAILWAY_TOKEN}' -H 'content-type: application/json' -d '{ME}' https://{RAILWAY_HOST}/graphql/v2"
        )
    }

    /// The same request sent straight to the fake, skipping the proxy.
    fn curl_direct(&self) -> String {
        format!(
            "curl -sS --max-time 5 --noproxy '*' --cacert {ca} --connect-to {RAILWAY_HOST}:443:127.0.0.1:{port} -H 'authorization: Bearer {RAILWAY_TOKEN}' -d '{ME}' https://{RAILWAY_HOST}/graphql/v2",
            ca = self.dir.path().join("test-ca.pem").display(),
            port = self.fake.addr.port(),
        )
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_under_run_goes_through_scopegate_and_trusts_its_ca() {
    let s = setup().await;
    let out = s.run(&[], &s.curl_me());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        r#"{"data":{"ok":true}}"#
    );
    let got = s.fake.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].target, "/graphql/v2");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {RAILWAY_TOKEN}").as_str())
    );
    assert_eq!(&got[0].body[..], ME.as_bytes());

    // the command's exit code is run's
    let out = s.run(&[], "exit 7");
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolated_the_only_way_out_is_scopegate() {
    let s = setup().await;
    // Control: without isolation, skipping the proxy reaches the provider.
    let out = s.run(&[], &s.curl_direct());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.fake.received().len(), 1, "the control run went direct");

    let script = format!(
        "{direct}; echo direct=$?; {me}; echo; echo proxied=$?",
        direct = s.curl_direct(),
        me = s.curl_me()
    );
    let out = s.run(&["--isolate"], &script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!stdout.contains("direct=0"), "{}", text(&out));
    assert!(stdout.contains(r#"{"data":{"ok":true}}"#), "{}", text(&out));
    assert!(stdout.contains("proxied=0"), "{}", text(&out));
    let got = s.fake.received();
    assert_eq!(got.len(), 2, "only the proxied request arrived: {got:?}");
    assert_eq!(&got[1].body[..], ME.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_isolation_available_the_command_is_not_run() {
    let s = setup().await;
    let marker = s.dir.path().join("ran");
    let config = s.dir.path().join("scopegate-data.toml");
    // No `unshare` on PATH: isolation cannot be set up.
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["run", "--isolate", "--config"])
        .arg(&config)
        .arg("--proxy")
        .arg(s.serve.proxy.to_string())
        .arg("--")
        .arg("/usr/bin/touch")
        .arg(&marker)
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--isolate"), "{stderr}");
    assert!(stderr.contains("was not run"), "{stderr}");
    assert!(!Path::new(&marker).exists(), "the command ran unisolated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_named_with_its_key_from_the_environment_passes_proxy_auth() {
    const KEY: &str = "ci-bot-proxy-key-7f3a";
    let auth = format!(
        "[proxy.auth]\nrequired = true\n[[proxy.auth.agents]]\nname = \"ci-bot\"\nkey_fingerprint = \"{}\"\n",
        scopegate_e2e::fp(KEY)
    );
    let s = setup_with(&auth).await;
    let out = s.run_env(
        &["--agent", "ci-bot"],
        &s.curl_me(),
        &[("SCOPEGATE_AGENT_KEY", KEY)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.fake.received().len(), 1);
    // Without the agent, the proxy asks for credentials and nothing passes.
    let out = s.run(&[], &s.curl_me());
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(s.fake.received().len(), 1);
    // --agent without its key: run says where the key goes, and runs nothing.
    let out = s.run(&["--agent", "ci-bot"], "exit 0");
    assert_eq!(out.status.code(), Some(3), "a usage error: {}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SCOPEGATE_AGENT_KEY"));
    // The key is in no output.
    assert!(!text(&out).contains(KEY));
}

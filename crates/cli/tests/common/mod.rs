//! `scopegate serve` started as a process for the CLI's end-to-end tests,
//! and an agent that sends requests through it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use scopegate_e2e::{Fake, GITHUB_HOST, RAILWAY_HOST, TempDir, wire};
use scopegate_web::{ApiClient, hash_password, token_fingerprint};

pub const PASSWORD: &str = "correct horse battery";
pub const API_TOKEN: &str = "sgapi_test_approver_token";
/// The API token of `bob`, a second approver.
pub const BOB_API_TOKEN: &str = "sgapi_test_second_approver_token";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Serve {
    pub child: Child,
    pub proxy: SocketAddr,
    pub dashboard: String,
    /// The admin listener (health, readiness, metrics).
    pub admin: SocketAddr,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `scopegate serve` in `dir` (which holds `scope.toml` and `test-ca.pem`)
/// with its own data directory, Railway and GitHub routed to `fake`, the dashboard on
/// a free port with approvers `alice` and `bob`, and
/// `extra` settings.
pub fn serve_with(dir: &TempDir, fake: &Fake, data: &str, extra: &str) -> Serve {
    start(dir, fake, data, extra, "warn", Stdio::null())
}

/// As [`serve_with`], logging at info level into `log`.
pub fn serve_logging(dir: &TempDir, fake: &Fake, extra: &str, log: &std::path::Path) -> Serve {
    let file = std::fs::File::create(log).unwrap();
    start(dir, fake, "data", extra, "info", Stdio::from(file))
}

fn start(dir: &TempDir, fake: &Fake, data: &str, extra: &str, level: &str, stderr: Stdio) -> Serve {
    let port = free_port();
    // Users in a file of their own, mode 0600 as serve requires.
    let users = dir.write(
        &format!("users-{data}.toml"),
        format!(
            r#"[[users]]
name = "alice"
password_hash = "{hash}"
role = "approver"
api_token_fingerprint = "{api}"

[[users]]
name = "bob"
password_hash = "{hash}"
role = "approver"
api_token_fingerprint = "{bob}"
"#,
            hash = hash_password(PASSWORD).unwrap(),
            api = token_fingerprint(API_TOKEN),
            bob = token_fingerprint(BOB_API_TOKEN),
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let settings = format!(
        r#"version = 1
scope_map = "scope.toml"
data_dir = "{data}"
{extra}

[ca]
export = "ca-{data}"

[proxy]
listen = "127.0.0.1:0"

[admin]
listen = "127.0.0.1:0"

[upstream]
extra_ca_files = ["test-ca.pem"]

[upstream.routes]
"{RAILWAY_HOST}:443" = "{fake}"
"{GITHUB_HOST}:443" = "{fake}"

[dashboard]
listen = "127.0.0.1:{port}"
users_file = "users-{data}.toml"
"#,
        fake = fake.addr,
    );
    let config = dir.write(&format!("scopegate-{data}.toml"), settings);
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("SCOPEGATE_LOG", level)
        .env("SCOPEGATE_EXPIRY_SWEEP_MS", "200")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut proxy, mut dashboard, mut admin) = (None, None, None);
    while proxy.is_none() || dashboard.is_none() || admin.is_none() {
        let line = lines.next().expect("serve starts").unwrap();
        if let Some(a) = line.strip_prefix("scopegate is listening on ") {
            proxy = Some(a.trim().parse().unwrap());
        }
        if let Some(u) = line.strip_prefix("dashboard for approvers: ") {
            dashboard = Some(u.trim().to_owned());
        }
        if let Some(a) = line.trim().strip_prefix("readiness: http://") {
            admin = a.strip_suffix("/readyz").and_then(|a| a.parse().ok());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Serve {
        child,
        proxy: proxy.unwrap(),
        dashboard: dashboard.unwrap(),
        admin: admin.unwrap(),
    }
}

/// Sends `req` to Railway through the proxy as an agent would.
pub async fn send(proxy: SocketAddr, ca_pem: &str, req: http::Request<bytes::Bytes>) -> wire::Resp {
    send_to(RAILWAY_HOST, proxy, ca_pem, req).await
}

/// Sends `req` to `host` through the proxy as an agent would.
pub async fn send_to(
    host: &str,
    proxy: SocketAddr,
    ca_pem: &str,
    req: http::Request<bytes::Bytes>,
) -> wire::Resp {
    let (status, _, tcp) = wire::connect(proxy, &format!("{host}:443"), &[]).await;
    assert_eq!(status, 200);
    let tls = wire::tls(tcp, host, ca_pem, &[b"http/1.1"]).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = req.map(http_body_util::Full::new);
    let resp = tokio::time::timeout(Duration::from_secs(60), sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    wire::collect(resp).await
}

pub async fn pending(api: &ApiClient) -> Vec<String> {
    api.list(Some("pending"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.approval.id.into_string())
        .collect()
}

/// `node tests/browser/<script>` signed in to `dashboard` as alice.
pub fn browser_script(script: &str, dashboard: &str) -> Command {
    let mut c = Command::new("node");
    c.arg(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/browser")
            .join(script),
    )
    .args([
        "--url",
        dashboard,
        "--user",
        "alice",
        "--password",
        PASSWORD,
    ]);
    c
}

/// Whether a browser test can run here: `false` (said on stderr) when
/// Chromium or playwright-core is missing, which fails the test under CI.
pub fn browser_or_skip() -> bool {
    match browser_ready() {
        Ok(()) => true,
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the browser test cannot run: {why}"
            );
            eprintln!("browser test skipped: {why}");
            false
        }
    }
}

/// Whether headless Chromium and playwright-core are installed
/// (`scripts/setup-test-clients`), or why not.
pub fn browser_ready() -> Result<(), String> {
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        return Err(
            "/usr/bin/chromium is not installed (scripts/setup-test-clients installs it)".into(),
        );
    }
    if !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("tests/browser/node_modules/playwright-core")
        .exists()
    {
        return Err(
            "tests/browser has no node_modules (scripts/setup-test-clients runs npm ci)".into(),
        );
    }
    Ok(())
}

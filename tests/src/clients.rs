//! The real clients an agent would use: curl, Python (`requests`, `httpx`
//! with HTTP/2), Node (undici `fetch` through a `ProxyAgent`) and `gh`.
//! `scripts/setup-test-clients` installs what is missing. A test whose
//! client is missing prints `skipped: <why>` and passes — unless `CI` is
//! set, where a missing client fails the test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A client is missing: skip (print why), or fail when `CI` is set.
pub fn missing(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{why} — CI is set, so e2e clients are required (run scripts/setup-test-clients)"
    );
    eprintln!("skipped: {why} (run scripts/setup-test-clients)");
}

/// An executable on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// A tool from `$env_var`, else PATH; `None` (after [`missing`]) if absent.
fn find(env_var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_var) {
        let p = PathBuf::from(p);
        if is_executable(&p) {
            return Some(p);
        }
        missing(&format!("{env_var}={} is not an executable", p.display()));
        return None;
    }
    let found = which(name);
    if found.is_none() {
        missing(&format!("`{name}` is not installed (or set {env_var})"));
    }
    found
}

pub fn curl() -> Option<PathBuf> {
    find("SCOPEGATE_E2E_CURL", "curl")
}

pub fn gh() -> Option<PathBuf> {
    find("SCOPEGATE_E2E_GH", "gh")
}

/// A Python with `requests`, `httpx` and `h2`: `$SCOPEGATE_E2E_PYTHON`, the
/// venv `target/e2e-venv` that the setup script makes, or `python3`.
pub async fn python() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("SCOPEGATE_E2E_PYTHON") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(repo_root().join("target/e2e-venv/bin/python"));
    if let Some(p) = which("python3") {
        candidates.push(p);
    }
    for c in candidates {
        if !c.exists() {
            continue;
        }
        let ok = Command::new(&c)
            .args(["-c", "import requests, httpx, h2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success());
        if ok {
            return Some(c);
        }
    }
    missing(
        "no Python with requests, httpx and h2 (looked at $SCOPEGATE_E2E_PYTHON, target/e2e-venv, python3)",
    );
    None
}

/// `node` and the directory with undici installed (`tests/node`).
pub async fn node() -> Option<(PathBuf, PathBuf)> {
    let node = find("SCOPEGATE_E2E_NODE", "node")?;
    let dir = repo_root().join("tests/node");
    if !dir.join("node_modules/undici/package.json").exists() {
        missing("undici is not installed in tests/node (npm ci there)");
        return None;
    }
    Some((node, dir))
}

/// A client's exit and output.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// stdout as JSON (the Python and Node scripts print one object).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "client printed no JSON ({e}); exit {:?}\nstdout: {}\nstderr: {}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

/// A command with the proxy environment an agent would have: any inherited
/// proxy settings cleared, `HTTPS_PROXY` (and `https_proxy`) set.
pub fn command(program: &Path, https_proxy: &str) -> Command {
    let mut c = Command::new(program);
    for v in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        c.env_remove(v);
    }
    c.env("HTTPS_PROXY", https_proxy)
        .env("https_proxy", https_proxy)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Runs a client to completion (bounded: a hung client fails the test).
pub async fn run(mut c: Command) -> Ran {
    let out = tokio::time::timeout(Duration::from_secs(60), c.output())
        .await
        .expect("the client finished within 60s")
        .expect("the client started");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What curl reported: `-w '%{http_code} %{http_connect} %{http_version}'`,
/// the final response's headers (`-D`, CONNECT's suppressed) and body (`-o`).
#[derive(Debug)]
pub struct CurlOut {
    pub ran: Ran,
    pub status: u16,
    pub connect_status: u16,
    pub http_version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl CurlOut {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "curl body is not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&self.body),
                self.ran.stderr
            )
        })
    }
}

/// Runs curl with `args` through `https_proxy`, output files in `dir`.
pub async fn curl_run(curl: &Path, https_proxy: &str, dir: &Path, args: &[&str]) -> CurlOut {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let head_file = dir.join(format!("curl-{n}.head"));
    let body_file = dir.join(format!("curl-{n}.body"));
    let mut c = command(curl, https_proxy);
    c.args(["-sS", "--max-time", "30", "--suppress-connect-headers"])
        .arg("-D")
        .arg(&head_file)
        .arg("-o")
        .arg(&body_file)
        .args(["-w", "%{http_code} %{http_connect} %{http_version}"])
        .args(args);
    let ran = run(c).await;
    let mut w = ran.stdout.split_whitespace();
    let status = w.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let connect_status = w.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let http_version = w.next().unwrap_or_default().to_owned();
    let head = std::fs::read_to_string(&head_file).unwrap_or_default();
    // The last header block is the final response's.
    let last = head
        .split("\r\n\r\n")
        .filter(|b| !b.trim().is_empty())
        .last()
        .unwrap_or_default();
    let headers = last
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = std::fs::read(&body_file).unwrap_or_default();
    CurlOut {
        ran,
        status,
        connect_status,
        http_version,
        headers,
        body,
    }
}

/// Runs `tests/clients/request.py` (`requests`, or `httpx` with HTTP/2)
/// with a JSON spec: `{"lib", "method", "url", "headers", "body"}`. It prints
/// `{"status", "headers", "body", "http_version"}`.
pub async fn python_run(
    python: &Path,
    https_proxy: &str,
    ca: &Path,
    spec: &serde_json::Value,
) -> Ran {
    let mut c = command(python, https_proxy);
    c.arg(repo_root().join("tests/clients/request.py"))
        .arg(spec.to_string())
        .env("REQUESTS_CA_BUNDLE", ca)
        .env("SSL_CERT_FILE", ca);
    run(c).await
}

/// Runs `tests/node/fetch.mjs` (undici `fetch` + `ProxyAgent` from
/// `HTTPS_PROXY`) with a JSON spec `{"method", "url", "headers", "body"}`.
pub async fn node_run(
    node: &Path,
    dir: &Path,
    https_proxy: &str,
    ca: &Path,
    spec: &serde_json::Value,
) -> Ran {
    let mut c = command(node, https_proxy);
    c.current_dir(dir)
        .arg(dir.join("fetch.mjs"))
        .arg(spec.to_string())
        .env("SCOPEGATE_CA", ca);
    run(c).await
}

/// Runs Node's `graphql-ws` client (`tests/node/graphql-ws.mjs`) with
/// `spec` through `https_proxy`, trusting `ca`.
pub async fn node_graphql_ws(
    node: &Path,
    dir: &Path,
    https_proxy: &str,
    ca: &Path,
    spec: &serde_json::Value,
) -> Ran {
    let mut c = command(node, https_proxy);
    c.current_dir(dir)
        .arg(dir.join("graphql-ws.mjs"))
        .arg(spec.to_string())
        .env("SCOPEGATE_CA", ca);
    run(c).await
}

/// Runs `gh` with `args` as an agent would: `GH_TOKEN`, `HTTPS_PROXY`,
/// `SSL_CERT_FILE` = scopegate's CA, a throwaway config dir.
pub async fn gh_run(
    gh: &Path,
    https_proxy: &str,
    ca: &Path,
    config_dir: &Path,
    token: &str,
    args: &[&str],
) -> Ran {
    let mut c = command(gh, https_proxy);
    c.args(args)
        .env("GH_TOKEN", token)
        .env("SSL_CERT_FILE", ca)
        .env("GH_CONFIG_DIR", config_dir)
        .env("GH_NO_UPDATE_NOTIFIER", "1")
        .env("GH_PROMPT_DISABLED", "1")
        .env("NO_COLOR", "1")
        .env_remove("GH_HOST")
        .env_remove("GH_ENTERPRISE_TOKEN")
        .env_remove("GITHUB_TOKEN");
    run(c).await
}

/// A provider's own CLI from npm (`wrangler`, `vercel`, `neonctl`,
/// `supabase`), as `scripts/setup-test-clients` installs them: in
/// `tests/clis/node_modules/.bin`, or under `$SCOPEGATE_E2E_CLIS`.
pub fn npm_cli(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SCOPEGATE_E2E_CLIS")
        .map_or_else(|| repo_root().join("tests/clis"), PathBuf::from);
    let bin = dir.join("node_modules/.bin").join(name);
    if is_executable(&bin) && which("node").is_some() {
        return Some(bin);
    }
    missing(&format!(
        "`{name}` is not installed in {}/node_modules/.bin (npm ci there), or node is missing",
        dir.display()
    ));
    None
}

/// Runs a provider's CLI as an agent would: `HTTPS_PROXY`, scopegate's CA
/// for Node (`NODE_EXTRA_CA_CERTS`) and for Go (`SSL_CERT_FILE`: supabase's
/// binary), a throwaway `HOME`, no colour, and telemetry and update checks
/// off where the CLI has a switch. `env` adds the credential. Standard
/// input is closed: the CLIs take their non-interactive defaults.
pub async fn npm_cli_run(
    cli: &Path,
    https_proxy: &str,
    ca: &Path,
    home: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> Ran {
    let mut c = command(cli, https_proxy);
    c.args(args)
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NODE_EXTRA_CA_CERTS", ca)
        .env("SSL_CERT_FILE", ca)
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .env("DO_NOT_TRACK", "1")
        .env("NO_UPDATE_NOTIFIER", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("VERCEL_TELEMETRY_DISABLED", "1")
        .env_remove("CI");
    for (k, v) in env {
        c.env(k, v);
    }
    run(c).await
}

/// The official Railway CLI (crate `railwayapp`, the version in
/// `config/catalog/sources/railway/cli-version`): `$SCOPEGATE_RAILWAY_CLI`,
/// else where `scripts/setup-railway-cli` builds it
/// (`${SCOPEGATE_CLI_CACHE:-$HOME/.cache/scopegate}/railway-cli-<version>/bin/railway`).
pub fn railway_cli() -> Option<PathBuf> {
    const SETUP: &str = "run scripts/setup-railway-cli, or set SCOPEGATE_RAILWAY_CLI";
    if let Some(p) = std::env::var_os("SCOPEGATE_RAILWAY_CLI") {
        let p = PathBuf::from(p);
        if is_executable(&p) {
            return Some(p);
        }
        missing_because(
            &format!("SCOPEGATE_RAILWAY_CLI={} is not an executable", p.display()),
            SETUP,
        );
        return None;
    }
    let version_file = repo_root().join("config/catalog/sources/railway/cli-version");
    let version = std::fs::read_to_string(version_file).expect("the pinned Railway CLI version");
    let cache = std::env::var_os("SCOPEGATE_CLI_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/scopegate")))?;
    let bin = cache.join(format!("railway-cli-{}/bin/railway", version.trim()));
    if is_executable(&bin) {
        return Some(bin);
    }
    missing_because(
        &format!("the Railway CLI is not built at {}", bin.display()),
        SETUP,
    );
    None
}

/// [`missing`], naming another way to get the client.
fn missing_because(why: &str, how: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{why} — CI is set, so e2e clients are required ({how})"
    );
    eprintln!("skipped: {why} ({how})");
}

/// The variables `scopegate run` gives a command (`scopegate_cli::agent_run`):
/// every ecosystem's proxy variables pointed at `proxy` (`host:port`), its
/// CA and the system's roots with it (files written into `dir`, which must
/// exist), and the switches that stop CLIs calling home.
pub fn scopegate_run_env(proxy: &str, ca_pem: &str, dir: &Path) -> Vec<(&'static str, String)> {
    use scopegate_cli::agent_run::{env, trust};
    let files = trust::write(dir, ca_pem).expect("the CA files for the command");
    let trust = env::Trust {
        ca: &files.ca,
        bundle: &files.bundle,
        bundle_dir: &files.bundle_dir,
    };
    env::agent_env(&env::proxy_url(proxy, None), &trust)
}

/// `program args` under a pseudo-terminal (util-linux `script`), for a
/// client that behaves otherwise on a terminal; `None` (after [`missing`])
/// without `script`.
pub fn in_terminal(program: &Path, args: &[&str]) -> Option<Command> {
    let Some(script) = which("script") else {
        missing("`script` (util-linux) is not installed: it gives a client a terminal");
        return None;
    };
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let line = std::iter::once(quote(&program.display().to_string()))
        .chain(args.iter().map(|a| quote(a)))
        .collect::<Vec<_>>()
        .join(" ");
    let mut c = Command::new(script);
    c.args(["-qec", &line, "/dev/null"]);
    Some(c)
}

//! An agent can never approve its own request, through the real binary:
//! `serve` refuses secrets that group or others can read (and says how to
//! fix them); another OS user (the agent) can read nothing in the data
//! folder, only the exported certificate; and in the sidecar layout the
//! agent's attempts to approve its own held `volumeDelete` fail and nothing
//! reaches the provider. The control shows why the rule matters: a process
//! running as scopegate's own user reads the session key, signs itself an
//! admin session and releases a request, exactly as the incident did.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_model::Resolution;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use scopegate_e2e::{
    Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, gql_request, init, standard_scope_map, wire,
};
use scopegate_web::auth::Auth;
use scopegate_web::{ApiClient, DashboardConfig, Role, hash_password, token_fingerprint};

const API_TOKEN: &str = "sgapi_private_data_approver";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn settings(port: u16, fake: Option<&Fake>, dashboard_extra: &str) -> String {
    let routes = fake.map_or_else(String::new, |f| {
        format!(
            "[upstream]\nextra_ca_files = [\"test-ca.pem\"]\n\n[upstream.routes]\n\"{RAILWAY_HOST}:443\" = \"{}\"\n",
            f.addr
        )
    });
    format!(
        r#"version = 1
scope_map = "scope.toml"
data_dir = "data"

[proxy]
listen = "127.0.0.1:0"

[admin]
listen = "127.0.0.1:0"

[approvals]
hold_secs = 30

{routes}
[dashboard]
listen = "127.0.0.1:{port}"
{dashboard_extra}
"#
    )
}

/// A users file (mode 0600) with one approver who has an API token.
fn users_file(dir: &TempDir) {
    let f = dir.write(
        "users.toml",
        format!(
            "[[users]]\nname = \"alice\"\npassword_hash = \"{}\"\nrole = \"approver\"\napi_token_fingerprint = \"{}\"\n",
            hash_password("correct horse battery").unwrap(),
            token_fingerprint(API_TOKEN)
        ),
    );
    chmod(&f, 0o600);
}

fn scopegate(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scopegate"));
    c.args(["serve", "--config", config.to_str().unwrap()])
        .env("SCOPEGATE_LOG", "warn");
    c
}

/// Runs `serve`, which must refuse to start: its exit code and stderr.
fn refused(config: &Path) -> (i32, String) {
    let mut child = scopegate(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("serve started although it should have refused");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Serve {
    child: Child,
    proxy: SocketAddr,
    dashboard: String,
    banner: Vec<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` and reads its banner up to the metrics line.
fn serve(config: &Path) -> Serve {
    let mut child = scopegate(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    loop {
        let line = lines.next().expect("serve starts").unwrap();
        let done = line.trim_start().starts_with("metrics:");
        banner.push(line);
        if done {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let after = |prefix: &str| {
        banner
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {banner:#?}"))
            .trim()
            .to_owned()
    };
    Serve {
        proxy: after("scopegate is listening on ").parse().unwrap(),
        dashboard: after("dashboard for approvers: "),
        child,
        banner,
    }
}

/// Whether the tests that switch OS users can run: root, and `setpriv`.
fn can_switch_users() -> Result<(), String> {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err("not running as root: cannot start a process as another user".into());
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        return Err("setpriv (util-linux) is not installed".into());
    }
    Ok(())
}

fn skip_unless_root() -> bool {
    match can_switch_users() {
        Ok(()) => false,
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the OS-user test cannot run: {why}"
            );
            eprintln!("skipped: {why}");
            true
        }
    }
}

/// Runs a command as `nobody` (uid/gid 65534, no supplementary groups):
/// the agent, as another OS user.
fn as_agent(args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(args)
        .output()
        .unwrap()
}

fn assert_agent_cannot_read(path: &Path) {
    let out = as_agent(&["cat", path.to_str().unwrap()]);
    assert!(
        !out.status.success() && out.stdout.is_empty(),
        "the agent read {}",
        path.display()
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Permission denied"),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_refuses_sign_in_and_slack_secrets_that_group_or_others_can_read() {
    let dir = TempDir::new("private-sso");
    dir.write("scope.toml", standard_scope_map());
    users_file(&dir);
    let extra = "users_file = \"users.toml\"\n\n[dashboard.oidc]\nissuer = \"https://idp.example\"\nclient_id = \"scopegate\"\nclient_secret_file = \"oidc-secret\"\nroles_claim = \"groups\"\nroles = { approver = [\"ops\"] }\n\n[dashboard.slack]\nsigning_secret_file = \"slack-signing\"\nbot_token_file = \"slack-bot\"\n";
    let config = dir.write("scopegate.toml", settings(free_port(), None, extra));
    let secrets = [
        (
            "oidc-secret",
            0o644,
            "the identity provider's client secret",
        ),
        ("slack-signing", 0o640, "Slack's signing secret"),
        ("slack-bot", 0o604, "Slack's bot token"),
    ];
    for (name, m, _) in secrets {
        let path = dir.write(name, "s3cret-value-for-the-test");
        chmod(&path, m);
    }
    let (code, err) = refused(&config);
    assert_eq!(code, 3, "{err}");
    for (name, m, what) in secrets {
        let p = std::fs::canonicalize(dir.path().join(name)).unwrap();
        let p = p.display();
        assert!(
            err.contains(&format!("{p} ({what}) has mode {m:04o}"))
                && err.contains(&format!("Fix: chmod 600 {p}")),
            "{name}: {err}"
        );
    }
    assert!(!err.contains("s3cret"), "no secret in the refusal: {err}");
}

#[test]
fn serve_refuses_surrogate_secret_files_that_group_or_others_can_read() {
    let dir = TempDir::new("private-surrogate");
    let fp = scopegate_model::Fingerprint::of(b"AKSGEXAMPLEAGENTKEY2");
    dir.write(
        "scope.toml",
        format!(
            "version = 1\n[[token]]\nname = \"aws-agent\"\nsurrogate = \"{fp}\"\nsurrogate_secret = {{ file = \"aws-agent.secret\" }}\nsecret = {{ file = \"aws-real-key.json\" }}\n"
        ),
    );
    users_file(&dir);
    let config = dir.write(
        "scopegate.toml",
        settings(free_port(), None, "users_file = \"users.toml\""),
    );
    let files = [
        ("aws-agent.secret", 0o644, "an AWS surrogate's own secret"),
        ("aws-real-key.json", 0o640, "a surrogate's real secret"),
    ];
    for (name, m, _) in files {
        chmod(&dir.write(name, "s3cret-value-for-the-test"), m);
    }
    let (code, err) = refused(&config);
    assert_eq!(code, 3, "{err}");
    for (name, m, what) in files {
        let p = std::fs::canonicalize(dir.path().join(name)).unwrap();
        assert!(
            err.contains(&format!("{} ({what}", p.display()))
                && err.contains(&format!("has mode {m:04o}"))
                && err.contains(&format!("Fix: chmod 600 {}", p.display())),
            "{name}: {err}"
        );
    }
    assert!(!err.contains("s3cret"), "no secret in the refusal: {err}");
}

#[test]
fn serve_refuses_secrets_that_group_or_others_can_read_and_says_how_to_fix_them() {
    let dir = TempDir::new("private-refuse");
    dir.write("scope.toml", standard_scope_map());
    users_file(&dir);
    let config = dir.write(
        "scopegate.toml",
        settings(free_port(), None, "users_file = \"users.toml\""),
    );
    let data = dir.path().join("data");
    let shown = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();

    // a data folder others can enter, made by hand or an older version
    std::fs::create_dir(&data).unwrap();
    chmod(&data, 0o755);
    let (code, err) = refused(&config);
    assert_eq!(code, 3, "{err}");
    let d = shown(&data);
    assert!(
        err.contains(&format!("{d} (scopegate's data folder) has mode 0755"))
            && err.contains(&format!("Fix: chmod 700 {d}")),
        "{err}"
    );
    assert!(
        std::fs::read_dir(&data).unwrap().next().is_none()
            && !dir.path().join("ca-public").exists(),
        "refused before touching anything"
    );

    // key files group- or others-readable, each named with its fix
    chmod(&data, 0o700);
    std::fs::create_dir(data.join("ca")).unwrap();
    let secrets = [
        (
            data.join("ca/ca-key.pem"),
            0o644,
            "the interception CA's key",
        ),
        (
            data.join("dashboard-session.key"),
            0o640,
            "the dashboard's session-signing key",
        ),
        (
            data.join("bootstrap-link"),
            0o604,
            "the one-time bootstrap link",
        ),
        (dir.path().join("users.toml"), 0o660, "the dashboard users"),
    ];
    for (path, m, _) in &secrets {
        std::fs::write(path, "x").unwrap();
        chmod(path, *m);
    }
    let (code, err) = refused(&config);
    assert_eq!(code, 3, "{err}");
    for (path, m, what) in &secrets {
        let p = shown(path);
        assert!(
            err.contains(&format!("{p} ({what}) has mode {m:04o}"))
                && err.contains(&format!("Fix: chmod 600 {p}")),
            "{p}: {err}"
        );
    }

    // users kept in a settings file others can read
    let inline = dir.write(
        "inline.toml",
        settings(
            free_port(),
            None,
            &format!(
                "[[dashboard.users]]\nname = \"alice\"\npassword_hash = \"{}\"\nrole = \"approver\"\n",
                hash_password("correct horse battery").unwrap()
            ),
        ),
    );
    chmod(&inline, 0o644);
    let (_, err) = refused(&inline);
    assert!(
        err.contains(&format!(
            "{} (the settings, which hold [[dashboard.users]]",
            shown(&inline)
        )),
        "{err}"
    );

    // once fixed as told, it starts; what it creates is private
    for (path, _, _) in &secrets {
        std::fs::remove_file(path).unwrap();
    }
    std::fs::remove_dir(data.join("ca")).unwrap();
    users_file(&dir);
    let s = serve(&config);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("ca")), 0o700);
    assert_eq!(mode(&data.join("ca/ca-key.pem")), 0o600);
    assert_eq!(mode(&data.join("dashboard-session.key")), 0o600);
    drop(s);
}

#[test]
fn another_os_user_reads_only_the_exported_certificate_and_the_link_is_not_printed() {
    if skip_unless_root() {
        return;
    }
    let dir = TempDir::new("private-users");
    dir.write("scope.toml", standard_scope_map());
    let config = dir.write("scopegate.toml", settings(free_port(), None, ""));
    let s = serve(&config);
    let data = dir.path().join("data");
    let public = dir.path().join("ca-public");

    // the bootstrap link is in a 0600 file; the banner names only the file
    let link = std::fs::read_to_string(data.join("bootstrap-link")).unwrap();
    assert!(
        link.starts_with(&format!("{}/bootstrap/", s.dashboard)),
        "{link}"
    );
    assert_eq!(mode(&data.join("bootstrap-link")), 0o600);
    let banner = s.banner.join("\n");
    assert!(!banner.contains("/bootstrap/"), "{banner}");
    assert!(
        banner.contains(&format!(
            "the one-time admin sign-in link is in {}",
            std::fs::canonicalize(data.join("bootstrap-link"))
                .unwrap()
                .display()
        )),
        "{banner}"
    );
    let exported = std::fs::canonicalize(public.join("ca.pem")).unwrap();
    assert!(
        banner.contains(&format!(
            "trust the interception CA: {}",
            exported.display()
        )),
        "{banner}"
    );

    // as another user: nothing in the data folder, not even its listing
    let secrets = [
        "ca/ca-key.pem",
        "dashboard-session.key",
        "bootstrap-link",
        "scopegate.db",
        "ca/ca.pem",
    ];
    for f in secrets {
        assert_agent_cannot_read(&data.join(f));
    }
    assert!(!as_agent(&["ls", data.to_str().unwrap()]).status.success());
    // and not through the files' own modes either, were the folders
    // opened up: each secret is 0600 itself
    chmod(&data, 0o711);
    chmod(&data.join("ca"), 0o711);
    for f in ["ca/ca-key.pem", "dashboard-session.key", "bootstrap-link"] {
        assert_agent_cannot_read(&data.join(f));
    }
    chmod(&data, 0o700);
    chmod(&data.join("ca"), 0o700);

    // the export folder (what a container gets): only the certificate
    let ls = as_agent(&["ls", "-A", public.to_str().unwrap()]);
    assert!(ls.status.success());
    assert_eq!(String::from_utf8_lossy(&ls.stdout).trim(), "ca.pem");
    let cat = as_agent(&["cat", public.join("ca.pem").to_str().unwrap()]);
    assert!(cat.status.success());
    let pem = String::from_utf8(cat.stdout).unwrap();
    assert_eq!(
        pem,
        std::fs::read_to_string(data.join("ca/ca.pem")).unwrap()
    );
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && !pem.contains("PRIVATE KEY"));
}

fn delete(volume: &str) -> String {
    format!(
        r#"{{"query":"mutation VolumeDelete($id: String!) {{ volumeDelete(volumeId: $id) }}","variables":{{"id":"{volume}"}},"operationName":"VolumeDelete"}}"#
    )
}

async fn agent(proxy: SocketAddr, ca_pem: &str, body: &str) -> wire::Resp {
    let (status, _, tcp) = wire::connect(proxy, &format!("{RAILWAY_HOST}:443"), &[]).await;
    assert_eq!(status, 200);
    let tls = wire::tls(tcp, RAILWAY_HOST, ca_pem, &[b"http/1.1"])
        .await
        .unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = gql_request(RAILWAY_HOST, RAILWAY_TOKEN, body).map(http_body_util::Full::new);
    let resp = tokio::time::timeout(Duration::from_secs(60), sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    wire::collect(resp).await
}

fn volume_deletes(fake: &Fake) -> Vec<String> {
    fake.received()
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("volumeDelete"))
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

/// One plain HTTP/1.1 request to the dashboard: the status code.
fn dashboard_request(base: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> u16 {
    dashboard_send(base, method, path, headers, "")
}

/// [`dashboard_request`] with a body.
fn dashboard_send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> u16 {
    let addr = base.strip_prefix("http://").unwrap();
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    tcp.write_all(req.as_bytes()).unwrap();
    let mut res = String::new();
    let _ = tcp.read_to_string(&mut res);
    res.split(' ').nth(1).unwrap().parse().unwrap()
}

/// What holding a session key gets: an admin session for `alice`'s
/// dashboard, as a cookie header and its CSRF token.
fn forged(
    key: &[u8],
    users: Vec<scopegate_web::UserConfig>,
    user: &str,
    role: Role,
) -> (String, String) {
    let auth = Auth::new(
        &DashboardConfig {
            users,
            ..DashboardConfig::default()
        },
        key,
    )
    .unwrap();
    let c = auth
        .issue_session(user, role, scopegate_store::approvals::now_ms())
        .unwrap();
    (format!("sg_session={c}"), auth.csrf_for(&c))
}

fn configured_users(dir: &Path) -> Vec<scopegate_web::UserConfig> {
    let mut c = DashboardConfig {
        users_file: Some(dir.join("users.toml")),
        ..DashboardConfig::default()
    };
    c.load_users_file().unwrap();
    c.users
}

async fn wait_pending(api: &ApiClient, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let p: Vec<String> = api
            .list(Some("pending"))
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.approval.id.into_string())
            .collect();
        if p.len() >= n {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no pending approval appeared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_sidecar_layout_the_agent_cannot_approve_its_own_request() {
    init();
    if skip_unless_root() {
        return;
    }
    let dir = TempDir::new("private-sidecar");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    users_file(&dir);
    let config = dir.write(
        "scopegate.toml",
        settings(free_port(), Some(&fake), "users_file = \"users.toml\""),
    );
    let s = serve(&config);
    let data = dir.path().join("data");
    let session_key = data.join("dashboard-session.key");

    // the agent's view: the exported certificate, nothing else
    let cat = as_agent(&["cat", dir.path().join("ca-public/ca.pem").to_str().unwrap()]);
    assert!(cat.status.success());
    let ca_pem = String::from_utf8(cat.stdout).unwrap();
    for f in [
        &session_key,
        &data.join("ca/ca-key.pem"),
        &data.join("scopegate.db"),
    ] {
        assert_agent_cannot_read(f);
    }

    // the agent's volumeDelete is held
    let waiting = tokio::spawn({
        let (ca_pem, proxy) = (ca_pem.clone(), s.proxy);
        async move { agent(proxy, &ca_pem, &delete("vol-prod-db-1")).await }
    });
    let approver = ApiClient::new(&s.dashboard, API_TOKEN).unwrap();
    let id = wait_pending(&approver, 1).await.remove(0);

    // every attempt to approve it fails
    let as_agent_token = ApiClient::new(&s.dashboard, RAILWAY_TOKEN).unwrap();
    assert!(
        as_agent_token
            .resolve(&id, Resolution::Approve, "")
            .await
            .is_err(),
        "its own token"
    );
    let approve = format!("/api/approvals/{id}/approve");
    for key in [[0u8; 32], [0x61; 32]] {
        for (user, role) in [("alice", Role::Approver), ("bootstrap", Role::Admin)] {
            let users = if user == "bootstrap" {
                vec![]
            } else {
                configured_users(dir.path())
            };
            let (cookie, csrf) = forged(&key, users, user, role);
            let status = dashboard_request(
                &s.dashboard,
                "POST",
                &approve,
                &[("Cookie", &cookie), ("x-csrf-token", &csrf)],
            );
            assert_eq!(
                status, 401,
                "a session signed with a guessed key for {user}"
            );
        }
    }
    assert_eq!(
        dashboard_request(&s.dashboard, "GET", "/bootstrap/guessed-link", &[]),
        400,
        "no bootstrap link while users exist"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        volume_deletes(&fake).is_empty(),
        "nothing reached the provider"
    );
    let a = approver.get(&id).await.unwrap().approval;
    assert_eq!(
        (a.state.as_str(), a.decided_by.as_deref()),
        ("pending", None)
    );

    // a human rejects it; the agent is told, and the provider saw nothing
    approver
        .resolve(&id, Resolution::Reject, "not yours to approve")
        .await
        .unwrap();
    let resp = waiting.await.unwrap();
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert!(
        resp.text().contains("not yours to approve"),
        "{}",
        resp.text()
    );
    assert!(volume_deletes(&fake).is_empty());

    // the control, and the reason for the rule: a process running as
    // scopegate's own user reads the key, signs itself a session and
    // releases a held request (the incident)
    let insider = tokio::spawn({
        let (ca_pem, proxy) = (ca_pem.clone(), s.proxy);
        async move { agent(proxy, &ca_pem, &delete("vol-2")).await }
    });
    let second = wait_pending(&approver, 1).await.remove(0);
    let key = std::fs::read_to_string(&session_key).unwrap();
    let (cookie, csrf) = forged(
        key.trim().as_bytes(),
        configured_users(dir.path()),
        "alice",
        Role::Approver,
    );
    let status = dashboard_send(
        &s.dashboard,
        "POST",
        &format!("/api/approvals/{second}/approve"),
        &[("Cookie", &cookie), ("x-csrf-token", &csrf)],
        r#"{"confirm": "vol-2"}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(insider.await.unwrap().status, 200);
    assert_eq!(volume_deletes(&fake), vec![delete("vol-2")]);
}

#[test]
fn scopegate_ca_points_agents_at_the_exported_certificate_only() {
    let dir = TempDir::new("private-ca");
    dir.write("scope.toml", standard_scope_map());
    let config = dir.write("scopegate.toml", settings(free_port(), None, ""));
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["ca", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let data = dir.path().join("data");
    let exported = std::fs::canonicalize(dir.path().join("ca-public/ca.pem")).unwrap();
    assert!(
        text.starts_with(&format!(
            "scopegate interception CA: {} (generated now)",
            exported.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("--cacert {} ", exported.display())),
        "{text}"
    );
    assert!(
        !text.contains("ca-key.pem") && !text.contains("/data/ca/"),
        "{text}"
    );
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("ca/ca-key.pem")), 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path().join("ca-public"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["ca.pem"]);
}

/// With hot reload, a scope map (or its folder, or the settings) that an
/// agent could write is a way round every rule: serve refuses it.
#[test]
fn serve_refuses_a_scope_map_or_settings_others_can_change() {
    let dir = TempDir::new("private-config");
    let map = dir.write("scope.toml", standard_scope_map());
    users_file(&dir);
    let config = dir.write(
        "scopegate.toml",
        settings(free_port(), None, "users_file = \"users.toml\""),
    );
    let shown = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();
    chmod(&map, 0o666);
    chmod(&config, 0o664);
    let (code, err) = refused(&config);
    assert_eq!(code, 3, "{err}");
    for (path, mode) in [(&map, "0666"), (&config, "0664")] {
        let p = shown(path);
        assert!(
            err.contains(&format!("{p} ("))
                && err.contains(&format!("has mode {mode}"))
                && err.contains(&format!("Fix: chmod go-w {p}")),
            "{p}: {err}"
        );
    }
    assert!(
        !dir.path().join("data").exists(),
        "refused before touching anything"
    );
}

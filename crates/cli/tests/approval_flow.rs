//! The incident, end to end through `scopegate serve`: an agent's
//! `volumeDelete` is held; an approver signs in to the dashboard in headless
//! Chromium and approves it; the agent's waiting request completes with the
//! provider's response. And the ways around it fail: a replayed grant, a
//! grant reused for another volume, a rejection, the agent's own token
//! against the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use scopegate_model::Resolution;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{API_TOKEN, Serve, browser_or_skip, browser_script, free_port};

use scopegate_e2e::{
    Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, gql_request, init, standard_scope_map, wire,
};
use scopegate_web::ApiClient;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn serve(dir: &TempDir, fake: &Fake) -> Serve {
    serve_with(dir, fake, "data", "")
}

/// `common::serve_with`, holding requests 20 s (`extra`: a shared `[store]`
/// for replicas).
fn serve_with(dir: &TempDir, fake: &Fake, data: &str, extra: &str) -> Serve {
    common::serve_with(
        dir,
        fake,
        data,
        &format!("{extra}\n[approvals]\nhold_secs = 20\n"),
    )
}

fn delete(volume: &str) -> String {
    format!(
        r#"{{"query":"mutation VolumeDelete($id: String!) {{ volumeDelete(volumeId: $id) }}","variables":{{"id":"{volume}"}},"operationName":"VolumeDelete"}}"#
    )
}

async fn agent(proxy: SocketAddr, ca_pem: &str, body: &str) -> wire::Resp {
    common::send(
        proxy,
        ca_pem,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, body),
    )
    .await
}

async fn pending(api: &ApiClient) -> Vec<String> {
    api.list(Some("pending"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.approval.id.into_string())
        .collect()
}

async fn wait_pending(api: &ApiClient, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let p = pending(api).await;
        if p.len() >= n {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no pending approval appeared");
}

fn volume_deletes(fake: &Fake) -> Vec<String> {
    fake.received()
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("volumeDelete"))
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_in_the_browser_releases_the_waiting_request() {
    init();
    if !browser_or_skip() {
        return;
    }
    let dir = TempDir::new("approval-flow");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let s = serve(&dir, &fake);
    let ca_pem = std::fs::read_to_string(dir.path().join("ca-data/ca.pem")).unwrap();

    let api = ApiClient::new(&s.dashboard, API_TOKEN).unwrap();
    // At a phone's width and at a desktop's, each with its own request.
    for (width, volume) in [(390, "vol-prod-db-1"), (1280, "vol-stage-2")] {
        // the agent's call waits...
        let waiting = tokio::spawn({
            let ca_pem = ca_pem.clone();
            let proxy = s.proxy;
            async move { agent(proxy, &ca_pem, &delete(volume)).await }
        });
        let ids = wait_pending(&api, 1).await;
        assert!(
            volume_deletes(&fake).iter().all(|d| !d.contains(volume)),
            "nothing reaches the provider while held"
        );
        // ...while a human approves it in the dashboard, typing the volume
        let shots = repo_root().join(format!("target/screenshots/approval-flow-{width}"));
        let out = approve_in_browser(&s.dashboard, &shots, width, volume);
        assert!(
            out.contains(&ids[0]),
            "the browser approved {}: {out}",
            ids[0]
        );
        assert!(
            out.contains("the provider answered HTTP 200"),
            "the page showed the provider's result: {out}"
        );
        assert!(
            shots.join("04-confirm-typed.png").exists()
                && shots.join("04-approved.png").exists()
                && !shots.join("failure.png").exists(),
            "screenshots kept as artifacts"
        );
        // the agent's request completes with the provider's real response
        let resp = waiting.await.unwrap();
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.text(), r#"{"data":{"ok":true}}"#);
        let a = api.get(&ids[0]).await.unwrap().approval;
        assert_eq!(
            (a.state.as_str(), a.decided_by.as_deref()),
            ("used", Some("alice"))
        );
    }
    assert_eq!(
        volume_deletes(&fake),
        vec![delete("vol-prod-db-1"), delete("vol-stage-2")],
        "each forwarded exactly once, byte for byte"
    );
}

/// Runs tests/browser/approve.mjs as alice at `width`, typing `volume`
/// to confirm; its stdout (one JSON line).
fn approve_in_browser(dashboard: &str, shots: &Path, width: u32, volume: &str) -> String {
    let _ = std::fs::remove_dir_all(shots);
    let out = browser_script("approve.mjs", dashboard)
        .args(["--out", shots.to_str().unwrap()])
        .args(["--note", "staging volume, fine"])
        .args(["--width", &width.to_string(), "--confirm", volume])
        .args(["--result", "the provider answered HTTP 200"])
        // nothing resolved here: the catalogue's warning and safer step
        .args([
            "--expect",
            "its backups are deleted with it|Safer: create a backup first",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "browser at {width}px: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_cannot_be_replayed_or_reused_and_rejections_reach_the_agent() {
    init();
    let dir = TempDir::new("approval-abuse");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let s = serve(&dir, &fake);
    let ca_pem = std::fs::read_to_string(dir.path().join("ca-data/ca.pem")).unwrap();
    let api = ApiClient::new(&s.dashboard, API_TOKEN).unwrap();

    // the agent's own credentials cannot approve anything
    let as_agent = ApiClient::new(&s.dashboard, RAILWAY_TOKEN).unwrap();
    assert!(as_agent.list(Some("pending")).await.is_err());

    // approved through the API while the agent waits
    let waiting = tokio::spawn({
        let (ca_pem, proxy) = (ca_pem.clone(), s.proxy);
        async move { agent(proxy, &ca_pem, &delete("vol-1")).await }
    });
    let id = wait_pending(&api, 1).await.remove(0);
    assert!(
        as_agent
            .resolve(&id, Resolution::Approve, "")
            .await
            .is_err(),
        "an agent's token is refused"
    );
    api.resolve_with(&id, Resolution::Approve, "ok", Some("vol-1"))
        .await
        .unwrap();
    assert_eq!(waiting.await.unwrap().status, 200);
    assert_eq!(volume_deletes(&fake).len(), 1);
    // the approval says what became of the request: released, and what
    // the provider answered (once the log has it)
    let mut happened = String::new();
    for _ in 0..100 {
        happened = api
            .get(&id)
            .await
            .unwrap()
            .what_happened
            .unwrap_or_default();
        if happened.contains("HTTP") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        happened.starts_with("Released at ")
            && happened.ends_with("the provider answered HTTP 200."),
        "{happened}"
    );

    // replaying the same request: the grant was used; it is held again
    // (a new approval), and nothing reaches the provider
    let replay = tokio::spawn({
        let (ca_pem, proxy) = (ca_pem.clone(), s.proxy);
        async move { agent(proxy, &ca_pem, &delete("vol-1")).await }
    });
    let second = wait_pending(&api, 1).await.remove(0);
    assert_ne!(second, id);
    // another volume id is yet another approval, not covered by any grant
    let other = tokio::spawn({
        let (ca_pem, proxy) = (ca_pem.clone(), s.proxy);
        async move { agent(proxy, &ca_pem, &delete("vol-2")).await }
    });
    let both = wait_pending(&api, 2).await;
    let third = both.into_iter().find(|p| *p != second).unwrap();
    assert_eq!(volume_deletes(&fake).len(), 1);

    // rejections reach the agents, with the note
    api.resolve(&second, Resolution::Reject, "replays are not ok")
        .await
        .unwrap();
    api.resolve(&third, Resolution::Reject, "vol-2 is production")
        .await
        .unwrap();
    let replay = replay.await.unwrap();
    assert_eq!(replay.status, 403);
    assert!(
        replay.text().contains("replays are not ok"),
        "{}",
        replay.text()
    );
    let other = other.await.unwrap();
    assert_eq!(other.status, 403);
    assert!(
        other.text().contains("vol-2 is production"),
        "{}",
        other.text()
    );
    assert_eq!(
        volume_deletes(&fake).len(),
        1,
        "only the approved request ever reached the provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_on_one_replica_approved_through_another_released_on_the_first() {
    init();
    let url = match std::env::var("SCOPEGATE_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but SCOPEGATE_TEST_DATABASE_URL is not"
            );
            eprintln!("skipped: two replicas need Postgres (set SCOPEGATE_TEST_DATABASE_URL)");
            return;
        }
    };
    // a fresh database for the two replicas
    let db = format!("sg_test_replicas_{}", std::process::id());
    let admin = sqlx_admin(&url, &format!("CREATE DATABASE {db}")).await;
    let shared = format!("{}/{db}", admin.rsplit_once('/').unwrap().0);
    let dir = TempDir::new("replicas");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let store = format!("[store]\nurl = \"{shared}\"\n");
    let a = serve_with(&dir, &fake, "data-a", &store);
    let b = serve_with(&dir, &fake, "data-b", &store);
    let ca_a = std::fs::read_to_string(dir.path().join("ca-data-a/ca.pem")).unwrap();

    // the agent goes through replica A...
    let waiting = tokio::spawn({
        let proxy = a.proxy;
        async move { agent(proxy, &ca_a, &delete("vol-9")).await }
    });
    // ...the approver uses replica B's dashboard
    let api_b = ApiClient::new(&b.dashboard, API_TOKEN).unwrap();
    let id = wait_pending(&api_b, 1).await.remove(0);
    api_b
        .resolve_with(&id, Resolution::Approve, "via replica B", Some("vol-9"))
        .await
        .unwrap();
    // A releases it: only NOTIFY (or the poll) can have told A
    let resp = waiting.await.unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(volume_deletes(&fake), vec![delete("vol-9")]);
    drop((a, b));
    sqlx_admin(&url, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
}

async fn sqlx_admin(url: &str, sql: &str) -> String {
    use sqlx::Connection as _;
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap();
    url.to_owned()
}

/// `scopegate approvals` as an approver runs it, with the settings file
/// given before or after the subcommand.
fn approvals_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .env("SCOPEGATE_API_TOKEN", API_TOKEN)
        .env_remove("SCOPEGATE_DASHBOARD_URL")
        .env_remove("SCOPEGATE_CONFIG")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approvals_cli_finds_the_dashboard_from_its_listen_address() {
    init();
    let dir = TempDir::new("approvals-cli");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    // [dashboard] has a listen address on a free port and no public_url
    let s = serve(&dir, &fake);
    let config = dir
        .path()
        .join("scopegate-data.toml")
        .to_str()
        .unwrap()
        .to_owned();
    let ca_pem = std::fs::read_to_string(dir.path().join("data/ca/ca.pem")).unwrap();
    let waiting = tokio::spawn({
        let proxy = s.proxy;
        async move { agent(proxy, &ca_pem, &delete("vol-prod-db-1")).await }
    });
    let api = ApiClient::new(&s.dashboard, API_TOKEN).unwrap();
    let id = wait_pending(&api, 1).await.remove(0);

    for args in [
        ["approvals", "list", "-c", &config],
        ["-c", &config, "approvals", "list"],
        ["approvals", "-c", &config, "list"],
    ] {
        let args = args.map(str::to_owned);
        let out = tokio::task::spawn_blocking({
            let args = args.clone();
            move || approvals_cli(&args.each_ref().map(String::as_str))
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&id))
            .unwrap_or_else(|| panic!("{args:?}: {stdout}"));
        for want in [
            " pending ",
            "railway:volumeDelete (destructive) volumeId=vol-prod-db-1",
            " attempts=1 ",
            "token=railway-domains",
        ] {
            assert!(line.contains(want), "{want:?} in {line}");
        }
        let age = line
            .split("age=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        assert!(
            age.ends_with('s') && age[..age.len() - 1].parse::<u64>().unwrap() < 60,
            "{line}"
        );
    }

    // approving from the command line releases the waiting request, once
    // the volume it destroys is typed
    let approve_cli = |confirm: Option<&str>| {
        let (id, config) = (id.clone(), config.to_owned());
        let confirm = confirm.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["approvals", "approve", &id, "--note", "from the cli"];
            if let Some(c) = &confirm {
                args.extend(["--confirm", c]);
            }
            args.extend(["-c", &config]);
            approvals_cli(&args)
        })
    };
    for wrong in [None, Some("vol-prod-db")] {
        let refused = approve_cli(wrong).await.unwrap();
        let said = String::from_utf8_lossy(&refused.stdout);
        assert_eq!(refused.status.code(), Some(1), "{wrong:?}: {said}");
        assert!(
            said.contains("was not approved") && said.contains("vol-prod-db-1"),
            "{wrong:?}: the refusal names what to type: {said}"
        );
    }
    assert!(volume_deletes(&fake).is_empty());
    let approve = approve_cli(Some("vol-prod-db-1")).await.unwrap();
    assert!(
        approve.status.success(),
        "{}",
        String::from_utf8_lossy(&approve.stderr)
    );
    assert_eq!(waiting.await.unwrap().status, 200);
    assert_eq!(volume_deletes(&fake), vec![delete("vol-prod-db-1")]);
    let a = api.get(&id).await.unwrap().approval;
    assert_eq!(
        (a.decided_by.as_deref(), a.note.as_deref()),
        (Some("alice"), Some("from the cli"))
    );
}

#[test]
fn an_unreachable_dashboard_is_named_and_the_token_is_not_blamed() {
    let dir = TempDir::new("approvals-cli-unreachable");
    let port = free_port();
    let config = dir.write(
        "scopegate.toml",
        format!("version = 1\nscope_map = \"scope.toml\"\n\n[dashboard]\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let out = approvals_cli(&["approvals", "list", "-c", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "cannot reach the dashboard at http://127.0.0.1:{port}"
        )),
        "{err}"
    );
    assert!(
        err.contains("[dashboard] listen"),
        "says where the address came from: {err}"
    );
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    assert!(
        !err.to_lowercase().contains("token"),
        "the token is not blamed: {err}"
    );
}

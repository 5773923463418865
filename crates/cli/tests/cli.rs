//! The `scopegate` binary as a user runs it: exit codes, text and JSON
//! output, stdin, and configuration errors that name file and line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scopegate(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(b) = stdin {
        input.write_all(b).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const DOMAINS: &str = "config/examples/railway-domains.toml";

#[test]
fn check_exit_codes_follow_the_verdict() {
    let held = scopegate(
        &[
            "check",
            "--config",
            DOMAINS,
            "config/examples/requests/volume-delete.http",
        ],
        None,
    );
    assert_eq!(held.status.code(), Some(2), "{}", text(&held.stderr));
    let out = text(&held.stdout);
    assert!(
        out.contains("railway:volumeDelete (destructive) volumeId=vol-prod-db-1"),
        "{out}"
    );
    assert!(
        out.contains("decision: approve by rule railway-domains/hold-destructive"),
        "{out}"
    );

    let allowed = scopegate(
        &[
            "check",
            "--config",
            DOMAINS,
            "config/examples/requests/custom-domain-create.http",
        ],
        None,
    );
    assert_eq!(allowed.status.code(), Some(0));

    let denied = b"POST https://backboard.railway.com/graphql/v2 HTTP/1.1\nContent-Type: application/json\nAuthorization: Bearer demo-railway-domains-token\n\n{\"query\":\"mutation { serviceCreate(input: {}) { id } }\"}";
    let out = scopegate(&["check", "--config", DOMAINS, "-"], Some(denied));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("builtin:no-matching-rule"));
}

#[test]
fn check_json_has_the_documented_shape() {
    let out = scopegate(
        &[
            "check",
            "--json",
            "--config",
            DOMAINS,
            "config/examples/requests/volume-delete.http",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "approve");
    assert_eq!(v["rule"], "railway-domains/hold-destructive");
    assert!(v["reason"].as_str().unwrap().contains("volumeDelete"));
    assert_eq!(
        v["operations"],
        serde_json::json!([{"provider": "railway", "name": "volumeDelete", "class": "destructive", "resources": {"volumeId": ["vol-prod-db-1"]}}])
    );
    // the token itself is never printed, only a fingerprint prefix
    assert!(!text(&out.stdout).contains("demo-railway-domains-token"));
}

#[test]
fn usage_and_config_errors_exit_3_and_say_where() {
    let out = scopegate(&["check"], None);
    assert_eq!(out.status.code(), Some(3));
    let out = scopegate(&["check", "--config", "nope.toml", "x.http"], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("cannot read nope.toml"),
        "{}",
        text(&out.stderr)
    );

    let dir = std::env::temp_dir().join(format!("sg-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "version = 1\n[[token]]\nname = \"a\"\nfingerprint = \"sha256:00\"\n",
    )
    .unwrap();
    let out = scopegate(
        &[
            "check",
            "--config",
            bad.to_str().unwrap(),
            "config/examples/requests/volume-delete.http",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml:4:15: expected sha256:<64 hex digits>"),
        "{err}"
    );
    let out = scopegate(
        &["check", "--config", DOMAINS, "-"],
        Some(b"GET https://example.com/ HTTP/1.1\n\n"),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("not a provider host"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn token_fingerprint_matches_the_example_map() {
    let out = scopegate(
        &["token", "fingerprint"],
        Some(b"demo-railway-domains-token\n"),
    );
    assert_eq!(out.status.code(), Some(0));
    let fp = text(&out.stdout).trim().to_owned();
    assert!(fp.starts_with("sha256:") && fp.len() == 71, "{fp}");
    let map = std::fs::read_to_string(root().join(DOMAINS)).unwrap();
    assert!(map.contains(&fp));
}

#[test]
fn token_issue_prints_a_surrogate_and_its_fingerprint() {
    let out = scopegate(&["token", "issue"], None);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    let token = s.lines().next().unwrap().rsplit(' ').next().unwrap();
    assert!(token.starts_with("sgs_") && token.len() == 52, "{s}");
    let fp = scopegate(&["token", "fingerprint"], Some(token.as_bytes()));
    assert!(s.contains(text(&fp.stdout).trim()), "{s}");
}

#[test]
fn token_issue_for_aws_prints_a_key_pair_and_writes_its_secret_privately() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("scopegate-cli-aws-issue-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("agent.secret");
    let args = ["token", "issue", "--provider", "aws", "--secret-file"];
    // given relative to where it runs, printed absolute (a scope map reads
    // files relative to its own folder)
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args([&args[..], &["agent.secret"]].concat())
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let value = |key: &str| {
        s.lines()
            .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix(" = "))
            .unwrap()
            .to_owned()
    };
    let (id, secret) = (value("aws_access_key_id"), value("aws_secret_access_key"));
    assert!(id.starts_with("AKSG") && id.len() == 20, "{s}");
    assert_eq!(secret.len(), 40, "{s}");
    let fp = scopegate(&["token", "fingerprint"], Some(id.as_bytes()));
    assert!(
        s.contains(&format!("surrogate = \"{}\"", text(&fp.stdout).trim())),
        "{s}"
    );
    assert!(
        s.contains(&format!(
            "surrogate_secret = {{ file = \"{}\" }}",
            file.display()
        )),
        "{s}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), secret);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // never replaces a secret already issued
    let again = scopegate(&[&args[..], &[file.to_str().unwrap()]].concat(), None);
    assert_ne!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("must not exist yet"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), secret);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn policy_diff_reports_verdict_changes_and_exits_by_direction() {
    let dir = std::env::temp_dir().join(format!("scopegate-cli-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::read_to_string(root().join("config/examples/railway-agent.toml")).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let old = write("old.toml", &base);
    let same = write(
        "same.toml",
        &base.replace("volumes-need-a-human", "volumes-wait-for-a-human"),
    );
    let wider = write(
        "wider.toml",
        &base.replace("effect = \"approve\"", "effect = \"allow\""),
    );
    let diff = |new: &str, json: bool| {
        let mut args = vec!["policy", "diff", old.as_str(), new];
        if json {
            args.push("--json");
        }
        scopegate(&args, None)
    };
    let out = diff(&same, false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "no verdict changes\n");
    let out = diff(&wider, false);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("WIDENS  approve → allow") && s.contains("railway:volumeDelete (destructive)"),
        "{s}"
    );
    let out = diff(&wider, true);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["widens"], true);
    assert!(
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["operation"] == "railway:volumeDelete"
                && c["old"] == "approve"
                && c["new"] == "allow")
    );
    // the log's real requests: a held volume delete would now pass, a read
    // is unchanged
    let record = |id: &str, op: &str, class: &str| {
        serde_json::json!({
            "id": id, "at_unix_ms": 1, "agent": null, "token": "agent",
            "fingerprint_prefix": "96fc6cea30fc", "provider": "railway",
            "host": "backboard.railway.com", "method": "POST", "path": "/graphql/v2",
            "request_digest": "d",
            "operations": [{"provider": "railway", "name": op, "class": class, "resources": {}}],
            "verdict": "approve", "mode": "enforce", "forwarded": false, "rule": "r",
            "reason": "", "decide_micros": 1, "upstream_status": null,
            "upstream_millis": null, "seq": 1, "hash": "h",
        })
        .to_string()
    };
    let log = write(
        "log.jsonl",
        &format!(
            "{}\n{}\n",
            record("dec_a", "volumeDelete", "destructive"),
            record("dec_b", "me", "read")
        ),
    );
    let out = scopegate(
        &["policy", "diff", &old, &wider, "--against-log", &log],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let s = text(&out.stdout);
    assert!(
        s.contains("against the log: 1 of 2 logged request(s) change"),
        "{s}"
    );
    assert!(s.contains("WIDENS  approve → allow  dec_a POST backboard.railway.com/graphql/v2 [railway:volumeDelete] token agent"), "{s}");
    // the other way round only narrows
    let out = scopegate(&["policy", "diff", &wider, &old], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("narrows allow → approve"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn policy_test_command_reports_and_exits() {
    let out = scopegate(&["policy", "test", "tests/policy/incident.toml"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(" passed, 0 failed"));
}

/// Copies the files under `from` into `to`, replacing what is there.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn bundled_catalogues_are_what_the_generator_makes() {
    // A schema update is one command; this keeps the committed files honest.
    let shared = root().join("../shared/providers");
    if !shared.exists() {
        eprintln!("skipped: ../shared/providers is not present");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sg-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // As scripts/generate-catalogs does: config/catalog/sources overlays
    // the shared providers' folder.
    let providers = dir.join("providers");
    copy_tree(&shared, &providers);
    copy_tree(&root().join("config/catalog/sources"), &providers);
    let registry = scopegate_inspect::catalog::registry::Registry::bundled().unwrap();
    let overrides = registry.providers.iter().map(|p| p.overrides.as_str());
    for f in overrides.chain(["providers.toml"]) {
        std::fs::copy(root().join("config/catalog").join(f), dir.join(f)).unwrap();
    }
    let out = scopegate(
        &[
            "catalog",
            "generate",
            "--providers",
            providers.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for f in registry.providers.iter().map(|p| p.catalog.as_str()) {
        let fresh = std::fs::read_to_string(dir.join(f)).unwrap();
        let committed = std::fs::read_to_string(root().join("config/catalog").join(f)).unwrap();
        assert!(
            fresh == committed,
            "config/catalog/{f} is stale: run scripts/generate-catalogs"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_typo_under_dashboard_names_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("sg-cli-dash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let settings = dir.join("scopegate.toml");
    std::fs::write(
        &settings,
        format!(
            "version = 1\nscope_map = \"{}\"\ndata_dir = \"data\"\n\n[proxy]\nlisten = \"127.0.0.1:0\"\n\n[admin]\nlisten = \"127.0.0.1:0\"\n\n[dashboard]\nlisten = \"127.0.0.1:0\"\npubic_url = \"https://dash.example\"\n",
            root().join(DOMAINS).display()
        ),
    )
    .unwrap();
    let want = format!(
        "{}:13:1: [dashboard]: unknown field `pubic_url`",
        settings.display()
    );
    for args in [
        vec!["serve", "-c", settings.to_str().unwrap()],
        vec!["approvals", "list", "-c", settings.to_str().unwrap()],
    ] {
        let out = scopegate(&args, None);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(&want), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn catalog_list_shows_every_registered_provider_and_its_operations() {
    let out = scopegate(&["catalog", "list"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let registry = scopegate_inspect::catalog::registry::Registry::bundled().unwrap();
    for p in &registry.providers {
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with(&format!("# {}: ", p.name))),
            "{} is not listed",
            p.name
        );
    }
    let out = scopegate(&["catalog", "list", "cloudflare"], None);
    let cf = text(&out.stdout);
    assert!(
        cf.lines()
            .any(|l| l == "cloudflare:dns.records.batch\twrite,destructive\tzone_id"),
        "{cf}"
    );
    assert!(cf.lines().all(|l| l.starts_with("cloudflare:")), "{cf}");
    let out = scopegate(&["catalog", "list", "nope"], None);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("known: railway, github"));
}

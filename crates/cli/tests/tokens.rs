//! `scopegate tokens` on an exported log (fixtures/tokens/log.jsonl): a
//! classic GitHub token whose answers said `repo, delete_repo`, used for
//! reads of one repository, is over-scoped under a map that allows those
//! reads, and not under one as broad as its scopes; `--check` makes that
//! the exit status, for CI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokens")
}

/// `scopegate tokens` over the fixture log with `map`: exit code, stdout,
/// stderr.
fn tokens(map: &str, extra: &[&str]) -> (i32, String, String) {
    let (log, map) = (fixtures().join("log.jsonl"), fixtures().join(map));
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["tokens", "--from-log", log.to_str().unwrap()])
        .args(["--scope-map", map.to_str().unwrap(), "--days", "100000"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn an_over_scoped_token_is_flagged_and_check_makes_it_the_exit_status() {
    let (code, text, _) = tokens("scope.toml", &[]);
    assert_eq!(code, 0, "{text}");
    for line in [
        "release-bot (enforce)",
        "  used     2 requests in the last 100000 days, using 2 read operations",
        "  granted  github: scopes repo, delete_repo, workflow; expires 2027-01-31 12:00:00 UTC; can delete; the endpoints used needed repo",
        "  OVER-SCOPED: its grant lets it delete; its scope map and its use go no further than read",
        "           → create a fine-grained personal access token limited to repository acme/api with permissions contents=read, metadata=read, pull_requests=read",
    ] {
        assert!(text.contains(line), "{line}\n---\n{text}");
    }
    let (code, json, _) = tokens("scope.toml", &["--json", "--check"]);
    assert_eq!(code, 1, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v[0]["granted"][0]["over_scoped"]["create"],
        "a fine-grained personal access token"
    );
}

#[test]
fn a_map_as_broad_as_the_grant_is_not_over_scoped_and_a_missing_token_names_the_fix() {
    let (code, text, _) = tokens("broad.toml", &["--check"]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("OVER-SCOPED"), "{text}");
    assert!(text.contains("can delete"), "{text}");
    let (code, _, err) = tokens("scope.toml", &["--token", "nobody"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("token `nobody` is not in") && err.contains("--scope-map"),
        "{err}"
    );
}

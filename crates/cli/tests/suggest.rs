//! `scopegate suggest` on a synthetic log (fixtures/suggest/log.jsonl):
//! the draft is the golden file `draft.toml` (set SCOPEGATE_BLESS=1 to
//! rewrite it), and `policy test` on it with the same kinds of requests
//! allows what was used, holds the destructive call seen and denies an
//! unseen destructive one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/suggest")
}

fn scopegate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn draft(explain: bool) -> String {
    let log = fixtures().join("log.jsonl");
    let mut args = vec![
        "suggest",
        "--token",
        "agent",
        "--from-log",
        log.to_str().unwrap(),
        "--scope-map",
        "config/examples/railway-agent.toml",
        "--days",
        "100000",
    ];
    if explain {
        args.push("--explain");
    }
    let out = scopegate(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_draft_is_the_golden_file_and_passes_its_policy_tests() {
    let text = draft(false);
    let golden = fixtures().join("draft.toml");
    if std::env::var_os("SCOPEGATE_BLESS").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    assert_eq!(
        text,
        std::fs::read_to_string(&golden).unwrap(),
        "set SCOPEGATE_BLESS=1 to accept"
    );
    // the policy tests run against the golden file, so against this draft
    let policy = fixtures().join("draft.policy.toml");
    let out = scopegate(&["policy", "test", policy.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("5 passed, 0 failed"), "{said}");
}

#[test]
fn explain_names_the_records_each_rule_covers_and_a_missing_token_names_the_fix() {
    let text = draft(true);
    assert!(text.contains("# covers: dec_01, dec_02"), "{text}");
    assert!(text.contains("# covers: dec_06"), "{text}");
    assert!(
        !text.contains("dec_07") && !text.contains("dec_08"),
        "refused, or another token's: {text}"
    );
    let log = fixtures().join("log.jsonl");
    let out = scopegate(&[
        "suggest",
        "--token",
        "nobody",
        "--from-log",
        log.to_str().unwrap(),
        "--scope-map",
        "config/examples/railway-agent.toml",
    ]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("token `nobody` is not in") && err.contains("--scope-map"),
        "{err}"
    );
}

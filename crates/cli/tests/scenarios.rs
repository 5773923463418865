//! The scope-map scenario corpus (tests/policy/*.toml), run through the same
//! code as `scopegate policy test`: one test per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use scopegate_cli::policy_test;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_file(name: &str) {
    let results = policy_test::run(&root().join("tests/policy").join(name)).unwrap();
    assert!(results.len() >= 5, "{name}: too few cases");
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| r.failure.as_ref().map(|f| format!("{}: {f}", r.name)))
        .collect();
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn incident() {
    run_file("incident.toml");
}

#[test]
fn railway_agent() {
    run_file("railway-agent.toml");
}

#[test]
fn github_ci() {
    run_file("github-ci.toml");
}

#[test]
fn writes_by_effect() {
    run_file("writes-by-effect.toml");
}

/// Every scenario file is run, those of a provider just added included:
/// adding one is adding files.
#[test]
fn every_scenario_file_passes() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("tests/policy"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    for f in [
        "github-ci.toml",
        "incident.toml",
        "railway-agent.toml",
        "writes-by-effect.toml",
    ] {
        assert!(files.iter().any(|n| n == f), "{f} is missing");
    }
    for f in &files {
        run_file(f);
    }
}

#[test]
fn a_wrong_expectation_fails() {
    let dir = std::env::temp_dir().join(format!("sg-policy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let map = root().join("config/examples/railway-domains.toml");
    let file = dir.join("wrong.toml");
    std::fs::write(
        &file,
        format!(
            "scope_map = {:?}\n[[case]]\nname = \"wrong\"\nexpect = \"allow\"\nrule = \"x/y\"\noperations = [\"railway:nope\"]\nrequest = '''\nPOST https://backboard.railway.com/graphql/v2 HTTP/1.1\nContent-Type: application/json\nAuthorization: Bearer demo-railway-domains-token\n\n{{\"query\":\"mutation {{ volumeDelete(volumeId: \\\"v\\\") }}\"}}\n'''\n",
            map.display().to_string()
        ),
    )
    .unwrap();
    let results = policy_test::run(&file).unwrap();
    let failure = results[0].failure.as_deref().unwrap();
    assert!(failure.contains("expected allow, got approve"), "{failure}");
    assert!(failure.contains("expected rule x/y"), "{failure}");
    assert!(failure.contains("expected operations"), "{failure}");
    std::fs::remove_dir_all(dir).unwrap();
}

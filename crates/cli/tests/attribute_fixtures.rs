//! Scope maps whose rules name environments stay testable offline:
//! `check --attributes FILE` and `policy test` cases supply what ids
//! resolve to, and an attribute no fixture supplies is unresolved, as a
//! failed lookup would be (docs/resource-context.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scopegate_e2e::TempDir;

/// The incident's token by environment name: anything in staging and PR
/// environments; destructive calls in production held.
const MAP: &str = r#"version = 1
[[token]]
name = "agent"
fingerprint = "sha256:FP"

[[token.rule]]
id = "anything-in-staging"
effect = "allow"
resources = { environment = ["staging", "pr-*"] }

[[token.rule]]
id = "production-destructive-held"
effect = "approve"
class = ["destructive"]
resources = { environment = ["production"] }
"#;

fn request() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/examples/requests/volume-delete.http")
}

fn setup(dir: &TempDir) -> PathBuf {
    let fp = scopegate_web::token_fingerprint("demo-railway-domains-token");
    let fp = fp.trim_start_matches("sha256:");
    dir.write("map.toml", MAP.replace("FP", fp))
}

fn check(map: &Path, attributes: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scopegate"));
    cmd.arg("check").arg("-c").arg(map).arg(request());
    if let Some(a) = attributes {
        cmd.arg("--attributes").arg(a);
    }
    cmd.output().unwrap()
}

fn fixture(dir: &TempDir, name: &str, environment: &str) -> PathBuf {
    dir.write(
        name,
        format!("[attributes.\"volumeId:vol-prod-db-1\"]\nenvironment = {environment}\nproject = \"pocketos\"\n"),
    )
}

#[test]
fn check_decides_with_the_attributes_given_and_shows_them() {
    let dir = TempDir::new("fixtures-check");
    let map = setup(&dir);
    let staging = check(&map, Some(&fixture(&dir, "staging.toml", "\"staging\"")));
    let said = String::from_utf8_lossy(&staging.stdout);
    assert_eq!(staging.status.code(), Some(0), "{said}");
    assert!(said.contains("environment = staging"), "{said}");
    assert!(said.contains("project = pocketos"), "{said}");

    let prod = check(&map, Some(&fixture(&dir, "prod.toml", "\"production\"")));
    assert_eq!(
        prod.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&prod.stdout)
    );

    let failed = check(
        &map,
        Some(&fixture(
            &dir,
            "failed.toml",
            "{ unresolved = \"lookup timed out\" }",
        )),
    );
    let said = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(2), "held, never allowed: {said}");
    assert!(
        said.contains("environment: not resolved (lookup timed out)"),
        "{said}"
    );
}

#[test]
fn without_fixtures_nothing_is_resolved_and_no_allow_rests_on_it() {
    let dir = TempDir::new("fixtures-none");
    let map = setup(&dir);
    let out = check(&map, None);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("nothing is looked up offline"), "{said}");
}

#[test]
fn policy_test_cases_carry_attribute_fixtures() {
    let dir = TempDir::new("fixtures-policy-test");
    setup(&dir);
    let req = std::fs::read_to_string(request()).unwrap();
    let cases = format!(
        r#"scope_map = "map.toml"

[[case]]
name = "staging volumeDelete is allowed"
expect = "allow"
rule = "agent/anything-in-staging"
request = '''{req}'''
[case.attributes."volumeId:vol-prod-db-1"]
environment = "staging"

[[case]]
name = "production volumeDelete is held"
expect = "approve"
request = '''{req}'''
[case.attributes."volumeId:vol-prod-db-1"]
environment = "production"
"#
    );
    let file = dir.write("cases.toml", cases);
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["policy", "test"])
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("2 passed") || said.matches("ok").count() >= 2,
        "{said}"
    );
}

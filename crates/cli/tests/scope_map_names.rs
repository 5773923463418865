//! A misspelled name in a scope map does not load: not in `policy
//! validate`, not in `check`, not in `serve`'s reload. Before, a deny rule
//! for `railway:volumeDelte` next to an allow-all rule validated as `ok`
//! and `check` then allowed `volumeDelete`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scopegate_e2e::{RAILWAY_TOKEN, TempDir, fp};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scopegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn map(rules: &str) -> String {
    format!(
        "version = 1\n\n[[token]]\nname = \"railway-domains\"\nfingerprint = \"{}\"\n\n{rules}",
        fp(RAILWAY_TOKEN)
    )
}

const ALLOW_ALL: &str = "[[token.rule]]\nid = \"everything\"\neffect = \"allow\"\nclass = [\"read\", \"write\", \"destructive\"]\n\n";

#[test]
fn a_misspelled_deny_rule_does_not_load_and_names_the_fix() {
    let dir = TempDir::new("typo-deny");
    let file = dir.write(
        "scope.toml",
        map(&format!(
            "{ALLOW_ALL}[[token.rule]]\nid = \"never-delete-volumes\"\neffect = \"deny\"\noperations = [\"railway:volumeDelte\"]\n"
        )),
    );
    let file = file.to_str().unwrap();
    for args in [
        vec!["policy", "validate", file],
        vec![
            "check",
            "--config",
            file,
            "config/examples/requests/volume-delete.http",
        ],
    ] {
        let out = scopegate(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains("scope.toml:15:")
                && err.contains("`railway:volumeDelte` matches no operation")
                && err.contains("did you mean `railway:volumeDelete`?"),
            "{args:?}: {err}"
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("allow"),
            "nothing was decided"
        );
    }
}

#[test]
fn misspelled_providers_resource_keys_and_malformed_globs_do_not_load() {
    for (rule, want) in [
        (
            "operations = [\"railwy:volumeDelete\"]",
            "did you mean `railway`?",
        ),
        ("operations = [\"railway:[volume\"]", "has `[`"),
        (
            "operations = [\"railway:volume*\"]\nresources = { enviromentId = [\"env-prod\"] }",
            "did you mean `environmentId`?",
        ),
    ] {
        let dir = TempDir::new("typo-kinds");
        let file = dir.write(
            "scope.toml",
            map(&format!(
                "[[token.rule]]\nid = \"r\"\neffect = \"deny\"\n{rule}\n"
            )),
        );
        let out = scopegate(&["policy", "validate", file.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{rule}: {err}");
        assert!(err.contains(want), "{rule}: {err}");
    }
}

#[test]
fn a_rule_that_never_decides_is_a_warning() {
    let dir = TempDir::new("typo-shadow");
    let file = dir.write(
        "scope.toml",
        map("[[token.rule]]\nid = \"no-destroy\"\neffect = \"deny\"\nclass = [\"destructive\"]\n\n[[token.rule]]\nid = \"volumes\"\neffect = \"allow\"\noperations = [\"railway:volumeDelete\"]\n"),
    );
    let out = scopegate(&["policy", "validate", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: rule `volumes` of token `railway-domains` never decides"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok, 1 warning(s)"));
}

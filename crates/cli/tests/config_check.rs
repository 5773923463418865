//! `scopegate config check`: every shipped settings file passes; a file
//! with several mistakes gets every one, each with its line, and nothing is
//! created or bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn config_check(file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["config", "check", "-c", file.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sg-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The settings files the repository ships: the bundled one, every example
/// that is a settings file (the rest are scope maps), and the container's
/// (checked where compose mounts it: beside `examples/`).
#[test]
fn every_shipped_settings_file_checks_ok() {
    let deploy = temp("deploy");
    std::fs::copy(
        root().join("deploy/scopegate.toml"),
        deploy.join("scopegate.toml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root().join("config/examples"), deploy.join("examples")).unwrap();
    let examples = std::fs::read_dir(root().join("config/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            let t: toml::Table = toml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            t.contains_key("scope_map")
        });
    let files: Vec<PathBuf> = [
        root().join("config/scopegate.toml"),
        deploy.join("scopegate.toml"),
    ]
    .into_iter()
    .chain(examples)
    .collect();
    assert!(files.len() >= 3, "{files:?}");
    for f in &files {
        let out = config_check(f);
        assert_eq!(
            (out.status.code(), text(&out.stdout)),
            (Some(0), format!("{}: ok\n", f.display())),
            "{}",
            text(&out.stderr)
        );
    }
    std::fs::remove_dir_all(deploy).unwrap();
}

#[test]
fn every_mistake_is_reported_with_its_line_and_nothing_is_touched() {
    let dir = temp("mistakes");
    std::fs::write(
        dir.join("map.toml"),
        "version = 1\n\n[[token]]\nname = \"t\"\nfingerprint = \"sha256:7a748b32060e3a7a10710c8b5da81f17729d5343de9670d9af01bb3a50f8cbb9\"\n\n[[token.rule]]\nid = \"r\"\neffect = \"allow\"\noperations = [\"railway:volumeDelet\"]\n",
    )
    .unwrap();
    let settings = dir.join("scopegate.toml");
    std::fs::write(
        &settings,
        [
            "version = 1",                   // 1
            "scope_map = \"map.toml\"",      // 2
            "data_dir = \"data\"",           // 3
            "",                              // 4
            "[proxy]",                       // 5
            "listn = \"127.0.0.1:0\"",       // 6: a misspelt key
            "",                              // 7
            "[approvals]",                   // 8
            "hold_secs = 0",                 // 9
            "",                              // 10
            "[dashboard]",                   // 11
            "listen = \"127.0.0.1:0\"",      // 12
            "grant_window_secs = 60",        // 13: the knob is [approvals]'s
            "public_url = \"dash.example\"", // 14: not a URL
            "",
        ]
        .join("\n"),
    )
    .unwrap();
    let out = config_check(&settings);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let s = settings.display();
    let m = dir.join("map.toml");
    for want in [
        format!("{s}:6:1: [proxy]: unknown field `listn` (help: did you mean `listen`?)"),
        format!(
            "{s}:13:1: [dashboard] grant_window_secs is not read: the grant window is an approvals setting (help: move it to [approvals] grant_window_secs)"
        ),
        format!("{s}:14:1: [dashboard]: public_url must start with http:// or https://"),
        format!("{}:10:", m.display()),
    ] {
        assert!(err.lines().any(|l| l.starts_with(&want)), "{want}\n{err}");
    }
    assert!(err.contains("railway:volumeDelet"), "{err}");
    assert!(err.ends_with(&format!("{s}: 4 problem(s)\n")), "{err}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(
        !dir.join("data").exists(),
        "config check created the data folder"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A mistake in the settings no longer hides the checks that read the
/// disk: a misspelt key, a bad `[dashboard]` value and a file that is not
/// there are reported in one run.
#[test]
fn a_settings_mistake_and_a_missing_file_are_reported_together() {
    let dir = temp("together");
    let settings = dir.join("scopegate.toml");
    std::fs::write(
        &settings,
        [
            "version = 1",                   // 1
            "scope_map = \"no-map.toml\"",   // 2: not there
            "data_dir = \"data\"",           // 3
            "[proxy]",                       // 4
            "listn = \"127.0.0.1:0\"",       // 5: a misspelt key
            "[dashboard]",                   // 6
            "listen = \"127.0.0.1:0\"",      // 7
            "public_url = \"dash.example\"", // 8: not a URL
            "",
        ]
        .join("\n"),
    )
    .unwrap();
    let out = config_check(&settings);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let s = settings.display();
    for want in [
        format!(
            "{s}:2:1: scope_map {} does not exist",
            dir.join("no-map.toml").display()
        ),
        format!("{s}:5:1: [proxy]: unknown field `listn`"),
        format!("{s}:8:1: [dashboard]: public_url must start with http:// or https://"),
    ] {
        assert!(err.lines().any(|l| l.starts_with(&want)), "{want}\n{err}");
    }
    assert!(err.ends_with(&format!("{s}: 3 problem(s)\n")), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `[upstream] proxy`: a scheme scopegate cannot chain to, and a
/// `proxy_auth` file that is not there, are reported with the fix; the
/// password written in the URL is shown nowhere in the output.
#[test]
fn upstream_proxy_problems_are_reported_without_the_password() {
    let dir = temp("upstream-proxy");
    std::fs::write(dir.join("map.toml"), "version = 1\n").unwrap();
    let settings = dir.join("scopegate.toml");
    let write = |upstream: &str| {
        std::fs::write(
            &settings,
            format!(
                "version = 1\nscope_map = \"map.toml\"\ndata_dir = \"data\"\n[upstream]\n{upstream}\n"
            ),
        )
        .unwrap();
    };
    write("proxy = \"socks5://alice:hunter2@corp:1080\"");
    let out = config_check(&settings);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let s = settings.display();
    assert!(
        stderr.starts_with(&format!(
            "{s}:5:1: upstream.proxy `socks5://alice:***@corp:1080`: socks5:// proxies are not supported, only http://"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("(help: write the proxy as http://host:port"),
        "{stderr}"
    );
    assert!(
        !format!("{stdout}{stderr}").contains("hunter2"),
        "{stdout}{stderr}"
    );

    write("proxy = \"http://corp:3128\"\nproxy_auth = { file = \"corp-proxy-auth\" }");
    let out = config_check(&settings);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "{s}:6:1: upstream.proxy_auth: file {} does not exist",
            dir.join("corp-proxy-auth").display()
        )),
        "{stderr}"
    );
    std::fs::write(dir.join("corp-proxy-auth"), "alice:hunter2\n").unwrap();
    let out = config_check(&settings);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

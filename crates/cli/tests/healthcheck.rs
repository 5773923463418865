//! `scopegate healthcheck`, the image's HEALTHCHECK: exit 0 while serve's
//! admin listener answers ready, 1 when nothing answers, with the address
//! read from the settings file or given.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output};

use scopegate_e2e::{Fake, TempDir, TestCa, init, standard_scope_map};

fn healthcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .arg("healthcheck")
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn ready_serve_is_healthy_and_a_stopped_one_is_not() {
    init();
    let dir = TempDir::new("healthcheck");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let mut serve = common::serve_with(&dir, &fake, "data", "");
    let admin = serve.admin.to_string();

    let up = healthcheck(&["--admin", &admin]);
    let said = String::from_utf8_lossy(&up.stdout);
    assert_eq!(up.status.code(), Some(0), "{said}");
    assert!(said.contains("/readyz answered 200"), "{said}");
    let live = healthcheck(&["--admin", &admin, "--live"]);
    assert_eq!(live.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&live.stdout).contains("/healthz"));

    serve.child.kill().unwrap();
    serve.child.wait().unwrap();
    let down = healthcheck(&["--admin", &admin]);
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains("unhealthy"));
}

/// The address comes from the settings' `[admin] listen`; a wildcard
/// listener is asked on loopback.
#[test]
fn the_admin_address_comes_from_the_settings() {
    let dir = TempDir::new("healthcheck-settings");
    dir.write("scope.toml", standard_scope_map());
    let admin = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = admin.local_addr().unwrap().port();
    let config = dir.write(
        "scopegate.toml",
        format!(
            "version = 1\nscope_map = \"scope.toml\"\ndata_dir = \"data\"\n[admin]\nlisten = \"0.0.0.0:{port}\"\n"
        ),
    );
    let answer = std::thread::spawn(move || {
        let (mut conn, _) = admin.accept().unwrap();
        // The whole head before answering: closing with unread bytes
        // would reset the connection under the client.
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.ends_with(b"\r\n\r\n") {
            let n = std::io::Read::read(&mut conn, &mut buf).unwrap();
            assert!(n > 0, "the client closed mid-head");
            head.extend_from_slice(&buf[..n]);
        }
        std::io::Write::write_all(&mut conn, b"HTTP/1.0 200 OK\r\n\r\nready\n").unwrap();
        String::from_utf8_lossy(&head).into_owned()
    });
    let out = healthcheck(&["--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(answer.join().unwrap().starts_with("GET /readyz "));
}

#[test]
fn unreadable_settings_name_the_fix() {
    let out = healthcheck(&["--config", "/nonexistent/scopegate.toml"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("--admin HOST:PORT"), "{said}");
}

//! A scope map reloaded while `scopegate serve` runs is held to the same
//! rule as one loaded at start: a surrogate's secret file that group or
//! others can read is refused, the previous policy stays (its secret keeps
//! being swapped in), and the log names the file and the `chmod` that
//! fixes it. Fixed, the next change is taken.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Duration;

use common::{send, serve_logging};
use scopegate_e2e::{
    Fake, RAILWAY_HOST, REAL_SECRET, SURROGATE, TempDir, TestCa, fp, gql_request, init,
};

const OTHER_SECRET: &str = "second-railway-secret-5d19e0";

fn scope_map(secret_file: &str, comment: &str) -> String {
    format!(
        "# {comment}\nversion = 1\n\n[[token]]\nname = \"agent\"\nsurrogate = \"{}\"\nsecret = {{ file = \"{secret_file}\" }}\n\n[[token.rule]]\nid = \"reads\"\neffect = \"allow\"\nclass = [\"read\"]\n",
        fp(SURROGATE)
    )
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The `Authorization` the fake received for the last request.
fn last_authorization(fake: &Fake) -> String {
    fake.received()
        .last()
        .and_then(|r| r.header("authorization").map(str::to_owned))
        .unwrap_or_default()
}

/// Polls until the fake saw `want` on a fresh request (a reload takes up
/// to a second to notice), or gives up after `tries`.
async fn authorization_becomes(
    fake: &Fake,
    proxy: std::net::SocketAddr,
    ca_pem: &str,
    want: &str,
    tries: usize,
) -> String {
    let me = r#"{"query":"query { me { id } }"}"#;
    let mut seen = String::new();
    for _ in 0..tries {
        let resp = send(proxy, ca_pem, gql_request(RAILWAY_HOST, SURROGATE, me)).await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        seen = last_authorization(fake);
        if seen == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_scope_map_with_a_readable_secret_file_keeps_the_previous_policy() {
    init();
    let dir = TempDir::new("reload-secrets");
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    let first = dir.write("first.secret", REAL_SECRET);
    chmod(&first, 0o600);
    dir.write("scope.toml", scope_map("first.secret", "first"));
    let log = dir.path().join("serve.log");
    let s = serve_logging(&dir, &fake, "", &log);
    let ca_pem = std::fs::read_to_string(dir.path().join("ca-data/ca.pem")).unwrap();
    let want_first = format!("Bearer {REAL_SECRET}");
    assert_eq!(
        authorization_becomes(&fake, s.proxy, &ca_pem, &want_first, 1).await,
        want_first
    );

    // a new map whose secret file others can read
    let second = dir.write("second.secret", OTHER_SECRET);
    chmod(&second, 0o644);
    dir.write("scope.toml", scope_map("second.secret", "second"));
    let mut refused = false;
    for _ in 0..40 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("policy reload failed; keeping the previous policy") {
            assert!(text.contains("second.secret"), "{text}");
            assert!(text.contains("chmod"), "the fix is named: {text}");
            assert!(!text.contains(OTHER_SECRET), "no secret in the log");
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(refused, "the reload was not refused");
    assert_eq!(
        authorization_becomes(&fake, s.proxy, &ca_pem, &want_first, 1).await,
        want_first,
        "the previous policy's secret is still the one swapped in"
    );

    // fixed, and the map touched: the next reload is taken
    chmod(&second, 0o600);
    dir.write("scope.toml", scope_map("second.secret", "second, fixed"));
    let want_second = format!("Bearer {OTHER_SECRET}");
    assert_eq!(
        authorization_becomes(&fake, s.proxy, &ca_pem, &want_second, 40).await,
        want_second
    );
    drop(s);
}

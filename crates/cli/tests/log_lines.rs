//! The log parses: in text, values with spaces are quoted; in JSON, the
//! decision line's operations are an array, not one string.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{send, serve_logging};
use scopegate_e2e::{
    Fake, RAILWAY_HOST, RAILWAY_TOKEN, TempDir, TestCa, gql_request, init, standard_scope_map,
};

const TWO_OPS: &str = r#"{"query":"mutation { volumeDelete(volumeId: \"vol-1\") serviceDelete(id: \"svc-1\", environmentId: \"env-1\") }"}"#;

/// Serves with `format`, sends a request that is held (two destructive
/// operations), and returns the decision line.
async fn decision_line(format: &str) -> String {
    init();
    let dir = TempDir::new(&format!("log-{format}"));
    let ca = TestCa::new();
    let fake = Fake::start(&ca).await;
    dir.write("test-ca.pem", &ca.pem);
    dir.write("scope.toml", standard_scope_map());
    let log = dir.path().join("serve.log");
    let s = serve_logging(
        &dir,
        &fake,
        &format!("[approvals]\nhold_secs = 0\n\n[log]\nformat = \"{format}\"\n"),
        &log,
    );
    let ca_pem = std::fs::read_to_string(dir.path().join("data/ca/ca.pem")).unwrap();
    let resp = send(
        s.proxy,
        &ca_pem,
        gql_request(RAILWAY_HOST, RAILWAY_TOKEN, TWO_OPS),
    )
    .await;
    assert_eq!(resp.status, 403);
    for _ in 0..100 {
        let text = std::fs::read_to_string(&log).unwrap();
        if let Some(l) = text
            .lines()
            .find(|l| l.contains("volumeDelete") && l.contains("held apr_"))
        {
            return l.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no decision line in {}",
        std::fs::read_to_string(&log).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_decision_lines_carry_operations_as_an_array() {
    let line = decision_line("json").await;
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let ops = v["fields"]["operations"].as_array().expect("an array");
    assert_eq!(ops.len(), 2, "{line}");
    assert!(
        ops[0]
            .as_str()
            .unwrap()
            .starts_with("railway:volumeDelete (destructive)")
    );
    assert_eq!(v["fields"]["verdict"], "approve");
    assert_eq!(v["fields"]["forwarded"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_decision_lines_quote_values_with_spaces() {
    let line = decision_line("text").await;
    assert!(
        line.contains(r#"operations="railway:volumeDelete (destructive) volumeId=vol-1; railway:serviceDelete (destructive)"#),
        "{line}"
    );
    let reason = line.split(" reason=").nth(1).expect("a reason");
    assert!(reason.starts_with('"'), "{line}");
    // every key=value pair splits cleanly: no bare value holds a space
    let mut rest = line
        .split_once(" decision ")
        .map_or(line.as_str(), |(_, r)| r);
    while let Some((key, after)) = rest.split_once('=') {
        assert!(
            !key.trim().contains(' '),
            "unquoted value before {key:?} in {line}"
        );
        rest = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find("\" ").map_or(quoted.len(), |i| i + 2);
            &quoted[end.min(quoted.len())..]
        } else {
            after.split_once(' ').map_or("", |(_, r)| r)
        };
    }
}

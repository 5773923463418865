//! The webhook: a Slack-compatible message with the dashboard link,
//! delivered in the background and retried with backoff, against a local
//! receiver that fails the first attempt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use scopegate_store::Approval;
use scopegate_web::{DashboardConfig, Notifier, WebhookConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Answers 500 to the first `fail_first` requests, then 200; keeps the
/// bodies it got.
async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/T000/B000", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let k = s.read(&mut chunk).await.unwrap();
                if k == 0 {
                    break String::new();
                }
                buf.extend_from_slice(&chunk[..k]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                    }
                }
            };
            n += 1;
            seen.lock().unwrap().push(body);
            let status = if n <= fail_first {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    (url, got)
}

fn config(url: &str) -> DashboardConfig {
    DashboardConfig {
        public_url: Some("https://dash.example".into()),
        webhook: Some(WebhookConfig {
            url: url.into(),
            timeout_secs: 2,
        }),
        ..DashboardConfig::default()
    }
}

async fn approval(id: &str, agent: &str) -> Approval {
    let store = common::store().await;
    let mut h = common::volume_delete_hold(id);
    h.agent = Some(agent.into());
    store
        .hold(
            &h,
            std::time::Duration::from_secs(3600),
            &scopegate_model::ApprovalId::new(id),
        )
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn a_new_held_request_is_announced_after_a_failed_attempt() {
    let (url, got) = receiver(1).await;
    let n = Notifier::with_backoff(&config(&url), 5, Duration::from_millis(50)).unwrap();
    let a = approval("apr_hook", "claude").await;
    let attempts = n.deliver(&a).await.unwrap();
    assert_eq!(attempts, 2);
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "the retry sends the same message");
    let v: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
    let text = v["text"].as_str().unwrap();
    assert!(text.contains("railway:volumeDelete — destructive — volumeId vol-123 — token railway-domains — agent claude"), "{text}");
    assert!(
        text.contains("<https://dash.example/approvals/apr_hook|review and decide>"),
        "{text}"
    );
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(
        blocks.last().unwrap()["elements"][0]["url"],
        "https://dash.example/approvals/apr_hook"
    );
}

#[tokio::test]
async fn the_message_says_the_blast_radius_in_words() {
    let store = common::store().await;
    let h = common::resolved_volume_delete_hold("apr_blast");
    let id = scopegate_model::ApprovalId::new("apr_blast");
    let (a, _) = store.hold(&h, common::PENDING_FOR, &id).await.unwrap();
    let v = scopegate_web::slack_payload(&a, "https://dash.example/approvals/apr_blast");
    let effect = "Delete volume *postgres-data* (4.2 GB used, 3 backups, latest 2 h ago; \
*its backups are deleted with it*), mounted by *Postgres* in *pocketos / production*.";
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks[1]["type"], "section", "{v}");
    assert_eq!(
        blocks[1]["text"]["text"],
        format!("{effect}\nSafer: create a backup first: `volumeInstanceBackupCreate`.")
    );
    let text = v["text"].as_str().unwrap();
    assert!(text.contains(effect), "{text}");
    assert_eq!(blocks.last().unwrap()["type"], "actions");
}

#[tokio::test]
async fn notify_new_returns_at_once_and_delivers_in_the_background() {
    let (url, got) = receiver(1).await;
    let n = Notifier::with_backoff(&config(&url), 5, Duration::from_millis(50)).unwrap();
    let a = approval("apr_bg", "claude").await;
    let t = std::time::Instant::now();
    n.notify_new(&a);
    assert!(
        t.elapsed() < Duration::from_millis(20),
        "never blocks the caller"
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while got.lock().unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("delivered on the second attempt");
}

#[tokio::test]
async fn it_gives_up_after_the_last_attempt_and_an_unreachable_hook_does_not_hang() {
    let (url, got) = receiver(usize::MAX).await;
    let n = Notifier::with_backoff(&config(&url), 3, Duration::from_millis(20)).unwrap();
    let a = approval("apr_fail", "claude").await;
    let err = n.deliver(&a).await.unwrap_err();
    assert!(err.contains("3 attempts failed"), "{err}");
    assert_eq!(got.lock().unwrap().len(), 3);

    // nothing listens there
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let n = Notifier::with_backoff(&config(&dead), 2, Duration::from_millis(10)).unwrap();
    assert!(n.deliver(&a).await.is_err());
    assert!(
        !Notifier::new(&DashboardConfig::default())
            .unwrap()
            .enabled()
    );
}

#[tokio::test]
async fn agent_text_cannot_ping_the_channel_or_forge_links() {
    let a = approval("apr_ping", "<!channel> <https://evil.example|click> & co").await;
    let v = scopegate_web::slack_payload(&a, "https://dash.example/approvals/apr_ping");
    let all = v.to_string();
    assert!(!all.contains("<!channel>"), "{all}");
    assert!(!all.contains("<https://evil.example"), "{all}");
    assert!(
        all.contains("&lt;!channel&gt;") && all.contains("&amp; co"),
        "{all}"
    );
    // nor can its reason
    let mut a = a;
    a.held.agent_reason = Some("<!here> urgent <https://evil.example|fix>".into());
    a.held.rule_note = Some("backups go too".into());
    let v = scopegate_web::slack_payload(&a, "https://dash.example/approvals/apr_ping");
    let all = v.to_string();
    assert!(
        !all.contains("<!here>") && !all.contains("<https://evil"),
        "{all}"
    );
    assert!(
        all.contains("*The agent says* (not verified): &lt;!here&gt; urgent"),
        "{all}"
    );
    assert!(all.contains("— backups go too"), "{all}");
}

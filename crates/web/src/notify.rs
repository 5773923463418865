//! Webhook notifications: a Slack-compatible message with the dashboard
//! link for every new held request. Delivery runs on its own task, retries
//! with exponential backoff, and never blocks or fails the caller (the
//! proxy holding the request).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use scopegate_store::Approval;
use serde_json::{Value, json};

use crate::blast_radius::Sentence;
use crate::config::DashboardConfig;
use crate::{DashboardError, view};

pub(crate) type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An HTTP(S) client that verifies servers against the web PKI roots.
pub(crate) fn http_client() -> Result<HttpClient, DashboardError> {
    let tls = scopegate_tls::upstream_client_config(scopegate_tls::provider(), &[])
        .map_err(|e| DashboardError::Tls(e.to_string()))?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(https))
}

/// Announces new held requests on the configured webhook; does nothing
/// when none is configured. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    client: HttpClient,
    url: http::Uri,
    timeout: Duration,
    config: DashboardConfig,
    attempts: u32,
    first_backoff: Duration,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}

impl Notifier {
    /// Five attempts, waiting 0.5 s, 1 s, 2 s and 4 s between them.
    pub fn new(config: &DashboardConfig) -> Result<Self, DashboardError> {
        Self::with_backoff(config, 5, Duration::from_millis(500))
    }

    /// `attempts` in all, the first wait `first_backoff`, doubling.
    pub fn with_backoff(
        config: &DashboardConfig,
        attempts: u32,
        first_backoff: Duration,
    ) -> Result<Self, DashboardError> {
        let Some(w) = &config.webhook else {
            return Ok(Self::disabled());
        };
        let url: http::Uri = w
            .url
            .parse()
            .map_err(|e| DashboardError::Config(format!("webhook.url: {e}")))?;
        Ok(Self {
            inner: Some(Arc::new(Inner {
                client: http_client()?,
                url,
                timeout: Duration::from_secs(w.timeout_secs.max(1)),
                config: config.clone(),
                attempts: attempts.max(1),
                first_backoff,
            })),
        })
    }

    pub fn disabled() -> Self {
        Self { inner: None }
    }

    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Announces a new held request in the background; returns at once.
    pub fn notify_new(&self, approval: &Approval) {
        if self.inner.is_none() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("dashboard webhook: no async runtime; notification skipped");
            return;
        };
        let this = self.clone();
        let approval = approval.clone();
        rt.spawn(async move {
            if let Err(e) = this.deliver(&approval).await {
                tracing::warn!(approval = %approval.id, error = %e, "dashboard webhook: gave up");
            }
        });
    }

    /// Posts the message, retrying; returns how many attempts it took.
    pub async fn deliver(&self, approval: &Approval) -> Result<u32, String> {
        let Some(inner) = &self.inner else {
            return Ok(0);
        };
        let link = inner.config.approval_link(approval.id.as_str());
        let actions = if inner.config.slack.is_some() {
            CardActions::Decide
        } else {
            CardActions::Link
        };
        let body = Bytes::from(card(approval, &link, actions).to_string());
        let mut wait = inner.first_backoff;
        let mut last = String::new();
        for attempt in 1..=inner.attempts {
            match inner.post(body.clone()).await {
                Ok(()) => {
                    tracing::debug!(approval = %approval.id, attempt, "dashboard webhook: delivered");
                    return Ok(attempt);
                }
                Err(e) => {
                    tracing::info!(approval = %approval.id, attempt, error = %e, "dashboard webhook: attempt failed");
                    last = e;
                }
            }
            if attempt < inner.attempts {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
        }
        Err(format!("{} attempts failed; last: {last}", inner.attempts))
    }
}

impl Inner {
    async fn post(&self, body: Bytes) -> Result<(), String> {
        let req = http::Request::post(self.url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "scopegate-dashboard")
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        let res = tokio::time::timeout(self.timeout, async {
            let res = self.client.request(req).await.map_err(|e| e.to_string())?;
            let status = res.status();
            // Read (and drop) the answer so the connection can be reused.
            let _ = res.into_body().collect().await;
            Ok::<_, String>(status)
        })
        .await
        .map_err(|_| format!("no answer within {:?}", self.timeout))??;
        if res.is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered {res}"))
        }
    }
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped; agent-supplied text could
/// otherwise mention `<!channel>` or forge a link.
pub(crate) fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn cap(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The blast radius: its first sentence for the plain text (` — …`, or
/// nothing) and a section block with every sentence, when there are any.
fn blast_section(a: &Approval) -> (String, Option<Value>) {
    let blast = view::blast(a, crate::now_ms());
    let Some(first) = blast.first() else {
        return (String::new(), None);
    };
    let all: Vec<String> = blast.iter().map(Sentence::mrkdwn).collect();
    (
        format!(" — {}", cap(&first.mrkdwn(), 1000)),
        Some(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": cap(&all.join("\n"), 2900)}
        })),
    )
}

/// What a card's actions offer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CardActions<'a> {
    /// The dashboard link only.
    Link,
    /// Approve and Reject buttons (Slack interactivity), and the link.
    Decide,
    /// The outcome in place of the buttons, and the link.
    Outcome(&'a str),
}

/// The message for a new held request: `text` for plain clients and
/// notifications, `blocks` for Slack, both with the dashboard link.
pub fn slack_payload(a: &Approval, link: &str) -> Value {
    card(a, link, CardActions::Link)
}

/// The Slack card for `a`, with `actions`.
pub(crate) fn card(a: &Approval, link: &str, actions: CardActions<'_>) -> Value {
    let summary = view::summary(a);
    let ops = view::operations(a);
    let title = if ops.is_empty() {
        format!("{} {}", a.held.method, a.held.path)
    } else {
        ops.iter()
            .map(view::OpView::qualified)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (first, blast) = blast_section(a);
    let text = match actions {
        CardActions::Outcome(o) => format!(
            "scopegate: {} — {} — <{}|details>",
            slack_escape(o),
            slack_escape(&cap(&summary, 1500)),
            link
        ),
        _ => format!(
            "scopegate: approval needed — {}{first} — <{}|review and decide>",
            slack_escape(&cap(&summary, 1500)),
            link
        ),
    };
    let header = match actions {
        CardActions::Outcome(_) => format!("Decided: {title}"),
        _ => format!("Approval needed: {title}"),
    };
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": cap(&header, 150)}
    })];
    blocks.extend(blast);
    blocks.push(json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": cap(&format!(
            "{}\n*Rule:* {}{}\n*Reason:* {}{}",
            slack_escape(&summary),
            slack_escape(&a.held.rule),
            a.held.rule_note.as_deref().map(|n| format!(" — {}", slack_escape(n))).unwrap_or_default(),
            slack_escape(&a.held.reason),
            a.held.agent_reason.as_deref().map(|r| format!(
                "\n*The agent says* (not verified): {}", slack_escape(&cap(r, 500))
            )).unwrap_or_default(),
        ), 2900)}
    }));
    blocks.extend(action_blocks(a, link, actions));
    json!({"text": text, "blocks": blocks})
}

fn action_blocks(a: &Approval, link: &str, actions: CardActions<'_>) -> Vec<Value> {
    let review = |style: Option<&str>| {
        let mut b = json!({
            "type": "button",
            "text": {"type": "plain_text", "text": "Review and decide"},
            "url": link,
        });
        if let Some(s) = style {
            b["style"] = json!(s);
        }
        b
    };
    match actions {
        CardActions::Link => {
            vec![json!({"type": "actions", "elements": [review(Some("primary"))]})]
        }
        CardActions::Outcome(o) => vec![
            json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}*", slack_escape(&cap(o, 500)))}}),
            json!({"type": "actions", "elements": [review(None)]}),
        ],
        CardActions::Decide => {
            let id = a.id.as_str();
            let reject = json!({
                "type": "button",
                "text": {"type": "plain_text", "text": "Reject"},
                "action_id": crate::slack::REJECT,
                "value": id,
                "style": "danger",
            });
            // A destructive approval needs its typed confirmation, which
            // only the dashboard asks for: the button goes there.
            if let Some(phrase) = crate::blast_radius::confirm::phrase(&a.held.operations) {
                let text = format!(
                    "This destroys {}: approve it in the dashboard, where you type its name to confirm.",
                    slack_escape(&cap(&phrase, 300))
                );
                let approve = json!({
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Approve in dashboard"},
                    "url": link,
                    "style": "primary",
                });
                return vec![
                    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}),
                    json!({"type": "actions", "elements": [approve, reject]}),
                ];
            }
            let approve = json!({
                "type": "button",
                "text": {"type": "plain_text", "text": "Approve"},
                "action_id": crate::slack::APPROVE,
                "value": id,
                "style": "primary",
            });
            vec![json!({"type": "actions", "elements": [approve, reject, review(None)]})]
        }
    }
}

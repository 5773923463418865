//! `[dashboard.slack]`: Slack's interactive buttons on the webhook's card.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::DashboardError;

/// Slack interactivity. With it, the webhook's card carries Approve and
/// Reject buttons, and `POST /slack/interactions` takes Slack's signed
/// callbacks. The signing secret and the bot token are read from the
/// environment or a file, never written inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Environment variable holding the Slack app's signing secret; takes
    /// precedence over `signing_secret_file`.
    #[serde(default)]
    pub signing_secret_env: Option<String>,
    /// File holding the signing secret (surrounding whitespace ignored).
    #[serde(default)]
    pub signing_secret_file: Option<PathBuf>,
    /// Replies go only to a callback's `response_url` starting with this.
    #[serde(default = "default_response_url_prefix")]
    pub response_url_prefix: String,
    /// Environment variable holding a bot token (`xoxb-…`, scope
    /// `users:read.email`); takes precedence over `bot_token_file`. With a
    /// token, a Slack user with no `slack_id` mapping is looked up by their
    /// confirmed email through `users.info`.
    #[serde(default)]
    pub bot_token_env: Option<String>,
    /// File holding the bot token (surrounding whitespace ignored).
    #[serde(default)]
    pub bot_token_file: Option<PathBuf>,
    /// Slack's Web API: https, or http only on a loopback address.
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

/// Where Slack's `response_url`s live.
pub fn default_response_url_prefix() -> String {
    "https://hooks.slack.com/".into()
}

/// Slack's Web API.
pub fn default_api_url() -> String {
    "https://slack.com/api".into()
}

/// A Slack bot token; `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct BotToken(String);

impl BotToken {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BotToken(<redacted>)")
    }
}

impl SlackConfig {
    /// What is wrong without IO: `(key, message)`.
    pub(crate) fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.signing_secret_env.is_none() && self.signing_secret_file.is_none() {
            out.push((
                "slack.signing_secret_env".into(),
                "slack needs signing_secret_env or signing_secret_file".into(),
            ));
        }
        let p = &self.response_url_prefix;
        if !(p.starts_with("https://") || p.starts_with("http://")) || !p.ends_with('/') {
            out.push((
                "slack.response_url_prefix".into(),
                "slack.response_url_prefix must be an http(s) URL ending in '/'".into(),
            ));
        }
        if !api_url_allowed(&self.api_url) {
            out.push((
                "slack.api_url".into(),
                "slack.api_url must be an https:// URL (http:// only for a loopback host) without a query".into(),
            ));
        }
        out
    }

    /// The signing secret; its value never appears in an error.
    pub(crate) fn load_secret(&self) -> Result<Vec<u8>, DashboardError> {
        let secret = read_source(
            "signing_secret",
            self.signing_secret_env.as_deref(),
            self.signing_secret_file.as_deref(),
        )?
        .ok_or_else(|| {
            DashboardError::Config("slack needs signing_secret_env or signing_secret_file".into())
        })?;
        if secret.len() < 16 {
            return Err(DashboardError::Config(
                "slack signing secret is shorter than 16 characters".into(),
            ));
        }
        Ok(secret.into_bytes())
    }

    /// The bot token, when one is configured; its value never appears in
    /// an error.
    pub(crate) fn load_bot_token(&self) -> Result<Option<BotToken>, DashboardError> {
        let Some(token) = read_source(
            "bot_token",
            self.bot_token_env.as_deref(),
            self.bot_token_file.as_deref(),
        )?
        else {
            return Ok(None);
        };
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DashboardError::Config(
                "slack bot token must be at least 16 visible ASCII characters".into(),
            ));
        }
        Ok(Some(BotToken(token)))
    }
}

/// `{what}_env` (first) or `{what}_file`, trimmed; `None` when neither is set.
fn read_source(
    what: &str,
    env: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<String>, DashboardError> {
    let raw = if let Some(var) = env {
        std::env::var(var)
            .map_err(|_| DashboardError::Config(format!("slack.{what}_env: {var} is not set")))?
    } else if let Some(path) = file {
        std::fs::read_to_string(path).map_err(|e| {
            DashboardError::Config(format!("slack.{what}_file {}: {e}", path.display()))
        })?
    } else {
        return Ok(None);
    };
    Ok(Some(raw.trim().to_owned()))
}

/// https, or http to a loopback host (for tests), as for the OIDC issuer;
/// a URL without a query or fragment.
fn api_url_allowed(url: &str) -> bool {
    crate::oidc::issuer_allowed(url)
        && !url.contains('#')
        && url
            .parse::<http::Uri>()
            .is_ok_and(|u| u.authority().is_some() && u.query().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_is_https_or_loopback_http() {
        for ok in [
            "https://slack.com/api",
            "https://slack.example:8443/api/",
            "http://127.0.0.1:4000/api",
            "http://[::1]:4000/api",
            "http://localhost/api",
        ] {
            assert!(api_url_allowed(ok), "{ok}");
        }
        for bad in [
            "http://slack.com/api",
            "http://127.0.0.1.example/api",
            "http://localhost.example/api",
            "ftp://slack.com/api",
            "slack.com/api",
            "https://slack.com/api?x=1",
            "https://slack.com/api#x",
            "",
        ] {
            assert!(!api_url_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn a_bot_token_is_redacted_in_debug() {
        let t = BotToken("xoxb-secret-token-value-0123".into());
        let shown = format!("{t:?}");
        assert!(!shown.contains("xoxb"), "{shown}");
        assert_eq!(t.expose(), "xoxb-secret-token-value-0123");
    }
}

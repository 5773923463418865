//! `[dashboard.slack]`: Slack's interactive buttons on the webhook's card.

use std::path::PathBuf;

use serde::Deserialize;

use crate::DashboardError;

/// Slack interactivity. With it, the webhook's card carries Approve and
/// Reject buttons, and `POST /slack/interactions` takes Slack's signed
/// callbacks. The signing secret is read from the environment or a file,
/// never written inline.
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
}

/// Where Slack's `response_url`s live.
pub fn default_response_url_prefix() -> String {
    "https://hooks.slack.com/".into()
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
        out
    }

    /// The signing secret; its value never appears in an error.
    pub(crate) fn load_secret(&self) -> Result<Vec<u8>, DashboardError> {
        let secret = if let Some(var) = &self.signing_secret_env {
            std::env::var(var).map_err(|_| {
                DashboardError::Config(format!("slack.signing_secret_env: {var} is not set"))
            })?
        } else if let Some(path) = &self.signing_secret_file {
            std::fs::read_to_string(path).map_err(|e| {
                DashboardError::Config(format!("slack.signing_secret_file {}: {e}", path.display()))
            })?
        } else {
            return Err(DashboardError::Config(
                "slack needs signing_secret_env or signing_secret_file".into(),
            ));
        };
        let secret = secret.trim();
        if secret.len() < 16 {
            return Err(DashboardError::Config(
                "slack signing secret is shorter than 16 characters".into(),
            ));
        }
        Ok(secret.as_bytes().to_vec())
    }
}

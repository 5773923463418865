//! The dashboard's settings: a TOML table (`[dashboard]` in the serve
//! settings), unknown keys refused, checked once by [`DashboardConfig::validate`].

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::DashboardError;
pub use crate::oidc::OidcConfig;
pub use crate::slack::SlackConfig;

/// The dashboard's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardConfig {
    /// Where the dashboard listens; never the proxy's address.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The address approvers open, used in links and webhooks; defaults to
    /// `http://{listen}`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// File holding the session-signing key; generated (0600) if missing.
    /// Replicas behind a load balancer must share it.
    #[serde(default)]
    pub session_key_file: Option<PathBuf>,
    /// Environment variable holding the session-signing key (at least 32
    /// bytes); takes precedence over `session_key_file`.
    #[serde(default)]
    pub session_key_env: Option<String>,
    /// How long an approval stays usable by the held request's retry.
    #[serde(default = "default_grant_window")]
    pub grant_window_secs: u64,
    /// How long a sign-in lasts.
    #[serde(default = "default_session_ttl")]
    pub session_ttl_secs: u64,
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// A TOML file of `[[users]]` kept apart from the settings, readable
    /// only by scopegate's user (`serve` refuses it otherwise); its users
    /// join `users`.
    #[serde(default)]
    pub users_file: Option<PathBuf>,
    /// Where the one-time bootstrap link is written (mode 0600) while no
    /// users exist, instead of printing it; `serve` sets it to
    /// `<data_dir>/bootstrap-link`. Not a setting.
    #[serde(skip)]
    pub bootstrap_file: Option<PathBuf>,
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    /// Single sign-on with OpenID Connect.
    #[serde(default)]
    pub oidc: Option<OidcConfig>,
    /// Approve and Reject buttons on the webhook's Slack card.
    #[serde(default)]
    pub slack: Option<SlackConfig>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9091))
}
fn default_grant_window() -> u64 {
    900
}
fn default_session_ttl() -> u64 {
    12 * 3600
}
fn default_webhook_timeout() -> u64 {
    5
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            public_url: None,
            session_key_file: None,
            session_key_env: None,
            grant_window_secs: default_grant_window(),
            session_ttl_secs: default_session_ttl(),
            users: Vec::new(),
            users_file: None,
            bootstrap_file: None,
            webhook: None,
            oidc: None,
            slack: None,
        }
    }
}

/// A dashboard user.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    /// An argon2 PHC string (`scopegate dashboard hash-password`); without
    /// one the user cannot sign in with a password.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// The address single sign-on finds this user by (verified by the
    /// provider); with a Slack bot token, also the confirmed Slack email
    /// that maps a Slack user without a `slack_id` to this user.
    #[serde(default)]
    pub email: Option<String>,
    pub role: Role,
    /// `sha256:<hex>` of an API token for the CLI and scripts.
    #[serde(default)]
    pub api_token_fingerprint: Option<String>,
    /// The Slack user id (`U...`) whose Slack buttons act as this user.
    #[serde(default)]
    pub slack_id: Option<String>,
    /// Scope-map tokens this user runs or owns: where a rule says
    /// `self_approval = false`, they cannot approve these tokens' requests.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Agent names (`x-scopegate-agent`) this user runs, likewise.
    #[serde(default)]
    pub agents: Vec<String>,
}

impl UserConfig {
    /// What links this user to a request from `token` / `agent`, if
    /// anything: `("token", name)` or `("agent", name)`.
    pub fn linked_to(
        &self,
        token: Option<&str>,
        agent: Option<&str>,
    ) -> Option<(&'static str, String)> {
        if let Some(t) = token.filter(|t| self.tokens.iter().any(|x| x == t)) {
            return Some(("token", t.to_owned()));
        }
        agent
            .filter(|a| self.agents.iter().any(|x| x == a))
            .map(|a| ("agent", a.to_owned()))
    }
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("email", &self.email)
            .field("role", &self.role)
            .field(
                "api_token_fingerprint",
                &self.api_token_fingerprint.as_ref().map(|_| "<set>"),
            )
            .field("slack_id", &self.slack_id)
            .finish()
    }
}

/// What a user may do: viewers read; approvers and admins also decide.
/// Ordered by power: viewer < approver < admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Approver,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Approver => "approver",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Viewer, Self::Approver, Self::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    pub fn can_decide(self) -> bool {
        matches!(self, Self::Approver | Self::Admin)
    }
}

/// Where new held requests are announced (Slack-compatible incoming
/// webhook).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// Per attempt.
    #[serde(default = "default_webhook_timeout")]
    pub timeout_secs: u64,
}

/// The file `users_file` names.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    users: Vec<UserConfig>,
}

impl DashboardConfig {
    /// Adds the users of `users_file`, if one is set.
    pub fn load_users_file(&mut self) -> Result<(), DashboardError> {
        let Some(path) = &self.users_file else {
            return Ok(());
        };
        let problem = |e: String| DashboardError::Config(format!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
        let file: UsersFile = toml::from_str(&text).map_err(|e| problem(e.message().to_owned()))?;
        self.users.extend(file.users);
        Ok(())
    }

    /// The dashboard's base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Where an approver decides approval `id`.
    pub fn approval_link(&self, id: &str) -> String {
        format!(
            "{}/approvals/{}",
            self.public_url(),
            crate::html::url_segment(id)
        )
    }

    /// Checks everything that can be checked without IO; every problem is
    /// listed.
    pub fn validate(&self) -> Result<(), DashboardError> {
        let problems: Vec<String> = self.problems().into_iter().map(|p| p.message).collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DashboardError::Config(problems.join("; ")))
        }
    }

    /// What [`Self::validate`] refuses, each with the key it is about.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let mut bad = |key: String, message: String| problems.push(ConfigProblem { key, message });
        if let Some(u) = &self.public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bad(
                "public_url".into(),
                format!("public_url must start with http:// or https://: {u:?}"),
            );
        }
        for (key, message) in user_problems(&self.users) {
            bad(key, message);
        }
        if let Some(w) = &self.webhook {
            if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                bad(
                    "webhook.url".into(),
                    "webhook.url must start with http:// or https://".into(),
                );
            }
            if w.timeout_secs == 0 {
                bad(
                    "webhook.timeout_secs".into(),
                    "webhook.timeout_secs must be at least 1".into(),
                );
            }
        }
        if let Some(s) = &self.slack {
            for (key, message) in s.problems() {
                bad(key, message);
            }
        }
        if let Some(o) = &self.oidc {
            for (key, message) in o.problems(&self.users) {
                bad(key, message);
            }
        }
        if self.session_ttl_secs == 0 {
            bad(
                "session_ttl_secs".into(),
                "session_ttl_secs must be at least 1".into(),
            );
        }
        problems
    }
}

/// What is wrong with the listed users, each with its key (`users.0.name`):
/// names, duplicates, a way to sign in, emails, Slack ids, password hashes
/// and API token fingerprints.
fn user_problems(users: &[UserConfig]) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut bad = |key: String, message: String| problems.push((key, message));
    let mut seen = std::collections::BTreeSet::new();
    let mut emails = std::collections::BTreeSet::new();
    let mut slack_ids = std::collections::BTreeSet::new();
    for (i, u) in users.iter().enumerate() {
        let at = |k: &str| format!("users.{i}.{k}");
        if u.name.is_empty()
            || u.name.len() > 64
            || !u
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
        {
            bad(
                at("name"),
                format!(
                    "user name {:?}: use 1-64 letters, digits, '.', '_', '@' or '-'",
                    u.name
                ),
            );
        }
        if !seen.insert(u.name.as_str()) {
            bad(at("name"), format!("user {:?} is listed twice", u.name));
        }
        if u.password_hash.is_none() && u.email.is_none() {
            bad(
                at("password_hash"),
                format!(
                    "user {:?} has neither a password_hash nor an email, so cannot sign in",
                    u.name
                ),
            );
        }
        if let Some(e) = &u.email
            && !crate::oidc::email_allowed(e)
        {
            bad(
                at("email"),
                format!("user {:?}: email {e:?} is not an address", u.name),
            );
        }
        if let Some(e) = &u.email
            && !emails.insert(e.to_ascii_lowercase())
        {
            bad(at("email"), format!("email {e:?} is listed twice"));
        }
        if let Some(id) = &u.slack_id {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                bad(
                    at("slack_id"),
                    format!("user {:?}: slack_id must be letters and digits", u.name),
                );
            }
            if !slack_ids.insert(id.as_str()) {
                bad(at("slack_id"), format!("slack_id {id:?} is listed twice"));
            }
        }
        if let Some(h) = &u.password_hash
            && argon2::PasswordHash::new(h).is_err()
        {
            bad(
                at("password_hash"),
                format!(
                    "user {:?}: password_hash is not a PHC string (make one with `scopegate dashboard hash-password`)",
                    u.name
                ),
            );
        }
        if let Some(fp) = &u.api_token_fingerprint
            && crate::auth::parse_fingerprint(fp).is_none()
        {
            bad(
                at("api_token_fingerprint"),
                format!(
                    "user {:?}: api_token_fingerprint must be sha256:<64 hex digits>",
                    u.name
                ),
            );
        }
    }
    problems
}

/// One problem [`DashboardConfig::problems`] found: the key (dotted, array
/// elements by index, e.g. `users.0.name`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

//! Single sign-on with OpenID Connect: the authorization code flow with
//! PKCE (S256), state and nonce, and an ID token verified against the
//! provider's published keys (RS256 or ES256 only).
//!
//! `GET /login/oidc` starts a flow: its state, nonce and PKCE verifier are
//! kept in a short-lived cookie sealed with the dashboard key.
//! `GET /login/oidc/callback` checks the state, exchanges the code, checks
//! the ID token, finds the user (a user entry by verified email, else the
//! roles claim) and issues the usual session. Every failure is a refusal
//! page saying what was wrong, and no session.

mod flow;
mod jwk;
mod jwt;
mod pages;
mod provider;
mod roles;
mod settings;

use std::fmt;

pub use settings::OidcConfig;
pub(crate) use settings::issuer_allowed;

pub(crate) use pages::{callback, start};

use crate::DashboardError;
use crate::config::DashboardConfig;
use crate::html::{esc, query_value};

/// Why a single sign-on was refused, in words for the person signing in
/// (nothing from the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    NoFlow,
    StateMismatch,
    ProviderError,
    NoCode,
    Unreachable,
    CodeRejected,
    Malformed,
    Algorithm,
    UnknownKey,
    Signature,
    Issuer,
    Audience,
    Expired,
    IssuedInFuture,
    Nonce,
    NoEmail,
    EmailUnverified,
    UnknownUser,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoFlow => {
                "this sign-in attempt expired or was started in another browser; please start again"
            }
            Self::StateMismatch => {
                "the identity provider's answer does not belong to this sign-in attempt (state mismatch)"
            }
            Self::ProviderError => "the identity provider did not sign you in",
            Self::NoCode => "the identity provider's answer carried no code",
            Self::Unreachable => {
                "the identity provider could not be reached or answered unexpectedly"
            }
            Self::CodeRejected => "the identity provider's token endpoint refused the sign-in code",
            Self::Malformed => "the ID token is malformed",
            Self::Algorithm => "the ID token is not signed with RS256 or ES256",
            Self::UnknownKey => "the ID token is signed with a key the identity provider does not publish",
            Self::Signature => "the ID token's signature is not valid",
            Self::Issuer => "the ID token was issued by another issuer",
            Self::Audience => "the ID token is meant for another client (wrong audience)",
            Self::Expired => "the ID token has expired",
            Self::IssuedInFuture => "the ID token is issued in the future",
            Self::Nonce => "the ID token does not belong to this sign-in attempt (nonce mismatch)",
            Self::NoEmail => "the identity provider gave no usable email address",
            Self::EmailUnverified => "the identity provider has not verified your email address",
            Self::UnknownUser => {
                "you are not a user of this dashboard: no user has your email and none of your groups grants a role"
            }
        })
    }
}

/// Whether `email` can name a user: one `@` with text on both sides, no
/// spaces, controls or `|`, at most 254 bytes.
pub fn email_allowed(email: &str) -> bool {
    let ok_chars = email
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && c != '|');
    let mut parts = email.split('@');
    let (local, domain) = (parts.next(), parts.next());
    ok_chars
        && email.len() <= 254
        && parts.next().is_none()
        && local.is_some_and(|l| !l.is_empty())
        && domain.is_some_and(|d| !d.is_empty())
}

/// The client secret; never shown.
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Single sign-on as configured: the settings, the client secret, and the
/// provider's metadata and keys once fetched.
pub(crate) struct Oidc {
    cfg: OidcConfig,
    secret: Secret,
    redirect_uri: String,
    provider: provider::Provider,
}

impl Oidc {
    /// `None` without `[dashboard.oidc]`; reads the client secret.
    pub(crate) fn new(config: &DashboardConfig) -> Result<Option<Self>, DashboardError> {
        let Some(cfg) = &config.oidc else {
            return Ok(None);
        };
        let secret = read_secret(cfg)?;
        Ok(Some(Self {
            cfg: cfg.clone(),
            secret: Secret(secret),
            redirect_uri: format!("{}/login/oidc/callback", config.public_url()),
            provider: provider::Provider::new(&cfg.issuer)?,
        }))
    }
}

fn read_secret(cfg: &OidcConfig) -> Result<String, DashboardError> {
    let bad = |m: String| DashboardError::Config(format!("oidc client secret: {m}"));
    let secret = if let Some(var) = &cfg.client_secret_env {
        std::env::var(var).map_err(|_| bad(format!("environment variable {var} is not set")))?
    } else if let Some(path) = &cfg.client_secret_file {
        std::fs::read_to_string(path)
            .map_err(|e| bad(format!("{}: {}", path.display(), e.kind())))?
    } else {
        return Err(bad("set client_secret_env or client_secret_file".into()));
    };
    let secret = secret.trim().to_owned();
    if secret.is_empty() {
        return Err(bad("it is empty".into()));
    }
    Ok(secret)
}

/// The "Sign in with …" button for the sign-in page, when configured.
pub(crate) fn login_button(state: &crate::AppState, next: &str) -> String {
    state.oidc.as_ref().map_or_else(String::new, |o| {
        format!(
            "<p><a class=\"button\" href=\"/login/oidc?next={}\">Sign in with {}</a></p>",
            esc(&query_value(next)),
            esc(&o.cfg.name)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_that_can_name_a_user() {
        assert!(email_allowed("ann@example.com"));
        assert!(!email_allowed("ann"));
        assert!(!email_allowed("@example.com"));
        assert!(!email_allowed("ann@"));
        assert!(!email_allowed("a@b@c"));
        assert!(!email_allowed("ann|admin@example.com"));
        assert!(!email_allowed("ann @example.com"));
    }
}

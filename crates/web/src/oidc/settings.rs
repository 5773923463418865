//! `[dashboard.oidc]`: the identity provider, this dashboard's client
//! registration, and how a signed-in person gets a role.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::{Role, UserConfig};

/// Single sign-on settings. The client secret is never here: it is read
/// from `client_secret_env` or `client_secret_file`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its ID tokens name it: https,
    /// or http only for a loopback host.
    pub issuer: String,
    pub client_id: String,
    /// Environment variable holding the client secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// File holding the client secret.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The sign-in button says "Sign in with {name}".
    #[serde(default = "default_name")]
    pub name: String,
    /// The ID token claim holding group names (a string or a list).
    #[serde(default)]
    pub roles_claim: Option<String>,
    /// Role → the claim values that grant it; the highest role matched
    /// wins.
    #[serde(default)]
    pub roles: BTreeMap<Role, Vec<String>>,
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

fn default_name() -> String {
    "single sign-on".into()
}

/// Whether `url` is https, or http to a loopback host.
pub fn issuer_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl OidcConfig {
    /// What is wrong with these settings, as (key, message) pairs under
    /// `oidc.`.
    pub fn problems(&self, users: &[UserConfig]) -> Vec<(String, String)> {
        let mut p = Vec::new();
        let mut bad = |k: &str, m: &str| p.push((format!("oidc.{k}"), m.to_owned()));
        if !issuer_allowed(&self.issuer) {
            bad(
                "issuer",
                "oidc.issuer must be an https:// URL (http:// only for a loopback host)",
            );
        }
        if self.client_id.is_empty() {
            bad("client_id", "oidc.client_id must not be empty");
        }
        if self.client_secret_env.is_some() == self.client_secret_file.is_some() {
            bad(
                "client_secret_env",
                "oidc: set exactly one of client_secret_env and client_secret_file",
            );
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            bad("scopes", "oidc.scopes must include openid");
        }
        if self.roles_claim.is_some() && self.roles.values().all(Vec::is_empty) {
            bad(
                "roles",
                "oidc.roles_claim is set but oidc.roles maps no value to a role",
            );
        }
        if self.roles_claim.is_none() && !self.roles.is_empty() {
            bad("roles_claim", "oidc.roles needs oidc.roles_claim");
        }
        if self.roles_claim.is_none() && users.iter().all(|u| u.email.is_none()) {
            bad(
                "roles_claim",
                "oidc: nobody could sign in: set roles_claim and roles, or give users an email",
            );
        }
        p
    }

    /// A fixed text of the claim-to-role mapping: sessions of people
    /// signed in by claim are bound to it, so changing it ends them.
    pub fn mapping_text(&self) -> Option<String> {
        let claim = self.roles_claim.as_deref()?;
        let mut t = format!("{claim}\n");
        for (role, values) in &self.roles {
            t.push_str(role.as_str());
            for v in values {
                t.push('\n');
                t.push_str(&v.len().to_string());
                t.push(':');
                t.push_str(v);
            }
            t.push('\n');
        }
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_or_loopback_http() {
        assert!(issuer_allowed("https://id.example"));
        assert!(issuer_allowed("http://127.0.0.1:5556/dex"));
        assert!(issuer_allowed("http://localhost:8080"));
        assert!(issuer_allowed("http://[::1]:80"));
        assert!(!issuer_allowed("http://id.example"));
        assert!(!issuer_allowed("http://127.0.0.1.evil.example"));
        assert!(!issuer_allowed("https://"));
        assert!(!issuer_allowed("ftp://id.example"));
    }
}

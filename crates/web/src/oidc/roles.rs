//! Who a verified ID token names: a user entry found by verified email
//! wins; else the highest role the roles claim grants; else nobody.

use serde_json::Value;

use super::{OidcConfig, Refusal, email_allowed};
use crate::auth::SSO_PREFIX;
use crate::config::{Role, UserConfig};

/// The session's user name and role for verified `claims`.
pub(crate) fn who(
    claims: &Value,
    cfg: &OidcConfig,
    users: &[UserConfig],
) -> Result<(String, Role), Refusal> {
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .filter(|e| email_allowed(e))
        .ok_or(Refusal::NoEmail)?;
    if claims.get("email_verified") != Some(&Value::Bool(true)) {
        return Err(Refusal::EmailUnverified);
    }
    if let Some(u) = users.iter().find(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }) {
        return Ok((u.name.clone(), u.role));
    }
    claim_role(claims, cfg)
        .map(|role| (format!("{SSO_PREFIX}{}", email.to_ascii_lowercase()), role))
        .ok_or(Refusal::UnknownUser)
}

/// The highest role whose values the roles claim (a string or a list of
/// strings) holds.
fn claim_role(claims: &Value, cfg: &OidcConfig) -> Option<Role> {
    let held: Vec<&str> = match claims.get(cfg.roles_claim.as_deref()?)? {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    cfg.roles
        .iter()
        .filter(|(_, values)| values.iter().any(|v| held.contains(&v.as_str())))
        .map(|(role, _)| *role)
        .max()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn cfg() -> OidcConfig {
        toml::from_str(
            r#"issuer = "https://id.example"
client_id = "sg"
client_secret_env = "X"
roles_claim = "groups"
roles = { approver = ["sg-approvers"], admin = ["sg-admins"], viewer = ["staff"] }"#,
        )
        .unwrap()
    }

    fn users() -> Vec<UserConfig> {
        vec![UserConfig {
            name: "ann".into(),
            password_hash: None,
            email: Some("Ann@Example.com".into()),
            role: Role::Viewer,
            api_token_fingerprint: None,
            slack_id: None,
            tokens: Vec::new(),
            agents: Vec::new(),
        }]
    }

    #[test]
    fn a_user_entry_wins_then_the_highest_claimed_role() {
        let c = json!({"email":"ann@example.com","email_verified":true,"groups":["sg-admins"]});
        assert_eq!(who(&c, &cfg(), &users()), Ok(("ann".into(), Role::Viewer)));
        let c = json!({"email":"bo@example.com","email_verified":true,"groups":["staff","sg-approvers"]});
        assert_eq!(
            who(&c, &cfg(), &users()),
            Ok(("sso:bo@example.com".into(), Role::Approver))
        );
        let c = json!({"email":"bo@example.com","email_verified":true,"groups":"sg-admins"});
        assert_eq!(who(&c, &cfg(), &users()).unwrap().1, Role::Admin);
    }

    #[test]
    fn unverified_unknown_and_missing_are_refused() {
        let c = json!({"email":"ann@example.com","email_verified":"true"});
        assert_eq!(who(&c, &cfg(), &users()), Err(Refusal::EmailUnverified));
        let c = json!({"email":"bo@example.com","email_verified":true,"groups":["others"]});
        assert_eq!(who(&c, &cfg(), &users()), Err(Refusal::UnknownUser));
        let c = json!({"email_verified":true});
        assert_eq!(who(&c, &cfg(), &users()), Err(Refusal::NoEmail));
    }
}

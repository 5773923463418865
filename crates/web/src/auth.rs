//! Who is asking: passwords (argon2), stateless signed session cookies,
//! CSRF tokens derived from the session, API tokens known by fingerprint,
//! and the one-time bootstrap link.
//!
//! Sessions are HMAC-SHA256 over user, role and expiry, bound to the user's
//! current password hash, so replicas sharing the key share sessions and a
//! password change or role change ends old ones. Nothing an agent holds is
//! accepted: only these cookies and configured API tokens.

use std::path::Path;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::DashboardError;
use crate::config::{DashboardConfig, Role, UserConfig};

pub const SESSION_COOKIE: &str = "sg_session";
pub const LOGIN_COOKIE: &str = "sg_login";
/// The user name a bootstrap sign-in gets.
pub const BOOTSTRAP_USER: &str = "bootstrap";
/// Before the email of someone single sign-on let in by a claim (no user
/// entry); `:` is not allowed in configured user names.
pub const SSO_PREFIX: &str = "sso:";

/// A signed-in user, from a session cookie or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Cookie-authenticated: state changes need this CSRF token.
    Session { csrf: String },
    /// `Authorization: Bearer` with a configured API token: not
    /// cookie-borne, so not exposed to CSRF.
    ApiToken,
    /// A Slack button, its callback signed with the Slack app's secret.
    Slack,
}

impl Principal {
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf } => csrf,
            Via::ApiToken | Via::Slack => "",
        }
    }
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], DashboardError> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| DashboardError::Random)?;
    Ok(b)
}

/// An argon2id PHC string for `password` (default parameters: m=19 MiB,
/// t=2, p=1), for `[[users]] password_hash`.
pub fn hash_password(password: &str) -> Result<String, DashboardError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| DashboardError::Password(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DashboardError::Password(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// `sha256:<64 hex>` → the lowercase hex.
pub fn parse_fingerprint(s: &str) -> Option<String> {
    let hex = s.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// The fingerprint of a presented API token, as the config writes it.
pub fn token_fingerprint(token: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    format!("sha256:{}", scopegate_model::hex(d.as_ref()))
}

/// Equality in time independent of where the inputs differ.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session-signing key: from the environment variable, else the file
/// (created with 32 random bytes, mode 0600, if missing), else random for
/// this process only.
pub fn load_key(cfg: &DashboardConfig) -> Result<Vec<u8>, DashboardError> {
    if let Some(var) = &cfg.session_key_env {
        let v = std::env::var(var)
            .map_err(|_| DashboardError::Key(format!("environment variable {var} is not set")))?;
        let v = v.trim().as_bytes().to_vec();
        if v.len() < 32 {
            return Err(DashboardError::Key(format!(
                "{var} must hold at least 32 bytes"
            )));
        }
        return Ok(v);
    }
    if let Some(path) = &cfg.session_key_file {
        return key_file(path);
    }
    tracing::warn!(
        "dashboard: no session_key_file or session_key_env; sessions last until restart and are not shared with replicas"
    );
    Ok(random_bytes::<32>()?.to_vec())
}

fn key_file(path: &Path) -> Result<Vec<u8>, DashboardError> {
    let io = |e: std::io::Error| DashboardError::Key(format!("{}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let k = text.trim().as_bytes().to_vec();
            if k.len() < 32 {
                return Err(DashboardError::Key(format!(
                    "{}: the key must be at least 32 bytes",
                    path.display()
                )));
            }
            Ok(k)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let key = scopegate_model::hex(&random_bytes::<32>()?);
            write_private(path, key.as_bytes()).map_err(io)?;
            tracing::info!(path = %path.display(), "dashboard: generated a session key");
            Ok(key.into_bytes())
        }
        Err(e) => Err(io(e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Signs and checks sessions, CSRF tokens and login forms; knows the users.
pub struct Auth {
    key: hmac::Key,
    users: Vec<UserConfig>,
    ttl_ms: i64,
    /// Single sign-on's claim-to-role mapping, when there is one: sessions
    /// of people it let in are bound to it.
    sso_mapping: Option<String>,
    /// The bootstrap token while it is unused (only when no users exist).
    bootstrap: Mutex<Option<String>>,
}

impl Auth {
    pub fn new(cfg: &DashboardConfig, key: &[u8]) -> Result<Self, DashboardError> {
        let bootstrap = if cfg.users.is_empty() {
            Some(B64.encode(random_bytes::<24>()?))
        } else {
            None
        };
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            users: cfg.users.clone(),
            ttl_ms: i64::try_from(cfg.session_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            sso_mapping: cfg.oidc.as_ref().and_then(|o| o.mapping_text()),
            bootstrap: Mutex::new(bootstrap),
        })
    }

    fn mac(&self, domain: &str, parts: &[&[u8]]) -> hmac::Tag {
        let mut c = hmac::Context::with_key(&self.key);
        c.update(domain.as_bytes());
        for p in parts {
            c.update(&(p.len() as u64).to_be_bytes());
            c.update(p);
        }
        c.sign()
    }

    fn mac_ok(&self, domain: &str, parts: &[&[u8]], tag: &[u8]) -> bool {
        ct_eq(self.mac(domain, parts).as_ref(), tag)
    }

    pub fn user(&self, name: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The user whose `email` is `email` (ignoring ASCII case).
    pub fn user_by_email(&self, email: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    /// `payload` with a MAC under `domain`, for a cookie.
    pub(crate) fn seal(&self, domain: &str, payload: &str) -> String {
        let tag = self.mac(domain, &[payload.as_bytes()]);
        format!("{}.{}", B64.encode(payload), B64.encode(tag.as_ref()))
    }

    /// The payload of a [`Self::seal`]ed value, if its MAC is right.
    pub(crate) fn open(&self, domain: &str, sealed: &str) -> Option<String> {
        let (p, t) = sealed.split_once('.')?;
        let payload = String::from_utf8(B64.decode(p).ok()?).ok()?;
        let tag = B64.decode(t).ok()?;
        self.mac_ok(domain, &[payload.as_bytes()], &tag)
            .then_some(payload)
    }

    pub fn has_users(&self) -> bool {
        !self.users.is_empty()
    }

    /// The secret a session is bound to: the user's password hash and
    /// email (so changing either ends it); for someone single sign-on let
    /// in by a claim, their email, role and the claim mapping (so changing
    /// the mapping, or adding a user entry with that email, ends it); a
    /// constant for bootstrap sessions.
    fn binding(&self, user: &str, role: Role) -> Option<String> {
        if user == BOOTSTRAP_USER && self.users.is_empty() {
            return (role == Role::Admin).then(|| "bootstrap".to_owned());
        }
        if let Some(email) = user.strip_prefix(SSO_PREFIX) {
            let mapping = self.sso_mapping.as_ref()?;
            if self.user_by_email(email).is_some() {
                return None;
            }
            return Some(format!("oidc:{email}\n{}\n{mapping}", role.as_str()));
        }
        let u = self.user(user)?;
        (u.role == role).then(|| match (&u.password_hash, &u.email) {
            (Some(hash), None) => hash.clone(),
            (hash, email) => format!(
                "user\n{}\n{}",
                hash.as_deref().unwrap_or(""),
                email.as_deref().unwrap_or("")
            ),
        })
    }

    /// A session cookie value for `user`, valid for the configured time.
    pub fn issue_session(&self, user: &str, role: Role, now_ms: i64) -> Option<String> {
        let binding = self.binding(user, role)?;
        let payload = format!(
            "{user}|{}|{}",
            role.as_str(),
            now_ms.saturating_add(self.ttl_ms)
        );
        let tag = self.mac("sg-session-v1", &[payload.as_bytes(), binding.as_bytes()]);
        Some(format!(
            "{}.{}",
            B64.encode(&payload),
            B64.encode(tag.as_ref())
        ))
    }

    /// Checks a session cookie value: signature, expiry, and that the user
    /// still exists with that role and password.
    pub fn verify_session(&self, cookie: &str, now_ms: i64) -> Option<Principal> {
        let (p, t) = cookie.split_once('.')?;
        let payload = String::from_utf8(B64.decode(p).ok()?).ok()?;
        let tag = B64.decode(t).ok()?;
        let mut it = payload.split('|');
        let (user, role, exp) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        let role = Role::parse(role)?;
        let exp: i64 = exp.parse().ok()?;
        let binding = self.binding(user, role)?;
        if !self.mac_ok(
            "sg-session-v1",
            &[payload.as_bytes(), binding.as_bytes()],
            &tag,
        ) || exp <= now_ms
        {
            return None;
        }
        Some(Principal {
            user: user.to_owned(),
            role,
            via: Via::Session {
                csrf: self.csrf_for(cookie),
            },
        })
    }

    /// The CSRF token for a session: derived, so nothing is stored.
    pub fn csrf_for(&self, session_cookie: &str) -> String {
        B64.encode(
            self.mac("sg-csrf-v1", &[session_cookie.as_bytes()])
                .as_ref(),
        )
    }

    pub fn csrf_ok(&self, session_cookie: &str, presented: &str) -> bool {
        B64.decode(presented.trim())
            .is_ok_and(|t| self.mac_ok("sg-csrf-v1", &[session_cookie.as_bytes()], &t))
    }

    /// The form token for a sign-in form, bound to the visitor's
    /// `sg_login` cookie (double submit).
    pub fn login_token(&self, nonce: &str) -> String {
        B64.encode(self.mac("sg-login-v1", &[nonce.as_bytes()]).as_ref())
    }

    pub fn login_token_ok(&self, nonce: &str, presented: &str) -> bool {
        !nonce.is_empty()
            && B64
                .decode(presented.trim())
                .is_ok_and(|t| self.mac_ok("sg-login-v1", &[nonce.as_bytes()], &t))
    }

    /// The user a configured API token belongs to.
    pub fn api_user(&self, bearer: &str) -> Option<&UserConfig> {
        let fp = token_fingerprint(bearer);
        self.users.iter().find(|u| {
            u.api_token_fingerprint
                .as_deref()
                .and_then(parse_fingerprint)
                .is_some_and(|want| ct_eq(format!("sha256:{want}").as_bytes(), fp.as_bytes()))
        })
    }

    /// The bootstrap token while unused.
    pub fn bootstrap_token(&self) -> Option<String> {
        self.bootstrap.lock().ok().and_then(|b| b.clone())
    }

    /// Whether `presented` is the unused bootstrap token (not consumed).
    pub fn bootstrap_valid(&self, presented: &str) -> bool {
        self.bootstrap_token()
            .is_some_and(|t| ct_eq(t.as_bytes(), presented.as_bytes()))
    }

    /// Uses the bootstrap token: true once.
    pub fn consume_bootstrap(&self, presented: &str) -> bool {
        let Ok(mut guard) = self.bootstrap.lock() else {
            return false;
        };
        match guard.as_deref() {
            Some(t) if ct_eq(t.as_bytes(), presented.as_bytes()) => {
                *guard = None;
                true
            }
            _ => false,
        }
    }
}

/// A request's cookie `name`, if present.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// `Set-Cookie` for a session (or its removal with `max_age` 0).
pub fn session_set_cookie(value: &str, max_age_secs: u64) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict"
    )
}

pub fn login_set_cookie(value: &str, max_age_secs: u64) -> String {
    format!(
        "{LOGIN_COOKIE}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn cfg(users: Vec<UserConfig>) -> DashboardConfig {
        DashboardConfig {
            users,
            ..DashboardConfig::default()
        }
    }

    fn user(name: &str, hash: &str, role: Role) -> UserConfig {
        UserConfig {
            name: name.into(),
            password_hash: Some(hash.into()),
            email: None,
            role,
            api_token_fingerprint: Some(token_fingerprint("api-secret")),
            slack_id: None,
            tokens: Vec::new(),
            agents: Vec::new(),
        }
    }

    const H: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    #[test]
    fn sessions_are_signed_expire_and_end_with_a_password_or_role_change() {
        let a = Auth::new(&cfg(vec![user("alice", H, Role::Approver)]), &[7; 32]).unwrap();
        let c = a.issue_session("alice", Role::Approver, 1000).unwrap();
        let p = a.verify_session(&c, 2000).unwrap();
        assert_eq!((p.user.as_str(), p.role), ("alice", Role::Approver));
        assert!(
            a.verify_session(&c, 1000 + 12 * 3600 * 1000).is_none(),
            "expired"
        );
        // tampered payload: claim admin
        let (_, tag) = c.split_once('.').unwrap();
        let forged = format!("{}.{tag}", B64.encode("alice|admin|99999999999999"));
        assert!(a.verify_session(&forged, 2000).is_none());
        // another key
        let b = Auth::new(&cfg(vec![user("alice", H, Role::Approver)]), &[8; 32]).unwrap();
        assert!(b.verify_session(&c, 2000).is_none());
        // password changed
        let h2 = H.replace("abcdef", "zzzzzz");
        let b = Auth::new(&cfg(vec![user("alice", &h2, Role::Approver)]), &[7; 32]).unwrap();
        assert!(b.verify_session(&c, 2000).is_none());
        // role changed
        let b = Auth::new(&cfg(vec![user("alice", H, Role::Viewer)]), &[7; 32]).unwrap();
        assert!(b.verify_session(&c, 2000).is_none());
        // bootstrap sessions only while no users exist
        assert!(a.issue_session(BOOTSTRAP_USER, Role::Admin, 0).is_none());
    }

    fn sso_cfg(users: Vec<UserConfig>, approvers: &str) -> DashboardConfig {
        let oidc = format!(
            "issuer = \"https://id.example\"\nclient_id = \"c\"\nclient_secret_env = \"X\"\nroles_claim = \"groups\"\nroles = {{ approver = [\"{approvers}\"] }}"
        );
        DashboardConfig {
            oidc: Some(toml::from_str(&oidc).unwrap()),
            ..cfg(users)
        }
    }

    #[test]
    fn sso_sessions_end_with_an_email_mapping_or_user_entry_change() {
        let mut ann = user("ann", H, Role::Approver);
        ann.password_hash = None;
        ann.email = Some("ann@example.com".into());
        let a = Auth::new(&sso_cfg(vec![ann.clone()], "g"), &[7; 32]).unwrap();
        let c = a.issue_session("ann", Role::Approver, 0).unwrap();
        assert!(a.verify_session(&c, 1).is_some());
        let mut moved = ann.clone();
        moved.email = Some("ann@elsewhere.example".into());
        let b = Auth::new(&sso_cfg(vec![moved], "g"), &[7; 32]).unwrap();
        assert!(b.verify_session(&c, 1).is_none(), "email changed");
        // a password user gaining an email: old sessions end too
        let mut pw = user("pat", H, Role::Approver);
        let a2 = Auth::new(&cfg(vec![pw.clone()]), &[7; 32]).unwrap();
        let c2 = a2.issue_session("pat", Role::Approver, 0).unwrap();
        pw.email = Some("pat@example.com".into());
        let b = Auth::new(&cfg(vec![pw]), &[7; 32]).unwrap();
        assert!(b.verify_session(&c2, 1).is_none(), "email added");

        // let in by the claim: bound to the mapping
        let c = a
            .issue_session("sso:bo@example.com", Role::Approver, 0)
            .unwrap();
        assert!(a.verify_session(&c, 1).is_some());
        let b = Auth::new(&sso_cfg(vec![ann.clone()], "other"), &[7; 32]).unwrap();
        assert!(b.verify_session(&c, 1).is_none(), "mapping changed");
        let mut bo = ann.clone();
        bo.name = "bo".into();
        bo.email = Some("Bo@Example.com".into());
        let b = Auth::new(&sso_cfg(vec![ann.clone(), bo], "g"), &[7; 32]).unwrap();
        assert!(
            b.verify_session(&c, 1).is_none(),
            "a user entry now has the email"
        );
        let b = Auth::new(&cfg(vec![ann]), &[7; 32]).unwrap();
        assert!(b.verify_session(&c, 1).is_none(), "single sign-on removed");
    }

    #[test]
    fn csrf_and_login_tokens_are_bound() {
        let a = Auth::new(&cfg(vec![]), &[7; 32]).unwrap();
        let t = a.csrf_for("session-a");
        assert!(a.csrf_ok("session-a", &t));
        assert!(!a.csrf_ok("session-b", &t));
        assert!(!a.csrf_ok("session-a", ""));
        let l = a.login_token("nonce");
        assert!(a.login_token_ok("nonce", &l));
        assert!(!a.login_token_ok("other", &l));
        assert!(!a.login_token_ok("", &a.login_token("")));
    }

    #[test]
    fn bootstrap_is_used_once() {
        let a = Auth::new(&cfg(vec![]), &[7; 32]).unwrap();
        let t = a.bootstrap_token().unwrap();
        assert!(!a.consume_bootstrap("wrong"));
        assert!(a.consume_bootstrap(&t));
        assert!(!a.consume_bootstrap(&t));
        let b = Auth::new(&cfg(vec![user("alice", H, Role::Admin)]), &[7; 32]).unwrap();
        assert!(b.bootstrap_token().is_none());
    }

    #[test]
    fn api_tokens_by_fingerprint() {
        let a = Auth::new(&cfg(vec![user("alice", H, Role::Admin)]), &[7; 32]).unwrap();
        assert_eq!(a.api_user("api-secret").unwrap().name, "alice");
        assert!(a.api_user("agent-token").is_none());
        assert!(parse_fingerprint(&token_fingerprint("x")).is_some());
        assert!(parse_fingerprint("sha256:abc").is_none());
    }

    #[test]
    fn cookies_are_read_from_every_header() {
        let mut h = http::HeaderMap::new();
        h.append(
            http::header::COOKIE,
            "a=1; sg_session=abc.def".parse().unwrap(),
        );
        h.append(http::header::COOKIE, "sg_login=n".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc.def"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), Some("n"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}

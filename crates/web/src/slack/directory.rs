//! Which dashboard user a Slack user is: the one whose `slack_id` is
//! theirs; else, with a bot token, the one user whose `email` equals (case
//! aside) the confirmed email Slack's `users.info` gives for them. Answers
//! are cached per Slack user for ten minutes; a failed lookup maps nobody,
//! is logged (never with the token) and is not cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header::AUTHORIZATION};
use http_body_util::{BodyExt as _, Full, Limited};
use serde::Deserialize;

use super::settings::BotToken;
use crate::config::UserConfig;
use crate::notify::HttpClient;
use crate::{DashboardError, SlackConfig};

/// How long an answer from `users.info` is used.
const TTL: Duration = Duration::from_secs(600);
/// Slack users remembered at most; beyond, expired ones go, then all.
const MAX_CACHED: usize = 1000;
/// How long `users.info` may take: under Slack's 3 s for our answer.
const TIMEOUT: Duration = Duration::from_millis(2500);
/// The largest `users.info` answer read.
const MAX_BODY: usize = 256 * 1024;

/// Slack user → dashboard user.
pub(crate) struct Directory {
    client: HttpClient,
    api_url: String,
    token: Option<BotToken>,
    cache: Mutex<Cache>,
}

impl Directory {
    pub(crate) fn new(config: &SlackConfig, client: HttpClient) -> Result<Self, DashboardError> {
        Ok(Self {
            client,
            api_url: config.api_url.trim_end_matches('/').to_owned(),
            token: config.load_bot_token()?,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// The dashboard user `slack_id` acts as, if any.
    pub(crate) async fn find<'u>(
        &self,
        users: &'u [UserConfig],
        slack_id: &str,
    ) -> Option<&'u UserConfig> {
        if let Some(u) = users
            .iter()
            .find(|u| u.slack_id.as_deref() == Some(slack_id))
        {
            return Some(u);
        }
        let user = user_by_email(users, &self.email(slack_id).await?)?;
        tracing::info!(slack_user = %slack_id, user = %user.name, "slack: mapped by confirmed email");
        Some(user)
    }

    /// `slack_id`'s confirmed email, from the cache or `users.info`.
    async fn email(&self, slack_id: &str) -> Option<String> {
        let token = self.token.as_ref()?;
        if slack_id.is_empty() || !slack_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let cached = self.cache.lock().ok()?.get(slack_id, Instant::now());
        if let Some(hit) = cached {
            return hit;
        }
        match self.users_info(token, slack_id).await {
            Ok(email) => {
                if let Ok(mut c) = self.cache.lock() {
                    c.put(slack_id, email.clone(), Instant::now());
                }
                email
            }
            Err(why) => {
                tracing::warn!(slack_user = %slack_id, error = %why, "slack: users.info failed; not mapped");
                None
            }
        }
    }

    /// `GET {api_url}/users.info?user={slack_id}`: the confirmed email, or
    /// none; `Err` says what failed (without the token).
    async fn users_info(&self, token: &BotToken, slack_id: &str) -> Result<Option<String>, String> {
        let mut auth = HeaderValue::try_from(format!("Bearer {}", token.expose()))
            .map_err(|_| "the bot token is not a header value".to_owned())?;
        auth.set_sensitive(true);
        let req = http::Request::get(format!("{}/users.info?user={slack_id}", self.api_url))
            .header(AUTHORIZATION, auth)
            .body(Full::<Bytes>::default())
            .map_err(|_| "slack.api_url does not make a request URL".to_owned())?;
        let fetch = async {
            let res = self.client.request(req).await.map_err(|e| e.to_string())?;
            if res.status() != StatusCode::OK {
                return Err(format!("status {}", res.status()));
            }
            let body = Limited::new(res.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|_| "the answer was unreadable or too large".to_owned())?;
            confirmed_email(&body.to_bytes())
        };
        tokio::time::timeout(TIMEOUT, fetch)
            .await
            .map_err(|_| format!("no answer in {} ms", TIMEOUT.as_millis()))?
    }
}

/// The parts of `users.info`'s answer used here.
#[derive(Deserialize)]
struct Info {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    user: Option<InfoUser>,
}

#[derive(Deserialize)]
struct InfoUser {
    #[serde(default)]
    is_email_confirmed: Option<bool>,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    email: Option<String>,
}

/// `user.profile.email` when `ok` and `user.is_email_confirmed` are true;
/// `Ok(None)` for a user without a confirmed email.
fn confirmed_email(body: &[u8]) -> Result<Option<String>, String> {
    let info: Info =
        serde_json::from_slice(body).map_err(|_| "the answer is not users.info JSON".to_owned())?;
    if !info.ok {
        let error = info.error.unwrap_or_default();
        return Err(format!("ok = false ({})", error.escape_debug()));
    }
    let user = info
        .user
        .ok_or_else(|| "the answer has no user".to_owned())?;
    let email = user.profile.and_then(|p| p.email);
    Ok(email.filter(|e| user.is_email_confirmed == Some(true) && !e.is_empty()))
}

/// The one user whose `email` is `email`, case aside.
/// A user linked to a Slack id already is that account only: another
/// Slack account with the same email does not act as them.
fn user_by_email<'u>(users: &'u [UserConfig], email: &str) -> Option<&'u UserConfig> {
    let mut hits = users.iter().filter(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    });
    let one = hits.next()?;
    if one.slack_id.is_some() {
        return None;
    }
    hits.next().is_none().then_some(one)
}

/// Answers from `users.info` by Slack user id, with when they came.
#[derive(Default)]
struct Cache(HashMap<String, (Instant, Option<String>)>);

impl Cache {
    /// The answer for `id` if younger than [`TTL`].
    fn get(&self, id: &str, now: Instant) -> Option<Option<String>> {
        let (at, email) = self.0.get(id)?;
        (now.saturating_duration_since(*at) < TTL).then(|| email.clone())
    }

    fn put(&mut self, id: &str, email: Option<String>, now: Instant) {
        if self.0.len() >= MAX_CACHED && !self.0.contains_key(id) {
            self.0
                .retain(|_, (at, _)| now.saturating_duration_since(*at) < TTL);
            if self.0.len() >= MAX_CACHED {
                self.0.clear();
            }
        }
        self.0.insert(id.to_owned(), (now, email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, email: Option<&str>) -> UserConfig {
        UserConfig {
            name: name.into(),
            password_hash: None,
            email: email.map(Into::into),
            role: crate::Role::Approver,
            api_token_fingerprint: None,
            slack_id: None,
            tokens: Vec::new(),
            agents: Vec::new(),
        }
    }

    #[test]
    fn only_a_confirmed_email_counts() {
        let with = |confirmed: &str| {
            format!(
                r#"{{"ok":true,"user":{{"id":"U1",{confirmed}"profile":{{"email":"a@x.example"}}}}}}"#
            )
        };
        let got = |s: String| confirmed_email(s.as_bytes());
        assert_eq!(
            got(with(r#""is_email_confirmed":true,"#)),
            Ok(Some("a@x.example".into()))
        );
        assert_eq!(got(with(r#""is_email_confirmed":false,"#)), Ok(None));
        assert_eq!(got(with("")), Ok(None));
        assert_eq!(
            got(r#"{"ok":true,"user":{"is_email_confirmed":true,"profile":{}}}"#.into()),
            Ok(None)
        );
        assert!(got(r#"{"ok":false,"error":"user_not_found"}"#.into()).is_err());
        assert!(got(r#"{"ok":true}"#.into()).is_err());
        assert!(got("<html>".into()).is_err());
    }

    #[test]
    fn exactly_one_user_must_have_the_email() {
        let users = [
            user("alice", Some("Alice@X.example")),
            user("bob", None),
            user("carol", Some("carol@x.example")),
        ];
        let found = user_by_email(&users, "alice@x.example").map(|u| u.name.as_str());
        assert_eq!(found, Some("alice"));
        assert!(user_by_email(&users, "nobody@x.example").is_none());
        let twice = [
            user("a", Some("s@x.example")),
            user("b", Some("S@x.example")),
        ];
        assert!(user_by_email(&twice, "s@x.example").is_none());
        let mut linked = user("dana", Some("dana@x.example"));
        linked.slack_id = Some("UDANA".into());
        assert!(
            user_by_email(&[linked], "dana@x.example").is_none(),
            "a user linked to a Slack id is that account only"
        );
    }

    #[test]
    fn the_cache_forgets_after_ten_minutes_and_stays_bounded() {
        let t0 = Instant::now();
        let mut c = Cache::default();
        c.put("U1", Some("a@x.example".into()), t0);
        c.put("U2", None, t0);
        assert_eq!(c.get("U1", t0 + TTL / 2), Some(Some("a@x.example".into())));
        assert_eq!(c.get("U2", t0 + TTL / 2), Some(None));
        assert_eq!(c.get("U1", t0 + TTL), None);
        assert_eq!(c.get("U3", t0), None);
        for i in 0..MAX_CACHED + 5 {
            c.put(&format!("V{i}"), None, t0 + TTL / 2);
        }
        assert!(c.0.len() <= MAX_CACHED, "{}", c.0.len());
        assert!(
            c.get(&format!("V{}", MAX_CACHED + 4), t0 + TTL / 2)
                .is_some()
        );
    }
}

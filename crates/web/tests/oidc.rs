//! Single sign-on against a fake OpenID Connect provider: a good sign-in
//! gives a working session; a wrong audience, an expired token, a bad
//! signature, `alg: none`, a state or nonce mismatch, a PKCE verifier the
//! provider rejects, an unverified email and an unknown user are each
//! refused with words and no session.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "oidc/fake_idp.rs"]
mod fake_idp;

use std::collections::HashMap;

use bytes::Bytes;
use common::*;
use fake_idp::{CLIENT_ID, CLIENT_SECRET, FakeIdp, Plan, s256};
use http::StatusCode;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use scopegate_web::{DashboardConfig, Role, UserConfig};
use serde_json::json;

const DASH: &str = "https://dash.example";

fn settings(issuer: &str, secret_file: &std::path::Path) -> DashboardConfig {
    let text = format!(
        r#"public_url = "{DASH}"
[[users]]
name = "ann"
email = "ann@example.com"
role = "approver"
[oidc]
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret_file = "{}"
name = "Example ID"
roles_claim = "groups"
roles = {{ approver = ["sg-approvers"], viewer = ["staff"] }}
"#,
        secret_file.display()
    );
    toml::from_str(&text).unwrap()
}

struct Sso {
    app: App,
    idp: FakeIdp,
    router: axum::Router,
}

async fn sso() -> Sso {
    let idp = FakeIdp::start().await;
    let dir = temp_dir("oidc");
    let secret = dir.join("client-secret");
    std::fs::write(&secret, format!("{CLIENT_SECRET}\n")).unwrap();
    let app = app_with(settings(&idp.issuer(), &secret)).await;
    let router = app.dashboard.router();
    Sso { app, idp, router }
}

fn query(url: &str) -> HashMap<String, String> {
    fake_idp::form_decode(url.split_once('?').unwrap().1)
}

/// What one sign-in attempt gave.
struct Attempt {
    /// The authorization request's parameters.
    authorize: HashMap<String, String>,
    /// The callback's answer.
    res: Res,
    /// The `sg_session=...` pair, if one was set.
    session: Option<String>,
}

/// Starts a sign-in, lets the fake "authorize" it (HTTP, as a browser
/// would follow the redirect), then calls the callback with the code and
/// `state` (the real one unless given), carrying the flow cookie.
async fn attempt(s: &Sso, plan: Plan, state: Option<&str>) -> Attempt {
    s.idp.plan(plan);
    let start = send(&s.router, get("/login/oidc?next=/history", None)).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let flow = start.cookie("sg_oidc").unwrap();
    let to_idp = start.location().to_owned();
    assert!(to_idp.starts_with(&format!("{}/authorize?", s.idp.issuer())));
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let back = client.get(to_idp.parse().unwrap()).await.unwrap();
    let back = back.headers()[http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let callback = back.strip_prefix(DASH).unwrap();
    assert!(callback.starts_with("/login/oidc/callback?"), "{callback}");
    let mut q = query(callback);
    if let Some(st) = state {
        q.insert("state".into(), st.into());
    }
    let path = format!(
        "/login/oidc/callback?code={}&state={}",
        q["code"],
        scopegate_web::html::query_value(&q["state"])
    );
    let res = send(&s.router, get(&path, Some(&format!("sg_oidc={flow}")))).await;
    let session = res
        .cookie("sg_session")
        .filter(|v| !v.is_empty())
        .map(|v| format!("sg_session={v}"));
    Attempt {
        authorize: query(&to_idp),
        res,
        session,
    }
}

/// Refused with `words` on the page, no session, the flow cookie cleared.
fn assert_refused(a: &Attempt, words: &str) {
    assert_eq!(a.res.status, StatusCode::FORBIDDEN, "{}", a.res.body);
    assert!(a.session.is_none(), "a session was set");
    assert!(
        a.res.body.contains("Single sign-on refused") && a.res.body.contains(words),
        "{words:?} not in {}",
        a.res.body
    );
    assert_eq!(a.res.cookie("sg_oidc").as_deref(), Some(""));
}

/// The token endpoint got the client's credentials (Basic) and the
/// verifier of the authorization request's challenge.
fn assert_token_request_was_right(s: &Sso, a: &Attempt) {
    let reqs = s.idp.token_requests();
    let t = reqs.last().expect("the token endpoint was called");
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{CLIENT_ID}:{CLIENT_SECRET}"),
    );
    assert_eq!(t.authorization, format!("Basic {basic}"));
    assert_eq!(t.form["grant_type"], "authorization_code");
    assert_eq!(
        t.form["redirect_uri"],
        format!("{DASH}/login/oidc/callback")
    );
    let verifier = &t.form["code_verifier"];
    assert!(verifier.len() >= 43, "{verifier}");
    assert_eq!(s256(verifier), a.authorize["code_challenge"]);
}

#[tokio::test]
async fn a_good_sign_in_gives_a_session_that_works() {
    let s = sso().await;
    let login = send(&s.router, get("/login", None)).await;
    assert!(
        login.body.contains("Sign in with Example ID"),
        "{}",
        login.body
    );
    assert!(login.body.contains("href=\"/login/oidc?next=%2F\""));

    for alg in ["ES256", "RS256"] {
        let a = attempt(
            &s,
            Plan {
                alg,
                ..Plan::default()
            },
            None,
        )
        .await;
        assert_eq!(a.res.status, StatusCode::SEE_OTHER, "{alg}: {}", a.res.body);
        assert_eq!(a.res.location(), "/history");
        assert_eq!(a.res.cookie("sg_oidc").as_deref(), Some(""));
        let p = &a.authorize;
        assert_eq!(p["response_type"], "code");
        assert_eq!(p["client_id"], CLIENT_ID);
        assert_eq!(p["scope"], "openid email profile");
        assert_eq!(p["code_challenge_method"], "S256");
        assert!(p["state"].len() >= 32 && p["nonce"].len() >= 32);
        assert_eq!(s.idp.authorize_params().last(), Some(p));
        assert_token_request_was_right(&s, &a);
        let page = send(&s.router, get("/", a.session.as_deref())).await;
        assert_eq!(page.status, StatusCode::OK, "{alg}: {}", page.body);
        assert!(page.body.contains("ann"));
    }
    // let in by the roles claim: named by email, with the claim's role
    let plan = Plan {
        claims: json!({"email": "bo@example.com", "groups": ["staff", "sg-approvers"]}),
        ..Plan::default()
    };
    let a = attempt(&s, plan, None).await;
    assert_eq!(a.res.status, StatusCode::SEE_OTHER, "{}", a.res.body);
    let page = send(&s.router, get("/", a.session.as_deref())).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("sso:bo@example.com"));
    // the second sign-in used the cached keys
    assert_eq!(s.idp.jwks_fetches(), 1);
    drop(s.app);
}

#[tokio::test]
async fn wrong_audience_expired_and_future_tokens_are_refused() {
    let s = sso().await;
    let cases = [
        (json!({"aud": "another-client"}), "wrong audience"),
        (
            json!({"aud": [CLIENT_ID, "another-client"]}),
            "wrong audience",
        ),
        (json!({"exp": 1_000_000, "iat": 999_000}), "has expired"),
        (
            json!({"iss": "https://elsewhere.example"}),
            "another issuer",
        ),
    ];
    for (claims, words) in cases {
        let a = attempt(
            &s,
            Plan {
                claims,
                ..Plan::default()
            },
            None,
        )
        .await;
        assert_refused(&a, words);
        assert_token_request_was_right(&s, &a);
    }
}

#[tokio::test]
async fn a_bad_signature_and_alg_none_are_refused() {
    let s = sso().await;
    let a = attempt(
        &s,
        Plan {
            foreign_key: true,
            ..Plan::default()
        },
        None,
    )
    .await;
    assert_refused(&a, "signature is not valid");
    let a = attempt(
        &s,
        Plan {
            alg: "none",
            ..Plan::default()
        },
        None,
    )
    .await;
    assert_refused(&a, "not signed with RS256 or ES256");
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_keys_at_most_once_a_minute() {
    let s = sso().await;
    let a = attempt(&s, Plan::default(), None).await;
    assert_eq!(a.res.status, StatusCode::SEE_OTHER, "{}", a.res.body);
    assert_eq!(s.idp.jwks_fetches(), 1);
    let rotated = Plan {
        kid: Some("rotated"),
        ..Plan::default()
    };
    let a = attempt(&s, rotated.clone(), None).await;
    assert_refused(
        &a,
        "signed with a key the identity provider does not publish",
    );
    // fetched within the minute: the cached set is used, the fake not asked
    let a = attempt(&s, rotated, None).await;
    assert_refused(&a, "does not publish");
    assert_eq!(s.idp.jwks_fetches(), 1);
}

#[tokio::test]
async fn a_state_mismatch_is_refused_before_the_code_is_used() {
    let s = sso().await;
    let a = attempt(&s, Plan::default(), Some("forged-state")).await;
    assert_refused(&a, "state mismatch");
    assert!(s.idp.token_requests().is_empty(), "the code was exchanged");
    // and without the flow cookie at all
    let res = send(&s.router, get("/login/oidc/callback?code=c&state=s", None)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(
        res.body
            .contains("expired or was started in another browser")
    );
    assert!(res.cookie("sg_session").is_none());
}

#[tokio::test]
async fn a_nonce_mismatch_is_refused() {
    let s = sso().await;
    let a = attempt(
        &s,
        Plan {
            claims: json!({"nonce": "another"}),
            ..Plan::default()
        },
        None,
    )
    .await;
    assert_refused(&a, "nonce mismatch");
}

#[tokio::test]
async fn a_verifier_the_provider_rejects_is_refused() {
    let s = sso().await;
    let a = attempt(
        &s,
        Plan {
            spoil_challenge: true,
            ..Plan::default()
        },
        None,
    )
    .await;
    assert_refused(&a, "token endpoint refused the sign-in code");
    // the dashboard did send the verifier of its own challenge
    assert_token_request_was_right(&s, &a);
}

#[tokio::test]
async fn an_unverified_email_and_an_unknown_user_are_refused() {
    let s = sso().await;
    let a = attempt(
        &s,
        Plan {
            claims: json!({"email_verified": false}),
            ..Plan::default()
        },
        None,
    )
    .await;
    assert_refused(&a, "has not verified your email");
    let plan = Plan {
        claims: json!({"email": "zed@example.com", "groups": ["others"]}),
        ..Plan::default()
    };
    let a = attempt(&s, plan, None).await;
    assert_refused(&a, "you are not a user of this dashboard");
}

#[tokio::test]
async fn a_user_without_a_password_cannot_sign_in_with_one() {
    let s = sso().await;
    let (cookie, res) = sign_in(&s.router, "ann", "").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_none());
}

#[test]
fn settings_need_a_password_or_an_email_and_no_secret_inline() {
    let mut cfg = settings("https://id.example", std::path::Path::new("/x"));
    cfg.users.push(UserConfig {
        name: "nobody".into(),
        password_hash: None,
        email: None,
        role: Role::Viewer,
        api_token_fingerprint: None,
        slack_id: None,
        tokens: Vec::new(),
        agents: Vec::new(),
    });
    let err = cfg.validate().unwrap_err().to_string();
    assert!(
        err.contains("neither a password_hash nor an email"),
        "{err}"
    );
    let mut cfg = settings("http://id.example", std::path::Path::new("/x"));
    cfg.oidc.as_mut().unwrap().client_secret_env = Some("X".into());
    let err = cfg.validate().unwrap_err().to_string();
    assert!(err.contains("oidc.issuer must be an https://"), "{err}");
    assert!(err.contains("exactly one of client_secret_env"), "{err}");
    let inline =
        "[oidc]\nissuer = \"https://id.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";
    assert!(toml::from_str::<DashboardConfig>(inline).is_err());
}

//! A dashboard over a fresh SQLite store, its users, and helpers to drive
//! it as a browser would (cookies, CSRF tokens) through `Router::oneshot`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use scopegate_model::{ApprovalId, HeldDetail, HeldRequest};
use scopegate_policy::ScopeMap;
use scopegate_store::{ApprovalHub, Store};
use scopegate_web::{Dashboard, DashboardConfig, Role, UserConfig, token_fingerprint};
use tower::ServiceExt as _;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether Chromium and playwright-core are installed, or why not.
pub fn browser_ready() -> Result<(), String> {
    if !Path::new("/usr/bin/chromium").exists() {
        return Err(
            "/usr/bin/chromium is not installed (scripts/setup-test-clients installs it)".into(),
        );
    }
    if !repo_root()
        .join("tests/browser/node_modules/playwright-core")
        .exists()
    {
        return Err(
            "tests/browser has no node_modules (scripts/setup-test-clients runs npm ci)".into(),
        );
    }
    Ok(())
}

pub const PASSWORD: &str = "correct horse battery staple";
/// The approver's and the viewer's API tokens.
pub const ADMIN_API_TOKEN: &str = "sgd_admin_api_token_for_tests";
pub const VIEWER_API_TOKEN: &str = "sgd_viewer_api_token_for_tests";
/// The agent's token from the example scope map.
pub const AGENT_TOKEN: &str = "demo-railway-domains-token";

pub fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "sg-web-{tag}-{}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One argon2 hash of PASSWORD for every user (hashing is slow on purpose).
pub fn password_hash() -> String {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| scopegate_web::hash_password(PASSWORD).unwrap())
        .clone()
}

pub fn users() -> Vec<UserConfig> {
    let h = password_hash();
    vec![
        UserConfig {
            name: "alice".into(),
            password_hash: Some(h.clone()),
            email: None,
            role: Role::Approver,
            api_token_fingerprint: None,
            slack_id: None,
            tokens: Vec::new(),
            agents: Vec::new(),
        },
        UserConfig {
            name: "vic".into(),
            password_hash: Some(h.clone()),
            email: None,
            role: Role::Viewer,
            api_token_fingerprint: Some(token_fingerprint(VIEWER_API_TOKEN)),
            slack_id: None,
            tokens: Vec::new(),
            agents: Vec::new(),
        },
        UserConfig {
            name: "root".into(),
            password_hash: Some(h),
            email: None,
            role: Role::Admin,
            api_token_fingerprint: Some(token_fingerprint(ADMIN_API_TOKEN)),
            slack_id: None,
            tokens: Vec::new(),
            agents: Vec::new(),
        },
    ]
}

pub fn scope_map() -> Arc<ScopeMap> {
    Arc::new(
        ScopeMap::from_toml(
            "railway-domains.toml",
            include_str!("../../../../config/examples/railway-domains.toml"),
        )
        .unwrap(),
    )
}

pub async fn store() -> Store {
    let dir = temp_dir("db");
    let s = Store::connect(&format!("sqlite://{}", dir.join("sg.db").display()))
        .await
        .unwrap();
    s.migrate().await.unwrap();
    s
}

pub struct App {
    pub dashboard: Dashboard,
    pub store: Store,
    pub hub: ApprovalHub,
    pub dir: PathBuf,
}

pub async fn app_with(mut config: DashboardConfig) -> App {
    let store = store().await;
    let hub = ApprovalHub::default();
    let dir = temp_dir("key");
    if config.session_key_file.is_none() && config.session_key_env.is_none() {
        config.session_key_file = Some(dir.join("dashboard.key"));
    }
    let map = scope_map();
    let dashboard =
        Dashboard::new(config, store.clone(), hub.clone(), move || map.clone()).unwrap();
    App {
        dashboard,
        store,
        hub,
        dir,
    }
}

pub async fn app() -> App {
    app_with(DashboardConfig {
        users: users(),
        public_url: Some("https://dash.example".into()),
        ..DashboardConfig::default()
    })
    .await
}

/// The incident's request, held: `railway:volumeDelete` on `vol-123`.
pub fn volume_delete_hold(key: &str) -> HeldRequest {
    let mut h = HeldRequest {
        grant_key: key.into(),
        decision_id: format!("dec_{key}").into(),
        token: Some("railway-domains".into()),
        fingerprint_prefix: Some("7a748b32060e".into()),
        agent: Some("claude".into()),
        provider: "railway".into(),
        host: "backboard.railway.com".into(),
        method: "POST".into(),
        path: "/graphql/v2".into(),
        rule: "railway-domains/hold-destructive".into(),
        reason: "railway:volumeDelete is destructive: rule hold-destructive holds it for approval"
            .into(),
        operations: Vec::new(),
        request: serde_json::Value::Null,
        rule_note: None,
        agent_reason: None,
        who_decides: Default::default(),
    };
    h.set_detail(
        HeldDetail::from_value(serde_json::json!({
            "operations": [{
                "provider": "railway", "name": "volumeDelete", "class": "destructive",
                "resources": {"volumeId": ["vol-123"]}
            }],
            "request": {"method": "POST", "path": "/graphql/v2", "graphql": [{
                "query": "mutation { volumeDelete(volumeId: \"vol-123\") }",
                "variables": {},
                "operationName": null
            }]}
        }))
        .unwrap(),
    );
    h
}

/// The incident's request with what the proxy resolved of `vol-123`:
/// the production database's volume, its backups, where it is mounted.
pub fn resolved_volume_delete_hold(key: &str) -> HeldRequest {
    use scopegate_model::Attribute;
    let mut h = volume_delete_hold(key);
    let latest = std::time::SystemTime::now() - Duration::from_secs(2 * 3600 + 60);
    let latest = scopegate_web::html::time(
        latest
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    // `2026-05-01 12:03:07 UTC` → RFC 3339
    let latest = format!("{}Z", latest.trim_end_matches(" UTC").replacen(' ', "T", 1));
    for (k, v) in [
        ("volume", "postgres-data"),
        ("volume.usedMB", "4200"),
        ("volume.backups", "3"),
        ("volume.latestBackup", latest.as_str()),
        ("service", "Postgres"),
        ("project", "pocketos"),
        ("environment", "production"),
    ] {
        h.operations[0].set_attribute(k, Attribute::known([v.to_owned()]));
    }
    h
}

/// How long the test holds may stay pending.
pub const PENDING_FOR: Duration = Duration::from_secs(3600);

pub async fn hold(store: &Store, id: &str) -> ApprovalId {
    hold_request(store, id, &volume_delete_hold(id)).await
}

/// Holds `h` as approval `id`.
pub async fn hold_request(store: &Store, id: &str, h: &HeldRequest) -> ApprovalId {
    let (a, new) = store
        .hold(h, PENDING_FOR, &ApprovalId::new(id))
        .await
        .unwrap();
    assert!(new);
    a.id
}

/// A held write, `railway:variableUpsert`: it destroys nothing, so it
/// needs no typed confirmation.
pub fn variable_upsert_hold(key: &str) -> HeldRequest {
    let mut h = volume_delete_hold(key);
    h.reason = "railway:variableUpsert is a write: rule hold-writes holds it".into();
    h.rule = "railway-domains/hold-writes".into();
    let mut op = scopegate_model::Operation::new(
        "railway",
        "variableUpsert",
        scopegate_model::OpClass::Write,
    );
    op.add_resource("environmentId", "env-staging".into());
    h.operations = vec![op];
    h
}

pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Res {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The value a Set-Cookie gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Res {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Res {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::empty()).unwrap()
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                scopegate_web::html::query_value(k),
                scopegate_web::html::query_value(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn post_form(path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Request<Body> {
    let mut r =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(form_encode(fields))).unwrap()
}

pub fn api(
    method: &str,
    path: &str,
    bearer: &str,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let r = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {bearer}"));
    match body {
        Some(b) => r
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => r.body(Body::empty()).unwrap(),
    }
}

/// The value of `name="..." value="..."` / `content="..."` after `marker`.
pub fn attr_after(html: &str, marker: &str, attr: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {html}"));
    let rest = &html[at..];
    let a = rest.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
    let end = rest[a..].find('"').unwrap();
    rest[a..a + end].to_owned()
}

/// The session's CSRF token, as the page's meta tag carries it.
pub fn csrf_of(html: &str) -> String {
    attr_after(html, "name=\"csrf-token\"", "content")
}

/// Signs in through the form; returns the `sg_session=...` cookie pair
/// and the response.
pub async fn sign_in(router: &Router, name: &str, password: &str) -> (Option<String>, Res) {
    let form = send(router, get("/login", None)).await;
    assert_eq!(form.status, StatusCode::OK);
    let nonce = form.cookie("sg_login").unwrap();
    let token = attr_after(&form.body, "name=\"csrf\"", "value");
    let res = send(
        router,
        post_form(
            "/login",
            Some(&format!("sg_login={nonce}")),
            &[
                ("csrf", &token),
                ("name", name),
                ("password", password),
                ("next", "/"),
            ],
        ),
    )
    .await;
    let cookie = res
        .cookie("sg_session")
        .filter(|v| !v.is_empty())
        .map(|v| format!("sg_session={v}"));
    (cookie, res)
}

/// Signed in, with the session's CSRF token.
pub async fn session(router: &Router, name: &str) -> (String, String) {
    let (cookie, res) = sign_in(router, name, PASSWORD).await;
    let cookie = cookie.unwrap_or_else(|| panic!("sign-in failed: {} {}", res.status, res.body));
    let page = send(router, get("/", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = csrf_of(&page.body);
    (cookie, csrf)
}

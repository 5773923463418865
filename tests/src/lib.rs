//! scopegate's end-to-end testkit: everything on loopback, nothing on a
//! fixed port.
//!
//! - [`TestCa`]: a throwaway CA that signs the fake providers' certificates.
//!   The proxy trusts it for *upstream* TLS (`[upstream] extra_ca_files`);
//!   clients trust scopegate's own generated CA ([`Harness::ca_path`]).
//! - [`Fake`]: one HTTPS server (h2 + http/1.1) standing in for Railway's
//!   GraphQL endpoint, GitHub's REST API and two non-provider hosts. It records
//!   every request it receives, byte for byte, so that tests assert what
//!   actually arrived upstream — and that refused requests never did.
//! - [`Harness`]: a fake plus a proxy started in process from a scope map
//!   and settings written to a temp dir, with route overrides pointing the
//!   provider hosts at the fake, and a [`MemorySink`] for decisions.
//! - [`wire`]: raw CONNECT, TLS and HTTP/1.1 / HTTP/2 clients in Rust.
//! - [`CorpProxy`]: a corporate CONNECT proxy for `[upstream] proxy`,
//!   recording each CONNECT and its credentials.
//! - [`clients`]: finding and running the real clients (curl, Python,
//!   Node, gh), skipping — or failing, when `CI` is set — when one is missing.
//! - [`moto`], [`aws_forwarder`], [`aws_cli`]: moto's server (a fake AWS),
//!   a TLS forwarder in front of it that records each request, and the AWS
//!   CLI run with an environment of its own; [`aws_shapes`] names and
//!   writes recorded requests (tests/fixtures/aws-requests/).

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod aws_cli;
pub mod aws_forwarder;
pub mod aws_shapes;
pub mod cli_answers;
pub mod clients;
pub mod corp_proxy;
pub mod fake;
pub mod fake_ws;
pub mod github_lookup;
pub mod moto;
pub mod railway_answers;
pub mod railway_lookup;
pub mod wire;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use scopegate_model::{
    DecisionOutcome, DecisionRecord, DecisionSink, Fingerprint, RecordError, Ticket,
};
use scopegate_proxy::Running;

pub use corp_proxy::CorpProxy;
pub use fake::{Fake, Received};
pub use wire::Resp;

/// Installs ring as the process's default rustls provider (once).
pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Host names the fake answers for (one certificate names them all).
pub const RAILWAY_HOST: &str = "backboard.railway.com";
pub const RAILWAY_APP_HOST: &str = "backboard.railway.app";
pub const GITHUB_HOST: &str = "api.github.com";
/// Not a provider: reached through a route override, tunnelled untouched.
pub const OTHER_HOST: &str = "internal.example";
/// A second non-provider host the fake answers for (a tunnel whose SNI
/// names another non-provider host than its CONNECT).
pub const MIRROR_HOST: &str = "mirror.example";

/// Every host of every bundled provider (the provider registry's), then
/// the two non-provider hosts: what the fake answers for and the proxy
/// routes to it.
pub fn fake_hosts() -> Vec<String> {
    let catalogs = scopegate_inspect::CatalogSet::bundled().expect("bundled catalogues");
    let mut hosts: Vec<String> = catalogs
        .providers()
        .flat_map(|c| c.hosts.iter().cloned())
        .collect();
    hosts.extend([OTHER_HOST.to_owned(), MIRROR_HOST.to_owned()]);
    hosts
}

/// The incident token (`config/examples/railway-domains.toml`).
pub const RAILWAY_TOKEN: &str = "demo-railway-domains-token";
/// A CI job's GitHub token (`config/examples/github-ci.toml`).
pub const GITHUB_TOKEN: &str = "demo-github-ci-token";
/// What the agent holds: a scopegate surrogate, worthless upstream.
pub const SURROGATE: &str = "sgs_e2e_surrogate_4f1c9a7d";
/// What only scopegate knows (read from a file next to the scope map).
pub const REAL_SECRET: &str = "real-railway-secret-8c2e51";
/// A token no scope map names.
pub const STRANGER_TOKEN: &str = "some-token-found-in-a-file";

/// The incident request: destructive, held for a human by the domains token.
pub const VOLUME_DELETE: &str = r#"{"query":"mutation VolumeDelete($id: String!) {\n  volumeDelete(volumeId: $id)\n}","variables":{"id":"vol-prod-db-1"},"operationName":"VolumeDelete"}"#;
/// What the domains token was made for: allowed.
pub const CUSTOM_DOMAIN_CREATE: &str = r#"{"query":"mutation CustomDomainCreate($input: CustomDomainCreateInput!) { customDomainCreate(input: $input) { id domain } }","variables":{"input":{"domain":"app.example.com","environmentId":"env-staging-1","projectId":"prj-1","serviceId":"svc-web"}}}"#;

/// `sha256:<hex>` of a token, as scope maps name it.
pub fn fp(token: &str) -> String {
    Fingerprint::of(token.as_bytes()).to_string()
}

/// A scope map in which `token` (named `name`) may read and nothing else.
pub fn read_only_scope_map(name: &str, token: &str) -> String {
    format!(
        r#"version = 1

[[token]]
name = "{name}"
fingerprint = "{}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]
"#,
        fp(token)
    )
}

/// The scope map most tests use: the incident token scoped properly, the
/// GitHub CI token, and a surrogate whose real secret lives in a file.
pub fn standard_scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "railway-domains"
fingerprint = "{railway}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "custom-domains"
effect = "allow"
operations = ["railway:customDomainCreate", "railway:customDomainDelete"]

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]
except = ["railway:customDomainDelete"]

[[token]]
name = "github-ci"
fingerprint = "{github}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "site-writes"
effect = "allow"
class = ["write"]
resources = {{ repository = ["acme/site"] }}

[[token.rule]]
id = "never-delete-repos"
effect = "deny"
operations = ["github:repos/delete", "github:repos/transfer"]

[[token]]
name = "agent"
surrogate = "{surrogate}"
secret = {{ file = "railway-secret.txt" }}

[[token.rule]]
id = "reads-and-writes"
effect = "allow"
class = ["read", "write"]

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]
"#,
        railway = fp(RAILWAY_TOKEN),
        github = fp(GITHUB_TOKEN),
        surrogate = fp(SURROGATE),
    )
}

/// A test CA (ECDSA P-256) for the fake providers' certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pub pem: String,
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    pub fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "scopegate e2e fake-provider CA");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(30);
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server config (ALPN h2, http/1.1) with one leaf naming `hosts`.
    pub fn server_config(&self, hosts: &[&str]) -> Arc<ServerConfig> {
        let names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, hosts[0]);
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::hours(1);
        params.not_after = now + time::Duration::days(7);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let chain = vec![cert.der().clone(), self.der.clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "scopegate-e2e-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Decisions the proxy recorded, in order. [`MemorySink::fail`] makes it
/// refuse to record, like a decision log that is down.
#[derive(Default)]
pub struct MemorySink {
    records: Mutex<Vec<DecisionRecord>>,
    failing: std::sync::atomic::AtomicBool,
}

impl DecisionSink for MemorySink {
    fn record(&self, record: DecisionRecord) -> Result<Ticket, RecordError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(RecordError::JournalWrite {
                cause: "the e2e sink is failing on purpose".into(),
            });
        }
        let mut records = self.records.lock().unwrap();
        records.push(record);
        Ok(Ticket(records.len() as u64))
    }

    fn ready(&self) -> Result<(), RecordError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(RecordError::JournalUnwritable {
                cause: "the e2e sink is failing on purpose".into(),
            });
        }
        Ok(())
    }

    fn outcome(&self, outcome: DecisionOutcome) {
        let mut records = self.records.lock().unwrap();
        if let Some(r) = records.iter_mut().find(|r| r.id == outcome.decision_id) {
            r.upstream_status = outcome.upstream_status;
            r.upstream_millis = Some(outcome.upstream_millis);
        }
    }
}

impl MemorySink {
    pub fn records(&self) -> Vec<DecisionRecord> {
        self.records.lock().unwrap().clone()
    }

    /// From now on, every record fails (`true`) or succeeds (`false`).
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// The record with this decision id.
    pub fn by_id(&self, id: &str) -> DecisionRecord {
        self.records()
            .into_iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no decision recorded with id {id}"))
    }
}

/// Extra settings for [`Harness::start_with`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `proxy.header_timeout_secs` (default 5).
    pub header_timeout_secs: Option<u64>,
    /// `proxy.max_body_bytes` (default: the proxy's).
    pub max_body_bytes: Option<usize>,
    /// More lines for the `[proxy]` table (`egress = "refuse"`, ...).
    pub proxy: String,
    /// TOML appended at the end (e.g. `[proxy.auth]` tables).
    pub tail: String,
    /// Do not give the proxy the fake's CA: upstream TLS must then fail.
    pub distrust_fake: bool,
    /// More lines for the `[upstream]` table (`http2 = true`, ...).
    pub upstream: String,
    /// More hosts (or IP literals) routed to the fake.
    pub routed: Vec<&'static str>,
    /// Do not route the fake's hosts to it (an upstream proxy resolves
    /// them: [`CorpProxy::resolve_names_to`]).
    pub unrouted: bool,
    /// `host:port` routed elsewhere (a closed port, say).
    pub routes: Vec<(String, std::net::SocketAddr)>,
    /// More CAs (PEM) the proxy trusts upstream, as `extra-ca-<n>.pem`
    /// in `extra_ca_files`: an [`aws_forwarder::AwsForwarder`]'s, whose
    /// hosts `routes` sends to it (`routes: fwd.routes()`).
    pub extra_ca_pems: Vec<String>,
    /// Files written into the harness's folder before the proxy starts
    /// (catalogues a scope map names, ...).
    pub files: Vec<(&'static str, String)>,
}

/// The settings file the harness's proxy reads: the fake's hosts routed to
/// it (`fake_addr`), the fake's CA trusted unless `opts` says otherwise,
/// and `opts`' extra lines.
fn settings_text(opts: &Options, fake_addr: SocketAddr) -> String {
    let mut routes = String::new();
    // Every host the fake answers for, the non-provider one included
    // (a route override is the explicit way to reach a loopback host).
    let hosts = if opts.unrouted {
        Vec::new()
    } else {
        fake_hosts()
    };
    for host in hosts
        .iter()
        .map(String::as_str)
        .chain(opts.routed.iter().copied())
    {
        routes.push_str(&format!("\"{host}:443\" = \"{fake_addr}\"\n"));
    }
    for (target, addr) in &opts.routes {
        routes.push_str(&format!("\"{target}\" = \"{addr}\"\n"));
    }
    let mut proxy = format!(
        "header_timeout_secs = {}\n",
        opts.header_timeout_secs.unwrap_or(5)
    );
    if let Some(n) = opts.max_body_bytes {
        proxy.push_str(&format!("max_body_bytes = {n}\n"));
    }
    proxy.push_str(&opts.proxy);
    let mut cas: Vec<String> = (0..opts.extra_ca_pems.len())
        .map(|n| format!("\"extra-ca-{n}.pem\""))
        .collect();
    if !opts.distrust_fake {
        cas.insert(0, "\"test-ca.pem\"".to_owned());
    }
    let extra_ca = cas.join(", ");
    format!(
        r#"version = 1
scope_map = "scope.toml"
data_dir = "data"

[proxy]
listen = "127.0.0.1:0"
upstream_timeout_secs = 10
{proxy}

[admin]
listen = "127.0.0.1:0"

[upstream]
extra_ca_files = [{extra_ca}]
{upstream}

[upstream.routes]
{routes}
{tail}
"#,
        tail = opts.tail,
        upstream = opts.upstream,
    )
}

/// A fake provider and a proxy in front of it.
pub struct Harness {
    pub fake: Fake,
    pub proxy: Running,
    pub sink: Arc<MemorySink>,
    pub test_ca: TestCa,
    /// The fake's CA, as a file (what the proxy trusts upstream).
    pub test_ca_path: PathBuf,
    /// scopegate's interception CA: what clients must trust.
    pub ca_path: PathBuf,
    pub ca_pem: String,
    pub dir: TempDir,
}

impl Harness {
    /// The standard scope map, default e2e settings.
    pub async fn start() -> Self {
        Self::start_with(&standard_scope_map(), Options::default()).await
    }

    pub async fn start_with(scope_map: &str, opts: Options) -> Self {
        Self::start_with_approvals(scope_map, opts, None).await
    }

    /// With an approval queue: held requests go to it.
    pub async fn start_with_approvals(
        scope_map: &str,
        opts: Options,
        approvals: Option<Arc<dyn scopegate_model::ApprovalQueue>>,
    ) -> Self {
        init();
        let dir = TempDir::new("proxy");
        let test_ca = TestCa::new();
        let fake = Fake::start(&test_ca).await;
        let test_ca_path = dir.write("test-ca.pem", &test_ca.pem);
        dir.write("scope.toml", scope_map);
        dir.write("railway-secret.txt", format!("{REAL_SECRET}\n"));
        for (name, text) in &opts.files {
            dir.write(name, text);
        }
        for (n, pem) in opts.extra_ca_pems.iter().enumerate() {
            dir.write(&format!("extra-ca-{n}.pem"), pem);
        }
        let text = settings_text(&opts, fake.addr);
        let settings_path = dir.write("scopegate.toml", &text);
        let settings = scopegate_cli::config::Config::from_toml(&settings_path, &text)
            .expect("e2e settings")
            .proxy_config();
        let sink = Arc::new(MemorySink::default());
        let proxy = scopegate_proxy::start_with(
            settings,
            sink.clone(),
            approvals,
            None,
            Duration::from_secs(2),
        )
        .await
        .expect("proxy starts");
        let ca_path = proxy
            .ca_cert_path
            .clone()
            .expect("the proxy wrote its generated CA");
        let ca_pem = std::fs::read_to_string(&ca_path).unwrap();
        Self {
            fake,
            proxy,
            sink,
            test_ca,
            test_ca_path,
            ca_path,
            ca_pem,
            dir,
        }
    }

    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy.proxy_addr
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.proxy.proxy_addr)
    }

    pub fn admin_addr(&self) -> SocketAddr {
        self.proxy.admin_addr.expect("admin listener")
    }

    /// One HTTP/1.1 request through a fresh CONNECT tunnel to `host`.
    pub async fn https(&self, host: &str, req: http::Request<Bytes>) -> Resp {
        let tls = self.tunnel_tls(host, &[b"http/1.1"]).await;
        wire::h1_once(tls, req).await
    }

    /// A CONNECT tunnel to `host:443` with TLS (trusting scopegate's CA).
    pub async fn tunnel_tls(
        &self,
        host: &str,
        alpn: &[&[u8]],
    ) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        let (status, _, tcp) = wire::connect(self.proxy_addr(), &format!("{host}:443"), &[]).await;
        assert_eq!(status, 200, "CONNECT {host}:443");
        wire::tls(tcp, host, &self.ca_pem, alpn)
            .await
            .unwrap_or_else(|e| panic!("TLS to {host} through the proxy: {e}"))
    }

    /// An HTTP/2 connection to `host` through a CONNECT tunnel.
    pub async fn h2(&self, host: &str) -> hyper::client::conn::http2::SendRequest<wire::ReqBody> {
        let tls = self.tunnel_tls(host, &[b"h2"]).await;
        assert_eq!(
            tls.get_ref().1.alpn_protocol(),
            Some(&b"h2"[..]),
            "the proxy negotiated h2"
        );
        wire::h2_conn(tls).await
    }

    /// `GET /metrics` on the admin listener.
    pub async fn metrics(&self) -> String {
        self.admin_get("/metrics").await.text()
    }

    pub async fn admin_get(&self, path: &str) -> Resp {
        let tcp = tokio::net::TcpStream::connect(self.admin_addr())
            .await
            .unwrap();
        let req = http::Request::get(path)
            .header("host", "admin")
            .body(Bytes::new())
            .unwrap();
        wire::h1_once(tcp, req).await
    }

    /// A normal allowed request, end to end, proving the proxy still serves
    /// after whatever the test did to it. Returns the fake's record of it.
    pub async fn assert_still_serving(&self) -> Received {
        let before = self.fake.received().len();
        let resp = self
            .https(
                RAILWAY_HOST,
                gql_request(RAILWAY_HOST, RAILWAY_TOKEN, CUSTOM_DOMAIN_CREATE),
            )
            .await;
        assert_eq!(resp.status, 200, "a normal request after: {}", resp.text());
        assert_eq!(resp.json(), serde_json::json!({"data": {"ok": true}}));
        let got = self.fake.received();
        assert_eq!(
            got.len(),
            before + 1,
            "the fake received the normal request"
        );
        let last = got.last().unwrap().clone();
        assert_eq!(last.body, CUSTOM_DOMAIN_CREATE.as_bytes());
        last
    }
}

/// `POST /graphql/v2` with a Bearer token (origin form, for HTTP/1.1).
pub fn gql_request(host: &str, token: &str, body: &str) -> http::Request<Bytes> {
    http::Request::post("/graphql/v2")
        .header("host", host)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .unwrap()
}

/// `POST https://host/graphql/v2` (absolute URI, for HTTP/2).
pub fn gql_request_h2(host: &str, token: &str, body: &str) -> http::Request<Bytes> {
    http::Request::post(format!("https://{host}/graphql/v2"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .unwrap()
}

/// A GitHub REST request with `Authorization: token ...`, as gh sends it.
pub fn github_request(method: &str, path: &str, token: &str) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", GITHUB_HOST)
        .header("authorization", format!("token {token}"))
        .header("accept", "application/vnd.github+json")
        .header("user-agent", "scopegate-e2e")
        .body(Bytes::new())
        .unwrap()
}

/// Checks a GraphQL-shaped refusal (403, `errors` array, `data: null`,
/// decision headers) and returns the decision id.
pub fn assert_graphql_refusal(resp: &Resp, verdict: &str, operation: &str) -> String {
    assert_eq!(resp.status, 403, "refusal status: {}", resp.text());
    assert_eq!(header(resp, "x-scopegate-decision"), verdict);
    let id = header(resp, "x-scopegate-id");
    assert!(!id.is_empty());
    assert_eq!(header(resp, "content-type"), "application/json");
    let v = resp.json();
    assert!(v["data"].is_null(), "GraphQL refusal has data: null: {v}");
    let errors = v["errors"].as_array().expect("GraphQL refusal has errors");
    assert_eq!(errors.len(), 1);
    let e = &errors[0];
    let message = e["message"].as_str().unwrap();
    assert!(message.starts_with("scopegate"), "{message}");
    assert!(message.contains("ask a human"), "{message}");
    assert_eq!(e["extensions"]["code"], "SCOPEGATE_REFUSED");
    let detail = &e["extensions"]["scopegate"];
    assert_eq!(detail["decision"], verdict);
    assert_eq!(detail["decision_id"], id.as_str());
    let ops: Vec<&str> = detail["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["operation"].as_str().unwrap())
        .collect();
    assert!(ops.contains(&operation), "{operation} in {ops:?}");
    id
}

/// Checks a REST-shaped refusal (403, JSON `message`, decision headers) and
/// returns the decision id.
pub fn assert_rest_refusal(resp: &Resp, verdict: &str, operation: &str) -> String {
    assert_eq!(resp.status, 403, "refusal status: {}", resp.text());
    assert_eq!(header(resp, "x-scopegate-decision"), verdict);
    let id = header(resp, "x-scopegate-id");
    assert!(!id.is_empty());
    let v = resp.json();
    let message = v["message"].as_str().expect("REST refusal has a message");
    assert!(message.starts_with("scopegate"), "{message}");
    assert!(
        v.get("errors").is_none(),
        "REST refusals are not GraphQL-shaped"
    );
    assert_eq!(v["scopegate"]["decision"], verdict);
    assert_eq!(v["scopegate"]["decision_id"], id.as_str());
    assert_eq!(v["scopegate"]["operations"][0]["operation"], operation);
    id
}

/// A response header as a string ("" when absent).
pub fn header(resp: &Resp, name: &str) -> String {
    resp.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The value of a Prometheus sample line (`name{labels} value`), if present.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Waits (bounded) until `f` holds; for effects that happen just after a
/// response is sent (decision records on upstream failure, counters).
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Like [`eventually`], for an async condition (polled every 100 ms, 10 s).
pub async fn eventually_async<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

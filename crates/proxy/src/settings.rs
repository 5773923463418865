//! `scopegate serve` configuration: a TOML file (unknown fields refused),
//! paths relative to the file, documented defaults.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::time::Duration;

use anyhow::Context as _;
use scopegate_model::Fingerprint;
use serde::Deserialize;

pub mod problems;

use problems::Doc;
pub use problems::{Problem, SettingsError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    version: u32,
    scope_map: String,
    #[serde(default = "default_data_dir")]
    data_dir: String,
    /// Accept group-readable secrets and data folder (a Kubernetes fsGroup
    /// forces mode 0440 on Secret volumes); never others-readable.
    #[serde(default)]
    unsafe_group_readable_secrets: bool,
    #[serde(default)]
    proxy: RawProxy,
    #[serde(default)]
    admin: RawAdmin,
    #[serde(default)]
    ca: RawCa,
    #[serde(default)]
    upstream: RawUpstream,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    approvals: RawApprovals,
    /// Parsed by the dashboard crate.
    #[serde(default)]
    dashboard: Option<toml::Table>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawApprovals {
    hold_secs: u64,
    pending_secs: u64,
    grant_window_secs: u64,
}

impl Default for RawApprovals {
    fn default() -> Self {
        Self {
            hold_secs: 25,
            pending_secs: 24 * 3600,
            grant_window_secs: 15 * 60,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    /// `postgres://...` or `sqlite://path`; default: SQLite in data_dir.
    url: Option<String>,
    /// Where the crash-safe journal lives; default: data_dir/journal.
    journal_dir: Option<String>,
}

fn default_data_dir() -> String {
    "data".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawProxy {
    listen: String,
    max_body_bytes: usize,
    egress: String,
    egress_allow: Vec<String>,
    missing_sni: String,
    unsafe_allow_private: bool,
    header_timeout_secs: u64,
    /// Time allowed for a request body once its head arrived; default: header_timeout_secs.
    body_timeout_secs: Option<u64>,
    upstream_timeout_secs: u64,
    /// Runtime worker threads; default (0): one per CPU.
    worker_threads: usize,
    auth: RawAuth,
}

impl Default for RawProxy {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 4 << 20,
            egress: "tunnel".into(),
            egress_allow: Vec::new(),
            missing_sni: "tunnel".into(),
            unsafe_allow_private: false,
            header_timeout_secs: 30,
            body_timeout_secs: None,
            upstream_timeout_secs: 120,
            worker_threads: 0,
            auth: RawAuth::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    #[serde(default)]
    required: bool,
    #[serde(default)]
    agents: Vec<RawAgent>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    name: String,
    key_fingerprint: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAdmin {
    listen: Option<String>,
}

impl Default for RawAdmin {
    fn default() -> Self {
        Self {
            listen: Some("127.0.0.1:9090".into()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCa {
    cert: Option<String>,
    key: Option<String>,
    /// The folder agents get: only `ca.pem`; default: `ca-public` beside
    /// the data folder.
    export: Option<String>,
    valid_days: i64,
    leaf_valid_days: i64,
    leaf_cache: usize,
}

impl Default for RawCa {
    fn default() -> Self {
        Self {
            cert: None,
            key: None,
            export: None,
            valid_days: 365,
            leaf_valid_days: 7,
            leaf_cache: 1000,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    #[serde(default)]
    extra_ca_files: Vec<String>,
    #[serde(default)]
    routes: BTreeMap<String, String>,
    /// Offer h2 to providers; default: HTTP/1.1 only (docs/upstream-http1.md).
    #[serde(default)]
    http2: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLog {
    format: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            format: "text".into(),
        }
    }
}

/// What to do with CONNECTs to hosts that are not providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Egress {
    Tunnel,
    Refuse,
}

/// What to do with a tunnel whose first bytes name no server: a TLS
/// ClientHello without SNI (or with the real name encrypted), or a protocol
/// other than TLS (docs/egress-and-sni.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingSni {
    Tunnel,
    Refuse,
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub name: String,
    pub key: Fingerprint,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub file: PathBuf,
    pub scope_map: PathBuf,
    pub data_dir: PathBuf,
    /// Group-readable secrets accepted (never others-readable).
    pub unsafe_group_readable_secrets: bool,
    pub listen: SocketAddr,
    pub admin_listen: Option<SocketAddr>,
    pub max_body_bytes: usize,
    pub egress: Egress,
    /// Host patterns tunnelled even when egress is `refuse`.
    pub egress_allow: Vec<String>,
    /// Tunnels that name no server (no SNI, ECH, not TLS): tunnel or refuse.
    pub missing_sni: MissingSni,
    pub unsafe_allow_private: bool,
    pub header_timeout_secs: u64,
    pub body_timeout_secs: u64,
    pub upstream_timeout_secs: u64,
    /// Worker threads for the proxy's runtime; 0 means one per CPU.
    pub worker_threads: usize,
    pub auth_required: bool,
    pub agents: Vec<Agent>,
    pub ca_files: Option<(PathBuf, PathBuf)>,
    /// The folder holding only the CA certificate, for agents.
    pub ca_export: PathBuf,
    pub ca_valid_days: i64,
    pub leaf_valid_days: i64,
    pub leaf_cache: usize,
    pub extra_ca_files: Vec<PathBuf>,
    /// `host` (lowercase, no port) → address; a test fake or staging mirror.
    pub routes: BTreeMap<String, SocketAddr>,
    /// Offer h2 to providers (ALPN); otherwise HTTP/1.1 only.
    pub upstream_http2: bool,
    pub json_logs: bool,
    /// The decision log database URL.
    pub store_url: String,
    pub journal_dir: PathBuf,
    /// How long a held request waits inline for a human.
    pub hold_for: Duration,
    /// How long an approval stays pending after its request gave up.
    pub pending_for: Duration,
    /// How long an approval's one-time grant stays usable.
    pub grant_window: Duration,
    /// The `[dashboard]` table, for the dashboard crate.
    pub dashboard: Option<toml::Table>,
}

impl Settings {
    pub fn load(file: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        Self::from_toml(file, &text)
    }

    pub fn from_toml(file: &Path, text: &str) -> anyhow::Result<Self> {
        Ok(Self::check(file, text)?)
    }

    /// The settings, or every problem in them, each with its line.
    pub fn check(file: &Path, text: &str) -> Result<Self, SettingsError> {
        let fail = |problems| SettingsError {
            file: file.display().to_string(),
            problems,
        };
        let doc = Doc::parse(text).map_err(|p| fail(vec![p]))?;
        let mut problems = Vec::new();
        let raw: Option<Raw> = doc.read(doc.root(), &[], &mut problems);
        let Some(raw) = raw else {
            return Err(fail(problems));
        };
        let mut v = Validate {
            doc: &doc,
            problems,
        };
        let settings = v.build(file, raw);
        if v.problems.is_empty() {
            Ok(settings)
        } else {
            Err(fail(v.problems))
        }
    }
}

/// Turns raw settings into [`Settings`], collecting every problem.
struct Validate<'d, 't> {
    doc: &'d Doc<'t>,
    problems: Vec<Problem>,
}

impl Validate<'_, '_> {
    fn bad(&mut self, path: &[&str], message: impl Into<String>, help: Option<&str>) {
        let p = self.doc.at(path, message, help);
        self.problems.push(p);
    }

    fn choice<T: Copy>(&mut self, path: &[&str], value: &str, options: &[(&str, T)]) -> T {
        if let Some((_, t)) = options.iter().find(|(name, _)| *name == value) {
            return *t;
        }
        let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        self.bad(
            path,
            format!("{} = \"{value}\" is not a choice", path.join(".")),
            Some(&format!("use {}", names.join(" or "))),
        );
        options[0].1
    }

    fn addr(&mut self, path: &[&str], s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|_| {
            self.bad(
                path,
                format!("{}: `{s}` is not ip:port", path.join(".")),
                Some("an IP address and a port, e.g. \"127.0.0.1:8080\" or \"[::1]:8080\""),
            );
            SocketAddr::from(([127, 0, 0, 1], 0))
        })
    }

    /// Seconds that must be at least 1.
    fn secs(&mut self, path: &[&str], n: u64) -> u64 {
        if n == 0 {
            self.bad(
                path,
                format!("{} must be at least 1", path.join(".")),
                Some("a number of seconds, 1 or more"),
            );
        }
        n.max(1)
    }

    fn within(&mut self, path: &[&str], n: i64, range: std::ops::RangeInclusive<i64>) -> i64 {
        if !range.contains(&n) {
            self.bad(
                path,
                format!("{} = {n} is out of range", path.join(".")),
                Some(&format!("{} to {}", range.start(), range.end())),
            );
        }
        n.clamp(*range.start(), *range.end())
    }

    /// Keys that name a knob another key owns, or two keys for one knob.
    fn one_key_per_knob(&mut self, dashboard: Option<&toml::Table>) {
        let Some(d) = dashboard else { return };
        if d.contains_key("grant_window_secs") {
            self.bad(
                &["dashboard", "grant_window_secs"],
                "[dashboard] grant_window_secs is not read: the grant window is an approvals setting",
                Some("move it to [approvals] grant_window_secs"),
            );
        }
        if d.contains_key("session_key_env") && d.contains_key("session_key_file") {
            self.bad(
                &["dashboard", "session_key_file"],
                "[dashboard] session_key_file and session_key_env both name the session key (the variable would win)",
                Some("keep one: session_key_env, or session_key_file"),
            );
        }
    }

    fn agents(&mut self, raw: Vec<RawAgent>) -> Vec<Agent> {
        let mut agents = Vec::new();
        for (i, a) in raw.into_iter().enumerate() {
            let index = i.to_string();
            match Fingerprint::parse(&a.key_fingerprint) {
                Some(key) => agents.push(Agent { name: a.name, key }),
                None => self.bad(
                    &["proxy", "auth", "agents", &index, "key_fingerprint"],
                    format!("agent {}: key_fingerprint must be sha256:<64 hex>", a.name),
                    Some("printf \"$KEY\" | scopegate token fingerprint"),
                ),
            }
        }
        agents
    }

    fn routes(&mut self, raw: BTreeMap<String, String>) -> BTreeMap<String, SocketAddr> {
        let mut routes = BTreeMap::new();
        for (from, to) in raw {
            let host = from
                .rsplit_once(':')
                .map_or(from.as_str(), |(h, _)| h)
                .to_ascii_lowercase();
            if let Ok(addr) = to.parse::<SocketAddr>() {
                routes.insert(host, addr);
            } else {
                self.bad(
                    &["upstream", "routes", &from],
                    format!("route {from}: `{to}` is not ip:port"),
                    Some("route a provider host to an address, e.g. \"127.0.0.1:9443\""),
                );
            }
        }
        routes
    }

    #[allow(clippy::too_many_lines)]
    fn build(&mut self, file: &Path, raw: Raw) -> Settings {
        let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let rel = |p: &str| base.join(p);
        if raw.version != 1 {
            self.bad(
                &["version"],
                format!("unsupported version {} (expected version = 1)", raw.version),
                Some("version = 1"),
            );
        }
        self.one_key_per_knob(raw.dashboard.as_ref());
        let egress = self.choice(
            &["proxy", "egress"],
            &raw.proxy.egress,
            &[("tunnel", Egress::Tunnel), ("refuse", Egress::Refuse)],
        );
        let missing_sni = self.choice(
            &["proxy", "missing_sni"],
            &raw.proxy.missing_sni,
            &[
                ("tunnel", MissingSni::Tunnel),
                ("refuse", MissingSni::Refuse),
            ],
        );
        let json_logs = self.choice(
            &["log", "format"],
            &raw.log.format,
            &[("text", false), ("json", true)],
        );
        let agents = self.agents(raw.proxy.auth.agents);
        if raw.proxy.auth.required && agents.is_empty() {
            self.bad(
                &["proxy", "auth", "required"],
                "proxy.auth.required needs at least one [[proxy.auth.agents]]",
                Some(
                    "add [[proxy.auth.agents]] with name and key_fingerprint, or required = false",
                ),
            );
        }
        let ca_files = match (raw.ca.cert, raw.ca.key) {
            (Some(c), Some(k)) => Some((rel(&c), rel(&k))),
            (None, None) => None,
            (c, _) => {
                let (set, unset) = if c.is_some() {
                    ("cert", "key")
                } else {
                    ("key", "cert")
                };
                self.bad(
                    &["ca", set],
                    "ca.cert and ca.key go together",
                    Some(&format!(
                        "set ca.{unset} too, or neither to have one generated"
                    )),
                );
                None
            }
        };
        let routes = self.routes(raw.upstream.routes);
        let data_dir = rel(&raw.data_dir);
        let ca_export = raw.ca.export.as_deref().map_or_else(
            || {
                data_dir
                    .parent()
                    .map_or_else(|| rel("ca-public"), |p| p.join("ca-public"))
            },
            &rel,
        );
        if overlaps(&ca_export, &data_dir) {
            let at: &[&str] = if raw.ca.export.is_some() {
                &["ca", "export"]
            } else {
                &["data_dir"]
            };
            self.bad(
                at,
                format!(
                    "ca.export ({}) must be outside data_dir ({}) and not contain it: agents are given the export folder",
                    ca_export.display(),
                    data_dir.display()
                ),
                Some("put ca.export beside data_dir, e.g. export = \"../ca-public\""),
            );
        }
        let store_url = match raw.store.url {
            Some(u)
                if u.starts_with("sqlite://")
                    && !u.starts_with("sqlite:///")
                    && !u.contains(":memory:") =>
            {
                format!("sqlite://{}", base.join(&u["sqlite://".len()..]).display())
            }
            Some(u) => u,
            None => format!("sqlite://{}", data_dir.join("scopegate.db").display()),
        };
        let journal_dir = raw
            .store
            .journal_dir
            .as_deref()
            .map_or_else(|| data_dir.join("journal"), &rel);
        let header_timeout_secs = self.secs(
            &["proxy", "header_timeout_secs"],
            raw.proxy.header_timeout_secs,
        );
        let body_timeout_secs = match raw.proxy.body_timeout_secs {
            Some(n) => self.secs(&["proxy", "body_timeout_secs"], n),
            None => header_timeout_secs,
        };
        let a = &raw.approvals;
        Settings {
            hold_for: Duration::from_secs(a.hold_secs),
            pending_for: Duration::from_secs(
                self.secs(&["approvals", "pending_secs"], a.pending_secs),
            ),
            grant_window: Duration::from_secs(
                self.secs(&["approvals", "grant_window_secs"], a.grant_window_secs),
            ),
            dashboard: raw.dashboard,
            store_url,
            journal_dir,
            file: file.to_path_buf(),
            scope_map: rel(&raw.scope_map),
            data_dir,
            unsafe_group_readable_secrets: raw.unsafe_group_readable_secrets,
            ca_export,
            listen: self.addr(&["proxy", "listen"], &raw.proxy.listen),
            admin_listen: raw
                .admin
                .listen
                .as_deref()
                .map(|s| self.addr(&["admin", "listen"], s)),
            max_body_bytes: raw.proxy.max_body_bytes,
            egress,
            egress_allow: raw
                .proxy
                .egress_allow
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            missing_sni,
            unsafe_allow_private: raw.proxy.unsafe_allow_private,
            header_timeout_secs,
            body_timeout_secs,
            upstream_timeout_secs: self.secs(
                &["proxy", "upstream_timeout_secs"],
                raw.proxy.upstream_timeout_secs,
            ),
            worker_threads: raw.proxy.worker_threads,
            auth_required: raw.proxy.auth.required,
            agents,
            ca_files,
            ca_valid_days: self.within(&["ca", "valid_days"], raw.ca.valid_days, 1..=3650),
            leaf_valid_days: self.within(
                &["ca", "leaf_valid_days"],
                raw.ca.leaf_valid_days,
                1..=397,
            ),
            leaf_cache: if raw.ca.leaf_cache == 0 {
                self.bad(
                    &["ca", "leaf_cache"],
                    "ca.leaf_cache must be at least 1",
                    Some("the number of leaf certificates kept, e.g. 1000"),
                );
                1
            } else {
                raw.ca.leaf_cache
            },
            extra_ca_files: raw.upstream.extra_ca_files.iter().map(|p| rel(p)).collect(),
            routes,
            upstream_http2: raw.upstream.http2,
            json_logs,
        }
    }
}

/// Whether one folder is, or is inside, the other (lexically, `..` and `.`
/// resolved; both made absolute against the working directory).
fn overlaps(a: &Path, b: &Path) -> bool {
    let (a, b) = (normal(a), normal(b));
    a.starts_with(&b) || b.starts_with(&a)
}

fn normal(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn the_bundled_settings_and_every_example_load() {
        let mut seen = 0;
        let files = std::fs::read_dir(root().join("config/examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .chain([root().join("config/scopegate.toml")]);
        for path in files.filter(|p| p.extension().is_some_and(|e| e == "toml")) {
            let text = std::fs::read_to_string(&path).unwrap();
            let table: toml::Table = toml::from_str(&text).unwrap();
            // A settings file names its scope map; the rest are scope maps.
            let scope_map = if table.contains_key("scope_map") {
                let s = Settings::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
                s.scope_map
            } else {
                path.clone()
            };
            crate::engine::Engine::load(&scope_map)
                .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            seen += 1;
        }
        assert!(seen >= 5, "{seen} files");
    }

    #[test]
    fn the_bundled_settings_show_every_section() {
        let text = std::fs::read_to_string(root().join("config/scopegate.toml")).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        for section in [
            "proxy",
            "admin",
            "ca",
            "upstream",
            "store",
            "approvals",
            "dashboard",
            "log",
        ] {
            assert!(table[section].is_table(), "[{section}] is missing");
        }
    }

    #[test]
    fn the_strict_egress_example_is_strict() {
        let s = Settings::load(&root().join("config/examples/strict-egress.toml")).unwrap();
        assert_eq!(s.egress, Egress::Refuse);
        assert_eq!(s.missing_sni, MissingSni::Refuse);
        assert!(!s.egress_allow.is_empty());
        assert!(!s.unsafe_allow_private);
        assert!(s.auth_required);
        let bundled = Settings::load(&root().join("config/scopegate.toml")).unwrap();
        assert_eq!(bundled.missing_sni, MissingSni::Tunnel);
    }

    #[test]
    fn missing_sni_takes_tunnel_or_refuse() {
        let file = Path::new("/x/scopegate.toml");
        let with = |v: &str| {
            Settings::from_toml(
                file,
                &format!("version = 1\nscope_map = \"s.toml\"\n[proxy]\nmissing_sni = \"{v}\"\n"),
            )
        };
        assert_eq!(with("refuse").unwrap().missing_sni, MissingSni::Refuse);
        assert_eq!(with("tunnel").unwrap().missing_sni, MissingSni::Tunnel);
        let e = format!("{:#}", with("sometimes").unwrap_err());
        assert!(e.contains("proxy.missing_sni"), "{e}");
        let none = Settings::from_toml(file, "version = 1\nscope_map = \"s.toml\"\n").unwrap();
        assert_eq!(
            none.missing_sni,
            MissingSni::Tunnel,
            "the documented default"
        );
    }

    fn load(text: &str) -> anyhow::Result<Settings> {
        Settings::from_toml(
            Path::new("/etc/sg/scopegate.toml"),
            &format!("version = 1\nscope_map = \"map.toml\"\n{text}"),
        )
    }

    #[test]
    fn the_ca_export_sits_beside_the_data_folder_and_never_overlaps_it() {
        let s = load("data_dir = \"/var/lib/sg/data\"").unwrap();
        assert_eq!(s.ca_export, Path::new("/var/lib/sg/ca-public"));
        assert!(!s.unsafe_group_readable_secrets);
        let s = load("data_dir = \"data\"\n[ca]\nexport = \"public\"").unwrap();
        assert_eq!(s.ca_export, Path::new("/etc/sg/public"));
        for (data, export) in [
            ("data", "data"),
            ("data", "data/ca-public"),
            ("data", "."),
            ("data", "data/../data/x"),
            ("/var/lib/sg/data", "/var/lib"),
            ("/var/lib/sg", "/var/lib/sg/./public"),
        ] {
            let e = load(&format!(
                "data_dir = \"{data}\"\n[ca]\nexport = \"{export}\""
            ))
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("must be outside data_dir"),
                "{data} {export}: {e}"
            );
        }
        let s = load("unsafe_group_readable_secrets = true").unwrap();
        assert!(s.unsafe_group_readable_secrets);
    }

    fn problems(text: &str) -> Vec<String> {
        let e = Settings::check(Path::new("s.toml"), text).unwrap_err();
        assert_eq!(e.file, "s.toml");
        e.to_string().lines().map(str::to_owned).collect()
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_a_hint() {
        let text = "version = 1\nscope_map = \"m.toml\"\n[proxy]\nlistn = \"127.0.0.1:1\"\nlisten = \"nowhere\"\nheader_timeout_secs = 0\n[approvals]\nhold_secs = \"soon\"\n[log]\nformat = \"yaml\"\n[upstream.routes]\n\"a.example:443\" = \"x\"\n[ca]\ncert = \"c.pem\"\n";
        let got = problems(text);
        let want = [
            "s.toml:4:1: [proxy]: unknown field `listn` (help: did you mean `listen`?)",
            "s.toml:8:13: [approvals]: invalid type: string \"soon\", expected u64",
            "s.toml:14:1: ca.cert and ca.key go together (help: set ca.key too, or neither to have one generated)",
            "s.toml:10:1: log.format = \"yaml\" is not a choice (help: use \"text\" or \"json\")",
            "s.toml:12:1: route a.example:443: `x` is not ip:port",
            "s.toml:6:1: proxy.header_timeout_secs must be at least 1",
            "s.toml:5:1: proxy.listen: `nowhere` is not ip:port",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for w in want {
            assert!(got.iter().any(|g| g.starts_with(w)), "{w}\n{got:#?}");
        }
    }

    #[test]
    fn a_knob_has_one_key() {
        let got = problems(
            "version = 1\nscope_map = \"m.toml\"\n[dashboard]\ngrant_window_secs = 60\nsession_key_env = \"K\"\nsession_key_file = \"k\"\n",
        );
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(
            got[0].starts_with("s.toml:4:1: [dashboard] grant_window_secs is not read")
                && got[0].ends_with("(help: move it to [approvals] grant_window_secs)"),
            "{got:#?}"
        );
        assert!(
            got[1].starts_with("s.toml:6:1: [dashboard] session_key_file and session_key_env"),
            "{got:#?}"
        );
        let s = load("[approvals]\ngrant_window_secs = 60\n[dashboard]\nlisten = \"127.0.0.1:0\"")
            .unwrap();
        assert_eq!(s.grant_window, Duration::from_secs(60));
    }

    #[test]
    fn a_syntax_error_and_a_missing_key_name_their_line() {
        let got = problems("version = 1\nscope_map = \"m.toml\"\n[proxy\n");
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(got[0].starts_with("s.toml:3:"), "{got:#?}");
        let got = problems("version = 1\n[log]\nformat = \"json\"\n");
        assert!(got[0].contains("missing field `scope_map`"), "{got:#?}");
        let got = problems("version = 2\nscope_map = \"m.toml\"\n[approval]\n");
        assert!(
            got[0].starts_with(
                "s.toml:3:2: unknown field `approval` (help: did you mean `approvals`?)"
            ),
            "{got:#?}"
        );
    }
}

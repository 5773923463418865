//! Each section's defaults and checks, every problem at once, and the
//! shipped files.

use std::path::{Path, PathBuf};
use std::time::Duration;

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
            let s = Config::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
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
        "resolve",
        "dashboard",
        "log",
    ] {
        assert!(table[section].is_table(), "[{section}] is missing");
    }
}

#[test]
fn the_strict_egress_example_is_strict() {
    let s = Config::load(&root().join("config/examples/strict-egress.toml")).unwrap();
    assert_eq!(s.proxy.egress, Egress::Refuse);
    assert_eq!(s.proxy.missing_sni, MissingSni::Refuse);
    assert!(!s.proxy.egress_allow.is_empty());
    assert!(!s.proxy.unsafe_allow_private);
    assert!(s.proxy.auth.required);
    let bundled = Config::load(&root().join("config/scopegate.toml")).unwrap();
    assert_eq!(bundled.proxy.missing_sni, MissingSni::Tunnel);
}

#[test]
fn missing_sni_takes_tunnel_or_refuse() {
    let file = Path::new("/x/scopegate.toml");
    let with = |v: &str| {
        Config::from_toml(
            file,
            &format!("version = 1\nscope_map = \"s.toml\"\n[proxy]\nmissing_sni = \"{v}\"\n"),
        )
    };
    assert_eq!(
        with("refuse").unwrap().proxy.missing_sni,
        MissingSni::Refuse
    );
    assert_eq!(
        with("tunnel").unwrap().proxy.missing_sni,
        MissingSni::Tunnel
    );
    let e = format!("{:#}", with("sometimes").unwrap_err());
    assert!(e.contains("proxy.missing_sni"), "{e}");
    let none = Config::from_toml(file, "version = 1\nscope_map = \"s.toml\"\n").unwrap();
    assert_eq!(
        none.proxy.missing_sni,
        MissingSni::Tunnel,
        "the documented default"
    );
}

fn load(text: &str) -> anyhow::Result<Config> {
    Config::from_toml(
        Path::new("/etc/sg/scopegate.toml"),
        &format!("version = 1\nscope_map = \"map.toml\"\n{text}"),
    )
}

#[test]
fn the_ca_export_sits_beside_the_data_folder_and_never_overlaps_it() {
    let s = load("data_dir = \"/var/lib/sg/data\"").unwrap();
    assert_eq!(s.ca.export, Path::new("/var/lib/sg/ca-public"));
    assert!(!s.unsafe_group_readable_secrets);
    let s = load("data_dir = \"data\"\n[ca]\nexport = \"public\"").unwrap();
    assert_eq!(s.ca.export, Path::new("/etc/sg/public"));
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
    let e = Config::check(Path::new("s.toml"), text).unwrap_err();
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
    let s =
        load("[approvals]\ngrant_window_secs = 60\n[dashboard]\nlisten = \"127.0.0.1:0\"").unwrap();
    assert_eq!(s.approvals.grant_window, Duration::from_secs(60));
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
        got[0]
            .starts_with("s.toml:3:2: unknown field `approval` (help: did you mean `approvals`?)"),
        "{got:#?}"
    );
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn every_section_has_its_documented_defaults() {
    let c = load("").unwrap();
    assert_eq!(c.scope_map, Path::new("/etc/sg/map.toml"));
    assert_eq!(c.data_dir, Path::new("/etc/sg/data"));
    assert!(!c.unsafe_group_readable_secrets);
    let p = &c.proxy;
    assert_eq!(p.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(p.max_body_bytes, 4 << 20);
    assert_eq!(
        (p.egress, p.missing_sni),
        (Egress::Tunnel, MissingSni::Tunnel)
    );
    assert!(p.egress_allow.is_empty() && !p.unsafe_allow_private);
    assert_eq!(
        (p.header_timeout, p.body_timeout, p.upstream_timeout),
        (secs(30), secs(30), secs(120))
    );
    assert_eq!(p.worker_threads, 0);
    assert!(!p.auth.required && p.auth.agents.is_empty());
    let u = &c.upstream;
    assert!(u.extra_ca_files.is_empty() && u.routes.is_empty() && !u.http2);
    assert_eq!(u.proxy, None, "no upstream proxy unless named");
    let ca = &c.ca;
    assert!(ca.files.is_none());
    assert_eq!(ca.export, Path::new("/etc/sg/ca-public"));
    assert_eq!(
        (ca.valid_days, ca.leaf_valid_days, ca.leaf_cache),
        (365, 7, 1000)
    );
    assert_eq!(c.admin.listen, Some("127.0.0.1:9090".parse().unwrap()));
    assert_eq!(c.log.format, LogFormat::Text);
    assert_eq!(c.store.url, "sqlite:///etc/sg/data/scopegate.db");
    assert_eq!(c.store.journal_dir, Path::new("/etc/sg/data/journal"));
    assert_eq!(
        c.approvals,
        ApprovalSettings {
            hold_for: secs(25),
            pending_for: secs(24 * 3600),
            grant_window: secs(15 * 60),
        }
    );
    assert!(c.dashboard.is_none());
}

const EVERY_SECTION: &str = r#"
data_dir = "/var/lib/sg/data"
unsafe_group_readable_secrets = true

[proxy]
listen = "0.0.0.0:3128"
max_body_bytes = 1024
egress = "refuse"
egress_allow = ["*.Example.COM"]
missing_sni = "refuse"
unsafe_allow_private = true
header_timeout_secs = 3
body_timeout_secs = 4
upstream_timeout_secs = 5
worker_threads = 2

[proxy.auth]
required = true

[[proxy.auth.agents]]
name = "ci"
key_fingerprint = "sha256:abababababababababababababababababababababababababababababababab"

[admin]
listen = "[::1]:9999"

[ca]
cert = "ca/ca.pem"
key = "/secrets/ca-key.pem"
export = "/srv/ca-public"
valid_days = 30
leaf_valid_days = 2
leaf_cache = 10

[upstream]
extra_ca_files = ["extra.pem"]
http2 = true
proxy = "http://Corp-Proxy.example:3128"
proxy_auth = { file = "corp-proxy-auth" }

[upstream.routes]
"API.GitHub.com:443" = "127.0.0.1:9443"

[store]
url = "sqlite://db/sg.db"
journal_dir = "/var/lib/sg/journal"

[approvals]
hold_secs = 0
pending_secs = 60
grant_window_secs = 120

[dashboard]
listen = "127.0.0.1:9191"
public_url = "https://dash.example"
session_ttl_secs = 60

[log]
format = "json"
"#;

#[test]
fn a_file_with_every_section_set_reads_into_its_typed_values() {
    let c = load(EVERY_SECTION).unwrap();
    assert_eq!(c.data_dir, Path::new("/var/lib/sg/data"));
    assert!(c.unsafe_group_readable_secrets);
    let p = &c.proxy;
    assert_eq!(p.listen, "0.0.0.0:3128".parse().unwrap());
    assert_eq!(p.max_body_bytes, 1024);
    assert_eq!(
        (p.egress, p.missing_sni),
        (Egress::Refuse, MissingSni::Refuse)
    );
    assert_eq!(p.egress_allow, ["*.example.com"]);
    assert!(p.unsafe_allow_private);
    assert_eq!(
        (p.header_timeout, p.body_timeout, p.upstream_timeout),
        (secs(3), secs(4), secs(5))
    );
    assert_eq!(p.worker_threads, 2);
    assert!(p.auth.required);
    assert_eq!(p.auth.agents.len(), 1);
    assert_eq!(p.auth.agents[0].name, "ci");
    assert_eq!(
        p.auth.agents[0].key.to_string(),
        format!("sha256:{}", "ab".repeat(32))
    );
    assert_eq!(c.admin.listen, Some("[::1]:9999".parse().unwrap()));
    let ca = &c.ca;
    assert_eq!(
        ca.files,
        Some((
            PathBuf::from("/etc/sg/ca/ca.pem"),
            PathBuf::from("/secrets/ca-key.pem")
        ))
    );
    assert_eq!(ca.export, Path::new("/srv/ca-public"));
    assert_eq!(
        (ca.valid_days, ca.leaf_valid_days, ca.leaf_cache),
        (30, 2, 10)
    );
    let u = &c.upstream;
    assert_eq!(u.extra_ca_files, [PathBuf::from("/etc/sg/extra.pem")]);
    assert!(u.http2);
    assert_eq!(
        u.routes.get("api.github.com"),
        Some(&"127.0.0.1:9443".parse().unwrap())
    );
    assert_eq!(u.routes.len(), 1);
    assert_eq!(
        u.proxy,
        Some(UpstreamProxy {
            host: "corp-proxy.example".into(),
            port: 3128,
            auth: Some(ProxyAuth::File("/etc/sg/corp-proxy-auth".into())),
        })
    );
    assert_eq!(
        c.store,
        StoreSettings {
            url: "sqlite:///etc/sg/db/sg.db".into(),
            journal_dir: "/var/lib/sg/journal".into(),
        }
    );
    assert_eq!(
        c.approvals,
        ApprovalSettings {
            hold_for: Duration::ZERO,
            pending_for: secs(60),
            grant_window: secs(120),
        }
    );
    let d = c.dashboard.as_ref().unwrap();
    assert_eq!(d.listen, "127.0.0.1:9191".parse().unwrap());
    assert_eq!(d.public_url(), "https://dash.example");
    assert_eq!(d.session_ttl_secs, 60);
    assert_eq!(c.log.format, LogFormat::Json);
    let proxy = c.proxy_config();
    assert_eq!(proxy.scope_map, c.scope_map);
    assert_eq!(proxy.proxy.listen, c.proxy.listen);
    assert_eq!(proxy.admin.listen, c.admin.listen);
    assert_eq!(proxy.ca.export, c.ca.export);
    assert_eq!(proxy.upstream.routes, c.upstream.routes);
    assert_eq!(proxy.upstream.proxy, c.upstream.proxy);
}

#[test]
fn the_upstream_proxy_takes_credentials_from_its_url_a_variable_or_a_file() {
    let proxy = |text: &str| load(&format!("[upstream]\n{text}")).unwrap().upstream.proxy;
    let p = proxy("proxy = \"http://alice:hunter2@corp:3128\"").unwrap();
    assert!(matches!(&p.auth, Some(ProxyAuth::Inline(c)) if c.user() == "alice"));
    let p =
        proxy("proxy = \"http://corp:3128\"\nproxy_auth = { env = \"CORP_PROXY_AUTH\" }").unwrap();
    assert_eq!(p.auth, Some(ProxyAuth::Env("CORP_PROXY_AUTH".into())));
    assert_eq!(proxy("http2 = true"), None);
}

#[test]
fn upstream_proxy_problems_name_the_fix_and_never_the_password() {
    let text = [
        "version = 1",                                 // 1
        "scope_map = \"m.toml\"",                      // 2
        "[upstream]",                                  // 3
        "proxy = \"https://alice:hunter2@corp:3128\"", // 4
        "proxy_auth = \"alice:hunter2\"",              // 5
        "",
    ]
    .join("\n");
    let got = problems(&text);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got.iter().any(|g| g.starts_with(
            "s.toml:4:1: upstream.proxy `https://alice:***@corp:3128`: https:// proxies are not supported, only http://"
        ) && g.contains("(help: write the proxy as http://host:port")),
        "{got:#?}"
    );
    assert!(
        got.iter().any(
            |g| g.starts_with("s.toml:5:1: upstream.proxy_auth names where")
                && g.contains("{ env = \"CORP_PROXY_AUTH\" }")
        ),
        "{got:#?}"
    );
    assert!(!got.join("\n").contains("hunter2"), "{got:#?}");

    // credentials twice; proxy_auth alone; a table of the wrong shape
    let got = problems(
        "version = 1\nscope_map = \"m.toml\"\n[upstream]\nproxy = \"http://alice:hunter2@corp:3128\"\nproxy_auth = { file = \"a\" }\n",
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("given twice"), "{got:#?}");
    assert!(!got[0].contains("hunter2"), "{got:#?}");
    let got =
        problems("version = 1\nscope_map = \"m.toml\"\n[upstream]\nproxy_auth = { env = \"X\" }\n");
    assert!(got[0].contains("upstream.proxy is not"), "{got:#?}");
    let got = problems(
        "version = 1\nscope_map = \"m.toml\"\n[upstream]\nproxy = \"http://corp:3128\"\nproxy_auth = { password = \"hunter2\" }\n",
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(!got[0].contains("hunter2"), "{got:#?}");

    // the settings, printed for debugging, do not show it either
    let c = load("[upstream]\nproxy = \"http://alice:hunter2@corp:3128\"").unwrap();
    let shown = format!("{c:?} {:?}", c.proxy_config());
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// One bad value in every section: each is reported, at its line, with a
/// hint, all at once.
#[test]
fn a_bad_value_in_each_section_is_reported_at_its_line_with_a_hint() {
    let text = [
        "version = 1",                   // 1
        "scope_map = \"m.toml\"",        // 2
        "[proxy]",                       // 3
        "egress = \"sometimes\"",        // 4
        "[upstream.routes]",             // 5
        "\"a.example\" = \"nowhere\"",   // 6
        "[ca]",                          // 7
        "valid_days = 0",                // 8
        "[admin]",                       // 9
        "listen = \"localhost\"",        // 10
        "[log]",                         // 11
        "format = \"yaml\"",             // 12
        "[store]",                       // 13
        "url = \"mysql://db/sg\"",       // 14
        "[approvals]",                   // 15
        "pending_secs = 0",              // 16
        "[dashboard]",                   // 17
        "public_url = \"dash.example\"", // 18
        "[proxy.auth]",                  // 19
        "required = \"yes\"",            // 20
        "",
    ]
    .join("\n");
    let got = problems(&text);
    let want = [
        "s.toml:4:1: proxy.egress = \"sometimes\" is not a choice (help: use \"tunnel\" or \"refuse\")",
        "s.toml:6:1: route a.example: `nowhere` is not ip:port (help: ",
        "s.toml:8:1: ca.valid_days = 0 is out of range (help: 1 to 3650)",
        "s.toml:10:1: admin.listen: `localhost` is not ip:port (help: ",
        "s.toml:12:1: log.format = \"yaml\" is not a choice (help: use \"text\" or \"json\")",
        "s.toml:14:1: store.url: unsupported database URL scheme `mysql` (use postgres:// or sqlite:) (help: ",
        "s.toml:16:1: approvals.pending_secs must be at least 1 (help: ",
        "s.toml:18:1: [dashboard]: public_url must start with http:// or https://: \"dash.example\" (help: an http:// or https:// URL",
        "s.toml:20:12: [proxy]: invalid type: string \"yes\", expected a boolean (help: true or false, without quotes)",
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for w in want {
        assert!(got.iter().any(|g| g.starts_with(w)), "{w}\n{got:#?}");
    }
}

#[test]
fn resolve_has_defaults_and_a_bounded_lookup_timeout() {
    let s = load("").unwrap();
    assert_eq!(s.resolve.ttl, Duration::from_secs(300));
    assert_eq!(s.resolve.max_entries, 10_000);
    assert_eq!(s.resolve.lookup_timeout, Duration::from_millis(2000));
    let s = load("[resolve]\nttl_secs = 60\nmax_entries = 5\nlookup_timeout_ms = 300\n").unwrap();
    assert_eq!(s.resolve.ttl, Duration::from_secs(60));
    assert_eq!(s.resolve.max_entries, 5);
    assert_eq!(s.resolve.lookup_timeout, Duration::from_millis(300));
    let got = problems("version = 1\nscope_map = \"m.toml\"\n[resolve]\nlookup_timeout_ms = 0\n");
    assert!(
        got.iter().any(|p| p.contains("resolve.lookup_timeout_ms")),
        "{got:#?}"
    );
}

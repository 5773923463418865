//! `scopegate config check`: every problem in a settings file, its
//! `[dashboard]` table and the scope map it names, without touching the data
//! folder or binding a port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use scopegate_web::DashboardConfig;

use crate::config::{Config, Doc, Problem, ProxyAuth, SettingsError};
use crate::engine::Engine;

/// What `config check` found, one line each
/// (`file:line:column: message (help: ...)`).
#[derive(Debug, Default)]
pub struct Report {
    /// Empty when the settings are good.
    pub problems: Vec<String>,
    /// The scope map's warnings (a rule that never decides).
    pub warnings: Vec<String>,
}

/// Checks the settings file `file`, its `[dashboard]` table and its scope map.
pub fn check(file: &Path) -> Report {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            return Report {
                problems: vec![format!("{}: cannot read: {e}", file.display())],
                warnings: Vec::new(),
            };
        }
    };
    let doc = match Doc::parse(&text) {
        Ok(d) => d,
        Err(p) => {
            return Report {
                problems: lines(file, vec![p]),
                warnings: Vec::new(),
            };
        }
    };
    // Every problem in the file, [dashboard] included, in one pass.
    let (config, mut problems) = Config::read(file, &doc);
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    if let Some(c) = &config {
        Files {
            doc: &doc,
            base: base.clone(),
            problems: &mut problems,
        }
        .check(c);
    }
    // Read even when the settings are wrong: its problems name its file.
    let mut report = Report::default();
    let scope_map = doc.string("scope_map").map(|m| base.join(m));
    if let Some(m) = scope_map.filter(|m| m.is_file()) {
        match Engine::load(&m) {
            Ok(engine) => report.warnings = engine.warnings(),
            Err(e) => report.problems = format!("{e:#}").lines().map(str::to_owned).collect(),
        }
    }
    problems.sort_by_key(|p| (p.line, p.column));
    let mut out = lines(file, problems);
    out.append(&mut report.problems);
    report.problems = out;
    report
}

fn lines(file: &Path, problems: Vec<Problem>) -> Vec<String> {
    if problems.is_empty() {
        return Vec::new();
    }
    let e = SettingsError {
        file: file.display().to_string(),
        problems,
    };
    e.to_string().lines().map(str::to_owned).collect()
}

/// The checks that read the disk: files the settings name, the store URL,
/// listeners that would collide.
struct Files<'a, 't> {
    doc: &'a Doc<'t>,
    base: PathBuf,
    problems: &'a mut Vec<Problem>,
}

impl Files<'_, '_> {
    fn bad(&mut self, path: &[&str], message: String, help: Option<&str>) {
        let p = self.doc.at(path, message, help);
        self.problems.push(p);
    }

    fn exists(&mut self, path: &[&str], file: &Path, what: &str) {
        if !file.is_file() {
            self.bad(
                path,
                format!("{what} {} does not exist", file.display()),
                Some("paths are relative to the settings file"),
            );
        }
    }

    fn check(&mut self, s: &Config) {
        self.exists(&["scope_map"], &s.scope_map, "scope_map");
        if let Some((cert, key)) = &s.ca.files {
            self.exists(&["ca", "cert"], cert, "ca.cert");
            self.exists(&["ca", "key"], key, "ca.key");
        }
        for (i, f) in s.upstream.extra_ca_files.iter().enumerate() {
            self.exists(
                &["upstream", "extra_ca_files", &i.to_string()],
                f,
                "upstream.extra_ca_files:",
            );
        }
        if let Some(ProxyAuth::File(f)) = s.upstream.proxy.as_ref().and_then(|p| p.auth.as_ref()) {
            self.exists(&["upstream", "proxy_auth"], f, "upstream.proxy_auth: file");
        }
        let mut listeners = vec![(&["proxy", "listen"][..], s.proxy.listen)];
        if let Some(a) = s.admin.listen {
            listeners.push((&["admin", "listen"][..], a));
        }
        if let Some(d) = &s.dashboard {
            listeners.push((&["dashboard", "listen"][..], d.listen));
            self.users_file(d);
        } else if self.doc.table(&["dashboard"]).is_none() {
            listeners.push((&["dashboard"][..], DashboardConfig::default().listen));
        }
        self.collisions(&listeners);
    }

    fn users_file(&mut self, d: &DashboardConfig) {
        let Some(f) = &d.users_file else { return };
        let path = self.base.join(f);
        if !path.is_file() {
            self.exists(&["dashboard", "users_file"], &path, "users_file");
            return;
        }
        let mut only = DashboardConfig {
            users_file: Some(path.clone()),
            ..DashboardConfig::default()
        };
        let found = match only.load_users_file() {
            Ok(()) => only.problems().into_iter().map(|p| p.message).collect(),
            Err(e) => vec![e.to_string()],
        };
        for message in found {
            self.bad(
                &["dashboard", "users_file"],
                format!("[dashboard]: users_file {}: {message}", path.display()),
                None,
            );
        }
    }

    fn collisions(&mut self, listeners: &[(&[&str], SocketAddr)]) {
        for (i, (path, addr)) in listeners.iter().enumerate() {
            let earlier = listeners[..i]
                .iter()
                .find(|(_, a)| a.port() != 0 && a == addr);
            if let Some((first, _)) = earlier {
                self.bad(
                    path,
                    format!(
                        "{} listens on {addr}, as {} does",
                        path.join("."),
                        first.join(".")
                    ),
                    Some("give each listener its own port"),
                );
            }
        }
    }
}

//! The `[dashboard]` table of a settings file, read from the file's text so
//! that a mistake in it is reported with its line and column (the main
//! settings parser hands the table on as a value, which has no positions).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use crate::config::{Doc, Problem, SettingsError};
use anyhow::Context as _;
use scopegate_web::DashboardConfig;

/// The `[dashboard]` table of settings text `text` (read from `file`), or
/// `None` when there is none. Errors list every problem, each with the
/// file, line and column.
pub fn parse(file: &Path, text: &str) -> anyhow::Result<Option<DashboardConfig>> {
    let fail = |problems| SettingsError {
        file: file.display().to_string(),
        problems,
    };
    let doc = Doc::parse(text).map_err(|p| fail(vec![p]))?;
    let (config, problems) = read(&doc);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(fail(problems).into())
    }
}

/// The `[dashboard]` table of `doc`, if it has one, and every problem in
/// it: the keys serde refuses and what [`DashboardConfig::problems`] finds.
pub fn read(doc: &Doc<'_>) -> (Option<DashboardConfig>, Vec<Problem>) {
    let Some(table) = doc.table(&["dashboard"]) else {
        return (None, Vec::new());
    };
    let mut problems = Vec::new();
    let config: Option<DashboardConfig> = doc.read(table, &["dashboard"], &mut problems);
    for p in config.iter().flat_map(DashboardConfig::problems) {
        let path: Vec<&str> = std::iter::once("dashboard")
            .chain(p.key.split('.'))
            .collect();
        problems.push(doc.at(&path, format!("[dashboard]: {}", p.message), hint(&p.key)));
    }
    (config, problems)
}

/// How to write the `[dashboard]` key `key` (dotted, e.g. `users.0.name`).
fn hint(key: &str) -> Option<&'static str> {
    let last = key.rsplit('.').next().unwrap_or(key);
    Some(match last {
        "public_url" | "url" => "an http:// or https:// URL, e.g. \"https://scopegate.example\"",
        "name" => "each user once, named with 1-64 letters, digits, '.', '_', '@' or '-'",
        "password_hash" => "scopegate dashboard hash-password prints one",
        "api_token_fingerprint" => "printf \"$TOKEN\" | scopegate token fingerprint",
        k if k.ends_with("_secs") => "a number of seconds, 1 or more",
        _ => return None,
    })
}

/// [`parse`] on the file at `file`.
pub fn load(file: &Path) -> anyhow::Result<Option<DashboardConfig>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    parse(file, &text)
}

/// Where a client on this machine reaches the dashboard: `public_url` when
/// set, else `http://` + `listen` (a wildcard listen address reached on
/// loopback).
pub fn client_url(c: &DashboardConfig) -> String {
    if c.public_url.is_some() {
        return c.public_url();
    }
    let mut addr = c.listen;
    if addr.ip().is_unspecified() {
        let ip = match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        };
        addr = SocketAddr::new(ip, addr.port());
    }
    format!("http://{addr}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "version = 1\nscope_map = \"scope.toml\"\n\n[dashboard]\n";

    #[test]
    fn a_typo_under_dashboard_names_its_line() {
        let text = format!("{HEAD}listen = \"127.0.0.1:9191\"\npubic_url = \"https://x\"\n");
        let e = parse(Path::new("s.toml"), &text).unwrap_err().to_string();
        assert!(
            e.starts_with("s.toml:6:1: [dashboard]: unknown field `pubic_url`"),
            "{e}"
        );

        let text = format!(
            "{HEAD}[[dashboard.users]]\nname = \"a\"\nrole = \"approvr\"\npassword_hash = \"x\"\n"
        );
        let e = parse(Path::new("s.toml"), &text).unwrap_err().to_string();
        assert!(
            e.starts_with("s.toml:7:8: [dashboard]: unknown variant `approvr`"),
            "{e}"
        );
    }

    #[test]
    fn the_client_url_follows_listen_when_there_is_no_public_url() {
        let c = parse(
            Path::new("s.toml"),
            &format!("{HEAD}listen = \"0.0.0.0:9555\"\n"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(client_url(&c), "http://127.0.0.1:9555");
        let c = parse(
            Path::new("s.toml"),
            &format!("{HEAD}listen = \"127.0.0.1:9555\"\npublic_url = \"https://dash.example/\"\n"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(client_url(&c), "https://dash.example");
        assert!(
            parse(Path::new("s.toml"), HEAD.trim_end_matches("[dashboard]\n"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn every_dashboard_problem_names_its_line() {
        let text = format!(
            "{HEAD}pubic_url = \"https://x\"\nsession_ttl_secs = 0\n[[dashboard.users]]\nname = \"a b\"\nrole = \"approvr\"\npassword_hash = \"x\"\n[dashboard.webhook]\nurl = \"ftp://x\"\n"
        );
        let e = parse(Path::new("s.toml"), &text).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        for want in [
            "s.toml:5:1: [dashboard]: unknown field `pubic_url` (help: did you mean `public_url`?)",
            "s.toml:9:8: [dashboard]: unknown variant `approvr` (help: did you mean `approver`?)",
            "s.toml:6:1: [dashboard]: session_ttl_secs must be at least 1",
            "s.toml:12:1: [dashboard]: webhook.url must start with",
        ] {
            assert!(lines.iter().any(|l| l.starts_with(want)), "{want}\n{e}");
        }
    }
}

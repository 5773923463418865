//! The `[dashboard]` table of a settings file, read from the file's text so
//! that a mistake in it is reported with its line and column (the main
//! settings parser hands the table on as a value, which has no positions).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use anyhow::Context as _;
use scopegate_web::DashboardConfig;
use serde::Deserialize;

#[derive(Deserialize)]
struct Outer {
    #[serde(default)]
    dashboard: Option<DashboardConfig>,
}

/// The `[dashboard]` table of settings text `text` (read from `file`), or
/// `None` when there is none. Errors name the file, line and column.
pub fn parse(file: &Path, text: &str) -> anyhow::Result<Option<DashboardConfig>> {
    let outer: Outer = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let (line, col) = line_col(text, s.start);
                format!(":{line}:{col}")
            })
            .unwrap_or_default();
        anyhow::anyhow!(
            "{}{at}: [dashboard]: {}",
            file.display(),
            e.message().trim_end()
        )
    })?;
    Ok(outer.dashboard)
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

/// 1-based line and column of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |n| before.len() - n - 1)
        + 1;
    (line, col)
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
}

//! `scopegate run`'s arguments resolved against the settings file: where
//! the proxy listens and where its CA certificate was exported.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use scopegate_cli::agent_run::{self, RunOptions};
use scopegate_cli::config::Config;

/// The environment variable that holds `--agent`'s key.
pub const AGENT_KEY_VAR: &str = "SCOPEGATE_AGENT_KEY";

pub struct Args {
    pub settings: PathBuf,
    pub proxy: Option<String>,
    pub ca: Option<PathBuf>,
    pub agent: Option<String>,
    pub isolate: bool,
    pub command: Vec<OsString>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    // The settings are needed only for what was not given.
    let settings = if args.proxy.is_none() || args.ca.is_none() {
        Some(Config::load(&args.settings).with_context(|| {
            format!(
                "reading {} for the proxy's address and CA (or pass --proxy HOST:PORT and --ca FILE)",
                args.settings.display()
            )
        })?)
    } else {
        None
    };
    let proxy = match (args.proxy, &settings) {
        (Some(p), _) => p,
        (None, Some(s)) => reachable(s.proxy.listen).to_string(),
        (None, None) => unreachable!("settings are loaded when --proxy is missing"),
    };
    let ca_file = match (args.ca, &settings) {
        (Some(c), _) => c,
        (None, Some(s)) => s.ca.export.join(scopegate_tls::EXPORT_FILE),
        (None, None) => unreachable!("settings are loaded when --ca is missing"),
    };
    let agent = match args.agent {
        Some(name) => Some((name, agent_key()?)),
        None => None,
    };
    agent_run::run(RunOptions {
        proxy,
        ca_pem: read_ca(&ca_file)?,
        agent,
        isolate: args.isolate,
        command: args.command,
    })
}

/// A wildcard listener is reached on loopback.
pub(crate) fn reachable(listen: SocketAddr) -> SocketAddr {
    match listen {
        SocketAddr::V4(a) if a.ip().is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], a.port()))
        }
        SocketAddr::V6(a) if a.ip().is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port()))
        }
        other => other,
    }
}

fn agent_key() -> anyhow::Result<String> {
    match std::env::var(AGENT_KEY_VAR) {
        Ok(k) if !k.is_empty() => Ok(k),
        _ => bail!("--agent needs the agent's key in {AGENT_KEY_VAR}"),
    }
}

fn read_ca(path: &Path) -> anyhow::Result<String> {
    let pem = std::fs::read_to_string(path).with_context(|| {
        format!(
            "no CA certificate at {}: start `scopegate serve` (it exports it) or run `scopegate ca`, or pass --ca FILE",
            path.display()
        )
    })?;
    if !pem.contains("BEGIN CERTIFICATE") {
        bail!("{} holds no PEM certificate", path.display());
    }
    Ok(pem)
}

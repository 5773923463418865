//! `scopegate run -- COMMAND`: a command governed by scopegate. It gets the
//! proxy and CA variables of every ecosystem (`env`), a bundle of the
//! system's roots with scopegate's CA (`trust`), and with `--isolate` a
//! network namespace whose only way out is scopegate (`isolate`, `relay`).

pub mod env;
mod isolate;
pub mod relay;
pub mod trust;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use anyhow::Context as _;

pub use isolate::isolated_main;

/// What `run` was asked for.
pub struct RunOptions {
    /// scopegate's proxy listener, `host:port`.
    pub proxy: String,
    /// scopegate's CA certificate (PEM).
    pub ca_pem: String,
    /// The agent's name and key (`[[proxy.auth.agents]]`).
    pub agent: Option<(String, String)>,
    pub isolate: bool,
    pub command: Vec<OsString>,
}

/// Runs the command; its exit code (128 + the signal when killed).
pub fn run(opts: RunOptions) -> anyhow::Result<i32> {
    let (program, args) = opts
        .command
        .split_first()
        .context("name the command to run after `--`")?;
    let dir = trust::RunDir::create()?;
    let files = trust::write(dir.path(), &opts.ca_pem)?;
    if files.system_roots.is_none() {
        eprintln!(
            "scopegate run: no system root bundle found; the command trusts only scopegate's CA"
        );
    }
    let agent = opts.agent.as_ref().map(|(n, k)| (n.as_str(), k.as_str()));
    let url = env::proxy_url(&opts.proxy, agent);
    let trust = env::Trust {
        ca: &files.ca,
        bundle: &files.bundle,
        bundle_dir: &files.bundle_dir,
    };
    let mut cmd = if opts.isolate {
        isolate::outside(dir.path(), &opts.proxy)?
    } else {
        Command::new(program)
    };
    if opts.isolate {
        cmd.arg("--").arg(program);
    }
    cmd.args(args);
    for v in env::REMOVED {
        cmd.env_remove(v);
    }
    cmd.envs(env::agent_env(&url, &trust));
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", PathBuf::from(program).display()))?;
    Ok(exit_code(status))
}

/// The code a shell would report.
pub fn exit_code(status: ExitStatus) -> i32 {
    #[cfg(unix)]
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return 128 + sig;
    }
    status.code().unwrap_or(1)
}

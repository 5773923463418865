//! `scopegate healthcheck`: asks a running serve's admin listener whether it
//! is ready (`/readyz`: decisions can be recorded and approvals queued) or,
//! with `--live`, only alive (`/healthz`). For container HEALTHCHECKs and
//! probes: no curl in the image, exit 0 when healthy, 1 when not.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use scopegate_cli::config::Config;

const TIMEOUT: Duration = Duration::from_secs(3);

pub fn run(settings: &Path, admin: Option<SocketAddr>, live: bool) -> anyhow::Result<i32> {
    let addr = match admin {
        Some(a) => a,
        None => admin_from(settings)?,
    };
    let path = if live { "/healthz" } else { "/readyz" };
    match get(addr, path) {
        Ok((200, _)) => {
            scopegate_cli::outln!("healthy: http://{addr}{path} answered 200")?;
            Ok(0)
        }
        Ok((status, body)) => {
            eprintln!(
                "unhealthy: http://{addr}{path} answered {status}: {}",
                body.trim()
            );
            Ok(1)
        }
        Err(e) => {
            eprintln!("unhealthy: http://{addr}{path}: {e:#}");
            Ok(1)
        }
    }
}

fn admin_from(settings: &Path) -> anyhow::Result<SocketAddr> {
    let config = Config::load(settings).with_context(|| {
        format!(
            "reading {} for [admin] listen (or pass --admin HOST:PORT)",
            settings.display()
        )
    })?;
    match config.admin.listen {
        Some(listen) => Ok(crate::run_cmd::reachable(listen)),
        None => bail!(
            "{} has no [admin] listen: the health endpoints are off; set [admin] listen",
            settings.display()
        ),
    }
}

/// One HTTP/1.0 GET: the status code and the body.
fn get(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).context("connecting")?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut answer = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut answer)
        .context("reading the answer")?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("the answer is not HTTP")?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, body.to_owned()))
}

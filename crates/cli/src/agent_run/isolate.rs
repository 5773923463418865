//! `--isolate` on Linux: the command runs in a new user and network
//! namespace (util-linux `unshare`, no privileges needed where the kernel
//! allows unprivileged user namespaces). Inside there is only loopback. A
//! relay on the namespace's loopback is the proxy's address there, and it
//! reaches scopegate through a Unix socket. The command runs in a nested
//! user namespace as the invoking user, so it holds no capability over the
//! network namespace and cannot add a way out. When isolation cannot be
//! set up, `run` says so and does not run the command.

use std::ffi::OsString;
use std::net::{TcpListener, ToSocketAddrs as _};
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use super::{env, exit_code, relay};

/// The hidden subcommand the namespace runs.
pub const INNER: &str = "__isolated";

/// Outside: checks that namespaces can be made, starts the relay from
/// `dir/relay.sock` to the proxy, and returns the command that enters the
/// namespace (the caller appends `-- PROGRAM ARGS`).
pub fn outside(dir: &Path, proxy: &str) -> anyhow::Result<Command> {
    probe()?;
    let proxy = proxy
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .with_context(|| format!("cannot resolve scopegate's proxy address {proxy}"))?;
    let sock = dir.join("relay.sock");
    let listener = UnixListener::bind(&sock)
        .with_context(|| format!("cannot listen on {}", sock.display()))?;
    relay::unix_to_proxy(listener, proxy);
    let me = std::fs::metadata("/proc/self").context("reading /proc/self")?;
    let exe = std::env::current_exe().context("locating the scopegate binary")?;
    let mut cmd = Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "--net", "--"])
        .arg(exe)
        .arg(INNER)
        .arg("--relay")
        .arg(&sock)
        .arg("--uid")
        .arg(me.uid().to_string())
        .arg("--gid")
        .arg(me.gid().to_string());
    Ok(cmd)
}

/// Namespaces work here, or the reason they do not.
fn probe() -> anyhow::Result<()> {
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "--", "true"])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => bail!(
            "--isolate is not available here: `unshare --user --net` failed ({}). Unprivileged user namespaces may be off (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone). The command was not run.",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => bail!(
            "--isolate needs util-linux's `unshare` ({e}); install util-linux. The command was not run."
        ),
    }
}

/// Inside the namespace (as its root): loopback up, the relay on it, the
/// proxy variables pointed at the relay, then the command as `uid`/`gid`.
pub fn isolated_main(
    relay_sock: PathBuf,
    uid: u32,
    gid: u32,
    command: &[OsString],
) -> anyhow::Result<i32> {
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .context("--isolate needs iproute2's `ip` to bring up the namespace's loopback")?;
    if !up.success() {
        bail!("cannot bring up loopback in the isolated namespace (`ip link set lo up` failed)");
    }
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the relay inside")?;
    let inside = listener.local_addr()?;
    relay::tcp_to_unix(listener, relay_sock);
    let mut cmd = Command::new("unshare");
    cmd.arg(format!("--map-user={uid}"))
        .arg(format!("--map-group={gid}"))
        .arg("--")
        .args(command);
    for v in env::PROXY_VARS {
        if let Some(url) = std::env::var_os(v) {
            let url = url.to_string_lossy().into_owned();
            cmd.env(v, env::with_authority(&url, &inside.to_string()));
        }
    }
    let status = cmd
        .status()
        .context("running the command in the namespace")?;
    Ok(exit_code(status))
}

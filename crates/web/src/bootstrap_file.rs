//! The one-time bootstrap link goes to a file only scopegate's user can
//! read, never to stdout (where a supervisor, a log collector or an agent
//! sharing the terminal could read it), and the file goes once the link is
//! used.

use std::io::Write as _;
use std::path::Path;

use crate::DashboardError;

/// Replaces `path` with `link`, mode 0600 from creation (a file or link
/// already there is removed first, never written through).
pub fn write(path: &Path, link: &str) -> Result<(), DashboardError> {
    let io = |e: std::io::Error| DashboardError::Bootstrap(format!("{}: {e}", path.display()));
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(io)?;
    f.write_all(format!("{link}\n").as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Removes the file; a file already gone is fine.
pub fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "dashboard: cannot remove the used bootstrap link file");
    }
}

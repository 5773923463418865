//! scopegate's approval secrets stay scopegate's: the data folder and the
//! files that let their holder approve (the session-signing key, the CA
//! key, the bootstrap link, the dashboard users) must not be readable by
//! group or others. `serve` checks them before it touches anything and
//! refuses to start, naming each path, its mode and the `chmod` that fixes
//! it; it creates a missing data folder with mode 0700. Agents get the CA
//! certificate from the export folder instead (docs/threat-model.md).

use std::path::{Path, PathBuf};

/// What a checked path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder holding secrets: mode 0700.
    Folder,
    /// A secret file: mode 0600.
    Secret,
    /// A file or folder that decides what is allowed (the scope map, the
    /// settings): anyone may read it, only its owner write it. With hot
    /// reload, a scope map an agent can write is a way round everything.
    Config,
}

/// One path `serve` keeps private, and what it holds (for the message).
#[derive(Debug, Clone)]
pub struct Private {
    pub path: PathBuf,
    pub kind: Kind,
    pub what: &'static str,
}

impl Private {
    pub fn folder(path: impl Into<PathBuf>, what: &'static str) -> Self {
        Self {
            path: path.into(),
            kind: Kind::Folder,
            what,
        }
    }

    pub fn secret(path: impl Into<PathBuf>, what: &'static str) -> Self {
        Self {
            path: path.into(),
            kind: Kind::Secret,
            what,
        }
    }

    pub fn config(path: impl Into<PathBuf>, what: &'static str) -> Self {
        Self {
            path: path.into(),
            kind: Kind::Config,
            what,
        }
    }
}

/// The problem with `p` at `mode`, if any. With `allow_group`, group bits
/// are accepted (a Kubernetes fsGroup), others' never.
pub fn problem(p: &Private, mode: u32, allow_group: bool) -> Option<String> {
    if p.kind == Kind::Config {
        return (mode & 0o022 != 0).then(|| {
            format!(
                "{path} ({what}) has mode {mode:04o}: group or others can change it. Fix: chmod go-w {path}",
                path = p.path.display(),
                what = p.what,
                mode = mode & 0o7777,
            )
        });
    }
    let mask = if allow_group { 0o007 } else { 0o077 };
    if mode & mask == 0 {
        return None;
    }
    let (fix, who) = match (p.kind, allow_group) {
        (Kind::Folder, false) => ("chmod 700", "group or others"),
        (Kind::Secret, false) => ("chmod 600", "group or others"),
        (Kind::Folder | Kind::Secret, true) => ("chmod o-rwx", "others"),
        (Kind::Config, _) => return None,
    };
    Some(format!(
        "{path} ({what}) has mode {mode:04o}: {who} have access to it. Fix: {fix} {path}",
        path = p.path.display(),
        what = p.what,
        mode = mode & 0o7777,
    ))
}

/// Checks every path that exists (missing ones are created private later);
/// the error lists every problem.
pub fn check(paths: &[Private], allow_group: bool) -> anyhow::Result<()> {
    let problems = problems(paths, allow_group);
    anyhow::ensure!(
        problems.is_empty(),
        "refusing to start: scopegate's approval secrets must be readable only by its own user, \
         and agents must never run as that user (docs/threat-model.md).\n  {}",
        problems.join("\n  ")
    );
    Ok(())
}

/// Every problem with the paths that exist, each naming its fix.
pub fn problems(paths: &[Private], allow_group: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for p in paths {
        match mode_of(&p.path) {
            Ok(Some((mode, owner))) => {
                // Named as the operator will type it: absolute, `..` resolved.
                let shown = Private {
                    path: std::fs::canonicalize(&p.path).unwrap_or_else(|_| p.path.clone()),
                    ..p.clone()
                };
                problems.extend(problem(&shown, mode, allow_group));
                problems.extend(owner_problem(&shown, owner, effective_uid()));
            }
            Ok(None) => {}
            Err(e) => problems.push(format!("{} ({}): {e}", p.path.display(), p.what)),
        }
    }
    problems
}

/// A secret or secrets folder owned by someone else (an agent's user,
/// say) is theirs to read or replace, whatever its mode. Root-owned is
/// fine: mounted secrets (Kubernetes) are root's.
pub fn owner_problem(p: &Private, owner: u32, me: Option<u32>) -> Option<String> {
    let me = me?;
    if p.kind == Kind::Config || owner == me || owner == 0 {
        return None;
    }
    Some(format!(
        "{path} ({what}) is owned by uid {owner}, not by scopegate's user (uid {me}) or root. Fix: chown {me} {path}",
        path = p.path.display(),
        what = p.what,
    ))
}

/// The process's effective uid (`/proc/self` is owned by it); `None` where
/// there is no `/proc`.
#[cfg(unix)]
fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn effective_uid() -> Option<u32> {
    None
}

/// Mode and owner of what the path names (symlinks followed: a data
/// folder may be a link to a volume).
#[cfg(unix)]
fn mode_of(path: &Path) -> std::io::Result<Option<(u32, u32)>> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some((m.permissions().mode(), m.uid()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> std::io::Result<Option<(u32, u32)>> {
    Ok(None)
}

/// Creates the data folder (and missing parents) with mode 0700.
pub fn create_folder(dir: &Path) -> anyhow::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn group_or_others_bits_are_refused_with_the_fix() {
        let dir = Private::folder("/srv/sg/data", "the data folder");
        let key = Private::secret("/srv/sg/data/ca/ca-key.pem", "the CA key");
        for ok in [0o40700, 0o700, 0o500] {
            assert_eq!(problem(&dir, ok, false), None, "{ok:o}");
        }
        for ok in [0o100600, 0o400] {
            assert_eq!(problem(&key, ok, false), None, "{ok:o}");
        }
        for bad in [0o40755, 0o710, 0o701, 0o750, 0o2770] {
            let m = problem(&dir, bad, false).unwrap();
            assert!(
                m.contains("/srv/sg/data (the data folder)")
                    && m.contains(&format!("mode {:04o}", bad & 0o7777))
                    && m.ends_with("Fix: chmod 700 /srv/sg/data"),
                "{m}"
            );
        }
        for bad in [0o644, 0o640, 0o604, 0o660, 0o440] {
            let m = problem(&key, bad, false).unwrap();
            assert!(
                m.ends_with("Fix: chmod 600 /srv/sg/data/ca/ca-key.pem"),
                "{m}"
            );
        }
        // the escape hatch admits group bits only
        assert_eq!(problem(&key, 0o440, true), None);
        assert_eq!(problem(&dir, 0o2770, true), None);
        assert!(problem(&key, 0o444, true).unwrap().contains("chmod o-rwx"));
        assert!(problem(&dir, 0o2775, true).is_some());
    }

    #[test]
    fn a_scope_map_others_can_change_is_refused_and_one_they_can_read_is_not() {
        let map = Private::config("/srv/sg/scope.toml", "the scope map");
        assert_eq!(problem(&map, 0o644, false), None);
        assert_eq!(problem(&map, 0o755, false), None);
        for bad in [0o664, 0o646, 0o777] {
            let m = problem(&map, bad, false).unwrap();
            assert!(m.ends_with("Fix: chmod go-w /srv/sg/scope.toml"), "{m}");
        }
    }

    #[test]
    fn secrets_owned_by_another_user_are_refused_unless_root_owns_them() {
        let key = Private::secret("/srv/sg/data/ca/ca-key.pem", "the CA key");
        assert_eq!(owner_problem(&key, 1000, Some(1000)), None);
        assert_eq!(owner_problem(&key, 0, Some(1000)), None);
        let m = owner_problem(&key, 1001, Some(1000)).unwrap();
        assert!(
            m.contains("owned by uid 1001")
                && m.ends_with("Fix: chown 1000 /srv/sg/data/ca/ca-key.pem"),
            "{m}"
        );
        let map = Private::config("/srv/sg/scope.toml", "the scope map");
        assert_eq!(
            owner_problem(&map, 1001, Some(1000)),
            None,
            "configs may be anyone's, read-only"
        );
        assert_eq!(owner_problem(&key, 1001, None), None);
    }

    #[cfg(unix)]
    #[test]
    fn check_reads_modes_and_skips_missing_paths() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = std::env::temp_dir().join(format!("sg-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        create_folder(&d.join("data")).unwrap();
        let data = d.join("data");
        assert_eq!(
            std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
            0o700
        );
        std::fs::write(data.join("k"), "x").unwrap();
        std::fs::set_permissions(data.join("k"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let paths = [
            Private::folder(&data, "the data folder"),
            Private::secret(data.join("k"), "a key"),
            Private::secret(data.join("missing"), "not yet"),
        ];
        let e = check(&paths, false).unwrap_err().to_string();
        assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
        assert!(!e.contains("missing"), "{e}");
        std::fs::set_permissions(data.join("k"), std::fs::Permissions::from_mode(0o600)).unwrap();
        check(&paths, false).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }
}

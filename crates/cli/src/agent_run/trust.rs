//! The files `scopegate run` hands a command: scopegate's CA, and a bundle
//! of the system's roots with it, in a private folder removed at the end.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Where Linux distributions and macOS keep the system's roots.
const SYSTEM_ROOTS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// A private folder (mode 0700) for one run; removed when dropped.
pub struct RunDir(PathBuf);

impl RunDir {
    pub fn create() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("scopegate-run-{}-{nanos:08x}", std::process::id()));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The CA alone, the combined bundle, and the bundle's folder.
pub struct TrustFiles {
    pub ca: PathBuf,
    pub bundle: PathBuf,
    pub bundle_dir: PathBuf,
    /// The system roots used, if any were found.
    pub system_roots: Option<PathBuf>,
}

/// Writes the CA (`ca_pem`) and the bundle into `dir`. The system's roots
/// come from the first of `SYSTEM_ROOTS` that exists.
pub fn write(dir: &Path, ca_pem: &str) -> anyhow::Result<TrustFiles> {
    let system_roots = SYSTEM_ROOTS.iter().map(PathBuf::from).find(|p| p.is_file());
    let roots = match &system_roots {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the system's roots at {}", p.display()))?,
        None => String::new(),
    };
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, ca_pem).with_context(|| format!("cannot write {}", ca.display()))?;
    let bundle_dir = dir.join("bundle");
    std::fs::create_dir(&bundle_dir)
        .with_context(|| format!("cannot create {}", bundle_dir.display()))?;
    let bundle = bundle_dir.join("bundle.pem");
    std::fs::write(&bundle, combine(&roots, ca_pem))
        .with_context(|| format!("cannot write {}", bundle.display()))?;
    Ok(TrustFiles {
        ca,
        bundle,
        bundle_dir,
        system_roots,
    })
}

/// The system's roots, then scopegate's CA, each ending in a newline.
pub fn combine(roots: &str, ca_pem: &str) -> String {
    let mut out = String::with_capacity(roots.len() + ca_pem.len() + 2);
    for part in [roots, ca_pem] {
        if part.trim().is_empty() {
            continue;
        }
        out.push_str(part);
        if !part.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_holds_both_and_the_folder_goes_away() {
        assert_eq!(combine("A", "B\n"), "A\nB\n");
        assert_eq!(combine("", "B"), "B\n");
        let dir = RunDir::create().unwrap();
        let path = dir.path().to_path_buf();
        let files = write(
            &path,
            "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let bundle = std::fs::read_to_string(&files.bundle).unwrap();
        assert!(bundle.ends_with("-----END CERTIFICATE-----\n"));
        assert!(files.bundle.starts_with(&files.bundle_dir));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        drop(dir);
        assert!(!path.exists());
    }
}

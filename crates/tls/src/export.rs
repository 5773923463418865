//! The CA certificate on its own, for agents: a folder that holds only
//! `ca.pem`, readable by everyone, apart from the folder that holds the key.
//! Deployments share this folder (a volume, a ConfigMap) with agents and
//! never the data folder (docs/threat-model.md).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::TlsError;

/// The only file in an export folder.
pub const EXPORT_FILE: &str = "ca.pem";

/// Writes `cert_pem` to `dir/ca.pem` (mode 0644; the folder 0755, created
/// if missing), replacing it atomically when it differs. Refuses a folder
/// holding anything else, and a PEM that holds a private key: whatever is
/// in this folder, agents can read.
pub fn export_certificate(cert_pem: &str, dir: &Path) -> Result<PathBuf, TlsError> {
    let layout = |message: String| TlsError::Layout {
        path: dir.display().to_string(),
        message,
    };
    if cert_pem.contains("PRIVATE KEY") {
        return Err(layout(
            "refusing to export a PEM that holds a private key".into(),
        ));
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let name = entry.map_err(io(dir))?.file_name();
        if name != EXPORT_FILE && name != TMP_FILE {
            return Err(layout(format!(
                "holds {}, but agents are given this folder: it must hold only {EXPORT_FILE} (use another folder)",
                name.to_string_lossy()
            )));
        }
    }
    set_mode(dir, 0o755).map_err(io(dir))?;
    let path = dir.join(EXPORT_FILE);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == cert_pem) {
        set_mode(&path, 0o644).map_err(io(&path))?;
        return Ok(path);
    }
    let tmp = dir.join(TMP_FILE);
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io(&tmp))?;
    f.write_all(cert_pem.as_bytes()).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    // On the open file, not by name: a name swapped for a symlink (to the
    // CA key, say) in between must not have its target's mode changed.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}

const TMP_FILE: &str = ".ca.pem.tmp";

/// Sets the permission bits, only when they differ (a folder someone else
/// owns but already 0755 is fine).
#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    if std::fs::metadata(path)?.permissions().mode() & 0o7777 == mode {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::CertificateAuthority;

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sg-export-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn the_export_folder_holds_only_the_certificate_world_readable() {
        let data = temp("data");
        let public = temp("public");
        let (ca, _) = CertificateAuthority::load_or_generate(&data.join("ca"), 30).unwrap();
        let path = export_certificate(ca.cert_pem(), &public).unwrap();
        assert_eq!(path, public.join("ca.pem"));
        let names: Vec<_> = std::fs::read_dir(&public)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["ca.pem"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, ca.cert_pem());
        assert!(!text.contains("PRIVATE"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o644);
            assert_eq!(mode(&public), 0o755);
            // the key's folder is private
            assert_eq!(mode(&data.join("ca")), 0o700);
        }
        // again: unchanged, no leftovers
        export_certificate(ca.cert_pem(), &public).unwrap();
        assert_eq!(std::fs::read_dir(&public).unwrap().count(), 1);
        std::fs::remove_dir_all(&data).unwrap();
        std::fs::remove_dir_all(&public).unwrap();
    }

    #[test]
    fn a_folder_with_anything_else_or_a_key_is_refused() {
        let public = temp("crowded");
        std::fs::create_dir_all(&public).unwrap();
        std::fs::write(public.join("ca-key.pem"), "secret").unwrap();
        let ca = CertificateAuthority::generate("t", 1).unwrap();
        let e = export_certificate(ca.cert_pem(), &public).unwrap_err();
        assert!(e.to_string().contains("holds ca-key.pem"), "{e}");
        assert!(!public.join("ca.pem").exists());
        std::fs::remove_dir_all(&public).unwrap();
        let public = temp("keyed");
        let pem = format!("{}-----BEGIN PRIVATE KEY-----\n", ca.cert_pem());
        assert!(export_certificate(&pem, &public).is_err());
        assert!(!public.join("ca.pem").exists());
    }
}

//! The interception CA.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use time::{Duration, OffsetDateTime};

use crate::TlsError;

/// A CA that signs leaf certificates for intercepted hosts.
pub struct CertificateAuthority {
    pub(crate) issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    /// Where the certificate lives on disk, if it came from or went to a file.
    pub cert_path: Option<PathBuf>,
}

impl fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("cert_path", &self.cert_path)
            .field("key", &"<redacted>")
            .finish()
    }
}

const CA_FILE: &str = "ca.pem";
const KEY_FILE: &str = "ca-key.pem";

impl CertificateAuthority {
    /// A new CA: ECDSA P-256, valid from yesterday for `valid_days`.
    pub fn generate(common_name: &str, valid_days: i64) -> Result<Self, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "scopegate");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(valid_days);
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
            cert_path: None,
        })
    }

    /// Loads a CA from a PEM certificate and a PEM private key.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| TlsError::Io {
                path: p.display().to_string(),
                source,
            })
        };
        let cert_pem = read(cert_path)?;
        let key_pem = read(key_path)?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| TlsError::Pem {
            path: key_path.display().to_string(),
            message: e.to_string(),
        })?;
        let issuer = Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| TlsError::Pem {
            path: cert_path.display().to_string(),
            message: e.to_string(),
        })?;
        let cert_der =
            CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| TlsError::Pem {
                path: cert_path.display().to_string(),
                message: e.to_string(),
            })?;
        check_pair(&cert_der, &key_pem, cert_path, key_path)?;
        Ok(Self {
            issuer,
            cert_pem,
            cert_der,
            cert_path: Some(cert_path.to_path_buf()),
        })
    }

    /// Loads `dir/ca.pem` + `dir/ca-key.pem`, or generates and writes them
    /// (the folder, if new, mode 0700; the key file 0600). Returns whether a
    /// new CA was generated. Agents get the certificate from
    /// [`crate::export_certificate`]'s folder, never from this one.
    pub fn load_or_generate(dir: &Path, valid_days: i64) -> Result<(Self, bool), TlsError> {
        let cert_path = dir.join(CA_FILE);
        let key_path = dir.join(KEY_FILE);
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => return Ok((Self::load(&cert_path, &key_path)?, false)),
            (false, false) => {}
            (cert, _) => {
                let (missing, present) = if cert {
                    (&key_path, &cert_path)
                } else {
                    (&cert_path, &key_path)
                };
                return Err(TlsError::Layout {
                    path: missing.display().to_string(),
                    message: format!(
                        "is missing, but {} is there: restore it from a backup, or remove {} too to generate a new CA (agents must then trust the new certificate)",
                        present.display(),
                        present.display()
                    ),
                });
            }
        }
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| TlsError::Io { path, source }
        };
        create_private_dir(dir).map_err(io(dir))?;
        let mut ca = Self::generate("scopegate interception CA", valid_days)?;
        write_private(&key_path, ca.issuer.key().serialize_pem().as_bytes())
            .map_err(io(&key_path))?;
        std::fs::write(&cert_path, ca.cert_pem.as_bytes()).map_err(io(&cert_path))?;
        ca.cert_path = Some(cert_path);
        Ok((ca, true))
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }
}

/// The key must be the certificate's: with another key, every leaf it
/// signs fails every client's TLS check, and nothing would say why.
fn check_pair(
    cert_der: &CertificateDer<'static>,
    key_pem: &str,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), TlsError> {
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| {
        TlsError::Pem {
            path: key_path.display().to_string(),
            message: e.to_string(),
        }
    })?;
    rustls::sign::CertifiedKey::from_der(vec![cert_der.clone()], key, &crate::provider())
        .map(|_| ())
        .map_err(|e| TlsError::Layout {
            path: key_path.display().to_string(),
            message: format!(
                "is not the key of the CA certificate {} ({e}): put the matching pair in place",
                cert_path.display()
            ),
        })
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_writes_0600_and_reloads() {
        let dir = std::env::temp_dir().join(format!("sg-ca-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (ca, fresh) = CertificateAuthority::load_or_generate(&dir, 365).unwrap();
        assert!(fresh);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, fresh) = CertificateAuthority::load_or_generate(&dir, 365).unwrap();
        assert!(!fresh);
        assert_eq!(again.cert_pem(), ca.cert_pem());
        assert!(!format!("{again:?}").contains("PRIVATE"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused_and_a_missing_half_named() {
        let dir = std::env::temp_dir().join(format!("sg-ca-pair-{}", std::process::id()));
        let other = dir.join("other");
        let _ = std::fs::remove_dir_all(&dir);
        CertificateAuthority::load_or_generate(&dir, 365).unwrap();
        CertificateAuthority::load_or_generate(&other, 365).unwrap();
        std::fs::copy(other.join(KEY_FILE), dir.join(KEY_FILE)).unwrap();
        let err = CertificateAuthority::load(&dir.join(CA_FILE), &dir.join(KEY_FILE))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is not the key of the CA certificate"),
            "{err}"
        );

        std::fs::remove_file(dir.join(CA_FILE)).unwrap();
        let err = CertificateAuthority::load_or_generate(&dir, 365)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ca.pem: is missing, but") && err.contains("ca-key.pem is there"),
            "{err}"
        );
        assert!(!err.contains("os error"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! scopegate's TLS: the interception CA (generated with rcgen, ECDSA P-256,
//! or loaded from files), leaf certificates minted per host and kept in a
//! bounded cache that renews them before they expire, and the *verifying*
//! upstream client configuration (web PKI roots plus configured extra CAs).
//!
//! One crypto provider only (ring); callers pass it in, nothing here relies
//! on a process default. Key material never appears in `Debug` output.

mod ca;
mod export;
mod leaf;

use std::path::Path;
use std::sync::Arc;

pub use ca::CertificateAuthority;
pub use export::{EXPORT_FILE, export_certificate};
pub use leaf::{LeafCache, LeafStats};
use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("tls configuration failed: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Pem { path: String, message: String },
    #[error("{path}: {message}")]
    Layout { path: String, message: String },
    #[error("invalid host name for a certificate: {0}")]
    BadHost(String),
}

/// The ring crypto provider, shared.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The upstream client configuration: always verifying, against the web PKI
/// roots plus `extra_ca_files` (PEM bundles). ALPN is left unset: the HTTPS
/// connector sets it.
pub fn upstream_client_config(
    provider: Arc<CryptoProvider>,
    extra_ca_files: &[&Path],
) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for path in extra_ca_files {
        let shown = path.display().to_string();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| TlsError::Pem {
                path: shown.clone(),
                message: e.to_string(),
            })?
            .collect::<Result<_, _>>()
            .map_err(|e| TlsError::Pem {
                path: shown.clone(),
                message: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(TlsError::Pem {
                path: shown,
                message: "no certificates in file".into(),
            });
        }
        for c in certs {
            roots.add(c)?;
        }
    }
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

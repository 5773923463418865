//! `token issue`: a fresh surrogate and the scope-map lines that name it.
//! A bearer surrogate is swapped for the real secret; an AWS surrogate is
//! a key pair whose signatures scopegate verifies and signs again with the
//! real key (docs/sigv4.md), so scopegate needs its secret too.

use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::Context as _;
use scopegate_model::Fingerprint;

/// Which kind of surrogate to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A bearer token, for every provider but AWS.
    Any,
    /// An AWS access key id and secret access key.
    Aws,
}

/// Prints the surrogate (give it to the agent) and its scope-map lines;
/// an AWS surrogate's secret is also written to `secret_file`, mode 0600,
/// when one is named.
pub fn issue(kind: Kind, secret_file: Option<&Path>) -> anyhow::Result<i32> {
    match kind {
        Kind::Any => {
            anyhow::ensure!(
                secret_file.is_none(),
                "--secret-file is for --provider aws: a bearer surrogate needs no secret of its own"
            );
            bearer()
        }
        Kind::Aws => aws(secret_file),
    }
}

fn bearer() -> anyhow::Result<i32> {
    let token = format!("sgs_{}", scopegate_model::hex(&random::<24>()?));
    let mut out = scopegate_cli::output::Out::lock();
    writeln!(out, "surrogate token (give this to the agent): {token}")?;
    writeln!(
        out,
        "scope map entry:  surrogate = \"{}\"",
        Fingerprint::of(token.as_bytes())
    )?;
    Ok(0)
}

fn aws(secret_file: Option<&Path>) -> anyhow::Result<i32> {
    let id = access_key_id(&random::<10>()?);
    let secret = scopegate_model::hex(&random::<20>()?);
    let signing = match secret_file {
        Some(path) => {
            write_private(path, &secret)?;
            // absolute: a scope map reads files relative to its own folder
            let path = std::fs::canonicalize(path)?;
            format!("{{ file = \"{}\" }}", path.display())
        }
        None => {
            "{ env = \"SCOPEGATE_AWS_SURROGATE_SECRET\" }  # set to the secret access key above"
                .into()
        }
    };
    let mut out = scopegate_cli::output::Out::lock();
    writeln!(
        out,
        "surrogate AWS key (give it to the agent, as its AWS profile or AWS_* variables):"
    )?;
    writeln!(out, "  aws_access_key_id = {id}")?;
    writeln!(out, "  aws_secret_access_key = {secret}")?;
    writeln!(out, "scope map entry:")?;
    writeln!(out, "  surrogate = \"{}\"", Fingerprint::of(id.as_bytes()))?;
    writeln!(out, "  surrogate_secret = {signing}")?;
    writeln!(
        out,
        "  secret = {{ file = \"aws-real-key.json\" }}  # the real key: `aws configure export-credentials --format process` (mode 0600)"
    )?;
    Ok(0)
}

/// `AKSG` and 16 base32 characters: 20 characters, like an AWS key id,
/// and never one AWS issues (theirs start `AKIA` or `ASIA`).
fn access_key_id(raw: &[u8; 10]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = raw.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let tail: String = (0..16)
        .rev()
        .map(|i| char::from(ALPHABET[usize::try_from((bits >> (i * 5)) & 31).unwrap_or(0)]))
        .collect();
    format!("AKSG{tail}")
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut raw = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut raw))
        .context("cannot read /dev/urandom")?;
    Ok(raw)
}

/// Writes a new file only its owner can read; never replaces one.
fn write_private(path: &Path, secret: &str) -> anyhow::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    f.write_all(secret.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_look_like_aws_ones_but_are_scopegates() {
        assert_eq!(access_key_id(&[0; 10]), "AKSGAAAAAAAAAAAAAAAA");
        assert_eq!(access_key_id(&[0xff; 10]), "AKSG7777777777777777");
        let id = access_key_id(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(id.len(), 20);
        assert!(
            id.bytes()
                .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
        );
    }
}

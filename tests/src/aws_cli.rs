//! The AWS CLI (v1, from PyPI) as `scripts/setup-test-clients` installs it
//! into `target/aws-venv` (or `$SCOPEGATE_E2E_AWS_VENV`), run with nothing
//! from the machine: an environment of its own, config and credentials
//! files in a temp dir, no `~/.aws`.

use std::path::{Path, PathBuf};

use crate::TempDir;
use crate::clients::{self, Ran};

/// The access key id the CLI signs with (AWS's documented example key).
pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// Its secret (AWS's documented example): never sent, only signs.
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The region every call is made in.
pub const REGION: &str = "us-east-1";
/// moto's default account id.
pub const MOTO_ACCOUNT: &str = "123456789012";
/// An AMI moto knows (moto/ec2/resources/amis.json.gz).
pub const MOTO_AMI: &str = "ami-12c6146b";

/// The venv with `aws` and `moto_server`; `None` (after
/// [`clients::missing`]) when either is absent.
pub fn aws_venv() -> Option<PathBuf> {
    let venv = std::env::var_os("SCOPEGATE_E2E_AWS_VENV").map_or_else(
        || clients::repo_root().join("target/aws-venv"),
        PathBuf::from,
    );
    let ok = ["bin/aws", "bin/moto_server"]
        .iter()
        .all(|b| venv.join(b).is_file());
    if !ok {
        clients::missing(&format!(
            "the AWS CLI and moto are not installed in {} (or set SCOPEGATE_E2E_AWS_VENV)",
            venv.display()
        ));
        return None;
    }
    Some(venv)
}

/// How one `aws` runs: through `https_proxy`, trusting `ca_bundle`, with
/// its key (by default [`ACCESS_KEY_ID`]) in the environment and config
/// files in `dir`.
pub struct AwsCli {
    pub bin: PathBuf,
    pub https_proxy: String,
    pub ca_bundle: PathBuf,
    pub dir: TempDir,
    /// The access key id and secret it signs with.
    pub key: (String, String),
}

impl AwsCli {
    /// `None` (after [`clients::missing`]) when the CLI is not installed.
    pub fn new(https_proxy: &str, ca_pem: &str) -> Option<Self> {
        let bin = aws_venv()?.join("bin/aws");
        let dir = TempDir::new("aws-cli");
        let ca_bundle = dir.write("ca.pem", ca_pem);
        dir.write("config", format!("[default]\nregion = {REGION}\n"));
        dir.write("credentials", "");
        Some(Self {
            bin,
            https_proxy: https_proxy.to_owned(),
            ca_bundle,
            dir,
            key: (ACCESS_KEY_ID.into(), SECRET_ACCESS_KEY.into()),
        })
    }

    /// The same CLI signing with another key pair.
    #[must_use]
    pub fn with_key(mut self, id: &str, secret: &str) -> Self {
        self.key = (id.to_owned(), secret.to_owned());
        self
    }

    /// Runs `aws args…` to completion: exit, stdout, stderr.
    pub async fn run(&self, args: &[&str]) -> Ran {
        let mut c = clients::command(&self.bin, &self.https_proxy);
        c.env_clear();
        for (k, v) in self.env() {
            c.env(k, v);
        }
        c.args(args).current_dir(self.dir.path());
        clients::run(c).await
    }

    /// Like [`AwsCli::run`], asserting exit 0; stdout as JSON (or `null`).
    pub async fn ok(&self, args: &[&str]) -> serde_json::Value {
        let ran = self.run(args).await;
        assert_eq!(
            ran.code,
            Some(0),
            "aws {}: exit {:?}\nstdout: {}\nstderr: {}",
            args.join(" "),
            ran.code,
            ran.stdout,
            ran.stderr
        );
        serde_json::from_str(ran.stdout.trim()).unwrap_or(serde_json::Value::Null)
    }

    /// The whole environment `aws` gets (nothing inherited).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let path = std::env::var("PATH").unwrap_or_default();
        let p = |name: &str| path_str(&self.dir.path().join(name));
        vec![
            ("PATH", path),
            ("HOME", path_str(self.dir.path())),
            ("LANG", "C.UTF-8".into()),
            ("HTTPS_PROXY", self.https_proxy.clone()),
            ("https_proxy", self.https_proxy.clone()),
            ("AWS_CA_BUNDLE", path_str(&self.ca_bundle)),
            ("AWS_ACCESS_KEY_ID", self.key.0.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.key.1.clone()),
            ("AWS_DEFAULT_REGION", REGION.into()),
            ("AWS_CONFIG_FILE", p("config")),
            ("AWS_SHARED_CREDENTIALS_FILE", p("credentials")),
            ("AWS_DEFAULT_OUTPUT", "json".into()),
            ("AWS_PAGER", String::new()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_MAX_ATTEMPTS", "1".into()),
        ]
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

//! moto in server mode (a fake AWS, plain HTTP on 127.0.0.1), as
//! `scripts/setup-test-clients` installs it into `target/aws-venv`.
//! moto cannot bind port 0 and say which port it got, so [`MotoServer::start`]
//! picks a free port, starts `moto_server` on it, and tries another port if
//! moto exits (a collision). The process is killed when the server drops.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::TempDir;
use crate::aws_cli::aws_venv;

/// A running `moto_server`; killed on drop.
pub struct MotoServer {
    pub addr: SocketAddr,
    child: Child,
    /// Holds moto's log (`moto.log`).
    dir: TempDir,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MotoServer {
    /// `moto_server` from the venv, answering on 127.0.0.1. `None` (after
    /// [`crate::clients::missing`]) when the venv has no moto.
    pub async fn start() -> Option<Self> {
        Self::start_checking_keys_after(None).await
    }

    /// Like [`MotoServer::start`]; with `Some(n)`, moto answers the first
    /// `n` actions unauthenticated and then, like AWS, verifies every
    /// signature with the secret of an access key its IAM issued, and
    /// applies that user's policies (`INITIAL_NO_AUTH_ACTION_COUNT`).
    pub async fn start_checking_keys_after(unauthenticated: Option<u32>) -> Option<Self> {
        let bin = aws_venv()?.join("bin/moto_server");
        for _ in 0..5 {
            if let Some(server) = Self::try_start(&bin, unauthenticated).await {
                return Some(server);
            }
        }
        panic!("moto_server did not start on any of 5 free ports");
    }

    async fn try_start(bin: &PathBuf, unauthenticated: Option<u32>) -> Option<Self> {
        let port = free_port();
        let dir = TempDir::new("moto");
        let log = std::fs::File::create(dir.path().join("moto.log")).unwrap();
        let mut command = Command::new(bin);
        if let Some(n) = unauthenticated {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        let child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("moto_server started");
        let mut server = Self {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            dir,
        };
        server.wait_ready().await.then_some(server)
    }

    /// Waits until moto answers `/moto-api/data.json`; false if it exited.
    async fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            if self.get("/moto-api/data.json").await.is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "moto_server did not answer within 30s; log:\n{}",
            self.log()
        );
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What moto wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// The body of a 200 answer to `GET path` (e.g. moto's
    /// `/moto-api/data.json`, every backend's state as JSON).
    pub async fn get(&self, path: &str) -> Option<String> {
        let mut tcp = TcpStream::connect(self.addr).await.ok()?;
        let req = format!("GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr);
        tcp.write_all(req.as_bytes()).await.ok()?;
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
            .await
            .ok()?
            .ok()?;
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n")?;
        head.split(' ')
            .nth(1)
            .is_some_and(|s| s == "200")
            .then(|| body.to_owned())
    }
}

/// A port that was free a moment ago (moto binds it next; a collision
/// makes moto exit, and [`MotoServer::start`] tries again).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

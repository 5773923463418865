//! `scopegate serve | head -1`: the banner's reader going away does not
//! stop the proxy (no "failed printing to stdout" panic); it keeps serving.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scopegate_e2e::{TempDir, standard_scope_map};

#[test]
fn serve_keeps_serving_when_its_banner_reader_goes_away() {
    let dir = TempDir::new("serve-pipe");
    dir.write("scope.toml", standard_scope_map());
    let config = dir.write(
        "scopegate.toml",
        format!(
            "version = 1\nscope_map = \"scope.toml\"\ndata_dir = \"data\"\n\n[proxy]\nlisten = \"127.0.0.1:0\"\n\n[admin]\nlisten = \"127.0.0.1:0\"\n\n[dashboard]\nlisten = \"127.0.0.1:{}\"\n",
            common::free_port()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("SCOPEGATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.starts_with("scopegate "), "{first}");
    drop(reader);
    // the rest of the banner goes to a closed pipe; serve must not die of it
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "serve exited when its banner's reader went away"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

//! `scopegate-loadgen`: a closed-loop HTTPS load generator. C workers each
//! send requests back to back for D seconds, directly or through an HTTP
//! proxy (CONNECT), over one keep-alive connection each or a new connection
//! per request, and report throughput and latency percentiles as JSON.
//!
//! ```text
//! scopegate-loadgen --url https://backboard.railway.com/graphql/v2 \
//!     --proxy 127.0.0.1:8080 --cacert data/ca/ca.pem \
//!     --header 'authorization: Bearer demo-railway-domains-token' \
//!     --header 'content-type: application/json' \
//!     --body '{"query":"{ project(id: \"p-{n}\") { id } }"}' -c 8 -d 10
//! ```
//! `{n}` in the body is replaced by a per-request counter, so documents
//! repeat while variables differ.

mod stats;
mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "scopegate-loadgen",
    about = "Closed-loop HTTPS load generator for scopegate benchmarks"
)]
struct Args {
    /// Serve a local HTTPS upstream instead of generating load:
    /// `--upstream 127.0.0.1:9443` (see --upstream-host, --ca-out).
    #[arg(long)]
    upstream: Option<SocketAddr>,
    /// Host names the upstream's certificate names.
    #[arg(long = "upstream-host", default_values_t = ["backboard.railway.com".to_owned(), "api.github.com".to_owned()])]
    upstream_hosts: Vec<String>,
    /// Where the upstream writes the CA that signed its certificate.
    #[arg(long, default_value = "bench-upstream-ca.pem")]
    ca_out: String,
    /// Target URL (https://host[:port]/path).
    #[arg(long, default_value = "")]
    url: String,
    /// Connect through this HTTP proxy (host:port) with CONNECT.
    #[arg(long)]
    proxy: Option<SocketAddr>,
    /// Connect directly to this address instead of resolving the host.
    #[arg(long)]
    connect_to: Option<SocketAddr>,
    /// PEM file of CAs to trust (the proxy's CA, or the upstream's).
    #[arg(long, default_value = "")]
    cacert: String,
    #[arg(long, short = 'X', default_value = "POST")]
    method: String,
    /// Extra request headers, `name: value`.
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Request body; `{n}` becomes a per-request counter.
    #[arg(long, default_value = "")]
    body: String,
    /// Concurrent connections.
    #[arg(long, short = 'c', default_value_t = 1)]
    concurrency: usize,
    /// Seconds to run.
    #[arg(long, short = 'd', default_value_t = 5.0)]
    duration: f64,
    /// Open a new connection (CONNECT + TLS) for every request.
    #[arg(long)]
    new_connection: bool,
    /// JSON lines of requests to send in turn instead of one request:
    /// `{"method":"POST","path":"/graphql/v2","headers":{"k":"v"},"body":"…"}`
    /// (`{n}` in the path and body becomes the request counter; headers add
    /// to -H).
    #[arg(long)]
    requests: Option<String>,
    /// Also hold this many connections open, idle, for the whole run: each
    /// is opened (CONNECT + TLS) and sends one request before the clock
    /// starts, at most -c of them at a time, then waits. For memory per
    /// open connection.
    #[arg(long, default_value_t = 0)]
    idle: usize,
}

/// One request template; the workers take them in turn.
#[derive(Debug, Clone, serde::Deserialize)]
struct Template {
    #[serde(default = "post")]
    method: String,
    path: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    body: String,
}

fn post() -> String {
    "POST".to_owned()
}

fn templates(args: &Args, target: &Target) -> anyhow::Result<Vec<Template>> {
    let base: Vec<(String, String)> = args
        .headers
        .iter()
        .filter_map(|h| h.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut list = match &args.requests {
        Some(file) => std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {file}"))?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Template>(l).with_context(|| format!("{file}: {l}")))
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => vec![Template {
            method: args.method.clone(),
            path: None,
            headers: Default::default(),
            body: args.body.clone(),
        }],
    };
    for t in &mut list {
        t.path.get_or_insert_with(|| target.path.clone());
        for (k, v) in &base {
            t.headers.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    anyhow::ensure!(!list.is_empty(), "no requests to send");
    Ok(list)
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

struct Target {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> anyhow::Result<Target> {
    let rest = url
        .strip_prefix("https://")
        .context("the URL must be https://")?;
    let (authority, path) = rest
        .find('/')
        .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), p.parse()?),
        None => (authority.to_owned(), 443),
    };
    Ok(Target {
        host,
        port,
        path: path.to_owned(),
    })
}

async fn connect(
    args: &Args,
    target: &Target,
    tls: &tokio_rustls::TlsConnector,
) -> anyhow::Result<Sender> {
    let tcp = match (args.proxy, args.connect_to) {
        (Some(proxy), _) => {
            let mut tcp = TcpStream::connect(proxy).await?;
            tcp.set_nodelay(true)?;
            let authority = format!("{}:{}", target.host, target.port);
            tcp.write_all(
                format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n").as_bytes(),
            )
            .await?;
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                anyhow::ensure!(
                    tcp.read(&mut byte).await? == 1,
                    "proxy closed during CONNECT"
                );
                head.push(byte[0]);
            }
            anyhow::ensure!(
                head.starts_with(b"HTTP/1.1 200"),
                "CONNECT refused: {}",
                String::from_utf8_lossy(&head)
            );
            tcp
        }
        (None, Some(addr)) => TcpStream::connect(addr).await?,
        (None, None) => TcpStream::connect((target.host.as_str(), target.port)).await?,
    };
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(target.host.clone())?;
    let stream = tls.connect(name, tcp).await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// Request `n` from template `t`: `{n}` in its path and body becomes `n`.
fn request(t: &Template, target: &Target, n: u64) -> http::Result<http::Request<Full<Bytes>>> {
    let fill = |text: &str| {
        if text.contains("{n}") {
            text.replace("{n}", &n.to_string())
        } else {
            text.to_owned()
        }
    };
    let mut req = http::Request::builder()
        .method(t.method.as_str())
        .uri(fill(t.path.as_deref().unwrap_or("/")))
        .header("host", target.host.as_str());
    for (k, v) in &t.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    req.body(Full::new(Bytes::from(fill(&t.body))))
}

struct Shared {
    counter: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
    statuses: std::sync::Mutex<std::collections::BTreeMap<u16, u64>>,
}

async fn worker(
    args: Arc<Args>,
    target: Arc<Target>,
    list: Arc<Vec<Template>>,
    tls: tokio_rustls::TlsConnector,
    start: Arc<tokio::sync::Barrier>,
    shared: Arc<Shared>,
) -> Vec<u64> {
    let mut samples = Vec::new();
    let mut sender: Option<Sender> = None;
    // Keep-alive connections are opened before the clock starts, so the
    // figures are about requests (and every connection is open at once).
    if !args.new_connection {
        sender = connect(&args, &target, &tls).await.ok();
        if sender.is_none() {
            shared.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    start.wait().await;
    let deadline = Instant::now() + Duration::from_secs_f64(args.duration);
    while Instant::now() < deadline {
        let started = Instant::now();
        if sender.is_none() || args.new_connection {
            match connect(&args, &target, &tls).await {
                Ok(s) => sender = Some(s),
                Err(_) => {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = sender.as_mut() else { continue };
        let n = shared.counter.fetch_add(1, Ordering::Relaxed);
        let t = &list[usize::try_from(n).unwrap_or(0) % list.len()];
        let Ok(req) = request(t, &target, n) else {
            return samples;
        };
        let ok = async {
            s.ready().await.ok()?;
            let resp = s.send_request(req).await.ok()?;
            let status = resp.status().as_u16();
            let mut body = resp.into_body();
            let mut bytes = 0u64;
            while let Some(frame) = body.frame().await {
                if let Some(d) = frame.ok()?.data_ref() {
                    bytes += d.len() as u64;
                }
            }
            shared.bytes.fetch_add(bytes, Ordering::Relaxed);
            Some(status)
        }
        .await;
        match ok {
            Some(status) => {
                samples.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
                if let Ok(mut m) = shared.statuses.lock() {
                    *m.entry(status).or_default() += 1;
                }
            }
            None => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                sender = None;
            }
        }
    }
    samples
}

/// An idle connection: opened and used once before the clock starts, then
/// held open until `done`. Returns whether its one request succeeded.
/// At most `opening` permits' worth are opened at once (as many as there
/// are busy workers): agents that connected over time and went quiet, not
/// a burst of a thousand concurrent requests.
async fn idle(
    args: Arc<Args>,
    target: Arc<Target>,
    list: Arc<Vec<Template>>,
    tls: tokio_rustls::TlsConnector,
    opening: Arc<tokio::sync::Semaphore>,
    start: Arc<tokio::sync::Barrier>,
    done: tokio::sync::watch::Receiver<bool>,
) -> bool {
    let ok = async {
        let _permit = opening.acquire().await.ok()?;
        let mut s = connect(&args, &target, &tls).await.ok()?;
        let req = request(list.first()?, &target, 0).ok()?;
        s.ready().await.ok()?;
        let resp = s.send_request(req).await.ok()?;
        let ok = resp.status().is_success();
        resp.into_body().collect().await.ok()?;
        Some((s, ok))
    }
    .await;
    start.wait().await;
    let mut done = done;
    let _ = done.wait_for(|d| *d).await;
    ok.is_some_and(|(_, ok)| ok)
}

fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Some(listen) = args.upstream {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return rt.block_on(upstream::run(
            listen,
            args.upstream_hosts.clone(),
            &args.ca_out,
        ));
    }
    anyhow::ensure!(
        !args.url.is_empty() && !args.cacert.is_empty(),
        "give --url and --cacert (or --upstream to serve)"
    );
    let target = Arc::new(parse_url(&args.url)?);
    let list = Arc::new(templates(&args, &target)?);
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&args.cacert)
        .with_context(|| format!("cannot read {}", args.cacert))?
    {
        roots.add(c?)?;
    }
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let shared = Arc::new(Shared {
            counter: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            statuses: Default::default(),
        });
        let start = Arc::new(tokio::sync::Barrier::new(
            args.concurrency.max(1) + args.idle + 1,
        ));
        let (done_tx, done_rx) = tokio::sync::watch::channel(false);
        let opening = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
        let idlers: Vec<_> = (0..args.idle)
            .map(|_| {
                tokio::spawn(idle(
                    args.clone(),
                    target.clone(),
                    list.clone(),
                    tls.clone(),
                    opening.clone(),
                    start.clone(),
                    done_rx.clone(),
                ))
            })
            .collect();
        let workers: Vec<_> = (0..args.concurrency.max(1))
            .map(|_| {
                tokio::spawn(worker(
                    args.clone(),
                    target.clone(),
                    list.clone(),
                    tls.clone(),
                    start.clone(),
                    shared.clone(),
                ))
            })
            .collect();
        start.wait().await;
        let started = Instant::now();
        let mut samples = Vec::new();
        for w in workers {
            samples.extend(w.await?);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let _ = done_tx.send(true);
        let mut idle_ok = 0usize;
        for i in idlers {
            idle_ok += usize::from(i.await?);
        }
        let summary = stats::summarize(samples);
        let statuses: serde_json::Map<String, serde_json::Value> = shared
            .statuses
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.to_string(), (*v).into()))
                    .collect()
            })
            .unwrap_or_default();
        let report = serde_json::json!({
            "url": args.url,
            "via_proxy": args.proxy.map(|p| p.to_string()),
            "concurrency": args.concurrency,
            "new_connection": args.new_connection,
            "seconds": elapsed,
            "requests": summary.as_ref().map_or(0, |s| s.count),
            "errors": shared.errors.load(Ordering::Relaxed),
            "throughput_rps": summary.as_ref().map_or(0.0, |s| s.count as f64 / elapsed),
            "p50_us": summary.as_ref().map(|s| s.p50_us),
            "p99_us": summary.as_ref().map(|s| s.p99_us),
            "p999_us": summary.as_ref().map(|s| s.p999_us),
            "max_us": summary.as_ref().map(|s| s.max_us),
            "mean_us": summary.as_ref().map(|s| s.mean_us),
            "response_bytes": shared.bytes.load(Ordering::Relaxed),
            "mb_per_s": shared.bytes.load(Ordering::Relaxed) as f64 / elapsed / 1e6,
            "statuses": statuses,
            "idle": args.idle,
            "idle_ok": idle_ok,
        });
        println!("{report}");
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_templates_take_the_url_path_and_the_common_headers() {
        let dir = std::env::temp_dir().join(format!("loadgen-templates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("requests.jsonl");
        std::fs::write(
            &file,
            "{\"method\":\"GET\",\"path\":\"/user/{n}\",\"headers\":{\"accept\":\"x\"}}\n\n{\"body\":\"{n}\"}\n",
        )
        .unwrap();
        let args = Args::parse_from([
            "scopegate-loadgen",
            "--url",
            "https://api.github.com/graphql",
            "--requests",
            file.to_str().unwrap(),
            "-H",
            "authorization: Bearer t",
            "-H",
            "accept: y",
        ]);
        let target = parse_url(&args.url).unwrap();
        let list = templates(&args, &target).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].method.as_str(), list[0].path.as_deref()),
            ("GET", Some("/user/{n}"))
        );
        // the template's own header wins over -H; -H fills the rest
        assert_eq!(list[0].headers["accept"], "x");
        assert_eq!(list[0].headers["authorization"], "Bearer t");
        assert_eq!(
            (list[1].method.as_str(), list[1].path.as_deref()),
            ("POST", Some("/graphql"))
        );
        assert_eq!(list[1].headers["accept"], "y");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_request_fills_in_its_number_and_carries_the_template() {
        let target = parse_url("https://backboard.railway.com/graphql/v2").unwrap();
        let t = Template {
            method: "POST".into(),
            path: Some("/graphql/v2?id={n}".into()),
            headers: [("authorization".to_owned(), "Bearer t".to_owned())].into(),
            body: "{\"id\":\"p-{n}\"}".into(),
        };
        let req = request(&t, &target, 42).unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(req.uri(), "/graphql/v2?id=42");
        assert_eq!(req.headers()["host"], "backboard.railway.com");
        assert_eq!(req.headers()["authorization"], "Bearer t");
        let body = body_text(req.into_body());
        assert_eq!(body, "{\"id\":\"p-42\"}");
    }

    fn body_text(b: Full<Bytes>) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt.block_on(b.collect()).unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}

//! A corporate proxy stand-in for `[upstream] proxy`: an HTTP CONNECT
//! proxy on 127.0.0.1:0. It records every CONNECT it receives (the target
//! and the `Proxy-Authorization` sent), answers 407 when it wants
//! credentials and gets others, and otherwise splices the tunnel to where
//! the target leads: an `ip:port` as written, any name to the address
//! given to [`CorpProxy::resolve_names_to`] (the fake) — it resolves names,
//! as a corporate proxy does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::wire;

/// One CONNECT as the proxy received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// `host:port` from the request line.
    pub target: String,
    /// The `Proxy-Authorization` header, as sent.
    pub authorization: Option<String>,
    /// The status it answered.
    pub status: u16,
}

#[derive(Default)]
struct Shared {
    seen: Mutex<Vec<Connect>>,
    names_to: Mutex<Option<SocketAddr>>,
    /// Answer every CONNECT with this status instead (403, 502, ...).
    forced: Mutex<Option<u16>>,
    /// `Basic …` it accepts; `None` takes anyone.
    wants: Option<String>,
}

/// A running CONNECT proxy; stops when dropped.
pub struct CorpProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for CorpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `Basic base64(user:password)`.
pub fn basic(credentials: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

impl CorpProxy {
    /// A proxy that wants `credentials` (`user:password`), or none.
    pub async fn start(credentials: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            wants: credentials.map(basic),
            ..Shared::default()
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve(s.clone(), tcp));
            }
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where every name leads (the fake's address).
    pub fn resolve_names_to(&self, addr: SocketAddr) {
        *self.shared.names_to.lock().unwrap() = Some(addr);
    }

    /// From now on answer every CONNECT with `status` (`None`: as usual).
    pub fn answer_with(&self, status: Option<u16>) {
        *self.shared.forced.lock().unwrap() = status;
    }

    /// Every CONNECT received so far.
    pub fn connects(&self) -> Vec<Connect> {
        self.shared.seen.lock().unwrap().clone()
    }
}

async fn serve(s: Arc<Shared>, mut tcp: TcpStream) {
    let Ok(head) = wire::read_head(&mut tcp).await else {
        return;
    };
    let target = head
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("CONNECT "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_default()
        .to_owned();
    let authorization = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    let forced = *s.forced.lock().unwrap();
    let (status, upstream) = if let Some(status) = forced {
        (status, None)
    } else if s.wants.is_some() && authorization != s.wants {
        (407, None)
    } else {
        match dial(&s, &target).await {
            Some(up) => (200, Some(up)),
            None => (502, None),
        }
    };
    s.seen.lock().unwrap().push(Connect {
        target,
        authorization,
        status,
    });
    let answer = match status {
        200 => "HTTP/1.1 200 Connection established\r\n\r\n".to_owned(),
        407 => "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
        n => format!("HTTP/1.1 {n} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
    if tcp.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    if let Some(mut up) = upstream {
        let _ = tokio::io::copy_bidirectional(&mut tcp, &mut up).await;
    }
}

/// Connects to `target`: an address as is, a name where names lead.
async fn dial(s: &Shared, target: &str) -> Option<TcpStream> {
    let addr = match target.parse::<SocketAddr>() {
        Ok(a) => a,
        Err(_) => (*s.names_to.lock().unwrap())?,
    };
    TcpStream::connect(addr).await.ok()
}

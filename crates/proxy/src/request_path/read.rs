//! The read phase: the whole body, within the size limit and the body
//! timeout. scopegate forwards nothing it has not read in full; a body over
//! the limit is refused (and, by `unread`, recorded as a decision).

use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body_util::BodyExt as _;
use scopegate_inspect::RequestView;

use crate::config::ProxyConfig;
use crate::respond::Refusal;

use super::admit::Admitted;

/// A request read in full: the head and the exact bytes inspection reads
/// and the upstream receives.
#[derive(Debug)]
pub struct Inbound {
    pub parts: http::request::Parts,
    pub body: Bytes,
}

impl Inbound {
    /// Path and query, as sent.
    pub fn target(&self) -> &str {
        self.parts.uri.path_and_query().map_or("/", |p| p.as_str())
    }

    /// The headers as name and value bytes, in order.
    pub fn header_pairs(&self) -> Vec<(&str, &[u8])> {
        self.parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect()
    }

    /// Runs `f` over the request as inspection sees it, at `host`.
    pub fn with_view<R>(&self, host: &str, f: impl FnOnce(&RequestView<'_>) -> R) -> R {
        let headers = self.header_pairs();
        f(&RequestView {
            method: self.parts.method.as_str(),
            host,
            target: self.target(),
            headers: &headers,
            body: &self.body,
        })
    }
}

/// How much body, and how long to wait for it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body: usize,
    pub timeout: Duration,
}

impl Limits {
    pub fn of(config: &ProxyConfig) -> Self {
        Self {
            max_body: config.proxy.max_body_bytes,
            timeout: config.proxy.body_timeout,
        }
    }
}

/// The head of a request whose body was not read in full, and why.
#[derive(Debug)]
pub struct Unread {
    pub parts: http::request::Parts,
    pub why: Refusal,
}

/// Reads the whole body. A body declared or found to be over the limit is
/// not read on; what the client still sends is drained (bounded), so that
/// it reads the answer instead of a reset connection.
pub async fn read<B>(limits: &Limits, admitted: Admitted<B>) -> Result<Inbound, Unread>
where
    B: hyper::body::Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let Admitted { parts, body } = admitted;
    if declared(&parts).is_some_and(|n| n > limits.max_body as u64) {
        // A client waiting for `100 Continue` sends nothing more: only
        // read on when it is already sending.
        if !expects_continue(&parts) {
            drain(std::pin::pin!(body)).await;
        }
        let why = Refusal::BodyTooLarge {
            max: limits.max_body,
        };
        return Err(Unread { parts, why });
    }
    match read_body(limits, body).await {
        Ok(body) => Ok(Inbound { parts, body }),
        Err(why) => Err(Unread { parts, why }),
    }
}

/// Reads a whole body within `limits`.
pub async fn read_body<B>(limits: &Limits, body: B) -> Result<Bytes, Refusal>
where
    B: hyper::body::Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let mut body = std::pin::pin!(body);
    let mut whole = Whole::default();
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, body.frame()).await else {
            return Err(Refusal::BodyTimeout);
        };
        let Some(frame) = next else {
            return Ok(whole.into_bytes());
        };
        let frame = frame.map_err(|_| Refusal::BodyUnreadable)?;
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers: not forwarded
        };
        let data = data.copy_to_bytes(data.remaining());
        if whole.len.saturating_add(data.len()) > limits.max_body {
            drain(body).await;
            return Err(Refusal::BodyTooLarge {
                max: limits.max_body,
            });
        }
        whole.push(data);
    }
}

/// At most this much of an over-limit body is read and dropped...
const DRAIN_BYTES: usize = 64 << 20;
/// ...for at most this long, before the refusal is answered.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Reads and drops what the client still sends, within the bounds.
pub(super) async fn drain<B: hyper::body::Body>(mut body: std::pin::Pin<&mut B>) {
    let mut left = DRAIN_BYTES;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            let n = frame.data_ref().map_or(0, Buf::remaining);
            left = left.saturating_sub(n);
            if left == 0 {
                break;
            }
        }
    })
    .await;
}

/// A body as it arrives: one chunk kept as is (no copy), more joined.
#[derive(Default)]
struct Whole {
    first: Option<Bytes>,
    more: Option<bytes::BytesMut>,
    len: usize,
}

impl Whole {
    fn push(&mut self, data: Bytes) {
        self.len += data.len();
        match (&mut self.first, &mut self.more) {
            (None, _) => self.first = Some(data),
            (Some(first), None) => {
                let mut joined = bytes::BytesMut::with_capacity(first.len() + data.len());
                joined.extend_from_slice(first);
                joined.extend_from_slice(&data);
                self.more = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
    }

    fn into_bytes(self) -> Bytes {
        match (self.first, self.more) {
            (_, Some(joined)) => joined.freeze(),
            (Some(first), None) => first,
            (None, None) => Bytes::new(),
        }
    }
}

fn declared(parts: &http::request::Parts) -> Option<u64> {
    parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

fn expects_continue(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(http::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

//! The read phase: the whole body, within the size limit and the body
//! timeout. scopegate forwards nothing it has not read in full.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Limited};
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

    /// Runs `f` over the request as inspection sees it, at `host`.
    pub fn with_view<R>(&self, host: &str, f: impl FnOnce(&RequestView<'_>) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self
            .parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
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

/// Reads the whole body.
pub async fn read<B>(limits: &Limits, admitted: Admitted<B>) -> Result<Inbound, Refusal>
where
    B: hyper::body::Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let Admitted { parts, body } = admitted;
    let body = read_body(limits, body).await?;
    Ok(Inbound { parts, body })
}

/// Reads a whole body within `limits`.
pub async fn read_body<B>(limits: &Limits, body: B) -> Result<Bytes, Refusal>
where
    B: hyper::body::Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let collect = Limited::new(body, limits.max_body).collect();
    let Ok(collected) = tokio::time::timeout(limits.timeout, collect).await else {
        return Err(Refusal::BodyTimeout);
    };
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Refusal::BodyTooLarge {
                max: limits.max_body,
            })
        }
        Err(_) => Err(Refusal::BodyUnreadable),
    }
}

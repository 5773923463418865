//! Passive fill: the body of an allowed read from a resolver's endpoint is
//! copied as it streams to the client (unchanged, no waiting), up to a cap;
//! when it ends, a spawned task walks it and fills the cache.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use scopegate_inspect::resolve::{Resolver, walk};

use super::Resolution;
use crate::body::Body;
use crate::metrics::Metrics;

/// Responses larger than this are not read for names.
pub const CAP: usize = 1 << 20;

/// Where a finished copy goes.
pub struct Sink {
    pub resolution: Arc<Resolution>,
    pub metrics: Arc<Metrics>,
    pub resolver: &'static Resolver,
    pub credential: String,
}

/// Wraps a response body: frames pass as they come; a copy is kept.
pub fn tee(body: Body, sink: Sink) -> Body {
    Tee {
        inner: body,
        copy: Some(BytesMut::new()),
        sink: Some(sink),
    }
    .boxed()
}

struct Tee {
    inner: Body,
    copy: Option<BytesMut>,
    sink: Option<Sink>,
}

impl HttpBody for Tee {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(copy)) = (frame.data_ref(), self.copy.as_mut()) {
                    if copy.len() + data.len() > CAP {
                        self.copy = None;
                    } else {
                        copy.extend_from_slice(data);
                    }
                }
                // hyper stops polling a body that says it ended.
                if self.inner.is_end_stream() {
                    self.finish();
                }
            }
            Poll::Ready(None) => self.finish(),
            Poll::Ready(Some(Err(_))) => self.copy = None,
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Tee {
    /// The body ended: parse the copy off the response's path.
    fn finish(&mut self) {
        let (Some(copy), Some(sink)) = (self.copy.take(), self.sink.take()) else {
            return;
        };
        tokio::spawn(async move {
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(&copy) else {
                return;
            };
            let graph = walk(sink.resolver, &value);
            let n = sink
                .resolution
                .fill(sink.resolver, &sink.credential, &graph);
            if n > 0 {
                sink.metrics.lookup(&sink.resolver.provider, "passive");
                tracing::debug!(provider = %sink.resolver.provider, ids = n, "resolve: passive fill");
            }
        });
    }
}

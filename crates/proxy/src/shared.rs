//! What every connection and request shares: the configuration, the live engine,
//! the leaf cache, the upstream client, counters, and the seams to the
//! decision log and the approval queue.

use std::sync::Arc;

use scopegate_model::{ApprovalQueue, DecisionSink};
use scopegate_tls::LeafCache;
use tokio::sync::watch;

use crate::config::ProxyConfig;
use crate::drain::Tracker;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::upstream::UpstreamClient;

pub struct State {
    pub config: ProxyConfig,
    pub engine: watch::Receiver<Arc<Engine>>,
    pub leafs: LeafCache,
    pub client: UpstreamClient,
    /// For bodies streamed unread (routes decided on their head).
    pub streaming: crate::upstream::StreamingClient,
    /// The same, HTTP/1.1 only: what WebSocket upgrades are sent with.
    pub sockets: UpstreamClient,
    pub metrics: Arc<Metrics>,
    /// Resolved resource context (docs/resource-context.md).
    pub resolution: Arc<crate::resolve::Resolution>,
    pub sink: Arc<dyn DecisionSink>,
    /// The approval queue; without one, `approve` verdicts are refused.
    pub approvals: Option<Arc<dyn ApprovalQueue>>,
    pub ca_pem: String,
    /// Counts open client connections, for draining on shutdown.
    pub tracker: Arc<Tracker>,
    /// Becomes `true` when the proxy shuts down.
    pub shutdown: watch::Receiver<bool>,
}

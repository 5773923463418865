//! The proxy: an `HTTPS_PROXY` listener that intercepts TLS to provider
//! hosts with scopegate's CA, reads every request inside the tunnel, decides
//! it against the live scope map, and forwards exactly the inspected bytes
//! over verified TLS — or answers with a refusal an agent understands.
//! Other hosts follow the egress setting (tunnel untouched once the
//! ClientHello names that host and no provider, or refuse).
//!
//! Where things are (docs/workspace.md, docs/request-path.md):
//! `listener` accepts client connections (proxy auth, CONNECT or
//! absolute-form); `interception` terminates TLS to provider hosts;
//! `request_path` takes each intercepted request through its phases
//! (admit → read → inspect → decide → settle → forward); `egress` and
//! `tunnel` handle every other host; `respond` is every answer scopegate
//! gives itself; `upstream` is the verified, pooled client;
//! `upstream_proxy` chains its connections through an HTTP proxy.

mod admin;
pub mod approvals;
mod body;
mod client_hello;
pub mod config;
mod drain;
mod egress;
pub mod engine;
mod ids;
pub use ids::{approval_id as new_approval_id, decision_id as new_decision_id};
mod interception;
mod listener;
pub mod metrics;
mod record;
mod reload;
mod request_path;
mod resolve;
mod respond;
mod screen;
mod server;
mod shared;
#[cfg(test)]
mod test_state;
mod tunnel;
mod upstream;
mod upstream_error;
pub mod upstream_proxy;

pub use config::ProxyConfig;
pub use engine::Engine;
pub use record::{TracingSink, log_line};
pub use reload::ReloadCheck;
pub use server::{Running, start, start_with};

//! The proxy: an `HTTPS_PROXY` listener that intercepts TLS to provider
//! hosts with scopegate's CA, reads every request inside the tunnel, decides
//! it against the live scope map, and forwards exactly the inspected bytes
//! over verified TLS — or answers with a refusal an agent understands.
//! Other hosts follow the egress setting (tunnel untouched once the
//! ClientHello names that host and no provider, or refuse).
//!
//! Request path (see docs/request-path.md): accept → proxy auth →
//! CONNECT / absolute-form → TLS (SNI must match CONNECT) → body limit →
//! inspect → evaluate → forward (allow) or refuse (deny, approve) → record.

mod admin;
pub mod approvals;
mod client_hello;
pub mod engine;
mod forward;
mod ids;
pub use ids::{approval_id as new_approval_id, decision_id as new_decision_id};
mod intercept;
pub mod metrics;
mod outer;
mod record;
mod reload;
mod respond;
mod screen;
pub mod settings;
mod state;
mod tunnel;
mod upstream_error;

pub use engine::Engine;
pub use record::{TracingSink, log_line};
pub use settings::Settings;
pub use state::{Running, start, start_with};

//! The decision log. Every decision is first appended to a local journal
//! (a write that survives a process crash; fsynced in groups, and before a
//! refusal is answered), then copied in order into a hash-chained table in
//! Postgres or SQLite by a background writer that retries through outages
//! and replays the journal after a restart.
//!
//! `chain` is pure (hashing and verification); `journal` is local file IO;
//! `db` is sqlx; `log` ties them together.

/// Runs the same SQL on either backend with the same binds.
macro_rules! on_backend {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Pg($pool) => $body,
            Store::Sqlite($pool) => $body,
        }
    };
}

pub mod approval_steps;
pub mod approvals;
pub mod chain;
pub mod db;
mod intake;
pub mod journal;
pub mod log;
pub mod release;
pub mod resolved;

pub use approval_steps::ApprovalStep;
pub use approvals::{Approval, ApprovalEvent, ApprovalHub};
pub use chain::{Tamper, verify};
pub use db::{DbUrl, Filter, Store, Stored, StoredRow};
pub use journal::{Journal, Position};
pub use log::{DecisionLog, LogError, Schema};
pub use release::Release;

//! The canonical record of one decision, and where it goes: the decision
//! log (journal + Postgres/SQLite, wired in by the binary) or, in tests and
//! minimal setups, one structured log line per decision.

use std::future::Future;
use std::pin::Pin;

pub use scopegate_model::{DecisionOutcome, DecisionRecord};

/// Identifies an appended record for [`DecisionSink::durable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(pub u64);

/// A decision could not be recorded; the proxy then does not act on it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("decision not recorded: {0}")]
pub struct RecordError(pub String);

pub type Durable = Pin<Box<dyn Future<Output = Result<(), RecordError>> + Send>>;

/// Where decision records go.
pub trait DecisionSink: Send + Sync + 'static {
    /// Appends the record where a process crash cannot lose it. `Err` means
    /// it could not be recorded, and the request is not acted on.
    fn record(&self, record: DecisionRecord) -> Result<Ticket, RecordError>;

    /// Resolves once the record survives power loss too. Refusals wait for
    /// it before they are answered.
    fn durable(&self, _ticket: Ticket) -> Durable {
        Box::pin(std::future::ready(Ok(())))
    }

    /// What happened upstream to a forwarded request. Best effort: the
    /// decision itself was recorded before forwarding.
    fn outcome(&self, _outcome: DecisionOutcome) {}

    /// Journal entries appended and copied into the database so far, for
    /// the `scopegate_log_*` metrics; `None` for sinks without a database.
    fn progress(&self) -> Option<LogProgress> {
        None
    }

    /// Whether a decision can be recorded now (for `/readyz`).
    fn ready(&self) -> Result<(), RecordError> {
        Ok(())
    }
}

/// How far the database is behind the journal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogProgress {
    pub journaled: u64,
    pub committed: u64,
    pub db_failures: u64,
    /// Entries read back from the journal because the writer's memory was
    /// full (a database outage).
    pub read_back: u64,
}

/// Writes each record as one structured log line (target `scopegate::decision`).
#[derive(Debug, Default)]
pub struct TracingSink;

impl DecisionSink for TracingSink {
    fn record(&self, r: DecisionRecord) -> Result<Ticket, RecordError> {
        log_line(&r);
        Ok(Ticket(0))
    }
}

/// The canonical log line for a decision.
pub fn log_line(r: &DecisionRecord) {
    let ops: Vec<String> = r.operations.iter().map(ToString::to_string).collect();
    tracing::info!(
        target: "scopegate::decision",
        id = %r.id,
        agent = r.agent.as_deref().unwrap_or("-"),
        token = r.token.as_deref().unwrap_or("-"),
        fingerprint = r.fingerprint_prefix.as_deref().unwrap_or("-"),
        provider = %r.provider,
        host = %r.host,
        method = %r.method,
        path = %r.path,
        // JSON array text: the JSON log writes it as an array, the text
        // log as a quoted `a; b` list (scopegate's log_format).
        operations = %serde_json::to_string(&ops).unwrap_or_default(),
        verdict = r.verdict.as_str(),
        mode = r.mode.as_str(),
        forwarded = r.forwarded,
        rule = %r.rule,
        reason = %r.reason,
        approval = r.approval.as_deref().unwrap_or("-"),
        decide_us = r.decide_micros,
        upstream_status = r.upstream_status.unwrap_or(0),
        upstream_ms = r.upstream_millis.unwrap_or(0),
        "decision"
    );
}

//! The canonical record of one decision, and where it goes. The decision
//! log (Postgres/SQLite) implements `DecisionSink`; until then decisions go
//! to the log as one structured line each.

pub use scopegate_model::DecisionRecord;

/// Where decision records go.
pub trait DecisionSink: Send + Sync + 'static {
    fn record(&self, record: DecisionRecord);
}

/// Writes each record as one structured log line (target `scopegate::decision`).
#[derive(Debug, Default)]
pub struct TracingSink;

impl DecisionSink for TracingSink {
    fn record(&self, r: DecisionRecord) {
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
            operations = %ops.join("; "),
            verdict = r.verdict.as_str(),
            mode = r.mode.as_str(),
            forwarded = r.forwarded,
            rule = %r.rule,
            reason = %r.reason,
            decide_us = r.decide_micros,
            upstream_status = r.upstream_status.unwrap_or(0),
            upstream_ms = r.upstream_millis.unwrap_or(0),
            "decision"
        );
    }
}

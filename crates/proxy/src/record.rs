//! The canonical record of one decision, and where it goes: the decision
//! log (journal + Postgres/SQLite, wired in by the binary) or, in tests and
//! minimal setups, one structured log line per decision. The seam itself
//! ([`DecisionSink`]) is in `scopegate_model`.

use scopegate_model::{DecisionRecord, DecisionSink, RecordError, Ticket};

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

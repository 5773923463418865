//! The canonical record of one decision, and where it goes. The decision
//! log (Postgres/SQLite) implements `DecisionSink`; until then decisions go
//! to the log as one structured line each.

use scopegate_model::{Decision, Mode, Operation, Verdict};

/// One canonical record per decided request. Holds no credential and no
/// body: the token's name and fingerprint prefix, operations with resources.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DecisionRecord {
    pub id: String,
    pub at_unix_ms: u128,
    pub agent: Option<String>,
    pub token: Option<String>,
    pub fingerprint_prefix: Option<String>,
    pub provider: String,
    pub host: String,
    pub method: String,
    pub path: String,
    pub operations: Vec<Operation>,
    pub verdict: Verdict,
    pub mode: Mode,
    pub forwarded: bool,
    pub rule: String,
    pub reason: String,
    pub decide_micros: u64,
    pub upstream_status: Option<u16>,
    pub upstream_millis: Option<u64>,
}

impl DecisionRecord {
    pub fn from_decision(id: String, d: &Decision) -> Self {
        Self {
            id,
            at_unix_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0),
            agent: None,
            token: d.token.clone(),
            fingerprint_prefix: None,
            provider: String::new(),
            host: String::new(),
            method: String::new(),
            path: String::new(),
            operations: d.operations.iter().map(|o| o.operation.clone()).collect(),
            verdict: d.verdict,
            mode: d.mode,
            forwarded: d.forwards(),
            rule: d.rule.0.clone(),
            reason: d.reason.clone(),
            decide_micros: 0,
            upstream_status: None,
            upstream_millis: None,
        }
    }
}

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

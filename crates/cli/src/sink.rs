//! The decision log as the proxy's decision sink.

use std::sync::Arc;

use scopegate_model::{
    DecisionOutcome, DecisionRecord, DecisionSink, Durable, LogProgress, RecordError, Ticket,
};
use scopegate_proxy::log_line;
use scopegate_store::{DecisionLog, LogError};

/// The journal's IO error, without the log's own wording (the record
/// error says what failed).
fn cause(e: LogError) -> String {
    match e {
        LogError::Journal(io) => io.to_string(),
    }
}

/// The decision log as the proxy's sink: a structured log line, then the
/// crash-safe journal (and, behind it, the database).
pub struct LogSink(pub Arc<DecisionLog>);

impl DecisionSink for LogSink {
    fn record(&self, record: DecisionRecord) -> Result<Ticket, RecordError> {
        log_line(&record);
        self.0
            .append(record)
            .map(Ticket)
            .map_err(|e| RecordError::JournalWrite { cause: cause(e) })
    }

    fn outcome(&self, outcome: DecisionOutcome) {
        // The decision line said what was decided; this one matters to an
        // operator only when the provider failed (it is in the log either way).
        let failed = outcome.error.is_some() || outcome.upstream_status.is_none_or(|s| s >= 500);
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    target: "scopegate::decision",
                    id = %outcome.decision_id,
                    upstream_status = outcome.upstream_status.unwrap_or(0),
                    upstream_ms = outcome.upstream_millis,
                    error = outcome.error.as_deref().unwrap_or(""),
                    "upstream outcome"
                )
            };
        }
        if failed {
            line!(warn);
        } else {
            line!(debug);
        }
        if let Err(e) = self.0.append_outcome(outcome) {
            tracing::error!(error = %e, "upstream outcome not recorded");
        }
    }

    fn progress(&self) -> Option<LogProgress> {
        use std::sync::atomic::Ordering::Relaxed;
        let s = &self.0.stats;
        Some(LogProgress {
            journaled: s.journaled.load(Relaxed),
            committed: s.committed.load(Relaxed),
            db_failures: s.db_failures.load(Relaxed),
            read_back: s.read_back.load(Relaxed),
        })
    }

    fn ready(&self) -> Result<(), RecordError> {
        self.0
            .probe()
            .map_err(|e| RecordError::JournalUnwritable { cause: cause(e) })
    }

    fn durable(&self, ticket: Ticket) -> Durable {
        let log = self.0.clone();
        Box::pin(async move {
            log.durable(ticket.0)
                .await
                .map_err(|e| RecordError::NotDurable { cause: cause(e) })
        })
    }
}

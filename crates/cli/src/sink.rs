//! The decision log as the proxy's decision sink.

use std::sync::Arc;

use scopegate_proxy::{DecisionRecord, DecisionSink, Durable, RecordError, Ticket, log_line};
use scopegate_store::DecisionLog;

/// The decision log as the proxy's sink: a structured log line, then the
/// crash-safe journal (and, behind it, the database).
pub struct LogSink(pub Arc<DecisionLog>);

impl DecisionSink for LogSink {
    fn record(&self, record: DecisionRecord) -> Result<Ticket, RecordError> {
        log_line(&record);
        self.0
            .append(record)
            .map(Ticket)
            .map_err(|e| RecordError(e.to_string()))
    }

    fn durable(&self, ticket: Ticket) -> Durable {
        let log = self.0.clone();
        Box::pin(async move {
            log.durable(ticket.0)
                .await
                .map_err(|e| RecordError(e.to_string()))
        })
    }
}

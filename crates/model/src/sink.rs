//! Where decision records go, as the proxy sees it: the decision log
//! (journal, then database) or, in tests and minimal setups, a log line.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::{DecisionOutcome, DecisionRecord};

/// Identifies an appended record for [`DecisionSink::durable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(pub u64);

/// A decision could not be recorded; the proxy then does not act on it.
/// Each `cause` is the underlying error's text (an IO error), never a
/// record's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The journal refused the append (a full or read-only disk, an IO
    /// error): the record is not kept.
    JournalWrite { cause: String },
    /// The journal cannot take a write now (its readiness probe failed).
    JournalUnwritable { cause: String },
    /// The record was appended but could not be synced to disk.
    NotDurable { cause: String },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::JournalWrite { cause } | Self::JournalUnwritable { cause } => write!(
                f,
                "decision not recorded: the decision journal cannot be written: {cause}"
            ),
            Self::NotDurable { cause } => write!(
                f,
                "decision not recorded: the decision journal cannot be synced to disk: {cause}"
            ),
        }
    }
}

impl std::error::Error for RecordError {}

/// Resolves once a record survives power loss too.
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

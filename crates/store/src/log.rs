//! The decision log as the proxy uses it: append (journal, crash-safe),
//! wait for durability (fsync), and a background writer copying the journal
//! into the database in order, through outages.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use scopegate_model::{DecisionOutcome, DecisionRecord, JournalEntry};
use tokio::sync::mpsc;

use crate::db::{Store, Stored};
use crate::journal::Journal;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("the decision journal cannot be written: {0}")]
    Journal(#[from] std::io::Error),
}

/// Counters for metrics and tests.
#[derive(Debug, Default)]
pub struct LogStats {
    /// Journal entries (records and outcomes) appended; `committed` counts
    /// the same entries once they are in the database.
    pub journaled: AtomicU64,
    pub committed: AtomicU64,
    pub db_failures: AtomicU64,
}

pub struct DecisionLog {
    journal: Arc<Journal>,
    tx: mpsc::UnboundedSender<JournalEntry>,
    pub stats: Arc<LogStats>,
}

impl DecisionLog {
    /// Opens the journal in `dir` and starts the writer. Records left by an
    /// earlier run are written first, in order.
    pub fn open(store: Store, dir: &std::path::Path) -> Result<Self, LogError> {
        let (journal, pending) = Journal::open(dir)?;
        let journal = Arc::new(journal);
        let (tx, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(LogStats::default());
        // Entries replayed from an earlier run count as journaled, so the
        // backlog (journaled - committed) covers them too.
        stats
            .journaled
            .store(pending.len() as u64, Ordering::Relaxed);
        if !pending.is_empty() {
            tracing::info!(
                records = pending.len(),
                "replaying the decision journal into the database"
            );
        }
        // The writer has a thread and a runtime of its own: request load
        // cannot starve it, and it cannot stall request handling.
        let (j, st) = (journal.clone(), stats.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("decision-log-writer".into())
            .spawn(move || rt.block_on(writer(store, j, pending, rx, st)))?;
        Ok(Self { journal, tx, stats })
    }

    /// Appends a record where a process crash cannot lose it, and queues it
    /// for the database. Returns a ticket for [`DecisionLog::durable`].
    pub fn append(&self, record: DecisionRecord) -> Result<u64, LogError> {
        let ticket = self.journal.append(&record)?;
        self.stats.journaled.fetch_add(1, Ordering::Relaxed);
        // The writer only stops with the runtime; a closed channel means the
        // record is still in the journal and is replayed at next start.
        let _ = self.tx.send(JournalEntry::Record(Box::new(record)));
        Ok(ticket)
    }

    /// Appends what happened upstream to a forwarded request.
    pub fn append_outcome(&self, outcome: DecisionOutcome) -> Result<(), LogError> {
        let entry = JournalEntry::Outcome { outcome };
        self.journal.append_entry(&entry)?;
        self.stats.journaled.fetch_add(1, Ordering::Relaxed);
        let _ = self.tx.send(entry);
        Ok(())
    }

    /// Resolves once the record survives power loss as well.
    pub async fn durable(&self, ticket: u64) -> Result<(), LogError> {
        Ok(self.journal.durable(ticket).await?)
    }
}

/// Entries per database transaction at most. A batch's cost on Postgres is
/// mostly per statement, not per row: with 2,048 the log fell behind a
/// 14k req/s proxy (a 96k-entry backlog, 6.5 s to catch up); with 8,192 it
/// keeps up (0.2 s). A full batch is a few MB in memory while it is written.
const BATCH: usize = 8192;

/// At most one database commit per this long while batches are small.
const LINGER: Duration = Duration::from_millis(10);

/// A batch that takes longer than this is abandoned (its transaction rolls
/// back) and retried: appends are idempotent, and a write must never hang
/// the log.
const WRITE_DEADLINE: Duration = Duration::from_secs(5);

async fn writer(
    store: Store,
    journal: Arc<Journal>,
    pending: Vec<JournalEntry>,
    mut rx: mpsc::UnboundedReceiver<JournalEntry>,
    stats: Arc<LogStats>,
) {
    let mut unsure = Unsure::new(pending.len());
    let mut queue: std::collections::VecDeque<JournalEntry> = pending.into();
    let mut committed: u64 = 0;
    let mut backoff = Duration::from_millis(100);
    // The schema first; retried like any write while the database is down.
    loop {
        match store.migrate().await {
            Ok(applied) => {
                if !applied.is_empty() {
                    tracing::info!(
                        ?applied,
                        backend = store.backend(),
                        "decision log migrations applied"
                    );
                }
                break;
            }
            Err(e) => {
                stats.db_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "decision log database unavailable; decisions stay in the journal");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    let mut last_commit = tokio::time::Instant::now();
    loop {
        if queue.is_empty() {
            match rx.recv().await {
                Some(r) => queue.push_back(r),
                None => return,
            }
        }
        // Group commit: a small batch waits out the rest of LINGER since the
        // last commit, so a busy proxy pays for one database commit (and
        // fsync) per LINGER, not per request. The journal already holds
        // every entry; only the database lags, by at most LINGER.
        if queue.len() < BATCH {
            tokio::time::sleep_until(last_commit + LINGER).await;
        }
        while queue.len() < BATCH {
            match rx.try_recv() {
                Ok(r) => queue.push_back(r),
                Err(_) => break,
            }
        }
        let n = queue.len().min(BATCH);
        // The batch stays queued (not cloned) until it is committed.
        let batch = &queue.make_contiguous()[..n];
        let stored = unsure.batch();
        let written =
            tokio::time::timeout(WRITE_DEADLINE, store.append_entries(batch, stored)).await;
        let written = written.unwrap_or_else(|_| {
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("a batch took longer than {WRITE_DEADLINE:?}; retrying it"),
            )))
        });
        match written {
            Ok(()) => {
                unsure.committed(n);
                queue.drain(..n);
                last_commit = tokio::time::Instant::now();
                committed += n as u64;
                stats.committed.store(committed, Ordering::Relaxed);
                journal.committed(committed);
                if backoff > Duration::from_millis(100) {
                    tracing::info!("decision log database is back; journal caught up");
                }
                backoff = Duration::from_millis(100);
            }
            Err(e) => {
                unsure.failed(n);
                stats.db_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, queued = queue.len(), retry_in_ms = backoff.as_millis() as u64, "decision log database unavailable; decisions stay in the journal");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// How many entries at the front of the writer's queue may already be in
/// the database: those replayed from the journal, and those of a batch that
/// failed (its commit may have landed before the error reached us). Batches
/// within them look records up before inserting; batches past them do not.
#[derive(Debug)]
struct Unsure(usize);

impl Unsure {
    fn new(replayed: usize) -> Self {
        Self(replayed)
    }

    /// For the next batch, which starts at the front of the queue.
    fn batch(&self) -> Stored {
        if self.0 > 0 {
            Stored::Maybe
        } else {
            Stored::No
        }
    }

    /// The front `n` entries were committed and leave the queue.
    fn committed(&mut self, n: usize) {
        self.0 = self.0.saturating_sub(n);
    }

    /// A batch of the front `n` entries failed: they may be stored.
    fn failed(&mut self, n: usize) {
        self.0 = self.0.max(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_replayed_or_failed_entries_are_looked_up() {
        let mut u = Unsure::new(0);
        assert_eq!(u.batch(), Stored::No, "fresh entries");
        u.failed(100);
        assert_eq!(
            u.batch(),
            Stored::Maybe,
            "a failed batch is retried carefully"
        );
        u.committed(60);
        assert_eq!(u.batch(), Stored::Maybe, "40 of the failed batch remain");
        u.committed(40);
        assert_eq!(u.batch(), Stored::No);

        let mut u = Unsure::new(5);
        assert_eq!(u.batch(), Stored::Maybe, "replayed from the journal");
        u.failed(3);
        assert_eq!(
            u.batch(),
            Stored::Maybe,
            "a smaller failure keeps the replay"
        );
        u.committed(8);
        assert_eq!(u.batch(), Stored::No);
    }
}

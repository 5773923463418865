//! The decision log as the proxy uses it: append (journal, crash-safe),
//! wait for durability (fsync), and a background writer copying the journal
//! into the database in order, through outages.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use scopegate_model::{DecisionOutcome, DecisionRecord, JournalEntry};
use tokio::sync::mpsc;

use crate::db::{Store, Stored};
use crate::intake::{Intake, Take};
use crate::journal::{Journal, Position};

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
    /// Entries read back from the journal file because the writer's memory
    /// was full (a database outage; see `intake.rs`).
    pub read_back: AtomicU64,
    /// The most entries the writer has held in memory at once.
    pub queue_peak: AtomicU64,
    /// The last write failed because the database's schema is older than
    /// this scopegate (a migration its insert-only user could not apply).
    pub schema_behind: std::sync::atomic::AtomicBool,
}

pub struct DecisionLog {
    journal: Arc<Journal>,
    tx: mpsc::UnboundedSender<(Position, JournalEntry)>,
    pub stats: Arc<LogStats>,
    schema: Schema,
}

/// Whether the database's schema is migrated. The log's writer applies the
/// migrations in the background, retrying while the database is down or
/// silent; until it has, nothing else should use the database (the approval
/// queue refuses holds, as it does while the database is unreachable).
#[derive(Debug, Clone)]
pub struct Schema(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Schema {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl Schema {
    /// A schema already migrated (tests, and commands that migrated first).
    pub fn migrated() -> Self {
        let s = Self::default();
        s.mark_migrated();
        s
    }

    pub fn is_migrated(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits up to `d` for the migrations; whether they are done.
    pub async fn wait_migrated(&self, d: Duration) -> bool {
        let mut rx = self.0.subscribe();
        matches!(
            tokio::time::timeout(d, rx.wait_for(|m| *m)).await,
            Ok(Ok(_))
        )
    }

    fn mark_migrated(&self) {
        self.0.send_replace(true);
    }
}

/// Entries the writer holds in memory at most (plus a few late arrivals);
/// past this it reads them back from the journal instead. Four full
/// batches, ~30–50 MB: above the backlog a 22k req/s run builds on a
/// Postgres sharing the proxy's two cores (26k entries), so reading back
/// (which parses each line again) is for outages, not for busy minutes.
const QUEUE_CAP: usize = 4 * BATCH;

impl DecisionLog {
    /// Opens the journal in `dir` and starts the writer. Records left by an
    /// earlier run are written first, in order.
    pub fn open(store: Store, dir: &std::path::Path) -> Result<Self, LogError> {
        Self::open_with_cap(store, dir, QUEUE_CAP)
    }

    /// [`DecisionLog::open`] with at most `cap` entries queued in memory.
    pub fn open_with_cap(
        store: Store,
        dir: &std::path::Path,
        cap: usize,
    ) -> Result<Self, LogError> {
        // At most `cap` left-over entries in memory; the rest are read
        // back from the journal as the first ones are committed.
        let (journal, left) = Journal::open_bounded(dir, cap)?;
        let journal = Arc::new(journal);
        let (tx, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(LogStats::default());
        // Entries replayed from an earlier run count as journaled, so the
        // backlog (journaled - committed) covers them too.
        stats.journaled.store(left.total, Ordering::Relaxed);
        if left.total > 0 {
            tracing::info!(
                records = left.total,
                "replaying the decision journal into the database"
            );
        }
        let mut intake = Intake::new(cap);
        if let Some(rest) = left.rest {
            intake.spill_from(rest);
        }
        // Every replayed entry may be in the database already.
        let unsure = Unsure::new(usize::try_from(left.total).unwrap_or(usize::MAX));
        // The writer has a thread and a runtime of its own: request load
        // cannot starve it, and it cannot stall request handling.
        let schema = Schema::default();
        let (j, st, sc) = (journal.clone(), stats.clone(), schema.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("decision-log-writer".into())
            .spawn(move || {
                rt.block_on(writer(store, j, left.entries, rx, st, sc, intake, unsure));
            })?;
        Ok(Self {
            journal,
            tx,
            stats,
            schema,
        })
    }

    /// Whether the writer has migrated the database's schema yet.
    pub fn schema(&self) -> Schema {
        self.schema.clone()
    }

    /// Appends a record where a process crash cannot lose it, and queues it
    /// for the database. Returns a ticket for [`DecisionLog::durable`].
    pub fn append(&self, record: DecisionRecord) -> Result<u64, LogError> {
        let (ticket, at) = self.journal.append_at(&record)?;
        self.stats.journaled.fetch_add(1, Ordering::Relaxed);
        // The writer only stops with the runtime; a closed channel means the
        // record is still in the journal and is replayed at next start.
        let _ = self.tx.send((at, JournalEntry::Record(Box::new(record))));
        Ok(ticket)
    }

    /// Whether an entry could be appended now (see [`Journal::probe`]).
    pub fn probe(&self) -> Result<(), LogError> {
        Ok(self.journal.probe()?)
    }

    /// Appends what happened upstream to a forwarded request.
    pub fn append_outcome(&self, outcome: DecisionOutcome) -> Result<(), LogError> {
        let entry = JournalEntry::Outcome { outcome };
        let (_, at) = self.journal.append_entry_at(&entry)?;
        self.stats.journaled.fetch_add(1, Ordering::Relaxed);
        let _ = self.tx.send((at, entry));
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

type Queue = std::collections::VecDeque<JournalEntry>;
type Rx = mpsc::UnboundedReceiver<(Position, JournalEntry)>;

#[allow(clippy::too_many_arguments)]
async fn writer(
    store: Store,
    journal: Arc<Journal>,
    pending: Vec<JournalEntry>,
    mut rx: Rx,
    stats: Arc<LogStats>,
    schema: Schema,
    mut intake: Intake,
    mut unsure: Unsure,
) {
    let mut queue: Queue = pending.into();
    let mut committed: u64 = 0;
    let mut backoff =
        migrate_first(&store, &schema, &stats, &mut rx, &mut queue, &mut intake).await;
    let mut last_commit = tokio::time::Instant::now();
    loop {
        // Spilled entries come back from the journal as room frees up.
        if !read_back(&journal, &stats, &mut rx, &mut queue, &mut intake).await {
            continue;
        }
        if queue.is_empty() {
            match rx.recv().await {
                Some((at, e)) => offer(&mut queue, &mut intake, at, e),
                None => return,
            }
            if queue.is_empty() {
                continue; // left in the journal: read back above
            }
        }
        // Group commit: a small batch waits out the rest of LINGER since the
        // last commit, so a busy proxy pays for one database commit (and
        // fsync) per LINGER, not per request. The journal already holds
        // every entry; only the database lags, by at most LINGER.
        if queue.len() < BATCH {
            tokio::time::sleep_until(last_commit + LINGER).await;
        }
        drain(&mut rx, &mut queue, &mut intake);
        peak(&stats, &queue);
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
                stats.schema_behind.store(false, Ordering::Relaxed);
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
                let behind = schema_behind(&e);
                stats.schema_behind.store(behind, Ordering::Relaxed);
                if behind {
                    tracing::error!(error = %e, queued = queue.len(), "the decision log's database schema is older than this scopegate: run `scopegate migrate --database <the owner's URL>` as the database's owner; decisions stay in the journal until then");
                } else {
                    tracing::warn!(error = %e, queued = queue.len(), retry_in_ms = backoff.as_millis() as u64, "decision log database unavailable; decisions stay in the journal");
                }
                pause(backoff, &mut rx, &mut queue, &mut intake).await;
                peak(&stats, &queue);
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// The schema first; retried like any write while the database is down,
/// and abandoned like a batch when the database does not answer (a
/// connection that hangs must not stop the log for good). Entries arriving
/// meanwhile are queued. Returns the backoff reached.
async fn migrate_first(
    store: &Store,
    schema: &Schema,
    stats: &LogStats,
    rx: &mut Rx,
    queue: &mut Queue,
    intake: &mut Intake,
) -> Duration {
    let mut backoff = Duration::from_millis(100);
    loop {
        let migrated = tokio::time::timeout(WRITE_DEADLINE, store.migrate())
            .await
            .unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("migrations took longer than {WRITE_DEADLINE:?}; retrying"),
                )))
            });
        match migrated {
            Ok(applied) => {
                schema.mark_migrated();
                if !applied.is_empty() {
                    tracing::info!(
                        ?applied,
                        backend = store.backend(),
                        "decision log migrations applied"
                    );
                }
                return backoff;
            }
            // An insert-only user (docs/decision-log.md) may not migrate:
            // the owner has (`scopegate migrate`); write as it may.
            Err(e) if insufficient_privilege(&e) => {
                tracing::warn!(error = %e, "the decision log's database user may not apply migrations; assuming its owner has (scopegate migrate --database postgres://owner@...)");
                schema.mark_migrated();
                return backoff;
            }
            Err(e) => {
                stats.db_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "decision log database unavailable; decisions stay in the journal");
                pause(backoff, rx, queue, intake).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Reads spilled entries back from the journal when the queue has room
/// (`intake.rs`). `false`: the journal could not be read; try again.
async fn read_back(
    journal: &Journal,
    stats: &LogStats,
    rx: &mut Rx,
    queue: &mut Queue,
    intake: &mut Intake,
) -> bool {
    let Some(from) = intake.reading() else {
        return true;
    };
    if queue.len() > intake.cap() / 2 {
        return true;
    }
    // What arrived first: its lines are in the journal, so this read
    // covers every entry left so far.
    drain(rx, queue, intake);
    let room = intake.cap().saturating_sub(queue.len()).max(1);
    match journal.read_from(from, room) {
        Ok((entries, next)) => {
            let got = entries.len();
            stats.read_back.fetch_add(got as u64, Ordering::Relaxed);
            queue.extend(entries.into_iter().map(|(_, e)| e));
            intake.read(next, got < room);
            peak(stats, queue);
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the decision journal back; retrying");
            tokio::time::sleep(Duration::from_millis(100)).await;
            false
        }
    }
}

/// A write that failed for a column or table this scopegate's migrations
/// add: Postgres's `undefined_column` (42703) or `undefined_table` (42P01),
/// or SQLite's words for them.
fn schema_behind(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else {
        return false;
    };
    matches!(d.code().as_deref(), Some("42703" | "42P01"))
        || ["no such column", "no such table", "has no column named"]
            .iter()
            .any(|m| d.message().contains(m))
}

/// Postgres's `insufficient_privilege` (42501).
fn insufficient_privilege(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("42501"))
}

fn offer(queue: &mut Queue, intake: &mut Intake, at: Position, entry: JournalEntry) {
    if intake.offer(at, queue.len()) == Take::Keep {
        queue.push_back(entry);
    }
}

fn peak(stats: &LogStats, queue: &Queue) {
    stats
        .queue_peak
        .fetch_max(queue.len() as u64, Ordering::Relaxed);
}

/// Takes in whatever has arrived, without waiting.
fn drain(rx: &mut Rx, queue: &mut Queue, intake: &mut Intake) {
    while let Ok((at, e)) = rx.try_recv() {
        offer(queue, intake, at, e);
    }
}

/// Waits `d`, taking in arrivals meanwhile: the channel must not become an
/// unbounded queue of its own while the database is down.
async fn pause(d: Duration, rx: &mut Rx, queue: &mut Queue, intake: &mut Intake) {
    let until = tokio::time::Instant::now() + d;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(until) => return,
            m = rx.recv() => match m {
                Some((at, e)) => offer(queue, intake, at, e),
                None => {
                    tokio::time::sleep_until(until).await;
                    return;
                }
            },
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

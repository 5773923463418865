//! The local journal: decisions appended as JSON lines to segment files.
//!
//! An append is one `write` to the file (in the OS page cache once it
//! returns), so a process crash — kill -9 — cannot lose it. `durable`
//! waits for an fsync covering it; concurrent waiters share one fsync
//! (group commit). Segments are deleted once the database holds every
//! record in them.

use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use scopegate_model::{DecisionRecord, JournalEntry};
use tokio::sync::watch;

/// Rotate to a new segment once the current one is this large and fully
/// committed.
const ROTATE_BYTES: u64 = 1 << 20;

struct Inner {
    file: File,
    segment: u64,
    bytes: u64,
    /// Records appended, replayed ones included.
    total: u64,
    /// A failed write may have left part of a line: the next append starts
    /// a new line first, so the fragment stays a line of its own (skipped
    /// as unreadable) instead of spoiling the next record.
    torn: bool,
}

pub struct Journal {
    dir: PathBuf,
    inner: Mutex<Inner>,
    appended: AtomicU64,
    syncing: AtomicBool,
    synced_tx: watch::Sender<u64>,
}

/// What earlier runs left in the journal, not yet known to be in the
/// database.
#[derive(Debug, Default)]
pub struct Leftover {
    /// The first of them, in journal order.
    pub entries: Vec<JournalEntry>,
    /// Where the ones not in `entries` start, if any.
    pub rest: Option<Position>,
    /// How many there are in all.
    pub total: u64,
}

/// Where a journal line starts: its segment, and its byte offset there.
/// Ordered as the journal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("journal-{n:010}.jsonl"))
}

fn segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let path = e?.path();
        let n = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("journal-"))
            .and_then(|n| n.strip_suffix(".jsonl"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = n {
            out.push((n, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Reads whole entries from `from` on, across `segments`, in journal order,
/// handing each to `each` with its position until it breaks; returns where
/// the next unread line starts. A partial last line in segment `writing`
/// (being written now) ends the scan there; in an older segment it is a
/// torn write and is skipped. Blank and unreadable lines are skipped.
fn scan(
    segments: &[(u64, PathBuf)],
    from: Position,
    writing: Option<u64>,
    mut each: impl FnMut(Position, JournalEntry) -> ControlFlow<()>,
) -> std::io::Result<Position> {
    let mut at = from;
    for (n, path) in segments {
        let n = *n;
        if n < at.segment {
            continue;
        }
        if n > at.segment {
            at = Position {
                segment: n,
                offset: 0,
            };
        }
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(at.offset))?;
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let len = reader.read_until(b'\n', &mut line)? as u64;
            if len == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                if Some(n) == writing {
                    return Ok(at);
                }
                tracing::warn!(file = %path.display(), "skipping a torn journal line");
                break;
            }
            let entry_at = at;
            at.offset += len;
            match serde_json::from_slice::<JournalEntry>(&line) {
                Ok(e) => {
                    if each(entry_at, e).is_break() {
                        return Ok(at);
                    }
                }
                Err(_) if line.trim_ascii().is_empty() => {}
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "skipping an unreadable journal line");
                }
            }
        }
    }
    Ok(at)
}

impl Journal {
    /// Opens the journal in `dir`, returning the records left by earlier
    /// runs (in order) — the caller must hand them to the database first.
    pub fn open(dir: &Path) -> std::io::Result<(Self, Vec<JournalEntry>)> {
        let (journal, left) = Self::open_bounded(dir, usize::MAX)?;
        Ok((journal, left.entries))
    }

    /// Like [`Journal::open`], holding at most `limit` of the entries left
    /// by earlier runs in memory; the rest are counted, and read with
    /// [`Journal::read_from`] from [`Leftover::rest`].
    pub fn open_bounded(dir: &Path, limit: usize) -> std::io::Result<(Self, Leftover)> {
        std::fs::create_dir_all(dir)?;
        let mut left = Leftover::default();
        let existing = segments(dir)?;
        // No segment is being written yet: a torn last line anywhere is a
        // write a crash cut short, whose request was never answered.
        scan(&existing, Position::default(), None, |at, e| {
            left.total += 1;
            if left.entries.len() < limit {
                left.entries.push(e);
            } else if left.rest.is_none() {
                left.rest = Some(at);
            }
            ControlFlow::Continue(())
        })?;
        let segment = existing.last().map_or(1, |(n, _)| n + 1);
        let file = Self::create(dir, segment)?;
        let total = left.total;
        let (synced_tx, _) = watch::channel(0);
        Ok((
            Self {
                dir: dir.to_path_buf(),
                inner: Mutex::new(Inner {
                    file,
                    segment,
                    bytes: 0,
                    total,
                    torn: false,
                }),
                appended: AtomicU64::new(0),
                syncing: AtomicBool::new(false),
                synced_tx,
            },
            left,
        ))
    }

    fn create(dir: &Path, segment: u64) -> std::io::Result<File> {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(segment_path(dir, segment))?;
        // Make the new file's directory entry durable too.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(f)
    }

    /// Appends one record; returns its ticket for [`Journal::durable`].
    pub fn append(&self, record: &DecisionRecord) -> std::io::Result<u64> {
        self.append_at(record).map(|(ticket, _)| ticket)
    }

    /// Appends one record; returns its ticket and where its line starts.
    /// Whether the journal's folder takes a write now (a full or read-only
    /// disk fails it): writes, syncs and removes a probe file.
    pub fn probe(&self) -> std::io::Result<()> {
        use std::io::Write as _;
        let path = self.dir.join(".ready-probe");
        let mut f = std::fs::File::create(&path)?;
        f.write_all(b"ok\n")?;
        f.sync_all()?;
        std::fs::remove_file(&path)
    }

    pub fn append_at(&self, record: &DecisionRecord) -> std::io::Result<(u64, Position)> {
        self.append_line(serde_json::to_vec(record).map_err(std::io::Error::other)?)
    }

    /// Appends any journal entry (a record or an outcome); returns its
    /// ticket and position.
    pub fn append_entry_at(&self, entry: &JournalEntry) -> std::io::Result<(u64, Position)> {
        self.append_line(serde_json::to_vec(entry).map_err(std::io::Error::other)?)
    }

    fn append_line(&self, mut line: Vec<u8>) -> std::io::Result<(u64, Position)> {
        line.push(b'\n');
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| std::io::Error::other("journal lock poisoned"))?;
        if inner.torn {
            inner.file.write_all(b"\n")?;
            inner.bytes = inner.file.metadata()?.len();
            inner.torn = false;
        }
        let at = Position {
            segment: inner.segment,
            offset: inner.bytes,
        };
        if let Err(e) = inner.file.write_all(&line) {
            inner.torn = true;
            return Err(e);
        }
        inner.bytes += line.len() as u64;
        inner.total += 1;
        Ok((self.appended.fetch_add(1, Ordering::SeqCst) + 1, at))
    }

    /// Reads up to `max` whole entries from `from` on, across segments, in
    /// journal order; returns them with their positions, and where to read
    /// next. A line still being written in the current segment ends the
    /// read; a torn last line in an older one (a write a crash cut short,
    /// whose request was never answered) is skipped, as at start-up.
    pub fn read_from(
        &self,
        from: Position,
        max: usize,
    ) -> std::io::Result<(Vec<(Position, JournalEntry)>, Position)> {
        let mut out = Vec::new();
        if max == 0 {
            return Ok((out, from));
        }
        let current = self
            .inner
            .lock()
            .map_err(|_| std::io::Error::other("journal lock poisoned"))?
            .segment;
        let next = scan(&segments(&self.dir)?, from, Some(current), |at, e| {
            out.push((at, e));
            if out.len() >= max {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok((out, next))
    }

    /// Waits until the record with `ticket` is fsynced.
    pub async fn durable(&self, ticket: u64) -> std::io::Result<()> {
        let mut rx = self.synced_tx.subscribe();
        loop {
            if *rx.borrow_and_update() >= ticket {
                return Ok(());
            }
            if self
                .syncing
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                let target = self.appended.load(Ordering::SeqCst);
                let file = self
                    .inner
                    .lock()
                    .map_err(|_| std::io::Error::other("journal lock poisoned"))
                    .and_then(|i| i.file.try_clone());
                let result = match file {
                    Ok(f) => tokio::task::spawn_blocking(move || f.sync_data())
                        .await
                        .unwrap_or_else(|e| Err(std::io::Error::other(e))),
                    Err(e) => Err(e),
                };
                self.syncing.store(false, Ordering::SeqCst);
                result?;
                self.synced_tx.send_if_modified(|s| {
                    let changed = target > *s;
                    *s = (*s).max(target);
                    changed
                });
            } else {
                // Another task is syncing; its fsync may cover us.
                let _ =
                    tokio::time::timeout(std::time::Duration::from_millis(50), rx.changed()).await;
            }
        }
    }

    /// Told by the writer that `committed` records (replayed ones included)
    /// are in the database: when that is everything, old segments go.
    pub fn committed(&self, committed: u64) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if committed < inner.total {
            return;
        }
        let old: Vec<(u64, PathBuf)> = segments(&self.dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|(n, _)| *n != inner.segment)
            .collect();
        if inner.bytes < ROTATE_BYTES && old.is_empty() {
            return;
        }
        if inner.bytes >= ROTATE_BYTES {
            let next = inner.segment + 1;
            match Self::create(&self.dir, next) {
                Ok(f) => {
                    let _ = inner.file.sync_data();
                    inner.file = f;
                    let done = inner.segment;
                    inner.segment = next;
                    inner.bytes = 0;
                    let _ = std::fs::remove_file(segment_path(&self.dir, done));
                }
                Err(e) => tracing::warn!(error = %e, "cannot rotate the journal"),
            }
        }
        for (_, p) in old {
            let _ = std::fs::remove_file(p);
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scopegate_model::{Decision, Mode, RuleRef, Verdict};

    fn rec(id: &str) -> DecisionRecord {
        let d = Decision {
            verdict: Verdict::Deny,
            mode: Mode::Enforce,
            rule: RuleRef("r".into()),
            reason: "x".into(),
            token: None,
            operations: vec![],
        };
        DecisionRecord::from_decision(id.into(), &d)
    }

    fn ids(entries: &[JournalEntry]) -> Vec<&str> {
        entries
            .iter()
            .filter_map(|e| match e {
                JournalEntry::Record(r) => Some(r.id.as_str()),
                JournalEntry::Outcome { .. } => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn survives_reopen_and_cleans_up_after_commit() {
        let dir = std::env::temp_dir().join(format!("sg-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let (j, pending) = Journal::open(&dir).unwrap();
            assert!(pending.is_empty());
            let t1 = j.append(&rec("a")).unwrap();
            let t2 = j.append(&rec("b")).unwrap();
            assert_eq!((t1, t2), (1, 2));
            j.durable(t2).await.unwrap();
            // dropped without commit: as after a crash
        }
        let (j, pending) = Journal::open(&dir).unwrap();
        assert_eq!(ids(&pending), ["a", "b"]);
        j.append(&rec("c")).unwrap();
        j.committed(2); // not everything yet
        assert_eq!(segments(&dir).unwrap().len(), 2);
        j.committed(3);
        assert_eq!(segments(&dir).unwrap().len(), 1);
        let (_, pending) = Journal::open(&dir).unwrap();
        assert_eq!(ids(&pending), ["c"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_whole_lines_from_a_position_across_segments() {
        let dir = std::env::temp_dir().join(format!("sg-journal-read-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let (j, _) = Journal::open(&dir).unwrap();
            j.append(&rec("a")).unwrap();
            j.append(&rec("b")).unwrap();
        }
        // A crash cut the last write to the old segment short.
        let old = segments(&dir).unwrap()[0].1.clone();
        let mut f = OpenOptions::new().append(true).open(&old).unwrap();
        f.write_all(b"{\"torn\":").unwrap();
        drop(f);
        let (j, pending) = Journal::open(&dir).unwrap();
        assert_eq!(ids(&pending), ["a", "b"]);
        let (_, at_c) = j.append_at(&rec("c")).unwrap();
        let (_, at_d) = j.append_at(&rec("d")).unwrap();
        assert!(at_c < at_d);
        assert_eq!(at_c.offset, 0, "a new segment after reopening");

        // Everything, in order, the torn line skipped.
        let (all, end) = j.read_from(Position::default(), 100).unwrap();
        let got: Vec<JournalEntry> = all.iter().map(|(_, e)| e.clone()).collect();
        assert_eq!(ids(&got), ["a", "b", "c", "d"]);
        assert_eq!(all[2].0, at_c);
        assert_eq!(all[3].0, at_d);
        // In pieces, resuming where the last read ended.
        let (first, next) = j.read_from(Position::default(), 3).unwrap();
        assert_eq!(first.len(), 3);
        assert_eq!(next, at_d);
        let (rest, again) = j.read_from(next, 3).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(again, end);
        // Nothing new yet; a later append is found from there.
        assert!(j.read_from(end, 3).unwrap().0.is_empty());
        let (_, at_e) = j.append_at(&rec("e")).unwrap();
        assert_eq!(at_e, end);
        let (more, _) = j.read_from(end, 3).unwrap();
        assert_eq!(more.len(), 1);
        assert_eq!(more[0].0, at_e);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn after_a_failed_write_the_next_record_starts_a_line_of_its_own() {
        let dir = std::env::temp_dir().join(format!("sg-journal-torn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (j, _) = Journal::open(&dir).unwrap();
        j.append(&rec("a")).unwrap();
        {
            // What a write cut short by a full disk leaves behind.
            let mut inner = j.inner.lock().unwrap();
            inner.file.write_all(b"{\"par").unwrap();
            inner.torn = true;
        }
        let (_, at_b) = j.append_at(&rec("b")).unwrap();
        let (got, _) = j.read_from(Position::default(), 10).unwrap();
        let entries: Vec<JournalEntry> = got.iter().map(|(_, e)| e.clone()).collect();
        assert_eq!(ids(&entries), ["a", "b"]);
        assert_eq!(got[1].0, at_b, "b's position is where its line starts");
        drop(j);
        let (_, pending) = Journal::open(&dir).unwrap();
        assert_eq!(ids(&pending), ["a", "b"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_line_still_being_written_ends_the_read() {
        let dir = std::env::temp_dir().join(format!("sg-journal-part-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (j, _) = Journal::open(&dir).unwrap();
        j.append(&rec("a")).unwrap();
        // Half a line in the current segment: a write in progress.
        j.inner
            .lock()
            .unwrap()
            .file
            .write_all(b"{\"half\":")
            .unwrap();
        let (got, at) = j.read_from(Position::default(), 10).unwrap();
        assert_eq!(got.len(), 1);
        assert!(at.offset > 0);
        assert_eq!(j.read_from(at, 10).unwrap().1, at, "waits at the half line");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Log lines to stderr without a syscall per line on the request path.
//!
//! Each line is appended to a shared buffer; a thread of its own writes
//! whatever has accumulated in one `write(2)`, at most once a millisecond.
//! A request thread wakes that thread only when it is asleep on an empty
//! buffer, so under load there is no wake-up at all, not one per line
//! (tracing-appender's channel woke or spun per line; a condvar notify per
//! line was a quarter of the proxy's futex calls; see docs/performance.md).
//! Nothing is dropped: past `MAX_PENDING` bytes the caller writes the buffer
//! out itself.

use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

const MAX_PENDING: usize = 4 << 20;
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

struct Shared {
    /// Lines not yet written, whether the guard was dropped, and whether
    /// the writer thread is asleep waiting for lines.
    pending: Mutex<(Vec<u8>, bool, bool)>,
    ready: Condvar,
    out: Mutex<Box<dyn std::io::Write + Send>>,
}

impl Shared {
    fn write_out(&self, bytes: &[u8]) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    fn lock(&self) -> MutexGuard<'_, (Vec<u8>, bool, bool)> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The `MakeWriter` for tracing-subscriber.
#[derive(Clone)]
pub struct BatchedStderr(Arc<Shared>);

/// Flushes what is pending and stops the thread when dropped.
pub struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub fn batched_stderr() -> std::io::Result<(BatchedStderr, FlushGuard)> {
    batched(Box::new(std::io::stderr()))
}

/// The same, writing to `out` (tests).
pub fn batched(
    out: Box<dyn std::io::Write + Send>,
) -> std::io::Result<(BatchedStderr, FlushGuard)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new((Vec::new(), false, false)),
        ready: Condvar::new(),
        out: Mutex::new(out),
    });
    let worker = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            let mut out = Vec::new();
            loop {
                let closed = {
                    let mut g = worker.lock();
                    while g.0.is_empty() && !g.1 {
                        g.2 = true;
                        g = worker
                            .ready
                            .wait(g)
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        g.2 = false;
                    }
                    std::mem::swap(&mut out, &mut g.0);
                    g.1
                };
                worker.write_out(&out);
                out.clear();
                if closed && worker.lock().0.is_empty() {
                    return;
                }
                // Let lines gather: one write per millisecond at most, and
                // no wake-up at all while lines keep coming.
                std::thread::sleep(GATHER);
            }
        })?;
    Ok((
        BatchedStderr(shared.clone()),
        FlushGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.lock().1 = true;
        self.shared.ready.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::io::Write for BatchedStderr {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut g = self.0.lock();
        g.0.extend_from_slice(line);
        if g.0.len() > MAX_PENDING {
            // The writer thread is behind: write it out here, under the lock.
            self.0.write_out(&g.0);
            g.0.clear();
        } else if g.2 {
            // Only a sleeping writer needs waking (a notify is a syscall).
            g.2 = false;
            self.0.ready.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchedStderr {
    type Writer = BatchedStderr;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Collect(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Collect {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_arrives_in_order_from_many_threads() {
        let sink = Collect::default();
        let (writer, guard) = batched(Box::new(sink.clone())).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut w = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        w.write_all(format!("t{t} line {i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard); // flushes
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 8000);
        for t in 0..4 {
            let mine: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("t{t} line ")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..2000).collect::<Vec<_>>(), "thread {t}");
        }
    }

    #[test]
    fn a_line_written_while_idle_is_written_without_the_guard_dropping() {
        let sink = Collect::default();
        let (mut writer, _guard) = batched(Box::new(sink.clone())).unwrap();
        writer.write_all(b"one\n").unwrap();
        for _ in 0..200 {
            if sink.0.lock().unwrap().as_slice() == b"one\n" {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("the line was not written");
    }
}

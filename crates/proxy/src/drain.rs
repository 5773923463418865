//! Open client connections, so shutdown can wait for them to finish.

use std::sync::Arc;

/// Open client connections; shutdown waits for them to finish.
#[derive(Debug, Default)]
pub struct Tracker {
    active: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// Held for as long as a connection is open.
pub struct ConnGuard(Arc<Tracker>);

impl Tracker {
    pub fn enter(self: &Arc<Self>) -> ConnGuard {
        self.active
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ConnGuard(self.clone())
    }

    pub fn active(&self) -> usize {
        self.active.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.active() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        if self
            .0
            .active
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            self.0.idle.notify_waiters();
        }
    }
}

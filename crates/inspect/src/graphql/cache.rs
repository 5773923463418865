//! A bounded cache of document analyses, keyed by the exact document text.
//!
//! Clients resend the same documents with new variables, so the parse (tens
//! of microseconds) happens once per document. Only the analysis is cached,
//! never a decision: destructive values can arrive in variables.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::{DocAnalysis, analyse};
use crate::Limits;

pub type Analysed = Arc<Result<DocAnalysis, String>>;

#[derive(Debug)]
pub struct DocCache {
    inner: Mutex<Inner>,
    capacity: usize,
    max_key_bytes: usize,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<Arc<str>, Analysed>,
    order: VecDeque<Arc<str>>,
    hits: u64,
    misses: u64,
}

impl Default for DocCache {
    fn default() -> Self {
        Self::new(4096, 64 << 10)
    }
}

impl DocCache {
    /// `capacity` documents of at most `max_key_bytes` each are kept; larger
    /// documents are analysed every time.
    pub fn new(capacity: usize, max_key_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
            max_key_bytes,
        }
    }

    /// The analysis of `doc`, from the cache or freshly made.
    pub fn get(&self, doc: &str, limits: &Limits) -> Analysed {
        if doc.len() > self.max_key_bytes || self.capacity == 0 {
            return Arc::new(analyse(doc, limits));
        }
        if let Ok(mut inner) = self.inner.lock() {
            if let Some(hit) = inner.map.get(doc).cloned() {
                inner.hits += 1;
                return hit;
            }
            inner.misses += 1;
        }
        // Parse outside the lock; a concurrent miss parses twice, harmlessly.
        let fresh: Analysed = Arc::new(analyse(doc, limits));
        if let Ok(mut inner) = self.inner.lock()
            && !inner.map.contains_key(doc)
        {
            while inner.map.len() >= self.capacity {
                match inner.order.pop_front() {
                    Some(old) => {
                        inner.map.remove(&old);
                    }
                    None => break,
                }
            }
            let key: Arc<str> = Arc::from(doc);
            inner.order.push_back(key.clone());
            inner.map.insert(key, fresh.clone());
        }
        fresh
    }

    /// (hits, misses, entries) since start.
    pub fn stats(&self) -> (u64, u64, usize) {
        self.inner
            .lock()
            .map(|i| (i.hits, i.misses, i.map.len()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_and_stays_bounded() {
        let c = DocCache::new(2, 1024);
        let l = Limits::default();
        let a = c.get("{ me }", &l);
        let b = c.get("{ me }", &l);
        assert!(Arc::ptr_eq(&a, &b));
        c.get("{ a }", &l);
        c.get("{ b }", &l);
        let (hits, misses, len) = c.stats();
        assert_eq!((hits, misses, len), (1, 3, 2));
        // errors are cached too
        assert!(c.get("{", &l).is_err());
    }
}

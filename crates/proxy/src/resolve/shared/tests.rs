//! `Resolution::get` and its writes with a shared cache in memory.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scopegate_model::{BoxFut, ResolvedAttributes, ResolvedKey, SharedResolutions};

use crate::config::ResolveSettings;
use crate::resolve::{CacheKey, Hit, Resolution};

type Answer = Result<Option<(ResolvedAttributes, Duration)>, String>;

/// Answers every read with `answer` after `delay`; records puts, and never
/// finishes them (a write must not be waited for).
struct Fake {
    answer: Answer,
    delay: Duration,
    puts: Mutex<Vec<(ResolvedKey, ResolvedAttributes)>>,
}

impl Fake {
    fn new(answer: Answer, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            answer,
            delay,
            puts: Mutex::new(Vec::new()),
        })
    }
}

impl SharedResolutions for Fake {
    fn get(&self, _: ResolvedKey, _: Duration) -> BoxFut<Answer> {
        let (answer, delay) = (self.answer.clone(), self.delay);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            answer
        })
    }

    fn put(
        &self,
        entries: Vec<(ResolvedKey, ResolvedAttributes)>,
        _: Duration,
        _: usize,
    ) -> BoxFut<Result<(), String>> {
        self.puts.lock().unwrap().extend(entries);
        Box::pin(std::future::pending())
    }
}

fn key() -> CacheKey {
    CacheKey {
        provider: "railway".into(),
        credential: "fp".into(),
        kind: "volumeId".into(),
        id: "vol-1".into(),
    }
}

fn staging() -> ResolvedAttributes {
    let mut a = ResolvedAttributes::new();
    a.entry("environment".into())
        .or_default()
        .insert("staging".into());
    a
}

fn resolution(fake: &Arc<Fake>) -> Resolution {
    let settings = ResolveSettings {
        ttl: Duration::from_secs(300),
        max_entries: 10,
        lookup_timeout: Duration::from_millis(2000),
    };
    let shared: Arc<dyn SharedResolutions> = fake.clone();
    Resolution::with_shared(settings, Some(shared))
}

#[tokio::test]
async fn a_shared_hit_fills_the_local_cache_back_dated_by_its_age() {
    let fake = Fake::new(
        Ok(Some((staging(), Duration::from_secs(100)))),
        Duration::ZERO,
    );
    let r = resolution(&fake);
    let start = Instant::now();
    assert_eq!(r.get(&key()).await, Some((staging(), Hit::Shared)));
    assert_eq!(r.cached(&key()), Some(staging()));
    assert_eq!(r.get(&key()).await, Some((staging(), Hit::Local)));
    // 100 s old when it came: it expires 200 s from now, not 300 s
    let at = |s| start + Duration::from_secs(s);
    assert_eq!(r.cache.get(&key(), at(195)), Some(staging()));
    assert_eq!(r.cache.get(&key(), at(201)), None);
    assert!(
        fake.puts.lock().unwrap().is_empty(),
        "a hit is not put back"
    );
}

#[tokio::test]
async fn a_shared_error_or_a_slow_answer_is_a_miss() {
    for fake in [
        Fake::new(Err("connection refused".into()), Duration::ZERO),
        Fake::new(
            Ok(Some((staging(), Duration::ZERO))),
            Duration::from_secs(30),
        ),
        Fake::new(Ok(None), Duration::ZERO),
    ] {
        let r = resolution(&fake);
        let start = Instant::now();
        assert_eq!(r.get(&key()).await, None);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(r.cache.len(), 0);
    }
}

#[tokio::test]
async fn inserts_are_put_to_the_shared_cache_without_waiting() {
    let fake = Fake::new(Ok(None), Duration::ZERO);
    let r = resolution(&fake);
    // the fake's put never ends: insert returns anyway
    r.insert(key(), staging());
    assert_eq!(r.cached(&key()), Some(staging()));
    for _ in 0..100 {
        if !fake.puts.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*fake.puts.lock().unwrap(), vec![(key(), staging())]);
}

//! Prometheus metrics, hand-rolled (a few counters and two histograms do not
//! warrant a registry crate), served on the admin listener only.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds in seconds.
const BUCKETS: [f64; 12] = [
    0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0,
];

#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    total: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe_micros(&self, us: u64) {
        let secs = us as f64 / 1e6;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(us, Ordering::Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                self.counts[i].load(Ordering::Relaxed)
            );
        }
        let total = self.total.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {total}");
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, &'static str, bool), u64>>,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    pub connections: AtomicU64,
    pub tunnels: AtomicU64,
    pub decide: Histogram,
    pub upstream: Histogram,
}

impl Metrics {
    pub fn request(&self, provider: &str, verdict: &'static str, forwarded: bool) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((provider.to_owned(), verdict, forwarded))
                .or_default() += 1;
        }
    }

    /// A request or connection refused before any policy decision.
    pub fn refused(&self, reason: &'static str) {
        if let Ok(mut m) = self.refusals.lock() {
            *m.entry(reason).or_default() += 1;
        }
    }

    pub fn render(
        &self,
        leaf: scopegate_tls::LeafStats,
        doc_cache: (u64, u64, usize),
        log: Option<crate::record::LogProgress>,
    ) -> String {
        let mut out = String::new();
        out.push_str("# HELP scopegate_requests_total Decided requests by provider, verdict and whether they were forwarded.\n# TYPE scopegate_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((p, v, f), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "scopegate_requests_total{{provider=\"{p}\",verdict=\"{v}\",forwarded=\"{f}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP scopegate_refused_total Requests and connections refused before a policy decision, by reason.\n# TYPE scopegate_refused_total counter\n");
        if let Ok(m) = self.refusals.lock() {
            for (r, n) in m.iter() {
                let _ = writeln!(out, "scopegate_refused_total{{reason=\"{r}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# TYPE scopegate_connections_total counter\nscopegate_connections_total {}",
            self.connections.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE scopegate_tunnels_total counter\nscopegate_tunnels_total {}",
            self.tunnels.load(Ordering::Relaxed)
        );
        self.decide.render(
            "scopegate_decide_seconds",
            "Time from a complete request to a decision (inspection + evaluation).",
            &mut out,
        );
        self.upstream.render(
            "scopegate_upstream_seconds",
            "Time from forwarding to the upstream response head.",
            &mut out,
        );
        let _ = writeln!(
            out,
            "# TYPE scopegate_cert_cache_hits_total counter\nscopegate_cert_cache_hits_total {}",
            leaf.hits
        );
        let _ = writeln!(
            out,
            "# TYPE scopegate_cert_minted_total counter\nscopegate_cert_minted_total {}",
            leaf.minted
        );
        let _ = writeln!(
            out,
            "# TYPE scopegate_cert_cache_entries gauge\nscopegate_cert_cache_entries {}",
            leaf.entries
        );
        let (hits, misses, entries) = doc_cache;
        let _ = writeln!(
            out,
            "# TYPE scopegate_document_cache_hits_total counter\nscopegate_document_cache_hits_total {hits}"
        );
        let _ = writeln!(
            out,
            "# TYPE scopegate_document_cache_misses_total counter\nscopegate_document_cache_misses_total {misses}"
        );
        let _ = writeln!(
            out,
            "# TYPE scopegate_document_cache_entries gauge\nscopegate_document_cache_entries {entries}"
        );
        if let Some(log) = log {
            let _ = writeln!(
                out,
                "# HELP scopegate_log_journaled_total Decision log entries appended to the journal.\n# TYPE scopegate_log_journaled_total counter\nscopegate_log_journaled_total {}",
                log.journaled
            );
            let _ = writeln!(
                out,
                "# HELP scopegate_log_committed_total Decision log entries copied into the database.\n# TYPE scopegate_log_committed_total counter\nscopegate_log_committed_total {}",
                log.committed
            );
            let _ = writeln!(
                out,
                "# HELP scopegate_log_backlog Journal entries not yet in the database.\n# TYPE scopegate_log_backlog gauge\nscopegate_log_backlog {}",
                log.journaled.saturating_sub(log.committed)
            );
            let _ = writeln!(
                out,
                "# TYPE scopegate_log_db_failures_total counter\nscopegate_log_db_failures_total {}",
                log.db_failures
            );
            let _ = writeln!(
                out,
                "# HELP scopegate_log_read_back_total Decision log entries read back from the journal because the writer's memory was full (a database outage).\n# TYPE scopegate_log_read_back_total counter\nscopegate_log_read_back_total {}",
                log.read_back
            );
        }
        out
    }
}

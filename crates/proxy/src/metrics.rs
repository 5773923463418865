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

/// What `/metrics` reports besides the counters: read when rendered.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Tokens and rules in the scope map loaded now.
    pub tokens: usize,
    pub rules: usize,
    /// Approvals waiting for a human; `None` without a reachable queue.
    pub pending_approvals: Option<u64>,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, &'static str, bool), u64>>,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    upstream_failures: Mutex<BTreeMap<&'static str, u64>>,
    approval_steps: Mutex<BTreeMap<&'static str, u64>>,
    /// Resolution lookups by provider and outcome (docs/resource-context.md).
    lookups: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// The decision log's database backend (`sqlite`, `postgres`), once known.
    pub store: std::sync::OnceLock<String>,
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

    /// An approval step: `approved`, `rejected`, `expired` (decided or
    /// lapsed in the queue), `used`, `granted` (a held request released).
    pub fn approval_step(&self, step: &'static str) {
        if let Ok(mut m) = self.approval_steps.lock() {
            *m.entry(step).or_default() += 1;
        }
    }

    /// A resolution lookup: `cached`, `shared`, `passive`, `ok`, `unknown-id`,
    /// `failed`, `timeout`.
    pub fn lookup(&self, provider: &str, outcome: &'static str) {
        if let Ok(mut m) = self.lookups.lock() {
            *m.entry((provider.to_owned(), outcome)).or_default() += 1;
        }
    }

    /// A request or connection refused before any policy decision.
    pub fn refused(&self, reason: &'static str) {
        if let Ok(mut m) = self.refusals.lock() {
            *m.entry(reason).or_default() += 1;
        }
    }

    /// A provider or tunnel destination that could not be reached, by
    /// cause (`dns`, `tls`, `proxy-auth`, ...).
    pub fn upstream_failure(&self, cause: &'static str) {
        if let Ok(mut m) = self.upstream_failures.lock() {
            *m.entry(cause).or_default() += 1;
        }
    }

    /// Refusals counted so far, by label.
    #[cfg(test)]
    pub fn refused_counts(&self) -> BTreeMap<&'static str, u64> {
        self.refusals.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Decided requests counted so far, by provider, verdict and forwarded.
    #[cfg(test)]
    pub fn request_counts(&self) -> BTreeMap<(String, &'static str, bool), u64> {
        self.requests.lock().map(|m| m.clone()).unwrap_or_default()
    }

    pub fn render(
        &self,
        leaf: scopegate_tls::LeafStats,
        doc_cache: (u64, u64, usize),
        log: Option<scopegate_model::LogProgress>,
        status: &Status,
    ) -> String {
        let mut out = String::new();
        self.render_info(&mut out, status);
        self.render_decisions(&mut out, status);
        self.render_traffic(&mut out);
        self.render_lookups(&mut out);
        render_caches(&mut out, leaf, doc_cache);
        if let Some(log) = log {
            render_log(&mut out, log);
        }
        out
    }

    /// Version, store and the scope map loaded now.
    fn render_info(&self, o: &mut String, status: &Status) {
        family(
            o,
            "scopegate_build_info",
            "gauge",
            "Always 1; the version is a label.",
        );
        let _ = writeln!(
            o,
            "scopegate_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(store) = self.store.get() {
            family(
                o,
                "scopegate_store_info",
                "gauge",
                "Always 1; the decision log's database backend is a label.",
            );
            let _ = writeln!(o, "scopegate_store_info{{backend=\"{store}\"}} 1");
        }
        gauge(
            o,
            "scopegate_policy_tokens",
            "Tokens in the scope map loaded now.",
            status.tokens as u64,
        );
        gauge(
            o,
            "scopegate_policy_rules",
            "Rules in the scope map loaded now, over all tokens.",
            status.rules as u64,
        );
    }

    /// Resolution lookups.
    fn render_lookups(&self, o: &mut String) {
        family(
            o,
            "scopegate_resolve_lookups_total",
            "counter",
            "Resource resolutions by provider and outcome (cached, shared by another replica, passive fills, active lookups: ok, unknown-id, failed, timeout).",
        );
        if let Ok(m) = self.lookups.lock() {
            for ((p, outcome), n) in m.iter() {
                let _ = writeln!(
                    o,
                    "scopegate_resolve_lookups_total{{provider=\"{p}\",outcome=\"{outcome}\"}} {n}"
                );
            }
        }
    }

    /// Decided requests, refusals and approvals.
    fn render_decisions(&self, o: &mut String, status: &Status) {
        family(
            o,
            "scopegate_requests_total",
            "counter",
            "Decided requests by provider, verdict and whether they were forwarded (a held request released after approval counts as forwarded).",
        );
        if let Ok(m) = self.requests.lock() {
            for ((p, v, f), n) in m.iter() {
                let _ = writeln!(
                    o,
                    "scopegate_requests_total{{provider=\"{p}\",verdict=\"{v}\",forwarded=\"{f}\"}} {n}"
                );
            }
        }
        family(
            o,
            "scopegate_refused_total",
            "counter",
            "Requests and connections refused before a policy decision, by reason.",
        );
        if let Ok(m) = self.refusals.lock() {
            for (r, n) in m.iter() {
                let _ = writeln!(o, "scopegate_refused_total{{reason=\"{r}\"}} {n}");
            }
        }
        family(
            o,
            "scopegate_upstream_failures_total",
            "counter",
            "Requests and tunnels whose destination could not be reached, by cause (dns, refused, tls, timeout, upstream, and proxy-* through the upstream proxy).",
        );
        if let Ok(m) = self.upstream_failures.lock() {
            for (c, n) in m.iter() {
                let _ = writeln!(o, "scopegate_upstream_failures_total{{cause=\"{c}\"}} {n}");
            }
        }
        if let Some(n) = status.pending_approvals {
            gauge(
                o,
                "scopegate_approvals_pending",
                "Approvals waiting for a human (across replicas).",
                n,
            );
        }
        family(
            o,
            "scopegate_approvals_decided_total",
            "counter",
            "Approval steps by outcome: approved, rejected, expired (in the queue), used and granted (a held request released).",
        );
        if let Ok(m) = self.approval_steps.lock() {
            for (s, n) in m.iter() {
                let _ = writeln!(
                    o,
                    "scopegate_approvals_decided_total{{outcome=\"{s}\"}} {n}"
                );
            }
        }
    }

    /// Connections, tunnels and latency.
    fn render_traffic(&self, o: &mut String) {
        counter(
            o,
            "scopegate_connections_total",
            "Client connections accepted.",
            self.connections.load(Ordering::Relaxed),
        );
        counter(
            o,
            "scopegate_tunnels_total",
            "Connections to non-provider hosts tunnelled (after the ClientHello check).",
            self.tunnels.load(Ordering::Relaxed),
        );
        self.decide.render(
            "scopegate_decide_seconds",
            "Time from a complete request to a decision (inspection + evaluation).",
            o,
        );
        self.upstream.render(
            "scopegate_upstream_seconds",
            "Time from forwarding to the upstream response head.",
            o,
        );
    }
}

/// Certificate and document caches.
fn render_caches(o: &mut String, leaf: scopegate_tls::LeafStats, doc_cache: (u64, u64, usize)) {
    counter(
        o,
        "scopegate_cert_cache_hits_total",
        "Leaf certificates served from the cache.",
        leaf.hits,
    );
    counter(
        o,
        "scopegate_cert_minted_total",
        "Leaf certificates minted.",
        leaf.minted,
    );
    gauge(
        o,
        "scopegate_cert_cache_entries",
        "Leaf certificates cached.",
        leaf.entries as u64,
    );
    let (hits, misses, entries) = doc_cache;
    counter(
        o,
        "scopegate_document_cache_hits_total",
        "GraphQL documents whose analysis came from the cache.",
        hits,
    );
    counter(
        o,
        "scopegate_document_cache_misses_total",
        "GraphQL documents analysed afresh.",
        misses,
    );
    gauge(
        o,
        "scopegate_document_cache_entries",
        "GraphQL document analyses cached.",
        entries as u64,
    );
}

/// How far the decision log is behind its journal.
fn render_log(o: &mut String, log: scopegate_model::LogProgress) {
    counter(
        o,
        "scopegate_log_journaled_total",
        "Decision log entries appended to the journal.",
        log.journaled,
    );
    counter(
        o,
        "scopegate_log_committed_total",
        "Decision log entries copied into the database.",
        log.committed,
    );
    gauge(
        o,
        "scopegate_log_backlog",
        "Journal entries not yet in the database.",
        log.journaled.saturating_sub(log.committed),
    );
    counter(
        o,
        "scopegate_log_db_failures_total",
        "Failed attempts to write a batch of the decision log to the database.",
        log.db_failures,
    );
    counter(
        o,
        "scopegate_log_read_back_total",
        "Decision log entries read back from the journal because the writer's memory was full (a database outage).",
        log.read_back,
    );
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, v: u64) {
    family(out, name, "counter", help);
    let _ = writeln!(out, "{name} {v}");
}

fn gauge(out: &mut String, name: &str, help: &str, v: u64) {
    family(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {v}");
}

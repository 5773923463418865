//! Latency statistics: exact percentiles over every recorded sample.

/// Percentiles (nearest rank) over latencies in microseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

pub fn summarize(mut samples: Vec<u64>) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = |p: f64| {
        let n = samples.len();
        let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
        samples[i]
    };
    let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
    Some(Summary {
        count: samples.len(),
        p50_us: rank(0.50),
        p99_us: rank(0.99),
        p999_us: rank(0.999),
        max_us: *samples.last().unwrap_or(&0),
        mean_us: sum as f64 / samples.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = summarize((1..=1000).collect()).unwrap();
        assert_eq!(
            (s.count, s.p50_us, s.p99_us, s.p999_us, s.max_us),
            (1000, 500, 990, 999, 1000)
        );
        assert!((s.mean_us - 500.5).abs() < 1e-9);
        let one = summarize(vec![7]).unwrap();
        assert_eq!((one.p50_us, one.p999_us), (7, 7));
        assert!(summarize(Vec::new()).is_none());
    }
}

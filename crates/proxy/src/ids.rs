//! Fresh ids: sortable by time, unique per process and across replicas
//! with overwhelming probability (`dec_` or `apr_` + 12 hex ms + 4 hex
//! counter + 8 hex random).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use scopegate_model::{ApprovalId, DecisionId};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh decision id.
pub fn decision_id() -> DecisionId {
    DecisionId::from_unique(&unique())
}

/// A fresh approval id (its own, not derived from a decision's).
pub fn approval_id() -> ApprovalId {
    ApprovalId::from_unique(&unique())
}

/// 12 hex ms + 4 hex counter + 8 hex random.
fn unique() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff;
    format!("{:012x}{n:04x}{:08x}", ms & 0xffff_ffff_ffff, random_u32())
}

fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process; mixing in a counter
    // gives a fresh value per call.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(COUNTER.load(Ordering::Relaxed));
    u32::try_from(h.finish() & 0xffff_ffff).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_and_shaped() {
        let a = super::decision_id();
        let b = super::decision_id();
        assert_ne!(a, b);
        assert!(
            a.as_str().starts_with("dec_") && a.as_str().len() == 28,
            "{a}"
        );
    }

    #[test]
    fn approval_ids_are_fresh_and_shaped_like_decision_ids() {
        let d = super::decision_id();
        let a = super::approval_id();
        let b = super::approval_id();
        assert_ne!(a, b);
        assert!(
            a.as_str().starts_with("apr_") && a.as_str().len() == 28,
            "{a}"
        );
        assert_ne!(a.as_str()[4..], d.as_str()[4..], "not a decision's id");
    }
}

//! Holding requests for a human: the grant key that binds an approval to
//! exactly one request as read. The seam to the approval queue
//! ([`scopegate_model::ApprovalQueue`]) is in `scopegate_model`.

use std::time::Duration;

use sha2::{Digest as _, Sha256};

/// "15 minutes", "90 seconds", "2 hours".
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} seconds"),
        120..=7199 => format!("{} minutes", s / 60),
        _ => format!("{} hours", s / 3600),
    }
}

/// Binds an approval to one request: the presented credential's full
/// fingerprint and the request's reading key
/// ([`scopegate_inspect::reading_key`]: every input inspection read and
/// everything it read them as).
pub fn grant_key(fingerprint_hex: &str, reading_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(fingerprint_hex.as_bytes());
    h.update(b"\n");
    h.update(reading_key.as_bytes());
    scopegate_model::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_keys_differ_by_request_and_token() {
        assert_ne!(grant_key("a", "d1"), grant_key("a", "d2"));
        assert_ne!(grant_key("a", "d1"), grant_key("b", "d1"));
        assert_eq!(grant_key("a", "d1"), grant_key("a", "d1"));
    }
}

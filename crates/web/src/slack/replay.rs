//! Signatures already used, remembered for the timestamp window, so a
//! captured callback cannot be sent again.

use std::collections::HashMap;

/// At most this many signatures are remembered; beyond it new callbacks
/// are refused (fail closed) until old ones leave the window.
pub const CAPACITY: usize = 10_000;

/// Used signatures with their callback's timestamp (seconds).
#[derive(Debug, Default)]
pub struct Seen {
    used: HashMap<String, i64>,
}

impl Seen {
    /// Records `signature`; false when it was already used, or when the
    /// memory is full.
    pub fn first_use(&mut self, signature: &str, timestamp: i64, now_secs: i64) -> bool {
        let window = super::signature::WINDOW_SECS;
        self.used.retain(|_, t| (now_secs - *t).abs() <= window);
        if self.used.contains_key(signature) || self.used.len() >= CAPACITY {
            return false;
        }
        self.used.insert(signature.to_owned(), timestamp);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_used_once_within_the_window() {
        let mut s = Seen::default();
        assert!(s.first_use("v0=aa", 100, 100));
        assert!(!s.first_use("v0=aa", 100, 200));
        assert!(s.first_use("v0=bb", 100, 200));
    }
}

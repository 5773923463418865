//! Where an approval stands, and a human's answer to one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An approval's state: `pending` → `approved` | `rejected` | `expired`;
/// `approved` → `used` | `expired`. Stored and sent as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalState {
    /// Waiting for a human.
    Pending,
    /// Approved: its one-time grant is open.
    Approved,
    Rejected,
    /// Nobody resolved it in time, or the grant went unused.
    Expired,
    /// Approved, and its grant let the request through.
    Used,
}

impl ApprovalState {
    /// Every state, in the order lists and filters show them.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Expired,
        Self::Used,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Used => "used",
        }
    }

    /// The state named `s`; `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for ApprovalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A human's answer to a pending approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    Approve,
    Reject,
}

impl Resolution {
    /// The state the approval takes.
    pub fn state(self) -> ApprovalState {
        match self {
            Self::Approve => ApprovalState::Approved,
            Self::Reject => ApprovalState::Rejected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for s in ApprovalState::ALL {
            assert_eq!(ApprovalState::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
            let json = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<ApprovalState>(&json).ok(), Some(s));
        }
        let names: Vec<&str> = ApprovalState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            ["pending", "approved", "rejected", "expired", "used"]
        );
    }

    #[test]
    fn unknown_states_are_refused() {
        for s in ["", "Pending", "not-applied", "approve", "all"] {
            assert_eq!(ApprovalState::parse(s), None, "{s}");
            assert!(serde_json::from_str::<ApprovalState>(&format!("\"{s}\"")).is_err());
        }
    }

    #[test]
    fn a_resolution_names_its_state() {
        assert_eq!(Resolution::Approve.state(), ApprovalState::Approved);
        assert_eq!(Resolution::Reject.state(), ApprovalState::Rejected);
    }
}

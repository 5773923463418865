use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Operation;

/// What scopegate does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    /// Hold the request for a human to approve. A scope map says
    /// `effect = "approve"`, and records, metrics and headers say
    /// `approve` (what the human is asked to do); in code it is what
    /// scopegate does with the request.
    #[serde(rename = "approve")]
    Hold,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Hold => "approve",
            Self::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Allow, Self::Hold, Self::Deny]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `enforce` acts on the verdict; `observe` forwards everything and records
/// what enforcement would have done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Enforce,
    Observe,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Observe => "observe",
        }
    }
}

/// The rule that decided: `token/rule-id`, or a built-in such as
/// `builtin:no-matching-rule`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleRef(pub String);

impl RuleRef {
    pub fn builtin(name: &str) -> Self {
        Self(format!("builtin:{name}"))
    }
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The verdict for one operation of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationVerdict {
    pub operation: Operation,
    pub verdict: Verdict,
    pub rule: RuleRef,
    pub reason: String,
}

/// The outcome of evaluating a request against a scope map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The verdict enforcement computes. In `observe` mode the request is
    /// forwarded anyway; see [`Decision::forwards`].
    pub verdict: Verdict,
    pub mode: Mode,
    /// The rule that decided the request as a whole.
    pub rule: RuleRef,
    pub reason: String,
    /// Name of the token (from the scope map) the request presented, if known.
    pub token: Option<String>,
    pub operations: Vec<OperationVerdict>,
}

impl Decision {
    /// Whether the request goes upstream without a human.
    pub fn forwards(&self) -> bool {
        self.verdict == Verdict::Allow || self.mode == Mode::Observe
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict;

    /// In code a request is held; everywhere outside it the word is
    /// `approve` (scope maps, records, headers, metrics).
    #[test]
    fn hold_is_written_and_read_as_approve() {
        assert_eq!(
            serde_json::to_string(&Verdict::Hold).unwrap(),
            "\"approve\""
        );
        let back: Verdict = serde_json::from_str("\"approve\"").unwrap();
        assert_eq!(back, Verdict::Hold);
        assert_eq!(Verdict::Hold.as_str(), "approve");
        assert_eq!(Verdict::parse("approve"), Some(Verdict::Hold));
        assert_eq!(Verdict::parse("hold"), None);
    }
}

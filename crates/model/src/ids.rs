//! Typed ids: a decision's (`dec_…`) and an approval's (`apr_…`). Both are
//! opaque text on disk and on the wire (serde-transparent); the types keep
//! one from being passed where the other is meant. Generating fresh ids
//! (time and randomness) is not done here: this crate performs no IO.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// An id as stored or sent (any text: ids written by older
            /// versions and tests keep their shape).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// One decided request's id: `dec_` + 12 hex ms + 4 hex counter + 8 hex
    /// random when the proxy made it.
    DecisionId
);

id_type!(
    /// One approval's id: `apr_` + the same shape as a decision id.
    ApprovalId
);

impl DecisionId {
    /// The prefix of ids the proxy generates.
    pub const PREFIX: &'static str = "dec_";

    /// A decision id from the unique, time-sortable part the proxy's
    /// generator makes (`dec_` + `unique`).
    pub fn from_unique(unique: &str) -> Self {
        Self(format!("{}{unique}", Self::PREFIX))
    }
}

impl ApprovalId {
    /// The prefix of ids the proxy generates.
    pub const PREFIX: &'static str = "apr_";

    /// An approval id from the unique, time-sortable part the proxy's
    /// generator makes (`apr_` + `unique`): approvals share the shape of
    /// decision ids, never a decision id's text.
    pub fn from_unique(unique: &str) -> Self {
        Self(format!("{}{unique}", Self::PREFIX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_text_on_the_wire() {
        let d = DecisionId::new("dec_1");
        assert_eq!(serde_json::to_string(&d).ok().as_deref(), Some("\"dec_1\""));
        let back: ApprovalId =
            serde_json::from_str("\"apr_1\"").unwrap_or_else(|_| ApprovalId::new(""));
        assert_eq!(back, ApprovalId::new("apr_1"));
        assert_eq!(d.to_string(), "dec_1");
        assert_eq!(d, "dec_1");
    }

    #[test]
    fn fresh_ids_are_prefixed_by_kind() {
        assert_eq!(DecisionId::from_unique("0123").as_str(), "dec_0123");
        assert_eq!(ApprovalId::from_unique("0123").as_str(), "apr_0123");
    }
}

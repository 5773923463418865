//! Vocabulary shared by every scopegate crate: operations, their classes and
//! resources, presented-credential fingerprints, verdicts and decisions.
//!
//! This crate performs no IO and depends on nothing heavier than serde and
//! sha2. Decisions are values: they carry the rule that decided them and a
//! reason, so they can be logged, tested and shown to an agent.

mod decision;
mod fingerprint;
mod operation;
mod record;

pub use decision::{Decision, Mode, OperationVerdict, RuleRef, Verdict};
pub use fingerprint::{Fingerprint, PresentedCredential, hex};
pub use operation::{OpClass, Operation, OperationWord, Resources};
pub use record::{DecisionOutcome, DecisionRecord, JournalEntry, request_digest};

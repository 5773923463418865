//! Vocabulary shared by every scopegate crate: operations, their classes and
//! resources, presented-credential fingerprints, verdicts and decisions.
//!
//! It also holds the seams between the proxy and what it talks to: the
//! decision sink, the approval queue, the shared resolution cache, the held
//! request, typed ids and approval states.
//!
//! This crate performs no IO and depends on nothing heavier than serde,
//! serde_json and sha2. Decisions are values: they carry the rule that
//! decided them and a reason, so they can be logged, tested and shown to
//! an agent.

mod approval_state;
mod attributes;
pub mod breadth;
mod credential;
mod decision;
mod fingerprint;
mod held;
mod ids;
mod operation;
mod queue;
mod record;
mod resolved;
mod sink;
mod utc;

pub use approval_state::{ApprovalState, Resolution};
pub use attributes::{Attribute, Attributes};
pub use breadth::{Breadth, BreadthSpec};
pub use credential::{AuthScheme, CredentialLocation};
pub use decision::{Decision, Mode, OperationVerdict, RuleRef, Verdict};
pub use fingerprint::{Fingerprint, PresentedCredential, hex};
pub use held::{HeldDetail, HeldRequest, MAX_APPROVERS, WhoDecides};
pub use ids::{ApprovalId, DecisionId};
pub use operation::{OpClass, Operation, OperationWord, Resources};
pub use queue::{ApprovalQueue, BoxFut, Grant, HoldOutcome, QueueError};
pub use record::{DecisionOutcome, DecisionRecord, JournalEntry, request_digest};
pub use resolved::{ResolvedAttributes, ResolvedKey, SharedResolutions};
pub use sink::{DecisionSink, Durable, LogProgress, RecordError, Ticket};
pub use utc::{civil_from_days, days_from_civil, utc_iso};

//! Scope maps: which operations each presented token may perform.
//!
//! [`ScopeMap::from_toml`] parses and validates a scope-map file, reporting
//! every problem with its line and column; [`evaluate`] is a pure, total
//! function from a scope map, a presented credential and a request's
//! operations to a [`Decision`](scopegate_model::Decision). Explicit deny
//! beats approve beats allow; no matching rule is deny; a request is allowed
//! only if every operation in it is.
//!
//! This crate performs no IO; reading files is the caller's job.

pub mod breadth;
pub mod diff;
mod eval;
mod glob;
mod scope_map;
pub mod suggest;
mod vocabulary;

pub use eval::{evaluate, needed_attributes, who_decides};
pub use glob::Glob;
pub use scope_map::{
    MAX_APPROVERS, PolicyError, Problem, Rule, ScopeMap, SecretRef, Surrogate, Token, WhoDecides,
    raw,
};
pub use vocabulary::Vocabulary;

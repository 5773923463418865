//! Turns an HTTP request — method, host, target, headers and body bytes —
//! into the complete list of operations it asks a provider to perform, and
//! the fingerprint of the credential it presents.
//!
//! This crate performs no IO and does not depend on tokio, hyper or sqlx.
//! Whatever it cannot fully read becomes an operation of class `unknown`,
//! never fewer operations than the provider would execute: the proxy relies
//! on that to fail closed.
//!
//! Entry point: [`Inspector::inspect`] over a [`RequestView`].

pub mod aws;
pub mod breadth;
pub mod catalog;
mod content;
mod credentials;
mod decode;
mod encoded_slash;
pub mod escalate;
pub mod graphql;
mod inspector;
pub mod limits;
pub mod message;
pub mod reading;
pub mod redact;
pub mod resolve;
pub mod rest;
pub mod sigv4;
mod strict_json;
mod view;

pub use catalog::{Catalog, CatalogError, CatalogSet};
pub use inspector::canonical_host;
pub use inspector::{EndpointKind, Inspection, Inspector, Reading, RequestView};
pub use limits::Limits;
pub use reading::reading_key;
pub use strict_json::parse_strict as parse_strict_json;

//! Where each AWS wire protocol puts the operation.

pub mod cbor;
pub mod json;
pub mod query;
pub mod rest;

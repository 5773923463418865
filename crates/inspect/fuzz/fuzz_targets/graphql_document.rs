//! Arbitrary bytes as a GraphQL document through
//! `scopegate_inspect::graphql::analyse` and then `Inspector::inspect`; the
//! invariants are in `src/lib.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scopegate_inspect_fuzz::graphql_document(data));

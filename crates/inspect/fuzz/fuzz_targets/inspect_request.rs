//! Arbitrary bytes as an HTTP request through `Inspector::inspect`; the
//! input layout and the invariants are in `src/lib.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scopegate_inspect_fuzz::inspect_request(data));

//! The fuzz targets' checks on stable: every seed input and every saved crash
//! input (`crates/inspect/fuzz/{seeds,regressions}/<target>/`) is replayed
//! through the same functions the fuzz targets call, and so is a sample of
//! random input. cargo-fuzz itself needs nightly compiler flags; this keeps
//! what it found (and the seeds it starts from) in the ordinary test suite.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

use proptest::prelude::*;

/// Runs every file under `fuzz/<kind>/<target>/` through `check`; returns how
/// many there were.
fn replay(kind: &str, target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its fuzz checks", path.display());
        n += 1;
    }
    n
}

#[test]
fn inspect_request_seeds_and_regressions_hold() {
    assert!(replay("seeds", "inspect_request", checks::inspect_request) >= 15);
    replay("regressions", "inspect_request", checks::inspect_request);
}

#[test]
fn graphql_document_seeds_and_regressions_hold() {
    assert!(replay("seeds", "graphql_document", checks::graphql_document) >= 10);
    replay("regressions", "graphql_document", checks::graphql_document);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn inspect_request_checks_hold_on_random_input(data in prop::collection::vec(any::<u8>(), 0..256)) {
        checks::inspect_request(&data);
    }

    #[test]
    fn graphql_document_checks_hold_on_random_input(data in prop::collection::vec(any::<u8>(), 0..256)) {
        checks::graphql_document(&data);
    }
}

/// A seed is named for the provider its selector byte picks (`other-` for
/// a non-provider host): adding a provider shifts the further hosts, and
/// this says which seeds to renumber.
#[test]
fn each_inspect_request_seed_picks_the_provider_it_is_named_for() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/inspect_request");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        let picked = checks::provider_of(data[0]).unwrap_or_else(|| "other".to_owned());
        assert!(
            name.starts_with(&format!("{picked}-")),
            "seed {name}: its selector byte {} picks {picked}",
            data[0]
        );
    }
}

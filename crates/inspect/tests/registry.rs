//! The provider registry is the one list: the docs' provider table names
//! every registered provider, and every registered catalogue is bundled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use scopegate_inspect::CatalogSet;
use scopegate_inspect::catalog::registry::Registry;

#[test]
fn docs_list_every_registered_provider() {
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/catalogues.md"),
    )
    .unwrap();
    for p in Registry::bundled().unwrap().providers {
        assert!(
            docs.lines()
                .any(|l| l.starts_with(&format!("| `{}` |", p.name))),
            "docs/catalogues.md has no provider table row for `{}`",
            p.name
        );
    }
}

#[test]
fn every_registered_provider_is_bundled_under_its_name() {
    let set = CatalogSet::bundled().unwrap();
    let bundled: Vec<&str> = set.providers().map(|c| c.provider.as_str()).collect();
    let registered: Vec<String> = Registry::bundled()
        .unwrap()
        .providers
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(bundled, registered);
}

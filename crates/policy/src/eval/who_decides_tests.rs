use scopegate_model::{Fingerprint, OpClass, Operation, PresentedCredential, WhoDecides};

use crate::{ScopeMap, evaluate, who_decides};

const FP: &str = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62";

const MAP: &str = r#"version = 1
[[token]]
name = "t"
fingerprint = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]

[[token.rule]]
id = "volume-deletes-need-two"
effect = "approve"
operations = ["railway:volumeDelete"]
approvers = 2

[[token.rule]]
id = "not-their-own-services"
effect = "approve"
operations = ["railway:serviceDelete"]
self_approval = false
"#;

fn decide(ops: &[(&str, OpClass)]) -> WhoDecides {
    let map = ScopeMap::from_toml("t.toml", MAP).unwrap();
    let cred = PresentedCredential::One {
        fingerprint: Fingerprint::parse(FP).unwrap(),
        location: "authorization:bearer".parse().unwrap(),
        also: vec![],
    };
    let ops: Vec<Operation> = ops
        .iter()
        .map(|(n, c)| Operation::new("railway", *n, *c))
        .collect();
    who_decides(&map, &evaluate(&map, &cred, &ops))
}

#[test]
fn every_matching_approve_rule_counts_not_only_the_cited_one() {
    // `hold-destructive` is cited (first in the file), yet the volume's
    // own rule asks for two approvers.
    assert_eq!(
        decide(&[("volumeDelete", OpClass::Destructive)]).approvers,
        2
    );
    assert_eq!(
        decide(&[("environmentDelete", OpClass::Destructive)]),
        WhoDecides::default()
    );
}

#[test]
fn a_batch_needs_the_strictest_of_its_operations() {
    let who = decide(&[
        ("me", OpClass::Read),
        ("environmentDelete", OpClass::Destructive),
        ("serviceDelete", OpClass::Destructive),
        ("volumeDelete", OpClass::Destructive),
    ]);
    assert_eq!(
        who,
        WhoDecides {
            approvers: 2,
            self_approval: false
        }
    );
}

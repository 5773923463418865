//! Rules on resolved attributes (docs/resource-context.md): they match
//! names like ids, and fail closed when a name could not be resolved.

use scopegate_model::{Attribute, Fingerprint};

use super::*;

const FP: &str = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62";

/// The incident's token: anything in staging and PR environments;
/// destructive calls in production held; nothing else.
const STAGING_AGENT: &str = r#"
version = 1
[[token]]
name = "t"
fingerprint = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62"

[[token.rule]]
id = "anything-in-staging"
effect = "allow"
resources = { environment = ["staging", "pr-*"] }

[[token.rule]]
id = "production-destructive-held"
effect = "approve"
class = ["destructive"]
resources = { environment = ["production"] }
"#;

fn cred() -> PresentedCredential {
    PresentedCredential::One {
        fingerprint: Fingerprint::parse(FP).unwrap(),
        location: "authorization:bearer".parse().unwrap(),
        also: vec![],
    }
}

fn map() -> ScopeMap {
    ScopeMap::from_toml("t.toml", STAGING_AGENT).unwrap()
}

fn volume_delete(environment: Option<Attribute>) -> Operation {
    let mut op = Operation::new("railway", "volumeDelete", OpClass::Destructive);
    op.add_resource("volumeId", "vol-1".into());
    if let Some(a) = environment {
        op.set_attribute("environment", a);
    }
    op
}

fn known(v: &str) -> Option<Attribute> {
    Some(Attribute::known([v.to_owned()]))
}

#[test]
fn the_same_call_is_allowed_in_staging_and_held_in_production() {
    let staging = evaluate(&map(), &cred(), &[volume_delete(known("staging"))]);
    assert_eq!(staging.verdict, Verdict::Allow, "{}", staging.reason);
    let pr = evaluate(&map(), &cred(), &[volume_delete(known("pr-42"))]);
    assert_eq!(pr.verdict, Verdict::Allow, "{}", pr.reason);
    let prod = evaluate(&map(), &cred(), &[volume_delete(known("production"))]);
    assert_eq!(prod.verdict, Verdict::Hold, "{}", prod.reason);
    assert_eq!(prod.rule.0, "t/production-destructive-held");
}

#[test]
fn an_unresolved_attribute_never_allows_and_the_reason_says_why() {
    let why = Attribute::Unresolved("lookup timed out after 2 s".into());
    let d = evaluate(&map(), &cred(), &[volume_delete(Some(why))]);
    // The allow rule cannot rest on it; the hold might apply, so it does.
    assert_eq!(d.verdict, Verdict::Hold, "{}", d.reason);
    assert!(
        d.reason
            .contains("could not resolve environment (lookup timed out after 2 s)"),
        "{}",
        d.reason
    );

    let mut read = Operation::new("railway", "volume", OpClass::Read);
    read.add_resource("volumeId", "vol-1".into());
    read.set_attribute("environment", Attribute::Unresolved("unknown id".into()));
    let d = evaluate(&map(), &cred(), &[read]);
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(
        d.reason.contains(
            "rule `anything-in-staging` needs what could not be resolved: environment (unknown id)"
        ),
        "{}",
        d.reason
    );
}

#[test]
fn an_attribute_the_operation_has_no_way_to_name_matches_no_rule() {
    let d = evaluate(&map(), &cred(), &[volume_delete(None)]);
    assert_eq!(d.verdict, Verdict::Deny, "{}", d.reason);
}

/// A volume in two environments is matched by neither one-environment
/// rule: denied, as for ids.
#[test]
fn every_value_must_match() {
    let both = Attribute::known(["staging".to_owned(), "production".to_owned()]);
    let d = evaluate(&map(), &cred(), &[volume_delete(Some(both))]);
    assert_eq!(d.verdict, Verdict::Deny, "{}", d.reason);
}

#[test]
fn needed_attributes_are_only_those_a_matching_rule_conditions_on() {
    let ops = [volume_delete(None)];
    assert_eq!(
        needed_attributes(&map(), &cred(), &ops),
        [(0, "environment".to_owned())]
    );
    let ids_only = ScopeMap::from_toml(
        "t.toml",
        &format!(
            "version = 1\n[[token]]\nname = \"t\"\nfingerprint = \"{FP}\"\n[[token.rule]]\nid = \"r\"\neffect = \"allow\"\nresources = {{ volumeId = [\"vol-*\"] }}\n"
        ),
    )
    .unwrap();
    assert!(needed_attributes(&ids_only, &cred(), &ops).is_empty());
    assert!(needed_attributes(&map(), &PresentedCredential::None, &ops).is_empty());
}

use super::*;
use scopegate_model::DecisionRecord;

const FP: &str = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62";

fn word(name: &str, class: OpClass, resources: &[&str]) -> OperationWord {
    OperationWord {
        provider: "railway".into(),
        name: name.into(),
        classes: vec![class],
        resources: resources.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn words() -> Vec<OperationWord> {
    vec![
        word("projects", OpClass::Read, &[]),
        word("customDomainCreate", OpClass::Write, &["environmentId"]),
        word("variableUpsert", OpClass::Write, &["environmentId"]),
        word("volumeDelete", OpClass::Destructive, &["volumeId"]),
    ]
}

/// A map with one token `ci` (fingerprint [`FP`]) and these rules.
fn map(rules: &str) -> ScopeMap {
    map_with("", "ci", rules)
}

fn map_with(settings: &str, name: &str, rules: &str) -> ScopeMap {
    let text = format!(
        "version = 1\n{settings}\n[[token]]\nname = \"{name}\"\nfingerprint = \"{FP}\"\n{rules}"
    );
    ScopeMap::from_toml("t.toml", &text).unwrap()
}

const BASE: &str = r#"
[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "staging-writes"
effect = "allow"
class = ["write"]
resources = { environmentId = ["env-staging-*"] }

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]
"#;

fn summary(changes: &[Change]) -> Vec<String> {
    let mut s: Vec<String> = changes
        .iter()
        .map(|c| {
            let res: Vec<String> = c
                .resources
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(
                "{} {} [{}] {}→{}",
                c.token,
                c.operation,
                res.join(","),
                c.old.as_str(),
                c.new.as_str()
            )
        })
        .collect();
    s.sort();
    s
}

#[test]
fn the_same_map_changes_nothing() {
    assert!(diff(&map(BASE), &map(BASE), &words()).is_empty());
}

#[test]
fn a_widening_is_found_and_says_so() {
    let new = BASE.replace("effect = \"approve\"", "effect = \"allow\"");
    let changes = diff(&map(BASE), &map(&new), &words());
    assert_eq!(
        summary(&changes),
        ["ci railway:volumeDelete [] approve→allow"]
    );
    assert!(changes[0].widens());
    assert_eq!(changes[0].old_rule, "ci/hold-destructive");
}

#[test]
fn a_narrowing_is_found_and_does_not_widen() {
    let new = BASE.replace("env-staging-*", "env-staging-web");
    let changes = diff(&map(BASE), &map(&new), &words());
    assert!(
        !changes.is_empty() && changes.iter().all(|c| !c.widens()),
        "{changes:?}"
    );
    assert!(summary(&changes).contains(
        &"ci railway:customDomainCreate [environmentId=env-staging-x] allow→deny".to_owned()
    ));
}

#[test]
fn renaming_a_rule_or_the_token_changes_nothing() {
    let renamed = BASE.replace("staging-writes", "writes-to-staging");
    assert!(diff(&map(BASE), &map_with("", "ci-agent", &renamed), &words()).is_empty());
}

#[test]
fn removing_a_deny_widens_what_it_stopped() {
    let old = format!(
        "{BASE}\n[[token.rule]]\nid = \"no-volumes\"\neffect = \"deny\"\noperations = [\"railway:volume*\"]\n"
    );
    let changes = diff(&map(&old), &map(BASE), &words());
    assert_eq!(
        summary(&changes),
        ["ci railway:volumeDelete [] deny→approve"]
    );
    assert!(changes[0].widens());
}

#[test]
fn a_class_rule_replaced_by_an_equivalent_list_changes_nothing() {
    let listed = BASE.replace("class = [\"read\"]", "operations = [\"railway:projects\"]");
    assert!(diff(&map(BASE), &map(&listed), &words()).is_empty());
}

#[test]
fn a_wider_resource_pattern_widens_for_the_values_it_newly_matches() {
    let new = BASE.replace("env-staging-*", "env-*");
    let changes = diff(&map(BASE), &map(&new), &words());
    assert_eq!(
        summary(&changes),
        [
            "ci railway:customDomainCreate [environmentId=env-x] deny→allow",
            "ci railway:variableUpsert [environmentId=env-x] deny→allow",
        ]
    );
}

#[test]
fn a_token_removed_falls_to_unknown_token_and_observe_mode_forwards() {
    let empty = ScopeMap::from_toml("t.toml", "version = 1\n").unwrap();
    let changes = diff(&map(BASE), &empty, &words());
    assert!(
        changes
            .iter()
            .all(|c| !c.widens() && c.new_rule == "builtin:unknown-token")
    );
    assert_eq!(changes.len(), 4, "{:?}", summary(&changes));
    let observe = map_with("", "ci", &format!("mode = \"observe\"\n{BASE}"));
    let changes = diff(&map(BASE), &observe, &words());
    let s = summary(&changes);
    assert!(
        s.contains(&"ci railway:volumeDelete [] approve→allow".to_owned()),
        "{s:?}"
    );
    assert!(
        s.contains(&"ci railway:variableUpsert [] deny→allow".to_owned()),
        "{s:?}"
    );
    assert!(
        changes
            .iter()
            .all(|c| c.widens() && c.new_rule.contains("observe mode"))
    );
    let approve_unknown = ScopeMap::from_toml(
        "t.toml",
        "version = 1\n[settings]\nunknown_token = \"approve\"\n",
    )
    .unwrap();
    let changes = diff(&empty, &approve_unknown, &words());
    assert_eq!(summary(&changes), ["(unknown token) * [] deny→approve"]);
    assert!(changes[0].widens());
}

/// A logged decision of `op` by token `ci` (fingerprint prefix, or name
/// only when `prefix` is false).
fn record(
    id: &str,
    op: &str,
    class: OpClass,
    approval: Option<&str>,
    prefix: bool,
) -> DecisionRecord {
    let ops = [Operation::new("railway", op, class)];
    let d = evaluate(&map(BASE), &PresentedCredential::None, &ops);
    let mut r = DecisionRecord::from_decision(scopegate_model::DecisionId::new(id), &d);
    r.token = Some("ci".into());
    r.fingerprint_prefix = prefix.then(|| FP[7..19].to_owned());
    r.approval = approval.map(str::to_owned);
    r
}

#[test]
fn replaying_the_log_names_the_real_requests_that_would_change() {
    let new = BASE.replace("effect = \"approve\"", "effect = \"allow\"");
    let records = [
        record(
            "dec_1",
            "volumeDelete",
            OpClass::Destructive,
            Some("held apr_1"),
            true,
        ),
        record(
            "dec_2",
            "volumeDelete",
            OpClass::Destructive,
            Some("approved apr_1 by alice"),
            true,
        ),
        record("dec_3", "projects", OpClass::Read, None, true),
        record("dec_4", "volumeDelete", OpClass::Destructive, None, false),
    ];
    let changed = replay(&map(BASE), &map(&new), &records);
    let ids: Vec<&str> = changed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["dec_1", "dec_4"],
        "an approval step repeats its request; a read does not change"
    );
    assert!(
        changed
            .iter()
            .all(|r| r.widens() && r.old == Verdict::Hold && r.new == Verdict::Allow)
    );
    // found by name when the new map changed the token's fingerprint
    let other = format!(
        "version = 1\n[[token]]\nname = \"ci\"\nfingerprint = \"sha256:{}\"\n{new}",
        "ab".repeat(32)
    );
    let other = ScopeMap::from_toml("t.toml", &other).unwrap();
    let changed = replay(&map(BASE), &other, &records[3..]);
    assert_eq!(changed.len(), 1);
    assert!(replay(&map(BASE), &map(BASE), &records).is_empty());
}

#[test]
fn a_token_with_a_fingerprint_and_a_surrogate_is_one_set_of_changes() {
    let z = "0".repeat(64);
    let with_surrogate = |rules: &str| {
        let text = format!(
            "version = 1\n[[token]]\nname = \"ci\"\nfingerprint = \"{FP}\"\nsurrogate = \"sha256:{z}\"\nsecret = {{ env = \"X\" }}\n{rules}"
        );
        ScopeMap::from_toml("t.toml", &text).unwrap()
    };
    let new = BASE.replace("effect = \"approve\"", "effect = \"allow\"");
    let changes = diff(&with_surrogate(BASE), &with_surrogate(&new), &words());
    assert_eq!(
        summary(&changes),
        ["ci railway:volumeDelete [] approve→allow"]
    );
}

use proptest::prelude::*;
use scopegate_model::Fingerprint;

use super::*;

const FP: &str = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62";

fn map(rules: &str) -> ScopeMap {
    map_with("", rules)
}

fn map_with(token_extra: &str, rules: &str) -> ScopeMap {
    let text = format!(
        "version = 1\n[[token]]\nname = \"t\"\nfingerprint = \"{FP}\"\n{token_extra}\n{rules}"
    );
    ScopeMap::from_toml("t.toml", &text).unwrap()
}

fn cred() -> PresentedCredential {
    PresentedCredential::One {
        fingerprint: Fingerprint::parse(FP).unwrap(),
        location: "authorization:bearer".parse().unwrap(),
        also: vec![],
    }
}

fn op(name: &str, class: OpClass) -> Operation {
    Operation::new("railway", name, class)
}

fn op_in(name: &str, class: OpClass, env: &str) -> Operation {
    let mut o = op(name, class);
    o.add_resource("environmentId", env.into());
    o
}

const RULES: &str = r#"
[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "domains"
effect = "allow"
operations = ["railway:customDomainCreate", "railway:customDomainDelete"]
resources = { environmentId = ["env-staging-*"] }

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]

[[token.rule]]
id = "never-volumes"
effect = "deny"
operations = ["railway:volume*Delete"]
"#;

#[test]
fn deny_beats_approve_beats_allow() {
    let m = map(RULES);
    let d = evaluate(&m, &cred(), &[op("volumeDelete", OpClass::Destructive)]);
    assert_eq!(
        (d.verdict, d.rule.0.as_str()),
        (Verdict::Deny, "t/never-volumes")
    );
    let d = evaluate(
        &m,
        &cred(),
        &[op_in(
            "customDomainDelete",
            OpClass::Destructive,
            "env-staging-1",
        )],
    );
    assert_eq!(
        (d.verdict, d.rule.0.as_str()),
        (Verdict::Hold, "t/hold-destructive")
    );
    let d = evaluate(
        &m,
        &cred(),
        &[op_in("customDomainCreate", OpClass::Write, "env-staging-1")],
    );
    assert_eq!(
        (d.verdict, d.rule.0.as_str()),
        (Verdict::Allow, "t/domains")
    );
    assert_eq!(d.token.as_deref(), Some("t"));
}

#[test]
fn except_takes_operations_out_of_a_rule() {
    let m = map(r#"
[[token.rule]]
id = "domains"
effect = "allow"
operations = ["railway:customDomainDelete"]

[[token.rule]]
id = "hold"
effect = "approve"
class = ["destructive"]
except = ["railway:customDomainDelete"]
"#);
    let d = evaluate(
        &m,
        &cred(),
        &[op("customDomainDelete", OpClass::Destructive)],
    );
    assert_eq!(
        (d.verdict, d.rule.0.as_str()),
        (Verdict::Allow, "t/domains")
    );
    let d = evaluate(&m, &cred(), &[op("volumeDelete", OpClass::Destructive)]);
    assert_eq!((d.verdict, d.rule.0.as_str()), (Verdict::Hold, "t/hold"));
}

#[test]
fn resource_conditions_need_every_value_to_match() {
    let m = map(RULES);
    let prod = op_in("customDomainCreate", OpClass::Write, "env-prod");
    let d = evaluate(&m, &cred(), &[prod]);
    assert_eq!(
        (d.verdict, d.rule.0.as_str()),
        (Verdict::Deny, "builtin:no-matching-rule")
    );
    let mut both = op_in("customDomainCreate", OpClass::Write, "env-staging-1");
    both.add_resource("environmentId", "env-prod".into());
    assert_eq!(evaluate(&m, &cred(), &[both]).verdict, Verdict::Deny);
    // no environmentId at all: the condition does not hold
    assert_eq!(
        evaluate(&m, &cred(), &[op("customDomainCreate", OpClass::Write)]).verdict,
        Verdict::Deny
    );
}

#[test]
fn a_request_is_allowed_only_if_every_operation_is() {
    let m = map(RULES);
    let d = evaluate(
        &m,
        &cred(),
        &[
            op("me", OpClass::Read),
            op("volumeDelete", OpClass::Destructive),
            op("project", OpClass::Read),
        ],
    );
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.operations.len(), 3);
    assert_eq!(d.operations[0].verdict, Verdict::Allow);
    let d = evaluate(
        &m,
        &cred(),
        &[
            op("me", OpClass::Read),
            op("serviceDelete", OpClass::Destructive),
        ],
    );
    assert_eq!(d.verdict, Verdict::Hold);
    assert!(d.reason.contains("serviceDelete"), "{}", d.reason);
}

#[test]
fn unknown_needs_a_rule_that_names_it() {
    let m = map("[[token.rule]]\nid = \"all\"\neffect = \"allow\"\noperations = [\"*:*\"]\n");
    let u = Operation::unknown("railway", "unreadable-body", "bad json");
    let d = evaluate(&m, &cred(), std::slice::from_ref(&u));
    assert_eq!(
        (d.verdict, d.rule.0.as_str()),
        (Verdict::Deny, "builtin:no-matching-rule")
    );
    assert!(d.reason.contains("bad json"), "{}", d.reason);
    let m = map("[[token.rule]]\nid = \"u\"\neffect = \"approve\"\nclass = [\"unknown\"]\n");
    assert_eq!(evaluate(&m, &cred(), &[u]).verdict, Verdict::Hold);
}

#[test]
fn unknown_missing_and_ambiguous_credentials() {
    let m = map(RULES);
    let ops = [op("me", OpClass::Read)];
    let other = PresentedCredential::One {
        fingerprint: Fingerprint::of(b"other"),
        location: "header:x".parse().unwrap(),
        also: vec![],
    };
    let d = evaluate(&m, &other, &ops);
    assert_eq!(
        (d.verdict, d.rule.0.as_str()),
        (Verdict::Deny, "builtin:unknown-token")
    );
    assert!(!d.reason.contains(&Fingerprint::of(b"other").to_hex()));
    assert_eq!(
        evaluate(&m, &PresentedCredential::None, &ops).verdict,
        Verdict::Deny
    );
    let amb = PresentedCredential::Ambiguous { why: "two".into() };
    assert_eq!(
        evaluate(&m, &amb, &ops).rule.0,
        "builtin:ambiguous-credential"
    );
    let lenient = ScopeMap::from_toml(
        "t",
        "version = 1\n[settings]\nunknown_token = \"approve\"\n",
    )
    .unwrap();
    assert_eq!(evaluate(&lenient, &other, &ops).verdict, Verdict::Hold);
    // ambiguity is refused whatever the default
    assert_eq!(evaluate(&lenient, &amb, &ops).verdict, Verdict::Deny);
    assert_eq!(evaluate(&m, &cred(), &[]).verdict, Verdict::Deny);
}

fn arb_class() -> impl Strategy<Value = OpClass> {
    prop::sample::select(OpClass::ALL.to_vec())
}

fn arb_op() -> impl Strategy<Value = Operation> {
    (
        prop::sample::select(vec![
            "volumeDelete",
            "customDomainCreate",
            "me",
            "serviceDelete",
            "x",
        ]),
        arb_class(),
        prop::option::of(prop::sample::select(vec!["env-staging-1", "env-prod"])),
    )
        .prop_map(|(n, c, env)| match env {
            Some(e) => op_in(n, c, e),
            None => op(n, c),
        })
}

proptest! {
    #[test]
    fn verdict_is_the_strictest_operation_verdict(ops in prop::collection::vec(arb_op(), 1..6)) {
        let m = map(RULES);
        let d = evaluate(&m, &cred(), &ops);
        let worst = d.operations.iter().map(|o| o.verdict).max().unwrap();
        prop_assert_eq!(d.verdict, worst);
        // evaluating operations one by one agrees
        for (o, v) in ops.iter().zip(&d.operations) {
            prop_assert_eq!(evaluate(&m, &cred(), std::slice::from_ref(o)).verdict, v.verdict);
        }
    }

    #[test]
    fn unknown_is_never_allowed_without_naming_it(ops in prop::collection::vec(arb_op(), 1..6)) {
        let m = map("[[token.rule]]\nid = \"all\"\neffect = \"allow\"\noperations = [\"*\"]\nclass = [\"read\", \"write\", \"destructive\"]\n");
        let d = evaluate(&m, &cred(), &ops);
        if ops.iter().any(|o| o.class == OpClass::Unknown) {
            prop_assert_ne!(d.verdict, Verdict::Allow);
        }
    }

    #[test]
    fn adding_a_deny_rule_never_loosens(ops in prop::collection::vec(arb_op(), 1..6), pat in prop::sample::select(vec!["railway:*", "railway:me", "*:*Delete"])) {
        let base = evaluate(&map(RULES), &cred(), &ops).verdict;
        let stricter = format!("{RULES}\n[[token.rule]]\nid = \"extra\"\neffect = \"deny\"\noperations = [\"{pat}\"]\n");
        let after = evaluate(&map(&stricter), &cred(), &ops).verdict;
        prop_assert!(after >= base);
    }

    #[test]
    fn observe_mode_changes_the_mode_never_the_verdict(ops in prop::collection::vec(arb_op(), 1..6)) {
        let enforce = evaluate(&map(RULES), &cred(), &ops);
        let observe = evaluate(&map_with("mode = \"observe\"", RULES), &cred(), &ops);
        prop_assert_eq!(enforce.verdict, observe.verdict);
        prop_assert_eq!(&enforce.rule, &observe.rule);
        prop_assert_eq!(observe.mode, Mode::Observe);
        prop_assert!(observe.forwards());
    }
}

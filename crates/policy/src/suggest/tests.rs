use super::*;
use crate::{ScopeMap, evaluate};
use scopegate_model::{
    Decision, DecisionId, Fingerprint, Mode, PresentedCredential, RuleRef, Verdict,
};

const FP: &str = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62";

fn identity() -> Token {
    let text = format!(
        "version = 1\n[[token]]\nname = \"agent\"\nfingerprint = \"{FP}\"\nmode = \"observe\"\n"
    );
    ScopeMap::from_toml("t.toml", &text)
        .unwrap()
        .tokens
        .remove(0)
}

fn op(name: &str, class: OpClass, res: &[(&str, &str)], env: Option<&str>) -> Operation {
    let mut o = Operation::new("railway", name, class);
    for (k, v) in res {
        o.add_resource(k, (*v).to_owned());
    }
    if let Some(e) = env {
        o.set_attribute("environment", Attribute::known([e.to_owned()]));
    }
    o
}

fn record(id: &str, at: i64, token: &str, forwarded: bool, ops: Vec<Operation>) -> DecisionRecord {
    let d = Decision {
        verdict: Verdict::Deny,
        mode: Mode::Observe,
        rule: RuleRef::builtin("no-matching-rule"),
        reason: String::new(),
        token: Some(token.into()),
        operations: Vec::new(),
    };
    let mut r = DecisionRecord::from_decision(DecisionId::new(id), &d);
    r.at_unix_ms = at;
    r.forwarded = forwarded;
    r.operations = ops;
    r
}

fn log() -> Vec<DecisionRecord> {
    let day = 86_400_000;
    vec![
        record(
            "dec_1",
            1_796_126_400_000,
            "agent",
            true,
            vec![op("me", OpClass::Read, &[], None)],
        ),
        record(
            "dec_2",
            1_796_126_400_000 + day,
            "agent",
            true,
            vec![op(
                "variableUpsert",
                OpClass::Write,
                &[("environmentId", "env-s1")],
                Some("staging"),
            )],
        ),
        record(
            "dec_3",
            1_796_126_400_000 + 2 * day,
            "agent",
            true,
            vec![op(
                "volumeDelete",
                OpClass::Destructive,
                &[("volumeId", "vol-7")],
                None,
            )],
        ),
        // refused, never happened: not evidence
        record(
            "dec_4",
            1_796_126_400_000,
            "agent",
            false,
            vec![op("projectDelete", OpClass::Destructive, &[], None)],
        ),
        // another token's
        record(
            "dec_5",
            1_796_126_400_000,
            "ci",
            true,
            vec![op("serviceDelete", OpClass::Destructive, &[], None)],
        ),
        record(
            "dec_6",
            1_796_126_400_000,
            "agent",
            true,
            vec![op("mysteryField", OpClass::Unknown, &[], None)],
        ),
    ]
}

fn verdict(map: &ScopeMap, op: Operation) -> Verdict {
    let c = PresentedCredential::One {
        fingerprint: Fingerprint::parse(FP).unwrap(),
        location: scopegate_model::CredentialLocation::Header("t".into()),
        also: Vec::new(),
    };
    evaluate(map, &c, &[op]).verdict
}

#[test]
fn the_draft_allows_what_was_used_holds_what_destroys_and_denies_the_rest() {
    let text = draft(&identity(), &log(), false);
    let map = ScopeMap::from_toml("draft.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        map.tokens[0].mode,
        Mode::Enforce,
        "the draft is for enforcing"
    );
    assert_eq!(
        verdict(&map, op("me", OpClass::Read, &[], None)),
        Verdict::Allow
    );
    let staging = op(
        "variableUpsert",
        OpClass::Write,
        &[("environmentId", "env-s2")],
        Some("staging"),
    );
    assert_eq!(
        verdict(&map, staging),
        Verdict::Allow,
        "widened to the environment's name"
    );
    let prod = op(
        "variableUpsert",
        OpClass::Write,
        &[("environmentId", "env-p")],
        Some("production"),
    );
    assert_eq!(verdict(&map, prod), Verdict::Deny);
    assert_eq!(
        verdict(
            &map,
            op(
                "volumeDelete",
                OpClass::Destructive,
                &[("volumeId", "vol-7")],
                None
            )
        ),
        Verdict::Hold
    );
    assert_eq!(
        verdict(
            &map,
            op(
                "volumeDelete",
                OpClass::Destructive,
                &[("volumeId", "vol-8")],
                None
            )
        ),
        Verdict::Deny,
        "ids are listed, not widened"
    );
    assert_eq!(
        verdict(&map, op("projectDelete", OpClass::Destructive, &[], None)),
        Verdict::Deny
    );
    assert_eq!(
        verdict(&map, op("serviceDelete", OpClass::Destructive, &[], None)),
        Verdict::Deny
    );
    assert!(
        text.contains("Unknown operations seen, left denied: railway:mysteryField."),
        "{text}"
    );
    assert!(text.contains("# 1 request(s), between 2026-12-03T12:00:00Z and 2026-12-03T12:00:00Z; destructive: held for a human, never allowed"), "{text}");
    assert!(!text.contains("dec_"), "ids only with explain");
    let explained = draft(&identity(), &log(), true);
    assert!(explained.contains("# covers: dec_3"), "{explained}");
}

#[test]
fn strings_are_quoted_for_toml() {
    assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    assert_eq!(quote("x\ny"), "\"x\\u000Ay\"");
}

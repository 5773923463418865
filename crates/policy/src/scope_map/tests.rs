use super::*;

const FP: &str = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62";

#[test]
fn parses_a_complete_map() {
    let text = format!(
        r#"
version = 1
[settings]
unknown_token = "approve"

[[token]]
name = "ci"
fingerprint = "{FP}"
mode = "observe"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token]]
name = "agent"
surrogate = "sha256:{z}"
secret = {{ env = "RAILWAY_TOKEN" }}

[[token.rule]]
id = "staging"
effect = "allow"
operations = ["railway:customDomain*"]
resources = {{ environmentId = ["env-staging"] }}
"#,
        z = "0".repeat(64)
    );
    let m = ScopeMap::from_toml("t.toml", &text).unwrap();
    assert_eq!(m.unknown_token, Verdict::Hold);
    assert_eq!(m.tokens.len(), 2);
    assert_eq!(m.tokens[0].mode, Mode::Observe);
    let (t, surrogate) = m.token_for(&Fingerprint::parse(FP).unwrap()).unwrap();
    assert_eq!((t.name.as_str(), surrogate), ("ci", false));
    let (t, surrogate) = m
        .token_for(&Fingerprint::parse(&"0".repeat(64)).unwrap())
        .unwrap();
    assert_eq!((t.name.as_str(), surrogate), ("agent", true));
    assert_eq!(
        t.surrogate.as_ref().unwrap().secret,
        SecretRef::Env("RAILWAY_TOKEN".into())
    );
}

#[test]
fn reports_every_problem_with_its_location() {
    let text = format!(
        r#"version = 1
[[token]]
name = "a"
fingerprint = "sha256:nothex"
mode = "loud"

[[token.rule]]
id = "r"
effect = "permit"
operations = ["volumeDelete"]
class = ["dangerous"]

[[token.rule]]
id = "r"
effect = "allow"

[[token]]
name = "a"
fingerprint = "{FP}"
"#
    );
    let e = ScopeMap::from_toml("bad.toml", &text).unwrap_err();
    let lines: Vec<(usize, &str)> = e
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(lines.len(), 7, "{e}");
    assert!(
        lines.contains(&(4, "expected sha256:<64 hex digits>")),
        "{e}"
    );
    assert!(
        lines
            .iter()
            .any(|(l, m)| *l == 5 && m.contains("mode `loud`")),
        "{e}"
    );
    assert!(
        lines
            .iter()
            .any(|(l, m)| *l == 9 && m.contains("effect `permit`")),
        "{e}"
    );
    assert!(
        lines
            .iter()
            .any(|(l, m)| *l == 10 && m.contains("names no provider")),
        "{e}"
    );
    assert!(
        lines
            .iter()
            .any(|(l, m)| *l == 11 && m.contains("class `dangerous`")),
        "{e}"
    );
    assert!(
        lines
            .iter()
            .any(|(l, m)| *l == 14 && m.contains("used twice")),
        "{e}"
    );
    assert!(
        lines
            .iter()
            .any(|(l, m)| *l == 18 && m.contains("defined twice")),
        "{e}"
    );
    assert!(e.to_string().starts_with("bad.toml:"));
}

#[test]
fn refuses_unknown_fields_and_versions() {
    let e = ScopeMap::from_toml(
        "x.toml",
        "version = 1\n[[token]]\nname = \"a\"\nfingerprnt = \"x\"\n",
    )
    .unwrap_err();
    assert_eq!(e.problems[0].line, 4, "{e}");
    assert!(e.problems[0].message.contains("fingerprnt"), "{e}");
    let e = ScopeMap::from_toml("x.toml", "version = 2\n").unwrap_err();
    assert!(e.problems[0].message.contains("version 2"), "{e}");
    let e = ScopeMap::from_toml("x.toml", &format!("version = 1\n[[token]]\nname=\"a\"\nfingerprint=\"{FP}\"\n[[token]]\nname=\"b\"\nfingerprint=\"{FP}\"\n")).unwrap_err();
    assert!(e.problems[0].message.contains("already used"), "{e}");
    assert!(ScopeMap::from_toml("x.toml", "version = 1\n[[token]]\nname=\"a\"\n").is_err());
}

fn vocabulary() -> Vocabulary {
    use scopegate_model::OperationWord;
    let w = |p: &str, n: &str, classes: &[OpClass], res: &[&str]| OperationWord {
        provider: p.into(),
        name: n.into(),
        classes: classes.to_vec(),
        resources: res.iter().map(|r| (*r).to_owned()).collect(),
    };
    Vocabulary::new([
        w(
            "railway",
            "volumeDelete",
            &[OpClass::Destructive],
            &["volumeId"],
        ),
        w(
            "railway",
            "volumeCreate",
            &[OpClass::Write],
            &["projectId", "environmentId"],
        ),
        w(
            "railway",
            "environmentPatchCommit",
            &[OpClass::Write, OpClass::Destructive],
            &["environmentId"],
        ),
        w("railway", "me", &[OpClass::Read], &[]),
        w(
            "github",
            "repos/delete",
            &[OpClass::Destructive],
            &["owner", "repo", "repository"],
        ),
    ])
}

fn checked(rules: &str) -> Result<ScopeMap, PolicyError> {
    let text = format!("version = 1\n[[token]]\nname = \"t\"\nfingerprint = \"{FP}\"\n{rules}");
    ScopeMap::from_toml_checked("t.toml", &text, &vocabulary())
}

fn messages(e: &PolicyError) -> String {
    e.to_string()
}

#[test]
fn names_that_match_no_catalogued_operation_are_errors_with_suggestions() {
    let e = checked(
        "[[token.rule]]\nid = \"all\"\neffect = \"allow\"\n\
         [[token.rule]]\nid = \"never-delete\"\neffect = \"deny\"\noperations = [\"railway:volumeDelte\"]\n",
    )
    .unwrap_err();
    let m = messages(&e);
    assert!(m.contains("t.toml:11:"), "{m}");
    assert!(
        m.contains("`railway:volumeDelte` matches no operation"),
        "{m}"
    );
    assert!(m.contains("did you mean `railway:volumeDelete`?"), "{m}");

    for (pattern, want) in [
        ("railwy:volumeDelete", "did you mean `railway`?"),
        ("railway:[volume", "has `[`"),
        ("railway:volume*Delte", "matches no operation"),
    ] {
        let e = checked(&format!(
            "[[token.rule]]\nid = \"r\"\neffect = \"deny\"\nexcept = [\"{pattern}\"]\n"
        ))
        .unwrap_err();
        assert!(messages(&e).contains(want), "{pattern}: {e}");
    }
    // globs that match something, and the unchecked parser, are fine
    checked("[[token.rule]]\nid = \"r\"\neffect = \"deny\"\noperations = [\"railway:volume*\", \"*:repos/*\", \"*\"]\n").unwrap();
    let text = format!(
        "version = 1\n[[token]]\nname = \"t\"\nfingerprint = \"{FP}\"\n[[token.rule]]\nid = \"r\"\neffect = \"deny\"\noperations = [\"railway:volumeDelte\"]\n"
    );
    ScopeMap::from_toml("t.toml", &text).unwrap();
}

#[test]
fn resource_keys_the_matched_operations_never_name_are_errors() {
    let e = checked(
        "[[token.rule]]\nid = \"prod\"\neffect = \"deny\"\noperations = [\"railway:volume*\"]\nresources = { environmentID = [\"env-prod\"] }\n",
    )
    .unwrap_err();
    let m = messages(&e);
    assert!(m.contains("resource `environmentID`"), "{m}");
    assert!(m.contains("did you mean `environmentId`?"), "{m}");
    // volumeDelete carries only a volume id: this deny could never match
    let e = checked(
        "[[token.rule]]\nid = \"prod\"\neffect = \"deny\"\noperations = [\"railway:volumeDelete\"]\nresources = { environmentId = [\"env-prod\"] }\n",
    )
    .unwrap_err();
    assert!(messages(&e).contains("name: volumeId"), "{e}");
    checked("[[token.rule]]\nid = \"ok\"\neffect = \"allow\"\nresources = { repository = [\"acme/*\"] }\n").unwrap();
}

#[test]
fn a_rule_another_always_overrides_is_a_warning() {
    let m = checked(
        "[[token.rule]]\nid = \"no-destroy\"\neffect = \"deny\"\nclass = [\"destructive\"]\n\
         [[token.rule]]\nid = \"volumes\"\neffect = \"allow\"\noperations = [\"railway:volumeDelete\"]\n\
         [[token.rule]]\nid = \"reads\"\neffect = \"allow\"\nclass = [\"read\"]\n",
    )
    .unwrap();
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    let w = m.warning_lines("t.toml").join("\n");
    assert!(
        w.contains("t.toml:10:")
            && w.contains("rule `volumes` of token `t` never decides: rule `no-destroy` (deny)"),
        "{w}"
    );
    // a resource-conditioned deny does not shadow: it may not match
    let m = checked(
        "[[token.rule]]\nid = \"prod\"\neffect = \"deny\"\nresources = { environmentId = [\"env-prod\"] }\n\
         [[token.rule]]\nid = \"writes\"\neffect = \"allow\"\noperations = [\"railway:volumeCreate\"]\n",
    )
    .unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

fn one_rule(rule: &str) -> Result<ScopeMap, PolicyError> {
    let text = format!(
        "version = 1\n[[token]]\nname = \"agent\"\nfingerprint = \"{FP}\"\n[[token.rule]]\nid = \"r\"\n{rule}\n"
    );
    ScopeMap::from_toml("t.toml", &text)
}

#[test]
fn an_approve_rule_says_who_decides() {
    let m = one_rule("effect = \"approve\"\napprovers = 2\nself_approval = false").unwrap();
    assert_eq!(
        m.rule("agent/r").unwrap().who_decides,
        WhoDecides {
            approvers: 2,
            self_approval: false
        }
    );
    let plain = one_rule("effect = \"approve\"").unwrap();
    assert_eq!(
        plain.rule("agent/r").unwrap().who_decides,
        WhoDecides::default()
    );
}

#[test]
fn who_decides_is_refused_where_it_would_mean_nothing() {
    for (rule, says) in [
        (
            "effect = \"allow\"\napprovers = 2",
            "only an `approve` rule has approvers",
        ),
        (
            "effect = \"deny\"\nself_approval = false",
            "only an `approve` rule has approvers",
        ),
        (
            "effect = \"approve\"\napprovers = 0",
            "approvers = 0 is not between 1 and 5",
        ),
        (
            "effect = \"approve\"\napprovers = 6",
            "approvers = 6 is not between 1 and 5",
        ),
        ("effect = \"approve\"\napprovers = \"two\"", "invalid type"),
    ] {
        let e = one_rule(rule).expect_err(rule);
        assert!(messages(&e).contains(says), "{rule}: {}", messages(&e));
    }
}

#[test]
fn an_aws_surrogate_names_its_signing_secret_and_its_real_key() {
    let z = "0".repeat(64);
    let map = |extra: &str| {
        format!("version = 1\n[[token]]\nname = \"aws-agent\"\nsurrogate = \"sha256:{z}\"\n{extra}")
    };
    let ok = map(
        "surrogate_secret = { file = \"aws-agent.secret\" }\nsecret = { file = \"aws-real-key.json\" }\n",
    );
    let m = ScopeMap::from_toml("t.toml", &ok).unwrap();
    let s = m.tokens[0].surrogate.as_ref().unwrap();
    assert_eq!(s.signing, Some(SecretRef::File("aws-agent.secret".into())));
    assert_eq!(s.secret, SecretRef::File("aws-real-key.json".into()));

    let problems = |text: &str| ScopeMap::from_toml("t.toml", text).unwrap_err().to_string();
    let both = map("surrogate_secret = { file = \"a\", env = \"B\" }\nsecret = { env = \"C\" }\n");
    assert!(
        problems(&both).contains("surrogate_secret needs exactly one of env or file"),
        "{}",
        problems(&both)
    );
    let no_secret = map("surrogate_secret = { env = \"B\" }\n");
    assert!(problems(&no_secret).contains("has a surrogate but no secret"));
    let stray = format!(
        "version = 1\n[[token]]\nname = \"ci\"\nfingerprint = \"{FP}\"\nsurrogate_secret = {{ env = \"B\" }}\n"
    );
    assert!(problems(&stray).contains("has a surrogate_secret but no surrogate"));
}

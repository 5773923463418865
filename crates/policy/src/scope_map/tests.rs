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
    assert_eq!(m.unknown_token, Verdict::Approve);
    assert_eq!(m.tokens.len(), 2);
    assert_eq!(m.tokens[0].mode, Mode::Observe);
    let (t, surrogate) = m.token_for(&Fingerprint::parse(FP).unwrap()).unwrap();
    assert_eq!((t.name.as_str(), surrogate), ("ci", false));
    let (t, surrogate) = m
        .token_for(&Fingerprint::parse(&"0".repeat(64)).unwrap())
        .unwrap();
    assert_eq!((t.name.as_str(), surrogate), ("agent", true));
    assert_eq!(
        t.surrogate.as_ref().unwrap().1,
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

use super::*;
use crate::ScopeMap;
use scopegate_model::{Decision, DecisionId, Mode, Operation, RuleRef, Verdict};

const FP: &str = "sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62";

fn spec(provider: &str) -> Option<&'static BreadthSpec> {
    static GITHUB: std::sync::OnceLock<BreadthSpec> = std::sync::OnceLock::new();
    static RAILWAY: std::sync::OnceLock<BreadthSpec> = std::sync::OnceLock::new();
    let parse = |t: &str| toml::from_str::<BreadthSpec>(t).unwrap();
    match provider {
        "github" => Some(GITHUB.get_or_init(|| {
            parse(include_str!(
                "../../../../config/catalog/github.breadth.toml"
            ))
        })),
        "railway" => Some(RAILWAY.get_or_init(|| {
            parse(include_str!(
                "../../../../config/catalog/railway.breadth.toml"
            ))
        })),
        _ => None,
    }
}

fn map(rules: &str) -> ScopeMap {
    let text = format!("version = 1\n[[token]]\nname = \"agent\"\nfingerprint = \"{FP}\"\n{rules}");
    ScopeMap::from_toml("t.toml", &text).unwrap()
}

fn word(provider: &str, name: &str, class: OpClass, resources: &[&str]) -> OperationWord {
    OperationWord {
        provider: provider.into(),
        name: name.into(),
        classes: vec![class],
        resources: resources.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn words() -> Vec<OperationWord> {
    let repo = &["repository", "owner", "repo"];
    let env = &["environmentId", "environment"];
    vec![
        word("github", "pulls/list", OpClass::Read, repo),
        word("github", "repos/get-content", OpClass::Read, repo),
        word("github", "issues/create", OpClass::Write, repo),
        word("github", "repos/delete", OpClass::Destructive, repo),
        word("railway", "deployments", OpClass::Read, env),
        word("railway", "volumeDelete", OpClass::Destructive, env),
    ]
}

fn github_read(id: &str, at: i64, name: &str, breadth: Option<Breadth>) -> DecisionRecord {
    let mut op = Operation::new("github", name, OpClass::Read);
    op.add_resource("repository", "acme/api".to_owned());
    record(id, at, "github", op, breadth)
}

fn record(id: &str, at: i64, provider: &str, op: Operation, b: Option<Breadth>) -> DecisionRecord {
    let d = Decision {
        verdict: Verdict::Allow,
        mode: Mode::Enforce,
        rule: RuleRef::builtin("test"),
        reason: String::new(),
        token: Some("agent".into()),
        operations: Vec::new(),
    };
    let mut r = DecisionRecord::from_decision(DecisionId::new(id), &d);
    r.at_unix_ms = at;
    r.provider = provider.into();
    r.forwarded = true;
    r.operations = vec![op];
    r.breadth = b;
    r.fingerprint_prefix = Some(FP["sha256:".len()..][..12].to_owned());
    r
}

fn classic(scopes: &str) -> Option<Breadth> {
    Some(Breadth {
        scopes: Some(scopes.into()),
        ..Breadth::default()
    })
}

/// The report for the map's one token over `log`.
fn of(m: &ScopeMap, log: &[DecisionRecord]) -> TokenBreadth {
    report(m, &m.tokens[0], log, &words(), spec)
}

const READS_OF_ONE_REPO: &str = "[[token.rule]]\nid = \"read-api\"\neffect = \"allow\"\noperations = [\"github:*\"]\nclass = [\"read\"]\nresources = { repository = [\"acme/api\"] }\n";

fn github_log(scopes: &str) -> Vec<DecisionRecord> {
    vec![
        github_read("d1", 1_000, "pulls/list", classic(scopes)),
        github_read("d2", 2_000, "repos/get-content", classic(scopes)),
    ]
}

#[test]
fn a_classic_token_with_delete_scopes_used_for_reads_is_over_scoped() {
    let m = map(READS_OF_ONE_REPO);
    let r = of(&m, &github_log("repo, delete_repo, admin:org"));
    assert_eq!(r.allowed.allow.get(&OpClass::Read), Some(&2));
    assert_eq!(r.allowed.power(), Some(OpClass::Read));
    assert_eq!(r.used.requests, 2);
    assert_eq!(r.used.by_class[&OpClass::Read].len(), 2);
    let g = &r.granted[0];
    assert_eq!(g.provider, "github");
    assert_eq!(g.power, Some(OpClass::Destructive));
    let o = g.over_scoped.as_ref().expect("over-scoped");
    assert!(o.why.contains("lets it delete"), "{}", o.why);
    assert_eq!(
        o.advice(),
        "create a fine-grained personal access token limited to repository acme/api with permissions contents=read, metadata=read, pull_requests=read"
    );
}

#[test]
fn a_grant_no_stronger_than_the_use_and_a_map_not_confined_is_not_over_scoped() {
    // Reads of any repository, with a read-only classic scope.
    let m = map(
        "[[token.rule]]\nid = \"read\"\neffect = \"allow\"\noperations = [\"github:*\"]\nclass = [\"read\"]\n",
    );
    let r = of(&m, &github_log("read:org"));
    assert_eq!(r.granted[0].power, Some(OpClass::Read));
    assert!(r.granted[0].over_scoped.is_none());
    // The same map with `repo`: it can delete, and nothing here does.
    let r = of(&m, &github_log("repo"));
    assert!(r.granted[0].over_scoped.is_some());
}

#[test]
fn a_map_confined_to_repositories_flags_an_account_wide_token_even_when_deletes_are_held() {
    let rules = format!(
        "{READS_OF_ONE_REPO}[[token.rule]]\nid = \"hold-deletes\"\neffect = \"approve\"\nclass = [\"destructive\"]\nresources = {{ repository = [\"acme/api\"] }}\n"
    );
    let m = map(&rules);
    let r = of(&m, &github_log("repo, delete_repo"));
    assert_eq!(r.allowed.approve.get(&OpClass::Destructive), Some(&1));
    let o = r.granted[0]
        .over_scoped
        .as_ref()
        .expect("over-scoped by span");
    assert!(o.why.contains("stay within"), "{}", o.why);
    // Unconfined, the same grant matches the map: not flagged.
    let m =
        map("[[token.rule]]\nid = \"all\"\neffect = \"approve\"\noperations = [\"github:*\"]\n");
    let r = of(&m, &github_log("repo, delete_repo"));
    assert!(r.granted[0].over_scoped.is_none());
}

#[test]
fn the_newest_answer_says_the_grant_and_accepted_permissions_add_up() {
    let m = map(READS_OF_ONE_REPO);
    let fine = |perm: &str| {
        Some(Breadth {
            accepted_permissions: Some(perm.into()),
            expires: Some("2027-01-01 00:00:00 UTC".into()),
            ..Breadth::default()
        })
    };
    let log = vec![
        github_read("d1", 1_000, "pulls/list", classic("repo")),
        github_read(
            "d2",
            3_000,
            "pulls/list",
            fine("pull_requests=read; issues=write"),
        ),
        github_read("d3", 2_000, "repos/get-content", fine("contents=read")),
        github_read("d4", 4_000, "repos/get-content", None),
    ];
    let r = of(&m, &log);
    let g = &r.granted[0];
    assert_eq!(g.seen_ms, 3_000);
    assert_eq!(
        g.breadth.expires.as_deref(),
        Some("2027-01-01 00:00:00 UTC")
    );
    // the newest answer is a fine-grained token's: no scopes listed, and
    // so no classic token to narrow
    assert_eq!(g.breadth.scopes, None);
    assert!(g.over_scoped.is_none());
    let needed: Vec<&str> = g.needed_permissions.iter().map(String::as_str).collect();
    assert_eq!(needed, ["contents=read", "pull_requests=read"]);
    let scopes: Vec<&str> = g.needed_scopes.iter().map(String::as_str).collect();
    assert!(scopes.is_empty(), "{scopes:?}");
}

#[test]
fn a_railway_account_token_used_in_one_environment_should_be_a_project_token() {
    let m = map(
        "[[token.rule]]\nid = \"staging\"\neffect = \"allow\"\noperations = [\"railway:*\"]\nclass = [\"read\"]\nresources = { environment = [\"staging\"] }\n",
    );
    let kind = |k: &str| {
        Some(Breadth {
            kind: Some(k.into()),
            ..Breadth::default()
        })
    };
    let mut op = Operation::new("railway", "deployments", OpClass::Read);
    op.add_resource("environmentId", "env-1".to_owned());
    op.set_attribute(
        "environment",
        scopegate_model::Attribute::known(["staging".to_owned()]),
    );
    let log = vec![record(
        "d1",
        1_000,
        "railway",
        op.clone(),
        kind("account or workspace token"),
    )];
    let r = of(&m, &log);
    let o = r.granted[0].over_scoped.as_ref().expect("over-scoped");
    assert_eq!(
        o.advice(),
        "create a project token limited to environment staging"
    );
    // A project token is the narrowest kind Railway has.
    let log = vec![record("d1", 1_000, "railway", op, kind("project token"))];
    let r = of(&m, &log);
    assert!(r.granted[0].over_scoped.is_none());
}

#[test]
fn other_tokens_and_unforwarded_requests_do_not_count() {
    let m = map(READS_OF_ONE_REPO);
    let mut log = github_log("repo");
    log[0].token = Some("other".into());
    log[1].forwarded = false;
    let r = of(&m, &log);
    assert_eq!(r.used.requests, 0);
    // The refused request's answer still says what the token has.
    assert_eq!(r.granted.len(), 1);
}

#[test]
fn another_providers_deletes_do_not_hide_an_over_scoped_grant() {
    // Railway deletes are held; GitHub is read-only: the GitHub grant that
    // can delete is still broader than the map and the use at GitHub.
    let rules = format!(
        "{READS_OF_ONE_REPO}[[token.rule]]\nid = \"railway-deletes\"\neffect = \"approve\"\noperations = [\"railway:*\"]\nclass = [\"destructive\"]\n"
    );
    let m = map(&rules);
    let r = of(&m, &github_log("repo"));
    assert_eq!(r.allowed.power(), Some(OpClass::Destructive));
    assert_eq!(r.allowed.power_by_provider["github"], OpClass::Read);
    let o = r.granted[0].over_scoped.as_ref().expect("over-scoped");
    assert!(o.why.contains("no further than read"), "{}", o.why);
}

#[test]
fn a_wildcard_pattern_confines_nothing() {
    // Deletes held anywhere: the grant's power matches the map's, and a
    // `*` pattern is no confinement, so nothing is flagged.
    let m = map(
        "[[token.rule]]\nid = \"any-repo\"\neffect = \"approve\"\noperations = [\"github:*\"]\nresources = { repository = [\"*\"] }\n",
    );
    let r = of(&m, &github_log("repo"));
    assert!(
        r.granted[0].over_scoped.is_none(),
        "{:?}",
        r.granted[0].over_scoped
    );
    // A pattern that names an owner does confine.
    let m = map(
        "[[token.rule]]\nid = \"acme\"\neffect = \"approve\"\noperations = [\"github:*\"]\nresources = { repository = [\"acme/*\"] }\n",
    );
    let r = of(&m, &github_log("repo"));
    assert!(r.granted[0].over_scoped.is_some());
}

#[test]
fn a_rotated_credentials_old_grant_does_not_count() {
    let m = map(READS_OF_ONE_REPO);
    let mut log = github_log("repo, delete_repo");
    for r in &mut log {
        r.fingerprint_prefix = Some("0123456789ab".into());
    }
    let r = of(&m, &log);
    assert!(r.granted.is_empty(), "another credential's answers");
    assert_eq!(r.used.requests, 2, "the token's use still counts");
    // The newest answer's scopes win over older ones: no longer able to
    // delete, the classic token is still broader than one repository.
    let mut log = github_log("repo, delete_repo");
    log.push(github_read("d3", 3_000, "pulls/list", classic("read:org")));
    let r = of(&m, &log);
    let g = &r.granted[0];
    assert_eq!(g.breadth.scopes.as_deref(), Some("read:org"));
    assert_eq!(g.power, Some(OpClass::Read));
    let o = g.over_scoped.as_ref().expect("over-scoped in span");
    assert!(o.why.contains("stay within"), "{}", o.why);
}

fn railway(id: &str, at: i64, env: &str, kind: &str) -> DecisionRecord {
    let mut op = Operation::new("railway", "deployments", OpClass::Read);
    op.add_resource("environmentId", format!("id-{env}"));
    op.set_attribute(
        "environment",
        scopegate_model::Attribute::known([env.to_owned()]),
    );
    let b = Breadth {
        kind: Some(kind.into()),
        ..Breadth::default()
    };
    record(id, at, "railway", op, Some(b))
}

const RAILWAY_READS: &str = "[[token.rule]]\nid = \"reads\"\neffect = \"allow\"\noperations = [\"railway:*\"]\nclass = [\"read\"]\nresources = { environment = [\"staging\", \"production\"] }\n";

#[test]
fn presenting_an_account_token_as_a_project_token_once_does_not_hide_it() {
    let m = map(RAILWAY_READS);
    let log = vec![
        railway("d1", 1_000, "staging", "account or workspace token"),
        railway("d2", 2_000, "staging", "project token"),
    ];
    let r = of(&m, &log);
    let g = &r.granted[0];
    assert_eq!(
        g.breadth.kind.as_deref(),
        Some("account or workspace token")
    );
    assert!(g.over_scoped.is_some());
}

#[test]
fn a_use_across_environments_needs_a_project_token_each() {
    let m = map(RAILWAY_READS);
    let mut log = vec![
        railway("d1", 1_000, "staging", "account or workspace token"),
        railway("d2", 2_000, "production", "account or workspace token"),
    ];
    let o = of(&m, &log).granted[0]
        .over_scoped
        .clone()
        .expect("over-scoped");
    assert_eq!(
        o.advice(),
        "create a project token for each of environment production, staging"
    );
    // An operation that names no environment is said, to be checked.
    log.push(record(
        "d3",
        3_000,
        "railway",
        Operation::new("railway", "me", OpClass::Read),
        None,
    ));
    let o = of(&m, &log).granted[0].over_scoped.clone().unwrap();
    assert!(
        o.advice()
            .ends_with("; check it can still do what was used outside them: railway:me"),
        "{}",
        o.advice()
    );
}

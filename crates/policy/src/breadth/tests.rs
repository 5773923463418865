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
    r
}

fn classic(scopes: &str) -> Option<Breadth> {
    Some(Breadth {
        scopes: Some(scopes.into()),
        ..Breadth::default()
    })
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
    let r = report(
        &m,
        &m.tokens[0],
        &github_log("repo, delete_repo, admin:org"),
        &words(),
        spec,
    );
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
    let r = report(&m, &m.tokens[0], &github_log("read:org"), &words(), spec);
    assert_eq!(r.granted[0].power, Some(OpClass::Read));
    assert!(r.granted[0].over_scoped.is_none());
    // The same map with `repo`: it can delete, and nothing here does.
    let r = report(&m, &m.tokens[0], &github_log("repo"), &words(), spec);
    assert!(r.granted[0].over_scoped.is_some());
}

#[test]
fn a_map_confined_to_repositories_flags_an_account_wide_token_even_when_deletes_are_held() {
    let rules = format!(
        "{READS_OF_ONE_REPO}[[token.rule]]\nid = \"hold-deletes\"\neffect = \"approve\"\nclass = [\"destructive\"]\nresources = {{ repository = [\"acme/api\"] }}\n"
    );
    let m = map(&rules);
    let r = report(
        &m,
        &m.tokens[0],
        &github_log("repo, delete_repo"),
        &words(),
        spec,
    );
    assert_eq!(r.allowed.approve.get(&OpClass::Destructive), Some(&1));
    let o = r.granted[0]
        .over_scoped
        .as_ref()
        .expect("over-scoped by span");
    assert!(o.why.contains("stay within"), "{}", o.why);
    // Unconfined, the same grant matches the map: not flagged.
    let m =
        map("[[token.rule]]\nid = \"all\"\neffect = \"approve\"\noperations = [\"github:*\"]\n");
    let r = report(
        &m,
        &m.tokens[0],
        &github_log("repo, delete_repo"),
        &words(),
        spec,
    );
    assert!(r.granted[0].over_scoped.is_none());
}

#[test]
fn newest_answers_win_and_accepted_permissions_add_up() {
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
    let r = report(&m, &m.tokens[0], &log, &words(), spec);
    let g = &r.granted[0];
    assert_eq!(g.seen_ms, 3_000);
    assert_eq!(
        g.breadth.expires.as_deref(),
        Some("2027-01-01 00:00:00 UTC")
    );
    assert_eq!(g.breadth.scopes.as_deref(), Some("repo"));
    let needed: Vec<&str> = g.needed_permissions.iter().map(String::as_str).collect();
    assert_eq!(needed, ["contents=read", "pull_requests=read"]);
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
    let r = report(&m, &m.tokens[0], &log, &words(), spec);
    let o = r.granted[0].over_scoped.as_ref().expect("over-scoped");
    assert_eq!(
        o.advice(),
        "create a project token limited to environment staging"
    );
    // A project token is the narrowest kind Railway has.
    let log = vec![record("d1", 1_000, "railway", op, kind("project token"))];
    let r = report(&m, &m.tokens[0], &log, &words(), spec);
    assert!(r.granted[0].over_scoped.is_none());
}

#[test]
fn other_tokens_and_unforwarded_requests_do_not_count() {
    let m = map(READS_OF_ONE_REPO);
    let mut log = github_log("repo");
    log[0].token = Some("other".into());
    log[1].forwarded = false;
    let r = report(&m, &m.tokens[0], &log, &words(), spec);
    assert_eq!(r.used.requests, 0);
    // The refused request's answer still says what the token has.
    assert_eq!(r.granted.len(), 1);
}

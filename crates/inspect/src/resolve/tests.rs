use serde_json::json;

use super::*;

fn railway() -> &'static Resolver {
    for_provider("railway").expect("the Railway resolver is bundled")
}

#[test]
fn bundled_resolvers_parse() {
    for (file, text) in RESOLVERS {
        Resolver::from_toml(file, text).unwrap();
    }
    assert_eq!(bundled().len(), RESOLVERS.len());
}

/// What the lookup query (`projects { ... }`) answers: two projects, a
/// volume with an instance in production mounted by Postgres.
fn projects() -> serde_json::Value {
    let env = |id: &str, name: &str| json!({ "node": { "id": id, "name": name } });
    json!({ "data": { "projects": { "edges": [
        { "node": {
            "id": "prj-1", "name": "pocketos",
            "environments": { "edges": [env("env-prod", "production"), env("env-stg", "staging")] },
            "services": { "edges": [{ "node": { "id": "svc-pg", "name": "Postgres",
                "serviceInstances": { "edges": [
                    { "node": { "id": "si-1", "environmentId": "env-prod", "serviceId": "svc-pg" } },
                    { "node": { "id": "si-2", "environmentId": "env-stg", "serviceId": "svc-pg" } }
                ]}}}]},
            "volumes": { "edges": [{ "node": { "id": "vol-prod", "name": "postgres-data",
                "volumeInstances": { "edges": [{ "node": {
                    "id": "vi-1", "mountPath": "/var/lib/postgresql/data",
                    "currentSizeMB": 4200.5, "sizeMB": 50000,
                    "environmentId": "env-prod", "serviceId": "svc-pg"
                }}]}}}]}
        }},
        { "node": { "id": "prj-2", "name": "blog",
            "environments": { "edges": [env("env-b", "pr-12")] } } }
    ]}}})
}

fn values(d: &Derived, key: &str) -> Vec<String> {
    d.get(key)
        .map(|v| v.iter().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn a_volume_resolves_to_its_project_environment_service_and_details() {
    let g = walk(railway(), &projects());
    let d = attributes(railway(), &g, "volumeId", "vol-prod").unwrap();
    assert_eq!(values(&d, "volume"), ["postgres-data"]);
    assert_eq!(values(&d, "project"), ["pocketos"]);
    assert_eq!(values(&d, "environment"), ["production"]);
    assert_eq!(values(&d, "service"), ["Postgres"]);
    assert_eq!(values(&d, "volume.mountPath"), ["/var/lib/postgresql/data"]);
    assert_eq!(values(&d, "volume.usedMB"), ["4200.5"]);
    assert_eq!(values(&d, "volume.sizeMB"), ["50000"]);
    for key in d.keys() {
        assert!(
            railway().yields("volumeId").contains(key),
            "{key} not in yields"
        );
    }
}

#[test]
fn services_environments_and_projects_resolve() {
    let g = walk(railway(), &projects());
    let s = attributes(railway(), &g, "serviceId", "svc-pg").unwrap();
    assert_eq!(values(&s, "service"), ["Postgres"]);
    assert_eq!(values(&s, "environment"), ["production", "staging"]);
    assert_eq!(values(&s, "project"), ["pocketos"]);
    let e = attributes(railway(), &g, "environmentId", "env-b").unwrap();
    assert_eq!(values(&e, "environment"), ["pr-12"]);
    assert_eq!(values(&e, "project"), ["blog"]);
    let p = attributes(railway(), &g, "projectId", "prj-2").unwrap();
    assert_eq!(values(&p, "project"), ["blog"]);
}

#[test]
fn an_id_the_response_lacks_is_none() {
    let g = walk(railway(), &projects());
    assert!(attributes(railway(), &g, "volumeId", "vol-other").is_none());
    assert!(attributes(railway(), &g, "deploymentId", "dep-1").is_none());
}

/// The Railway CLI's `Project` query (its shape, as `railway status` and
/// `railway up` send it): environments and services under `project`.
#[test]
fn the_cli_project_query_fills_environments_and_services() {
    let answer = json!({ "data": { "project": {
        "id": "prj-1", "name": "site", "workspaceId": "ws-1", "deletedAt": null,
        "workspace": { "name": "Acme" },
        "environments": { "edges": [
            { "node": { "id": "env-prod-1", "name": "production", "canAccess": true } },
            { "node": { "id": "env-staging-1", "name": "staging", "canAccess": true } }
        ]},
        "services": { "edges": [{ "node": { "id": "svc-web", "name": "web" } }] }
    }}});
    let g = walk(railway(), &answer);
    let all = everything(railway(), &g);
    let env = all
        .iter()
        .find(|(k, id, _)| k == "environmentId" && id == "env-staging-1")
        .unwrap();
    assert_eq!(values(&env.2, "environment"), ["staging"]);
    assert_eq!(values(&env.2, "project"), ["site"]);
    assert_eq!(all.len(), 4, "{all:?}");
}

fn load(text: &str) -> Result<scopegate_policy::ScopeMap, String> {
    let words = crate::CatalogSet::bundled().unwrap().words();
    let vocabulary = scopegate_policy::Vocabulary::new(words);
    scopegate_policy::ScopeMap::from_toml_checked("t.toml", text, &vocabulary)
        .map_err(|e| e.to_string())
}

#[test]
fn rules_may_name_resolved_attributes_and_typos_still_fail() {
    let example = include_str!("../../../../config/examples/railway-staging-agent.toml");
    load(example).unwrap();
    let rule = |key: &str| {
        format!(
            "version = 1\n[[token]]\nname = \"t\"\nfingerprint = \"sha256:{}\"\n\
             [[token.rule]]\nid = \"r\"\neffect = \"allow\"\n\
             operations = [\"railway:volumeDelete\"]\nresources = {{ \"{key}\" = [\"x\"] }}\n",
            "0".repeat(64)
        )
    };
    load(&rule("environment")).unwrap();
    load(&rule("volume.mountPath")).unwrap();
    let typo = load(&rule("enviroment")).unwrap_err();
    assert!(typo.contains("enviroment"), "{typo}");
}

#[test]
fn backups_are_counted_with_the_latest_time() {
    let r = railway();
    let g = walk(r, &projects());
    let kind = &r.kinds["volumeId"];
    assert_eq!(each_ids(&g, kind, "vol-prod"), ["vi-1"]);
    let answer = json!({ "data": { "volumeInstanceBackupList": [
        { "id": "b1", "createdAt": "2026-11-30T02:00:00Z" },
        { "id": "b2", "createdAt": "2026-12-01T02:00:00Z" },
        { "id": "b3", "createdAt": "2026-11-29T02:00:00Z" }
    ]}});
    let mut d = attributes(r, &g, "volumeId", "vol-prod").unwrap();
    tally(kind.each.as_ref().unwrap(), &[walk(r, &answer)], &mut d);
    assert_eq!(values(&d, "volume.backups"), ["3"]);
    assert_eq!(values(&d, "volume.latestBackup"), ["2026-12-01T02:00:00Z"]);
}

#[test]
fn a_project_token_gets_the_project_token_lookup() {
    let r = railway();
    let project = r.lookup_for("header:project-access-token").unwrap();
    assert!(project.query.contains("projectToken"));
    let account = r.lookup_for("authorization:bearer").unwrap();
    assert!(account.query.contains("projects"));
    assert!(!account.query.contains("projectToken"));
    let answer = json!({ "data": { "projectToken": { "projectId": "prj-1", "project": {
        "id": "prj-1", "name": "site",
        "environments": { "edges": [{ "node": { "id": "env-1", "name": "staging" } }] }
    }}}});
    let g = walk(r, &answer);
    let e = attributes(r, &g, "environmentId", "env-1").unwrap();
    assert_eq!(values(&e, "environment"), ["staging"]);
    assert_eq!(values(&e, "project"), ["site"]);
}

#[test]
fn a_resolver_that_promises_what_it_cannot_give_is_refused() {
    let rest = |kind: &str| format!("version = 1\nprovider = \"x\"\n{kind}");
    let unknown_yield = rest(
        "[kinds.repo]\nyields = [\"repo.private\", \"repo.typo\"]\n[[kinds.repo.get]]\npath = \"/r/{id}\"\nfields = { \"repo.private\" = \"private\" }\n",
    );
    let err = Resolver::from_toml("x.toml", &unknown_yield).unwrap_err();
    assert!(
        err.contains("yields `repo.typo`, which no `get` gives"),
        "{err}"
    );
    let both = rest(
        "[entities.repo]\nkeys = [\"repo\"]\n[kinds.repo]\nentity = \"repo\"\nyields = []\n[[kinds.repo.get]]\npath = \"/r/{id}\"\n",
    );
    let err = Resolver::from_toml("x.toml", &both).unwrap_err();
    assert!(err.contains("has no `entity` or `each`"), "{err}");
    let graphql_without_endpoint = rest(
        "[entities.repo]\nkeys = [\"repo\"]\n[kinds.repo]\nentity = \"repo\"\nyields = [\"repo\"]\n",
    );
    let err = Resolver::from_toml("x.toml", &graphql_without_endpoint).unwrap_err();
    assert!(err.contains("need an `endpoint`"), "{err}");
    let fine = rest(
        "[kinds.repo]\nyields = [\"repo.private\"]\n[[kinds.repo.get]]\npath = \"/r/{id}\"\nfields = { \"repo.private\" = \"private\" }\n",
    );
    assert!(Resolver::from_toml("x.toml", &fine).unwrap().kinds["repo"].is_rest());
}

use serde_json::json;

use super::*;
use crate::resolve::for_provider;

fn github(kind: &str) -> &'static Kind {
    let r = for_provider("github").expect("the GitHub resolver is bundled");
    r.kinds.get(kind).expect("a bundled GitHub kind")
}

fn resources(pairs: &[(&str, &[&str])]) -> Resources {
    pairs
        .iter()
        .map(|(k, vs)| {
            (
                (*k).to_owned(),
                vs.iter().map(|v| (*v).to_owned()).collect(),
            )
        })
        .collect()
}

fn site() -> Resources {
    resources(&[("repository", &["acme/site"])])
}

#[test]
fn a_branch_ref_is_read_at_its_branch_and_its_repository() {
    assert_eq!(
        paths(github("ref"), "heads/feature/x", &site()).unwrap(),
        ["/repos/acme/site/branches/feature/x", "/repos/acme/site"]
    );
    assert_eq!(
        paths(github("repository"), "acme/site", &site()).unwrap(),
        ["/repos/acme/site"]
    );
    assert_eq!(
        paths(github("branch"), "release", &site()).unwrap(),
        ["/repos/acme/site/branches/release", "/repos/acme/site"]
    );
}

#[test]
fn what_cannot_be_read_as_named_is_not_read() {
    let tag = paths(github("ref"), "tags/v1", &site()).unwrap_err();
    assert!(tag.contains("does not start with `heads/`"), "{tag}");
    assert!(
        paths(github("ref"), "heads/", &site()).is_err(),
        "no branch"
    );
    // dot and empty segments would read another path than the one named
    for id in [
        "heads/../../../orgs/acme",
        "heads/a/./b",
        "heads/a//b",
        "heads/..",
    ] {
        let why = paths(github("ref"), id, &site()).unwrap_err();
        assert!(why.contains("path segment"), "{id}: {why}");
    }
    let sneaky = resources(&[("repository", &["acme/../other"])]);
    assert!(paths(github("ref"), "heads/main", &sneaky).is_err());
    // a ref needs exactly one repository to be read in
    let two = resources(&[("repository", &["acme/a", "acme/b"])]);
    let why = paths(github("ref"), "heads/main", &two).unwrap_err();
    assert!(why.contains("more than one `repository`"), "{why}");
    let why = paths(github("ref"), "heads/main", &Resources::new()).unwrap_err();
    assert!(why.contains("names no `repository`"), "{why}");
}

#[test]
fn characters_that_end_or_escape_a_path_are_encoded() {
    assert_eq!(
        paths(github("branch"), "a b?c#d%e", &site()).unwrap()[0],
        "/repos/acme/site/branches/a%20b%3Fc%23d%25e"
    );
}

#[test]
fn answers_become_attributes_and_equals_compares_with_the_bare_id() {
    let answers = [
        Ok(json!({ "name": "main", "protected": true })),
        Ok(json!({ "default_branch": "main", "visibility": "private" })),
    ];
    let (found, missing) = attributes(github("ref"), "heads/main", &answers);
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(found["ref.protected"], ["true".to_owned()].into());
    assert_eq!(found["ref.isDefault"], ["true".to_owned()].into());
    let (found, _) = attributes(github("ref"), "heads/mainline", &answers);
    assert_eq!(found["ref.isDefault"], ["false".to_owned()].into());

    let repo = [Ok(
        json!({ "visibility": "public", "archived": false, "default_branch": "trunk" }),
    )];
    let (found, missing) = attributes(github("repository"), "acme/site", &repo);
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(found["repository.visibility"], ["public".to_owned()].into());
    assert_eq!(found["repository.archived"], ["false".to_owned()].into());
    assert_eq!(
        found["repository.defaultBranch"],
        ["trunk".to_owned()].into()
    );
}

#[test]
fn a_lacking_field_or_a_failed_read_is_missing_with_why_never_absent() {
    let answers = [
        Ok(json!({ "name": "main", "protected": null })),
        Err("lookup failed: HTTP 404".to_owned()),
    ];
    let (found, missing) = attributes(github("ref"), "heads/main", &answers);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(
        missing,
        [
            (
                "ref.protected".to_owned(),
                "the answer to GET /repos/{repository}/branches/{id} has no `protected`".to_owned()
            ),
            (
                "ref.isDefault".to_owned(),
                "lookup failed: HTTP 404".to_owned()
            ),
        ]
    );
    // an object or a list is not a value
    let odd = [Ok(
        json!({ "visibility": { "x": 1 }, "archived": [true], "default_branch": "main" }),
    )];
    let (found, missing) = attributes(github("repository"), "acme/site", &odd);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(missing.len(), 2, "{missing:?}");
}

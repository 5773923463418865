use super::*;

type Headers = Vec<(&'static str, &'static [u8])>;

fn headers(pairs: &[(&'static str, &'static str)]) -> Headers {
    pairs.iter().map(|(k, v)| (*k, v.as_bytes())).collect()
}

/// Looks a header up as `HeaderMap::get` does: names compared without case.
fn lookup(h: &Headers) -> impl Fn(&str) -> Option<&'static [u8]> + '_ {
    |name| {
        h.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

#[test]
fn bundled_breadths_parse() {
    for (file, text) in BREADTHS {
        let spec: Result<BreadthSpec, _> = toml::from_str(text);
        assert!(spec.is_ok(), "{file}: {:?}", spec.err());
    }
    assert_eq!(bundled().len(), BREADTHS.len());
    assert!(for_provider("github").is_some() && for_provider("railway").is_some());
}

#[test]
fn github_answers_give_scopes_accepted_permissions_and_expiry() {
    let spec = for_provider("github").unwrap();
    let h = headers(&[
        ("content-type", "application/json"),
        ("X-OAuth-Scopes", " repo, delete_repo, admin:org "),
        ("x-accepted-oauth-scopes", "repo"),
        (
            "x-accepted-github-permissions",
            "contents=read; pull_requests=read",
        ),
        (
            "github-authentication-token-expiration",
            "2026-12-31 10:00:00 UTC",
        ),
    ]);
    let b = observe(spec, Some("authorization:bearer"), lookup(&h)).unwrap();
    assert_eq!(b.scopes.as_deref(), Some("repo, delete_repo, admin:org"));
    assert_eq!(b.scope_list(), ["repo", "delete_repo", "admin:org"]);
    assert_eq!(b.accepted_scopes.as_deref(), Some("repo"));
    assert_eq!(
        b.accepted_permissions.as_deref(),
        Some("contents=read; pull_requests=read")
    );
    assert_eq!(b.expires.as_deref(), Some("2026-12-31 10:00:00 UTC"));
    // GitHub's kinds are told by the answers, not by where the token was.
    assert_eq!(b.kind, None);
    assert_eq!(
        spec.granted_power(&b),
        Some(scopegate_model::OpClass::Destructive)
    );
}

#[test]
fn an_answer_that_says_nothing_records_nothing() {
    let spec = for_provider("github").unwrap();
    let h = headers(&[("content-type", "application/json")]);
    assert_eq!(
        observe(spec, Some("authorization:bearer"), lookup(&h)),
        None
    );
}

#[test]
fn railway_kinds_come_from_where_the_token_was_presented() {
    let spec = for_provider("railway").unwrap();
    let none: Headers = Vec::new();
    let kind = |loc| observe(spec, Some(loc), lookup(&none)).and_then(|b| b.kind);
    assert_eq!(
        kind("header:project-access-token").as_deref(),
        Some("project token")
    );
    assert_eq!(
        kind("authorization:bearer").as_deref(),
        Some("account or workspace token")
    );
    assert_eq!(
        kind("header:team-access-token").as_deref(),
        Some("workspace token")
    );
    assert_eq!(kind("query:token"), None);
}

#[test]
fn values_are_cut_and_unprintable_ones_dropped() {
    let spec = for_provider("github").unwrap();
    let long = "repo, ".repeat(200);
    let long: &'static str = Box::leak(long.into_boxed_str());
    let h = headers(&[
        ("x-oauth-scopes", long),
        ("x-accepted-oauth-scopes", "repo\u{7}"),
    ]);
    let b = observe(spec, None, lookup(&h)).unwrap();
    assert_eq!(b.scopes.as_ref().map(String::len), Some(MAX_VALUE));
    assert_eq!(b.accepted_scopes, None);
}

use base64::Engine as _;
use http::HeaderMap;
use scopegate_model::Fingerprint;

use super::*;
use crate::config::Agent;

fn config(required: bool) -> ProxyConfig {
    let mut c = crate::test_state::config(std::path::Path::new("/nonexistent"));
    c.proxy.auth.required = required;
    c.proxy.auth.agents = vec![Agent {
        name: "ci".into(),
        key: Fingerprint::of(b"ci-key"),
    }];
    c
}

fn with(value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("proxy-authorization", value.parse().unwrap());
    h
}

fn basic(user_pass: &str) -> HeaderMap {
    let b64 = base64::engine::general_purpose::STANDARD.encode(user_pass);
    with(&format!("Basic {b64}"))
}

#[test]
fn agents_are_named_by_basic_or_bearer_credentials() {
    let c = config(true);
    assert_eq!(authenticate(&c, &basic("ci:ci-key")), Ok(Some("ci".into())));
    assert_eq!(
        authenticate(&c, &with("Bearer ci-key")),
        Ok(Some("ci".into()))
    );
    assert_eq!(
        authenticate(&c, &with("bearer   ci-key")),
        Ok(Some("ci".into()))
    );
}

#[test]
fn wrong_or_missing_credentials_are_refused_when_required() {
    let c = config(true);
    for h in [
        basic("ci:wrong"),
        basic("other:ci-key"),
        basic("no-colon"),
        with("Bearer wrong"),
        with("Digest ci-key"),
        with("Basic !!!not-base64"),
        HeaderMap::new(),
    ] {
        assert_eq!(authenticate(&c, &h), Err(()), "{h:?}");
    }
}

#[test]
fn without_auth_required_anyone_passes_but_a_wrong_key_does_not() {
    let c = config(false);
    assert_eq!(authenticate(&c, &HeaderMap::new()), Ok(None));
    // Presenting credentials means they are checked.
    assert_eq!(authenticate(&c, &with("Bearer wrong")), Err(()));
}

#[test]
fn an_authority_is_a_bare_host() {
    for (authority, host) in [
        ("api.github.com:443", "api.github.com"),
        ("[::1]:443", "[::1]"),
        ("10.0.0.1:80", "10.0.0.1"),
        ("my_host.internal:8080", "my_host.internal"),
    ] {
        assert!(check_authority(authority, host).is_ok(), "{authority}");
    }
    assert!(matches!(
        check_authority("token@api.github.com:443", "api.github.com"),
        Err(Refusal::Userinfo)
    ));
    for (authority, host) in [
        ("exa mple.com:443", "exa mple.com"),
        ("[not-ip]:443", "[not-ip]"),
        ("host/evil:443", "host/evil"),
    ] {
        assert!(
            matches!(check_authority(authority, host), Err(Refusal::BadHost)),
            "{authority}"
        );
    }
}

//! Which requests are decided on their head alone (`streamed` routes, only
//! Railway's `railway up` today), and that every trick of writing the path
//! either still reaches the full check or falls back to reading the body in
//! full: never the other way round.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_inspect::{CatalogSet, Inspector, Limits};

const RAILWAY: &str = "backboard.railway.com";
const UP: &str = "/project/p/environment/e/up?serviceId=s";

fn inspector() -> Inspector {
    Inspector::new(CatalogSet::bundled().unwrap(), Limits::default())
}

#[test]
fn only_the_upload_route_streams() {
    let i = inspector();
    assert!(i.streams_body("POST", RAILWAY, UP));
    assert!(i.streams_body("POST", "backboard.railway.app", UP));
    assert!(i.streams_body("POST", RAILWAY, "/project/p/environment/e/up"));
    for (method, host, target) in [
        ("GET", RAILWAY, UP),
        ("PUT", RAILWAY, UP),
        ("POST", RAILWAY, "/graphql/v2"),
        ("POST", RAILWAY, "/project/p/environment/e/up/more"),
        ("POST", RAILWAY, "/project/p/environment/e"),
        ("POST", "api.github.com", UP),
        ("POST", "example.com", UP),
    ] {
        assert!(
            !i.streams_body(method, host, target),
            "{method} {host}{target}"
        );
    }
}

#[test]
fn rewritten_paths_are_read_in_full_unless_they_normalise_to_the_route() {
    let i = inspector();
    // Escaped or fragment-carrying spellings are never streamed: the body
    // is read and inspected as usual.
    for target in [
        "/%70roject/p/environment/e/up",
        "/project/p/environment/e/up#x",
        "/project/p/environment/e/u%2Fp",
    ] {
        assert!(!i.streams_body("POST", RAILWAY, target), "{target}");
    }
    // Spellings a router reads as the route are the route.
    for target in [
        "//project/p/environment/e/up",
        "/project/p/environment/x/../e/up",
        "/Project/p/environment/e/up",
    ] {
        let streams = i.streams_body("POST", RAILWAY, target);
        let inspection_reads_up = {
            let body = b"";
            let view = scopegate_inspect::RequestView {
                method: "POST",
                host: RAILWAY,
                target,
                headers: &[("authorization", b"Bearer t")],
                body,
            };
            i.inspect(&view).operations.iter().any(|o| o.name == "up")
        };
        assert_eq!(streams, inspection_reads_up, "{target}");
    }
}

//! Adversarial requests to the REST providers added as data (Cloudflare,
//! Render): a payload-dependent route cannot be talked down by hiding its
//! payload, and path tricks do not change the route.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use scopegate_inspect::EndpointKind;
use scopegate_model::OpClass::{Destructive, Unknown, Write};
use scopegate_model::PresentedCredential;

const CLOUDFLARE: &str = "api.cloudflare.com";
const RENDER: &str = "api.render.com";
const BATCH: &str = "/client/v4/zones/z1/dns_records/batch";

fn batch(
    target: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Vec<(String, scopegate_model::OpClass)> {
    ops(&inspect("POST", CLOUDFLARE, target, headers, body))
}

#[test]
fn a_dns_batch_is_destructive_whenever_it_could_delete() {
    let write = want(&[("dns.records.batch", Write)]);
    let destructive = want(&[("dns.records.batch", Destructive)]);
    assert_eq!(batch(BATCH, &[JSON], br#"{"posts":[{"name":"a"}]}"#), write);
    assert_eq!(
        batch(BATCH, &[JSON], br#"{"deletes":[{"id":"r"}]}"#),
        destructive
    );
    // an empty list is still a deletes list the provider reads
    assert_eq!(batch(BATCH, &[JSON], br#"{"deletes":[]}"#), destructive);
    // duplicate keys: a lenient parser may keep the second
    assert_eq!(
        batch(
            BATCH,
            &[JSON],
            br#"{"deletes":null,"deletes":[{"id":"r"}]}"#
        ),
        destructive
    );
    // a body scopegate does not read as JSON could hold deletes
    assert_eq!(
        batch(
            BATCH,
            &[("content-type", b"text/plain")],
            br#"{"deletes":[{"id":"r"}]}"#
        ),
        destructive
    );
    assert_eq!(
        batch(
            BATCH,
            &[("content-type", b"application/json; charset=latin1")],
            br#"{"posts":[]}"#
        ),
        destructive
    );
    // deletes in the query string, merged by lenient servers
    assert_eq!(
        batch(&format!("{BATCH}?deletes=r"), &[JSON], br#"{"posts":[]}"#),
        destructive
    );
    // compressed, it is read after decoding
    let gz = gzip(br#"{"deletes":[{"id":"r"}]}"#);
    assert_eq!(
        batch(BATCH, &[JSON, ("content-encoding", b"gzip")], &gz),
        destructive
    );
    // the same route however the path is dressed
    for path in [
        "/client/v4/zones/z1/dns_records/./batch",
        "/client/v4/zones/z1/x/../dns_records/batch/",
        "//client/v4/zones/z1/dns_records/%62atch",
    ] {
        let i = inspect(
            "POST",
            CLOUDFLARE,
            path,
            &[JSON],
            br#"{"deletes":[{"id":"r"}]}"#,
        );
        assert_eq!(ops(&i), destructive, "{path}");
        assert_eq!(resources(&i), res(&[("zone_id", &["z1"])]), "{path}");
    }
}

#[test]
fn cloudflare_refusals_take_its_error_envelope_and_its_keys_are_credentials() {
    let i = inspect("GET", CLOUDFLARE, "/client/v4/zones", &[], b"");
    assert_eq!(i.endpoint, EndpointKind::RestErrorsList);
    // a Bearer token and a global API key that differ: either could be used
    let i = inspect(
        "GET",
        CLOUDFLARE,
        "/client/v4/zones",
        &[("authorization", b"Bearer a"), ("x-auth-key", b"b")],
        b"",
    );
    assert!(
        matches!(i.credential, PresentedCredential::Ambiguous { .. }),
        "{:?}",
        i.credential
    );
    let i = inspect(
        "GET",
        CLOUDFLARE,
        "/client/v4/zones",
        &[("X-Auth-User-Service-Key", b"v1.0-k")],
        b"",
    );
    assert!(matches!(i.credential, PresentedCredential::One { .. }));
}

#[test]
fn render_replacing_all_env_vars_cannot_be_disguised() {
    let destructive = want(&[("update-env-vars-for-service", Destructive)]);
    for path in [
        "/v1/services/srv-1/env-vars",
        "/v1/services/srv-1/env-vars/",
        "/v1/services/srv-1/./env-vars",
        "/v1/services/x/../srv-1/env-vars",
        "/v1/services/srv-1/env%2Dvars",
    ] {
        let i = inspect("PUT", RENDER, path, &[JSON], b"[]");
        assert_eq!(ops(&i), destructive, "{path}");
        assert_eq!(resources(&i), res(&[("serviceId", &["srv-1"])]), "{path}");
    }
    // one variable is a plain write, on its own route
    let i = inspect(
        "PUT",
        RENDER,
        "/v1/services/srv-1/env-vars/LOG",
        &[JSON],
        br#"{"value":"x"}"#,
    );
    assert_eq!(ops(&i), want(&[("update-env-var", Write)]));
    // an encoded slash cannot fold a key into the collection's route
    let i = inspect(
        "PUT",
        RENDER,
        "/v1/services/srv-1/env-vars%2FLOG",
        &[JSON],
        b"[]",
    );
    assert_eq!(i.operations[0].class, Unknown);
    // a method override is unreadable, not the route it names
    let i = inspect(
        "POST",
        RENDER,
        "/v1/services/srv-1/deploys",
        &[JSON, ("x-http-method-override", b"DELETE")],
        b"{}",
    );
    assert_eq!(i.operations[0].class, Unknown);
    // Render's paths are case-sensitive: another case is not a route
    let i = inspect("DELETE", RENDER, "/V1/services/srv-1", &[], b"");
    assert_eq!(i.operations[0].class, Unknown);
}

#[test]
fn vercel_upsert_and_teams_come_from_the_query_string() {
    const VERCEL: &str = "api.vercel.com";
    let env = |target: &str| {
        inspect(
            "POST",
            VERCEL,
            target,
            &[JSON],
            br#"{"key":"A","value":"b"}"#,
        )
    };
    assert_eq!(
        ops(&env("/v10/projects/web/env")),
        want(&[("create-project-env", Write)])
    );
    for target in [
        "/v10/projects/web/env?upsert=true",
        "/v10/projects/web/env?upsert",
        "/v10/projects/web/env?upsert=false",
        "/v10/projects/web/env?teamId=t&%75psert=1",
    ] {
        assert_eq!(
            ops(&env(target)),
            want(&[("create-project-env", Destructive)]),
            "{target}"
        );
    }
    // every team named is a resource: a rule must accept them all
    let i = env("/v10/projects/web/env?teamId=team_a&teamId=team_b&slug=acme");
    assert_eq!(
        resources(&i),
        res(&[
            ("idOrName", &["web"]),
            ("teamId", &["team_a", "team_b"]),
            ("teamSlug", &["acme"]),
        ])
    );
}

#[test]
fn digitalocean_actions_are_classed_by_their_type() {
    const DO: &str = "api.digitalocean.com";
    let action = |body: &[u8]| {
        ops(&inspect(
            "POST",
            DO,
            "/v2/droplets/1/actions",
            &[JSON],
            body,
        ))
    };
    assert_eq!(
        action(br#"{"type":"reboot"}"#),
        want(&[("dropletActions_post", Write)])
    );
    for body in [
        &br#"{"type":"rebuild","image":"x"}"#[..],
        br#"{"type":"reboot","type":"restore"}"#,
        br#"{"type":"password_reset"}"#,
    ] {
        assert_eq!(action(body), want(&[("dropletActions_post", Destructive)]));
    }
}

#[test]
fn resources_named_in_a_body_are_all_read_or_none() {
    let create = |target: &str, ct: &[u8], body: &[u8]| {
        resources(&inspect(
            "POST",
            RENDER,
            target,
            &[("content-type", ct)],
            body,
        ))
    };
    let json = b"application/json";
    assert_eq!(
        create("/v1/services", json, br#"{"ownerId":"tea-a","name":"x"}"#),
        res(&[("ownerId", &["tea-a"])])
    );
    // a second workspace in the query string is a second value
    assert_eq!(
        create(
            "/v1/services?ownerId=tea-b",
            json,
            br#"{"ownerId":"tea-a"}"#
        ),
        res(&[("ownerId", &["tea-a", "tea-b"])])
    );
    // a list where one value belongs: every element
    assert_eq!(
        create("/v1/services", json, br#"{"ownerId":["tea-a","tea-b"]}"#),
        res(&[("ownerId", &["tea-a", "tea-b"])])
    );
    // duplicate keys or another content type: no workspace is read
    assert_eq!(
        create(
            "/v1/services",
            json,
            br#"{"ownerId":"tea-a","ownerId":"tea-b"}"#
        ),
        res(&[])
    );
    assert_eq!(
        create("/v1/services", b"text/plain", br#"{"ownerId":"tea-a"}"#),
        res(&[])
    );
}

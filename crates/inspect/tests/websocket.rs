//! Which endpoints accept GraphQL over WebSocket: only those whose
//! catalogue entry lists the subprotocols, and only protocols scopegate
//! reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_inspect::{Catalog, CatalogSet, Inspector, Limits};

#[test]
fn railways_public_endpoint_speaks_both_protocols_and_nothing_else_does() {
    let inspector = Inspector::new(CatalogSet::bundled().unwrap(), Limits::default());
    let both = ["graphql-transport-ws", "graphql-ws"];
    for (authority, target) in [
        ("backboard.railway.com", "/graphql/v2"),
        ("backboard.railway.com:443", "/graphql/v2?x=1"),
        ("backboard.railway.app", "/graphql/v2"),
        // the path as HTTP inspection normalises it
        ("backboard.railway.com", "/graphql/v2/"),
    ] {
        assert_eq!(inspector.websocket_protocols(authority, target), both);
    }
    for (authority, target) in [
        ("backboard.railway.com", "/graphql/internal"),
        ("backboard.railway.com", "/graphql"),
        ("api.github.com", "/graphql"),
        ("example.com", "/graphql/v2"),
    ] {
        assert!(
            inspector.websocket_protocols(authority, target).is_empty(),
            "{authority}{target}"
        );
    }
}

#[test]
fn a_protocol_scopegate_does_not_read_is_refused_in_a_catalogue() {
    let text = |protocol: &str| {
        format!(
            "version = 1\nprovider = \"x\"\nhosts = [\"x.example\"]\n\
             [[endpoints]]\npath = \"/graphql\"\nkind = \"graphql\"\nschema = \"public\"\n\
             websocket = [\"{protocol}\"]\n\
             [graphql.public.query.a]\nclass = \"read\"\n"
        )
    };
    assert!(Catalog::from_toml("x.toml", &text("graphql-ws")).is_ok());
    let err = Catalog::from_toml("x.toml", &text("mqtt")).unwrap_err();
    assert!(
        err.to_string().contains("websocket protocol `mqtt`"),
        "{err}"
    );
}

//! inspect: large bodies read on the blocking pool exactly as small ones
//! inline; an inspection that fails is an unknown operation.

use scopegate_model::OpClass;

use super::*;
use crate::request_path::inspect::{INLINE_INSPECT_LIMIT, failed, inspect};

/// A volume delete padded past the inline limit with a long variable.
fn large_volume_delete() -> Inbound {
    let pad = "x".repeat(INLINE_INSPECT_LIMIT + 1);
    let body = serde_json::json!({
        "query": "mutation($id: String!, $pad: String) { volumeDelete(volumeId: $id) }",
        "variables": { "id": "vol-1", "pad": pad },
    })
    .to_string();
    let mut req = graphql(READ, TOKEN);
    *req.body_mut() = Bytes::from(body);
    inbound(req)
}

#[tokio::test]
async fn a_large_body_is_read_as_a_small_one_would_be() {
    let engine = engine();
    let large = large_volume_delete();
    assert!(large.body.len() > INLINE_INSPECT_LIMIT);
    let pooled = inspect(&engine, &conn(), &large).await;
    let inline = large.with_view(&conn().host, |v| engine.inspector.inspect(v));
    assert_eq!(pooled.operations, inline.operations);
    assert_eq!(pooled.operations[0].name, "volumeDelete");
    assert_eq!(pooled.credential, inline.credential);
}

#[test]
fn a_failed_inspection_is_an_unknown_operation_of_the_hosts_provider() {
    let i = failed(&engine(), "backboard.railway.com");
    assert_eq!(i.provider.as_deref(), Some("railway"));
    assert_eq!(i.operations.len(), 1);
    assert_eq!(i.operations[0].class, OpClass::Unknown);
    assert_eq!(i.credential, scopegate_model::PresentedCredential::None);
}

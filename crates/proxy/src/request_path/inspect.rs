//! The inspect phase: what the request asks for (operations, resources,
//! the presented credential, the reading an approval binds to).

use std::sync::Arc;

use scopegate_inspect::{EndpointKind, Inspection, Reading};
use scopegate_model::{Operation, PresentedCredential};

use crate::engine::Engine;

use super::conn::Conn;
use super::read::Inbound;

/// Bodies above this are inspected on the blocking pool, so a large
/// document never stalls a runtime worker.
pub const INLINE_INSPECT_LIMIT: usize = 64 << 10;

/// Inspects the request; never fails (what cannot be read is `unknown`).
pub async fn inspect(engine: &Arc<Engine>, conn: &Conn, inbound: &Inbound) -> Inspection {
    if inbound.body.len() <= INLINE_INSPECT_LIMIT {
        return inbound.with_view(&conn.host, |view| engine.inspector.inspect(view));
    }
    let (shared, host) = (engine.clone(), conn.host.clone());
    let (parts, body) = (inbound.parts.clone(), inbound.body.clone());
    let joined = tokio::task::spawn_blocking(move || {
        let copy = Inbound { parts, body };
        copy.with_view(&host, |view| shared.inspector.inspect(view))
    })
    .await;
    joined.unwrap_or_else(|_| failed(engine, &conn.host))
}

/// Inspection panicked: fail closed with an unknown operation.
pub(super) fn failed(engine: &Engine, host: &str) -> Inspection {
    let provider = engine
        .inspector
        .provider_for(host)
        .map(|c| c.provider.clone())
        .unwrap_or_default();
    let op = Operation::unknown(provider.clone(), "inspection-failed", "inspection failed");
    Inspection {
        provider: Some(provider),
        endpoint: EndpointKind::Rest,
        operations: vec![op],
        credential: PresentedCredential::None,
        reading: Reading::Nothing,
    }
}

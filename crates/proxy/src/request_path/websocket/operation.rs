//! One message that carries an operation: inspected as the HTTP GraphQL
//! request it would be (a POST of its payload under the socket's headers
//! and credential), decided, held, recorded, and answered the same way;
//! the socket gets the message to forward or the protocol's `error`.

use std::time::Instant;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method, Request};
use serde_json::{Value, json};

use crate::ids::decision_id;
use crate::request_path::permit::{Decided, decide};
use crate::request_path::read::Inbound;
use crate::request_path::record::{self, Case, Facts};
use crate::request_path::{Conn, inspect, take};
use crate::respond::Refusal;
use crate::shared::State;

use super::message::{Protocol, operation_message};

/// What every operation on one socket is inspected under.
#[derive(Debug)]
pub struct Socket {
    pub protocol: Protocol,
    /// The handshake's path and query.
    pub target: String,
    /// The handshake's headers and the `connection_init` credential's.
    pub headers: HeaderMap,
}

/// The record's method for an operation sent over a socket.
pub const METHOD: &str = "WEBSOCKET";

impl Socket {
    /// The HTTP request an operation with this payload would be.
    pub fn inbound(&self, body: Bytes) -> Inbound {
        let mut parts = Request::builder()
            .method(Method::POST)
            .uri(self.target.as_str())
            .body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|_| Request::new(()).into_parts().0);
        parts.headers = self.headers.clone();
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Inbound { parts, body }
    }
}

/// What the socket does with the message.
#[derive(Debug)]
pub enum Outcome {
    /// Permitted: this message goes to the provider.
    Forward(String),
    /// Refused: this `error` message goes to the client.
    Refuse(String),
}

/// Decides operation `id`: one decision record (and, when held, the
/// approval's steps), then the message to forward or the refusal.
pub async fn decide_one(
    state: &State,
    conn: &Conn,
    socket: &Socket,
    id: &str,
    payload: &Value,
) -> Outcome {
    let body = Bytes::from(serde_json::to_vec(payload).unwrap_or_default());
    let inbound = socket.inbound(body);
    let engine = state.engine.borrow().clone();
    let started = Instant::now();
    let inspection = inspect::inspect(&engine, conn, &inbound).await;
    let mut facts = Facts::new(decision_id(), conn, &inbound, &inspection);
    facts.method = METHOD.to_owned();
    let Decided { decision, next } =
        decide(&engine, &inspection, inbound, state.approvals.as_deref());
    facts.decide_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    state.metrics.decide.observe_micros(facts.decide_micros);
    let case = Case {
        facts: &facts,
        inspection: &inspection,
        decision: &decision,
    };
    let settled = take(state, &engine, conn, &case, next).await;
    let refused = |r: Refusal| {
        if let Some(label) = r.metric_label() {
            state.metrics.refused(label);
        }
        Outcome::Refuse(socket.protocol.error_message(id, graphql_error(&r)))
    };
    match settled {
        // Recorded (crash-safe) before anything is forwarded.
        Ok((permitted, release)) => {
            let record = facts.record(&release.id, &decision, &release.step);
            match record::journal(&*state.sink, record) {
                Ok(()) => {
                    Outcome::Forward(operation_message(socket.protocol, id, permitted.body()))
                }
                Err(unrecorded) => refused(unrecorded),
            }
        }
        Err(refusal) => refused(refusal),
    }
}

/// The refusal as one GraphQL error.
fn graphql_error(refusal: &Refusal) -> Value {
    match refusal {
        Refusal::Policy(p) => p.graphql_error(),
        other => json!({
            "message": format!("scopegate: {}", other.message()),
            "extensions": { "code": "SCOPEGATE_REFUSED" },
        }),
    }
}

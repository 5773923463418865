//! One intercepted request, as named phases with typed hand-offs
//! (docs/request-path.md):
//!
//! admit → read → inspect → decide → settle (held requests) → forward,
//! with the decision recorded before anything is answered or forwarded. A
//! body over the limit leaves `read` for `unread`: refused, and recorded. A
//! route the catalogue streams (`railway up`) skips `read`: it is decided
//! on its head, and its body goes upstream unread (docs/rest-reading.md).
//!
//! Each phase returns its value or a [`Refusal`]; only a [`Permitted`]
//! request, which only `decide` and `settle` can make, is forwarded.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;

use crate::body::Body;
use crate::ids::decision_id;
use crate::respond::{Refusal, Why};
use crate::shared::State;
use crate::upstream::StreamedBody;

mod admit;
mod aws_key;
mod conn;
mod credential;
mod forward;
mod inspect;
pub mod pass_through;
mod permit;
mod read;
mod record;
mod resolve;
mod unread;
mod websocket;

pub use conn::Conn;
use permit::{Decided, Next, Permitted, decide, settle};
use read::Inbound;
use record::{Case, Facts, Release, Step};

/// One request to a provider host, in its own span. (A span entered with
/// `Span::enter` across an await would leak into whatever else the thread
/// runs meanwhile.)
pub async fn handle(state: Arc<State>, conn: Arc<Conn>, req: Request<Incoming>) -> Response<Body> {
    // Debug level: the decision line already carries host, method and path,
    // and an info span costs every request an allocation and formatting.
    let span = tracing::debug_span!(
        "request",
        peer = %conn.peer,
        host = %conn.host,
        method = %req.method(),
        path = %record::short(req.uri().path_and_query().map_or("/", |p| p.as_str()))
    );
    // Boxed: hyper keeps a slot for the in-flight request's future on every
    // connection, idle or not. The request's whole state machine (several
    // KiB: approvals, inspection, forwarding) then lives on the heap only
    // while a request is in flight, and the slot holds a pointer.
    if websocket::wants(&state, &conn, &req) {
        let _entered = span.enter();
        return match websocket::upgrade(state.clone(), conn, req) {
            Ok(resp) => resp,
            Err(refusal) => refusal.answer(&state.metrics),
        };
    }
    let path = Box::pin(run(&state, &conn, req));
    match tracing::Instrument::instrument(path, span).await {
        Ok(resp) => resp,
        Err(refusal) => refusal.answer(&state.metrics),
    }
}

/// The phases, in order.
async fn run<B>(state: &State, conn: &Conn, req: Request<B>) -> Result<Response<Body>, Refusal>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let admitted = admit::admit(conn, req)?;
    let engine = state.engine.borrow().clone();
    if streams(&engine, conn, &admitted) {
        return streamed(state, &engine, conn, admitted).await;
    }
    let inbound = match read::read(&read::Limits::of(&state.config), admitted).await {
        Ok(inbound) => inbound,
        Err(unread) => return Err(unread::refuse(state, conn, unread).await),
    };
    decide_and_forward(state, &engine, conn, inbound, &mut None).await
}

/// Whether the request goes to a route decided on its head alone.
fn streams<B>(engine: &crate::engine::Engine, conn: &Conn, admitted: &admit::Admitted<B>) -> bool {
    let parts = &admitted.parts;
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    engine
        .inspector
        .streams_body(parts.method.as_str(), &conn.host, target)
}

/// A streamed route: decided on its head; once permitted, its body goes
/// upstream unread, as it comes. Refused, the body was never sent: it is
/// drained (bounded), so that the client reads the refusal instead of a
/// broken pipe.
async fn streamed<B>(
    state: &State,
    engine: &Arc<crate::engine::Engine>,
    conn: &Conn,
    admitted: admit::Admitted<B>,
) -> Result<Response<Body>, Refusal>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let admit::Admitted { parts, body } = admitted;
    let head = Inbound {
        parts,
        body: Bytes::new(),
    };
    let mut body = Some(body.map_err(Into::into).boxed_unsync());
    let answer = decide_and_forward(state, engine, conn, head, &mut body).await;
    if let Some(mut unsent) = body {
        read::drain(std::pin::Pin::new(&mut unsent)).await;
    }
    answer
}

/// inspect → decide → settle → forward, for a request read in full, or
/// for a streamed route's head with its `streamed` body.
async fn decide_and_forward(
    state: &State,
    engine: &Arc<crate::engine::Engine>,
    conn: &Conn,
    inbound: Inbound,
    streamed: &mut Option<StreamedBody>,
) -> Result<Response<Body>, Refusal> {
    // Timed: inspecting and deciding (not the record's digest).
    let started = Instant::now();
    let mut inspection = inspect::inspect(engine, conn, &inbound).await;
    let body = aws_key::Body::of(streamed.is_some());
    aws_key::check(engine, &inbound, body, &mut inspection, forward::unix_now());
    let inspecting = started.elapsed();
    // Not timed as deciding: a lookup is the provider's time.
    resolve::needed(state, engine, conn, &inbound, &mut inspection).await;
    let mut facts = Facts::new(decision_id(), conn, &inbound, &inspection);
    let started = Instant::now();
    let Decided { mut decision, next } =
        decide(engine, &inspection, inbound, state.approvals.as_deref());
    if let Next::Hold(held, _) = &next {
        resolve::all(state, engine, conn, held, &mut inspection).await;
        resolve::onto(&inspection, &mut decision);
    }
    let took = inspecting + started.elapsed();
    facts.decide_micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    state.metrics.decide.observe_micros(facts.decide_micros);
    let case = Case {
        facts: &facts,
        inspection: &inspection,
        decision: &decision,
    };
    let (permitted, release) = take(state, engine, conn, &case, next).await?;
    forward::forward(state, engine, conn, case, permitted, release, streamed).await
}

/// Takes the decision's next step: a refusal is recorded, then returned; a
/// permitted request is released as decided; a held one is settled. Shared
/// by HTTP requests and WebSocket operations.
async fn take(
    state: &State,
    engine: &crate::engine::Engine,
    conn: &Conn,
    case: &Case<'_>,
    next: Next<&dyn scopegate_model::ApprovalQueue>,
) -> Result<(Permitted<Inbound>, Release), Refusal> {
    let (facts, decision) = (case.facts, case.decision);
    match next {
        Next::Refuse => {
            count(state, facts, decision.verdict.as_str(), false);
            let record = facts.record(&facts.id, decision, &Step::Decided);
            record::durably(&*state.sink, record).await?;
            Err(record::refusal(
                case.inspection.endpoint,
                decision.clone(),
                &facts.id,
                Why::Decided,
            ))
        }
        Next::Forward(permitted) => {
            count(state, facts, decision.verdict.as_str(), decision.forwards());
            let release = Release {
                id: facts.id.clone(),
                step: Step::Decided,
            };
            Ok((permitted, release))
        }
        Next::Hold(inbound, queue) => {
            let hold = settle::Hold {
                queue,
                sink: &*state.sink,
                metrics: &state.metrics,
            };
            let settled = settle::settle(hold, engine, conn, case, inbound).await;
            count(state, facts, "approve", settled.is_ok());
            settled
        }
    }
}

/// The request's policy outcome, for the metrics.
fn count(state: &State, facts: &Facts, verdict: &'static str, forwarded: bool) {
    state.metrics.request(&facts.provider, verdict, forwarded);
}

#[cfg(test)]
mod tests;

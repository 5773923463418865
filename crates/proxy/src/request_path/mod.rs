//! One intercepted request, as named phases with typed hand-offs
//! (docs/request-path.md):
//!
//! admit → read → inspect → decide → settle (held requests) → forward,
//! with the decision recorded before anything is answered or forwarded. A
//! body over the limit leaves `read` for `unread`: refused, and recorded.
//!
//! Each phase returns its value or a [`Refusal`]; only a [`Permitted`]
//! request, which only `decide` and `settle` can make, is forwarded.

use std::sync::Arc;
use std::time::Instant;

use http::{Request, Response};
use hyper::body::Incoming;

use crate::body::Body;
use crate::ids::decision_id;
use crate::respond::{Refusal, Why};
use crate::shared::State;

mod admit;
mod conn;
mod credential;
mod forward;
mod inspect;
pub mod pass_through;
mod permit;
mod read;
mod record;
mod unread;
mod websocket;

pub use conn::Conn;
use permit::{Decided, Next, decide, settle};
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
    B: hyper::body::Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let admitted = admit::admit(conn, req)?;
    let inbound = match read::read(&read::Limits::of(&state.config), admitted).await {
        Ok(inbound) => inbound,
        Err(unread) => return Err(unread::refuse(state, conn, unread).await),
    };
    let engine = state.engine.borrow().clone();
    // Timed: inspecting and deciding (not the record's digest).
    let started = Instant::now();
    let inspection = inspect::inspect(&engine, conn, &inbound).await;
    let inspecting = started.elapsed();
    let mut facts = Facts::new(decision_id(), conn, &inbound, &inspection);
    let started = Instant::now();
    let Decided { decision, next } =
        decide(&engine, &inspection, inbound, state.approvals.as_deref());
    let took = inspecting + started.elapsed();
    facts.decide_micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    state.metrics.decide.observe_micros(facts.decide_micros);
    let case = Case {
        facts: &facts,
        inspection: &inspection,
        decision: &decision,
    };
    let (permitted, release) = match next {
        Next::Refuse => {
            count(state, &facts, decision.verdict.as_str(), false);
            let record = facts.record(&facts.id, &decision, &Step::Decided);
            record::durably(&*state.sink, record).await?;
            return Err(record::refusal(
                inspection.endpoint,
                decision,
                &facts.id,
                Why::Decided,
            ));
        }
        Next::Forward(permitted) => {
            count(
                state,
                &facts,
                decision.verdict.as_str(),
                decision.forwards(),
            );
            let release = Release {
                id: facts.id.clone(),
                step: Step::Decided,
            };
            (permitted, release)
        }
        Next::Hold(inbound, queue) => {
            let hold = settle::Hold {
                queue,
                sink: &*state.sink,
                metrics: &state.metrics,
            };
            let settled = settle::settle(hold, &engine, conn, &case, inbound).await;
            count(state, &facts, "approve", settled.is_ok());
            settled?
        }
    };
    forward::forward(state, &engine, conn, case, permitted, release).await
}

/// The request's policy outcome, for the metrics.
fn count(state: &State, facts: &Facts, verdict: &'static str, forwarded: bool) {
    state.metrics.request(&facts.provider, verdict, forwarded);
}

#[cfg(test)]
mod tests;

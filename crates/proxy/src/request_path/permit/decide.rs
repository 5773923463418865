//! The decide phase: the live scope map's decision on what inspection read,
//! and where it sends the request. Pure: no IO, no clock.

use scopegate_inspect::Inspection;
use scopegate_model::{Decision, Mode, Verdict};
use scopegate_policy::evaluate;

use crate::engine::Engine;
use crate::request_path::read::Inbound;

use super::permitted::Permitted;

/// The policy's decision, as made (never edited), and the next phase.
#[derive(Debug)]
pub struct Decided<Q> {
    pub decision: Decision,
    pub next: Next<Q>,
}

/// Where a decided request goes.
#[derive(Debug)]
pub enum Next<Q> {
    /// Allowed, or observe mode: forward it.
    Forward(Permitted<Inbound>),
    /// Needs a human, and there is an approval queue `Q`: settle it there.
    Hold(Inbound, Q),
    /// Denied, or needs a human with no approval queue: refuse it.
    Refuse,
}

/// Evaluates the inspected request against the scope map. `queue` is the
/// approval queue, if there is one.
pub fn decide<Q>(
    engine: &Engine,
    inspection: &Inspection,
    inbound: Inbound,
    queue: Option<Q>,
) -> Decided<Q> {
    let decision = evaluate(
        &engine.scope_map,
        &inspection.credential,
        &inspection.operations,
    );
    let next = if decision.forwards() {
        Next::Forward(Permitted::new(inbound))
    } else if let Some(queue) = queue
        && decision.verdict == Verdict::Hold
        && decision.mode == Mode::Enforce
    {
        Next::Hold(inbound, queue)
    } else {
        Next::Refuse
    };
    Decided { decision, next }
}

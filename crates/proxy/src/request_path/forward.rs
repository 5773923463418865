//! The forward phase: a permitted request gets the real secret in place of
//! a surrogate, is recorded (journal) before anything leaves, and is sent
//! upstream; the response streams back with `x-scopegate-id`, and the
//! upstream's status follows as the decision's outcome.

use std::time::Instant;

use http::Response;
use scopegate_model::{Breadth, DecisionOutcome, PresentedCredential};

use crate::body::Body;
use crate::engine::Engine;
use crate::resolve::credential_key;
use crate::resolve::passive::{Sink, tee};
use crate::respond::{Refusal, Why};
use crate::shared::State;
use crate::upstream::{Destination, StreamedBody, forward as send, forward_streamed};
use crate::upstream_error::Cause;
use scopegate_inspect::resolve::plain_query;
use scopegate_model::OpClass;

use super::aws_key;
use super::conn::Conn;
use super::credential::swap_surrogate;
use super::permit::Permitted;
use super::read::Inbound;
use super::record::{Case, Release, Step, durably, journal, refusal};

/// Forwards a permitted request.
pub async fn forward(
    state: &State,
    engine: &Engine,
    conn: &Conn,
    case: Case<'_>,
    mut permitted: Permitted<Inbound>,
    release: Release,
    streamed: &mut Option<StreamedBody>,
) -> Result<Response<Body>, Refusal> {
    let Release { id, step } = release;
    // The agent's reason is for approvers, not for the provider.
    permitted
        .headers_mut()
        .remove(super::permit::settle::REASON_HEADER);
    let credential = &case.inspection.credential;
    let placed = if aws_key::is_surrogate(engine, credential) {
        let body = aws_key::Body::of(streamed.is_some());
        aws_key::resign(engine, credential, (&mut permitted, body), unix_now())
    } else {
        swap_surrogate(engine, credential, permitted.headers_mut())
    };
    if let Err(why) = placed {
        let step = Step::NoSecret {
            why: why.clone(),
            after: Box::new(step),
        };
        durably(&*state.sink, case.facts.record(&id, case.decision, &step)).await?;
        let endpoint = case.inspection.endpoint;
        return Err(refusal(
            endpoint,
            case.decision.clone(),
            &id,
            Why::NoSecret(why),
        ));
    }
    // Recorded (crash-safe) before anything is forwarded: a decision that
    // cannot be recorded is not acted on.
    journal(&*state.sink, case.facts.record(&id, case.decision, &step))?;
    let passive = passive_sink(state, &case, permitted.body());
    let sent = Instant::now();
    let timeout = state.config.proxy.upstream_timeout;
    let to = Destination {
        host: &conn.host,
        port: conn.port,
        scheme: conn.scheme,
    };
    let result = match streamed.take() {
        None => send(&state.client, permitted, to, timeout).await,
        Some(body) => forward_streamed(&state.streaming, permitted, body, to, timeout).await,
    };
    let upstream_ms = u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX);
    state
        .metrics
        .upstream
        .observe_micros(upstream_ms.saturating_mul(1000));
    state.sink.outcome(DecisionOutcome {
        decision_id: id.clone(),
        upstream_status: result.as_ref().ok().map(|r| r.status().as_u16()),
        upstream_millis: upstream_ms,
        error: result.as_ref().err().map(|e| Cause::of(e).describe(e)),
        breadth: result
            .as_ref()
            .ok()
            .and_then(|r| breadth_of(&case, r.headers())),
    });
    match result {
        Ok(mut resp) => {
            resp = tee_readable(resp, passive);
            if let Ok(v) = http::HeaderValue::from_str(id.as_str()) {
                resp.headers_mut().insert("x-scopegate-id", v);
            }
            Ok(resp)
        }
        Err(e) => Err(upstream_failure(&e, &conn.host)),
    }
}

/// Seconds since 1970, for signature freshness.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What the answer (and where the request presented its credential) says
/// of the token's power, per the provider's breadth description
/// (docs/token-breadth.md). Read from the answer as it is relayed.
fn breadth_of(case: &Case<'_>, headers: &http::HeaderMap) -> Option<Breadth> {
    let spec = scopegate_inspect::breadth::for_provider(case.inspection.provider.as_deref()?)?;
    // Formatted only for a provider whose kinds depend on it (Railway).
    let location = match &case.inspection.credential {
        PresentedCredential::One { location, .. } if !spec.presented.is_empty() => {
            Some(location.to_string())
        }
        _ => None,
    };
    scopegate_inspect::breadth::observe(spec, location.as_deref(), |name| {
        headers.get(name).map(http::HeaderValue::as_bytes)
    })
}

/// Where an allowed read's answer fills the resolution cache: a read-only
/// request to a resolver's endpoint, with one credential, whose document has
/// no aliases (docs/resource-context.md).
fn passive_sink(state: &State, case: &Case<'_>, body: &bytes::Bytes) -> Option<Sink> {
    let provider = case.inspection.provider.as_deref()?;
    let resolver = scopegate_inspect::resolve::for_provider(provider)?;
    let reads = !case.inspection.operations.is_empty()
        && case
            .inspection
            .operations
            .iter()
            .all(|op| op.class == OpClass::Read);
    // Without aliases only: with them the agent chooses the answer's keys.
    let endpoint = resolver.endpoint.as_deref()?;
    if !reads || case.facts.path != endpoint || !plain_query(body) {
        return None;
    }
    Some(Sink {
        resolution: state.resolution.clone(),
        metrics: state.metrics.clone(),
        resolver,
        credential: credential_key(&case.inspection.credential)?,
    })
}

/// Tees a successful, unencoded answer into the cache as it streams.
fn tee_readable(resp: Response<Body>, sink: Option<Sink>) -> Response<Body> {
    let Some(sink) = sink else {
        return resp;
    };
    let encoded = resp
        .headers()
        .get(http::header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes() != b"identity");
    if !resp.status().is_success() || encoded {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    Response::from_parts(parts, tee(body, sink))
}

/// The provider could not be reached: logged, and refused with its cause.
pub fn upstream_failure(e: &crate::upstream::ForwardError, host: &str) -> Refusal {
    let cause = Cause::of(e);
    let error = cause.describe(e);
    tracing::warn!(%host, cause = cause.as_str(), %error, "upstream failure");
    Refusal::Upstream {
        cause,
        host: host.to_owned(),
    }
}

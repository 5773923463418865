//! Inside an intercepted tunnel: TLS with a leaf for the CONNECT host (the
//! client's SNI must agree), HTTP/1.1 or HTTP/2 by ALPN, and per request:
//! body limit → inspect → decide → forward or refuse → record.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST, UPGRADE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use scopegate_inspect::{EndpointKind, RequestView, canonical_host};
use scopegate_model::{
    ApprovalQueue, Decision, DecisionOutcome, DecisionRecord, HeldRequest, HoldOutcome,
    PresentedCredential, QueueError, RecordError, Verdict,
};
use scopegate_policy::SecretRef;
use tokio_rustls::LazyConfigAcceptor;

use crate::engine::Engine;
use crate::forward::{ForwardError, forward, swap_credential};
use crate::ids::decision_id;
use crate::respond::{Body, problem, refusal, refusal_with};
use crate::state::State;
use crate::upstream_error::Cause;

/// What every request on one client connection shares.
#[derive(Debug)]
pub struct ConnCtx {
    /// Canonical host the client asked for (CONNECT authority).
    pub host: String,
    pub port: u16,
    pub agent: Option<String>,
    pub peer: SocketAddr,
    /// Scheme towards the upstream.
    pub scheme: &'static str,
}

/// Bodies above this are inspected on the blocking pool, so a large
/// document never stalls a runtime worker.
const INLINE_INSPECT_LIMIT: usize = 64 << 10;

pub async fn serve_tls(state: Arc<State>, ctx: Arc<ConnCtx>, upgraded: Upgraded) {
    let timeout = Duration::from_secs(state.settings.header_timeout_secs);
    let acceptor =
        LazyConfigAcceptor::new(rustls::server::Acceptor::default(), TokioIo::new(upgraded));
    // Borrowed, so the connection outlives the timeout: a refusal is
    // counted before the client sees the connection close.
    let mut acceptor = std::pin::pin!(acceptor);
    let start = match tokio::time::timeout(timeout, acceptor.as_mut()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            state.metrics.refused("not-tls");
            tracing::info!(peer = %ctx.peer, host = %ctx.host, error = %e, "intercepted connection did not start TLS; closed");
            return;
        }
        Err(_) => {
            state.metrics.refused("tls-timeout");
            return;
        }
    };
    if let Some(sni) = start.client_hello().server_name() {
        let sni = canonical_host(sni, 443).0;
        if sni != ctx.host {
            state.metrics.refused("sni-mismatch");
            tracing::warn!(peer = %ctx.peer, connect = %ctx.host, %sni, "TLS server name differs from the CONNECT host; closed");
            return;
        }
    }
    let config = match state.leafs.server_config(&ctx.host) {
        Ok(c) => c,
        Err(e) => {
            state.metrics.refused("leaf-cert");
            tracing::error!(host = %ctx.host, error = %e, "cannot mint a leaf certificate");
            return;
        }
    };
    let tls = match tokio::time::timeout(timeout, start.into_stream(config)).await {
        Ok(Ok(t)) => t,
        _ => {
            state.metrics.refused("tls-handshake");
            return;
        }
    };
    let svc_state = state.clone();
    let svc_ctx = ctx.clone();
    let svc = service_fn(move |req| {
        let state = svc_state.clone();
        let ctx = svc_ctx.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(state, ctx, req).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024);
    let _guard = state.tracker.enter();
    let mut shutdown = state.shutdown.clone();
    let mut conn = std::pin::pin!(builder.serve_connection(TokioIo::new(tls), svc));
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(peer = %ctx.peer, error = %e, "intercepted connection ended with an error");
    }
}

/// One request to a provider host, in its own span. (A span entered with
/// `Span::enter` across an await would leak into whatever else the thread
/// runs meanwhile.)
pub async fn handle(
    state: Arc<State>,
    ctx: Arc<ConnCtx>,
    req: Request<Incoming>,
) -> Response<Body> {
    // Debug level: the decision line already carries host, method and path,
    // and an info span costs every request an allocation and formatting.
    let span = tracing::debug_span!(
        "request",
        peer = %ctx.peer,
        host = %ctx.host,
        method = %req.method(),
        path = %short(req.uri().path_and_query().map_or("/", |p| p.as_str()))
    );
    // Boxed: hyper keeps a slot for the in-flight request's future on every
    // connection, idle or not. The request's whole state machine (several
    // KiB: approvals, inspection, forwarding) then lives on the heap only
    // while a request is in flight, and the slot holds a pointer.
    tracing::Instrument::instrument(Box::pin(handle_in_span(state, ctx, req)), span).await
}

async fn handle_in_span(
    state: Arc<State>,
    ctx: Arc<ConnCtx>,
    req: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();

    // The request must be for the host the tunnel was opened to.
    let authority = parts
        .uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            parts
                .headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });
    if let Some(a) = authority
        && canonical_host(&a, ctx.port).0 != ctx.host
    {
        state.metrics.refused("authority-mismatch");
        return problem(
            StatusCode::MISDIRECTED_REQUEST,
            "the request names another host than the one this connection was opened to",
        );
    }
    if parts.headers.contains_key(UPGRADE) || parts.method == Method::CONNECT {
        state.metrics.refused("upgrade");
        return problem(
            StatusCode::FORBIDDEN,
            "protocol upgrades (WebSocket) to provider hosts are refused: scopegate cannot inspect them yet",
        );
    }
    let max = state.settings.max_body_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        state.metrics.refused("body-too-large");
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "request bodies over {max} bytes are refused: scopegate forwards nothing it has not inspected"
            ),
        );
    }
    let body = match read_body(&state, body).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };

    let engine = state.engine.borrow().clone();
    let started = Instant::now();
    let (endpoint, inspection, decision) = decide(&engine, &ctx, &parts, &path, &body).await;
    let decide_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    state.metrics.decide.observe_micros(decide_us);
    let id = decision_id();
    let mut record = DecisionRecord::from_decision(id.clone(), &decision);
    record.agent = ctx.agent.clone();
    record.fingerprint_prefix = match &inspection.credential {
        PresentedCredential::One { fingerprint, .. } => Some(fingerprint.short()),
        _ => None,
    };
    record.provider = inspection.provider.clone().unwrap_or_default();
    record.host = ctx.host.clone();
    record.method = parts.method.to_string();
    record.path = short(&path).to_owned();
    record.request_digest =
        scopegate_model::request_digest(parts.method.as_str(), &ctx.host, &path, &body);
    record.decide_micros = decide_us;
    let mut id = id;
    let held =
        decision.verdict == Verdict::Approve && decision.mode == scopegate_model::Mode::Enforce;
    if !held || state.approvals.is_none() {
        state.metrics.request(
            &record.provider,
            decision.verdict.as_str(),
            decision.forwards(),
        );
    }
    if held && let Some(approvals) = state.approvals.clone() {
        let provider = record.provider.clone();
        let fingerprint = match &inspection.credential {
            PresentedCredential::One { fingerprint, .. } => fingerprint.to_hex(),
            _ => String::new(),
        };
        let authority = format!("{}:{}", ctx.host, ctx.port);
        let (reading, redacted) = with_view(&parts, &authority, &path, &body, |view| {
            (
                scopegate_inspect::reading_key(view, &inspection),
                engine.inspector.approver_view(view, &inspection),
            )
        });
        let key = crate::approvals::grant_key(&fingerprint, &reading);
        match hold_for_approval(
            &state, &approvals, endpoint, &decision, key, redacted, record,
        )
        .await
        {
            Held::Release(released) => {
                state.metrics.request(&released.provider, "approve", true);
                record = *released;
                id = record.id.clone();
            }
            Held::Respond(resp) => {
                state.metrics.request(&provider, "approve", false);
                return resp;
            }
        }
    } else if !decision.forwards() {
        // Recorded, durably, before the client hears the answer.
        if let Err(e) = record_durably(&state, record).await {
            return unrecorded(&e);
        }
        return refusal(endpoint, &decision, id.as_str());
    }

    let mut parts = parts;
    if let Err(why) = swap_surrogate(&engine, &inspection.credential, &mut parts.headers) {
        let mut d = decision.clone();
        d.verdict = Verdict::Deny;
        d.reason = why.clone();
        d.rule = scopegate_model::RuleRef::builtin("surrogate");
        let mut record = record;
        record.verdict = Verdict::Deny;
        record.forwarded = false;
        record.reason = why;
        record.rule = d.rule.0.clone();
        if let Err(e) = record_durably(&state, record).await {
            return unrecorded(&e);
        }
        return refusal(endpoint, &d, id.as_str());
    }
    // Recorded (crash-safe) before anything is forwarded: a decision that
    // cannot be recorded is not acted on.
    if let Err(e) = state.sink.record(record) {
        return unrecorded(&e);
    }
    let sent = Instant::now();
    let timeout = Duration::from_secs(state.settings.upstream_timeout_secs);
    let result = forward(
        &state.client,
        parts,
        body,
        &ctx.host,
        ctx.port,
        ctx.scheme,
        timeout,
    )
    .await;
    let upstream_ms = u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX);
    state
        .metrics
        .upstream
        .observe_micros(upstream_ms.saturating_mul(1000));
    state.sink.outcome(DecisionOutcome {
        decision_id: id.clone(),
        upstream_status: result.as_ref().ok().map(|r| r.status().as_u16()),
        upstream_millis: upstream_ms,
        error: result
            .as_ref()
            .err()
            .map(|e| format!("{}: {e}", Cause::of(e))),
    });
    match result {
        Ok(mut resp) => {
            if let Ok(v) = http::HeaderValue::from_str(id.as_str()) {
                resp.headers_mut().insert("x-scopegate-id", v);
            }
            resp
        }
        Err(e) => upstream_failure(&e, &ctx.host),
    }
}

enum Held {
    /// Approved (now or earlier): forward, recording this.
    Release(Box<DecisionRecord>),
    Respond(Response<Body>),
}

/// A held request: a grant for exactly this request lets it through once;
/// otherwise it waits (bounded) for a human, and every step is recorded.
async fn hold_for_approval(
    state: &State,
    approvals: &Arc<dyn ApprovalQueue>,
    endpoint: EndpointKind,
    decision: &Decision,
    key: String,
    redacted_request: serde_json::Value,
    mut record: DecisionRecord,
) -> Held {
    match approvals.take_grant(key.clone()).await {
        Ok(Some(grant)) => {
            state.metrics.approval_step("granted");
            record.approval = Some(format!("granted {} {}", grant.approval_id, grant.by()));
            record.forwarded = true;
            return Held::Release(Box::new(record));
        }
        Ok(None) => {}
        Err(e) => return queue_unavailable(state, &record, e).await,
    }
    let hold = HeldRequest::of_record(&record, key.clone(), redacted_request);
    let apr = match approvals.hold(hold).await {
        Ok(a) => a,
        Err(e) => return queue_unavailable(state, &record, e).await,
    };
    let mut held = record.clone();
    held.approval = Some(format!("held {apr}"));
    held.forwarded = false;
    if let Err(e) = record_durably(state, held).await {
        return Held::Respond(unrecorded(&e));
    }
    let info = |state_name: &'static str, by: Option<String>, note: Option<String>| {
        crate::respond::ApprovalInfo {
            id: apr.to_string(),
            link: approvals.link(&apr),
            state: state_name,
            decided_by: by,
            note,
            grant_window_hint: crate::approvals::human_duration(approvals.grant_window()),
        }
    };
    match approvals.wait(apr.clone(), approvals.hold_for()).await {
        Ok(HoldOutcome::Approved { by }) => match approvals.take_grant(key).await {
            Ok(Some(_)) => {
                state.metrics.approval_step("used");
                let mut released = record;
                released.id = decision_id();
                released.approval = Some(format!("used {apr} (approved by {by})"));
                released.forwarded = true;
                Held::Release(Box::new(released))
            }
            // An identical request waiting on the same approval used the
            // grant first: this one is told so, not "pending".
            Ok(None) => Held::Respond(refusal_with(
                endpoint,
                decision,
                record.id.as_str(),
                Some(&info("used", Some(by), None)),
            )),
            Err(e) => queue_unavailable(state, &record, e).await,
        },
        Ok(HoldOutcome::Rejected { by, note }) => {
            let mut rejected = record.clone();
            rejected.id = decision_id();
            rejected.verdict = Verdict::Deny;
            rejected.approval = Some(format!("refused {apr} (rejected by {by})"));
            rejected.forwarded = false;
            if let Err(e) = record_durably(state, rejected.clone()).await {
                return Held::Respond(unrecorded(&e));
            }
            let mut d = decision.clone();
            d.verdict = Verdict::Deny;
            Held::Respond(refusal_with(
                endpoint,
                &d,
                rejected.id.as_str(),
                Some(&info("rejected", Some(by), Some(note))),
            ))
        }
        Ok(HoldOutcome::Pending) => Held::Respond(refusal_with(
            endpoint,
            decision,
            record.id.as_str(),
            Some(&info("pending", None, None)),
        )),
        Err(e) => queue_unavailable(state, &record, e).await,
    }
}

/// The approval queue cannot be reached (its database is down): the
/// request is refused, and the refusal recorded through the journal
/// before the client hears it.
async fn queue_unavailable(state: &State, record: &DecisionRecord, error: QueueError) -> Held {
    tracing::error!(%error, "approval queue unavailable; refusing the held request");
    let mut refused = record.clone();
    refused.id = decision_id();
    refused.verdict = Verdict::Deny;
    refused.forwarded = false;
    refused.approval = Some("not held: the approval queue is unavailable".into());
    if let Err(e) = record_durably(state, refused).await {
        return Held::Respond(unrecorded(&e));
    }
    Held::Respond(problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "this request needs a human's approval, and the approval queue is unavailable; nothing was forwarded",
    ))
}

async fn record_durably(state: &State, record: DecisionRecord) -> Result<(), RecordError> {
    let ticket = state.sink.record(record)?;
    state.sink.durable(ticket).await
}

/// A decision that cannot be recorded is not acted on.
fn unrecorded(e: &RecordError) -> Response<Body> {
    tracing::error!(error = %e, "decision could not be recorded; request not acted on");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "the decision could not be recorded, so it was not acted on; retry later or ask the scopegate operator",
    )
}

/// A request to a non-provider host sent in absolute form, passed through
/// (egress allowed it). Nothing is inspected: the host is not a provider.
pub async fn pass_through(
    state: Arc<State>,
    ctx: Arc<ConnCtx>,
    req: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match read_body(&state, body).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let timeout = Duration::from_secs(state.settings.upstream_timeout_secs);
    match forward(
        &state.client,
        parts,
        body,
        &ctx.host,
        ctx.port,
        ctx.scheme,
        timeout,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => upstream_failure(&e, &ctx.host),
    }
}

/// Reads a whole request body, within the size limit and the body
/// timeout; `Err` is the response for the client (413, 408 or 400).
async fn read_body(state: &State, body: Incoming) -> Result<Bytes, Response<Body>> {
    let max = state.settings.max_body_bytes;
    let body_timeout = Duration::from_secs(state.settings.body_timeout_secs);
    let Ok(collected) = tokio::time::timeout(body_timeout, Limited::new(body, max).collect()).await
    else {
        state.metrics.refused("body-timeout");
        return Err(problem(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        ));
    };
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            state.metrics.refused("body-too-large");
            Err(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "request bodies over {max} bytes are refused: scopegate forwards nothing it has not inspected"
                ),
            ))
        }
        Err(_) => {
            state.metrics.refused("body-read");
            Err(problem(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            ))
        }
    }
}

/// Runs `f` over the request as inspection sees it.
fn with_view<R>(
    parts: &http::request::Parts,
    host: &str,
    target: &str,
    body: &[u8],
    f: impl FnOnce(&RequestView<'_>) -> R,
) -> R {
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    f(&RequestView {
        method: parts.method.as_str(),
        host,
        target,
        headers: &headers,
        body,
    })
}

async fn decide(
    engine: &Arc<Engine>,
    ctx: &ConnCtx,
    parts: &http::request::Parts,
    path: &str,
    body: &Bytes,
) -> (EndpointKind, scopegate_inspect::Inspection, Decision) {
    let run =
        |engine: &Engine, method: &str, host: &str, headers: &http::HeaderMap, body: &[u8]| {
            let hs: Vec<(&str, &[u8])> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect();
            let view = RequestView {
                method,
                host,
                target: path,
                headers: &hs,
                body,
            };
            engine.decide(&view)
        };
    let (inspection, decision) = if body.len() <= INLINE_INSPECT_LIMIT {
        run(
            engine,
            parts.method.as_str(),
            &ctx.host,
            &parts.headers,
            body,
        )
    } else {
        let (shared, method, host, headers, body, path) = (
            engine.clone(),
            parts.method.to_string(),
            ctx.host.clone(),
            parts.headers.clone(),
            body.clone(),
            path.to_owned(),
        );
        let joined = tokio::task::spawn_blocking(move || {
            let hs: Vec<(&str, &[u8])> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect();
            shared.decide(&RequestView {
                method: &method,
                host: &host,
                target: &path,
                headers: &hs,
                body: &body,
            })
        })
        .await;
        match joined {
            Ok(r) => r,
            Err(_) => {
                // Inspection panicked: fail closed with an unknown operation.
                let provider = engine
                    .inspector
                    .provider_for(&ctx.host)
                    .map(|c| c.provider.clone())
                    .unwrap_or_default();
                let ops = vec![scopegate_model::Operation::unknown(
                    provider.clone(),
                    "inspection-failed",
                    "inspection failed",
                )];
                let d =
                    scopegate_policy::evaluate(&engine.scope_map, &PresentedCredential::None, &ops);
                let i = scopegate_inspect::Inspection {
                    provider: Some(provider),
                    endpoint: EndpointKind::Rest,
                    operations: ops,
                    credential: PresentedCredential::None,
                    reading: scopegate_inspect::Reading::Nothing,
                };
                (i, d)
            }
        }
    };
    (inspection.endpoint, inspection, decision)
}

/// Swaps a presented surrogate for the real secret. `Err` is a refusal.
fn swap_surrogate(
    engine: &Engine,
    credential: &PresentedCredential,
    headers: &mut http::HeaderMap,
) -> Result<(), String> {
    let PresentedCredential::One {
        fingerprint,
        location,
    } = credential
    else {
        return Ok(());
    };
    let Some((token, true)) = engine.scope_map.token_for(fingerprint) else {
        return Ok(());
    };
    let Some((_, secret_ref)) = &token.surrogate else {
        return Ok(());
    };
    let secret = match secret_ref {
        SecretRef::Env(var) => std::env::var(var).map_err(|_| format!("the real secret for token `{}` (environment variable {var}) is not set on the scopegate host", token.name))?,
        SecretRef::File(file) => {
            let base = engine.sources.first().and_then(|p| p.parent()).map(std::path::Path::to_path_buf).unwrap_or_default();
            std::fs::read_to_string(base.join(file))
                .map(|s| s.trim().to_owned())
                .map_err(|_| format!("the real secret for token `{}` (file {file}) cannot be read on the scopegate host", token.name))?
        }
    };
    if secret.is_empty() {
        return Err(format!(
            "the real secret for token `{}` is empty",
            token.name
        ));
    }
    swap_credential(headers, location, &secret).map_err(str::to_owned)
}

fn upstream_failure(e: &ForwardError, host: &str) -> Response<Body> {
    let cause = Cause::of(e);
    tracing::warn!(%host, cause = cause.as_str(), error = %e, "upstream failure");
    let status = match cause {
        Cause::Timeout => StatusCode::GATEWAY_TIMEOUT,
        Cause::Request => StatusCode::BAD_REQUEST,
        _ => StatusCode::BAD_GATEWAY,
    };
    problem(status, &cause.message(host))
}

/// Paths in logs and records stop at the query string: it may carry tokens.
fn short(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

//! The admin listener: `/metrics`, `/healthz` (liveness: the process
//! answers), `/readyz` (readiness: decisions can be recorded and approvals
//! created), `/ca.pem`.

use std::sync::Arc;
use std::time::Duration;

use http::{Response, StatusCode};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::body::{Body, full};
use crate::shared::State;

/// How long a readiness check waits for the approval queue's database.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn serve(state: Arc<State>, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r { Ok(x) => x, Err(_) => continue },
            _ = shutdown.changed() => break,
        };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(respond(&state, req.uri().path()).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn respond(state: &State, path: &str) -> Response<Body> {
    let (status, ctype, body) = match path {
        "/metrics" => {
            let engine = state.engine.borrow().clone();
            let pending = pending(state).await.ok().flatten();
            let status = crate::metrics::Status {
                tokens: engine.scope_map.tokens.len(),
                rules: engine.scope_map.tokens.iter().map(|t| t.rules.len()).sum(),
                pending_approvals: pending,
            };
            (
                StatusCode::OK,
                "text/plain; version=0.0.4",
                state.metrics.render(
                    state.leafs.stats(),
                    engine.inspector.cache().stats(),
                    state.sink.progress(),
                    &status,
                ),
            )
        }
        "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_owned()),
        "/readyz" => match ready(state).await {
            Ok(()) => (StatusCode::OK, "text/plain", "ready\n".to_owned()),
            Err(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("not ready: {why}\n"),
            ),
        },
        "/ca.pem" => (
            StatusCode::OK,
            "application/x-pem-file",
            state.ca_pem.clone(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found\n".to_owned(),
        ),
    };
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(ctype),
    );
    r
}

/// Ready when a decision can be recorded (the journal takes a write) and a
/// held request can become an approval (the queue's database answers).
async fn ready(state: &State) -> Result<(), String> {
    state
        .sink
        .ready()
        .map_err(|e| format!("decisions cannot be recorded ({e})"))?;
    pending(state)
        .await
        .map(|_| ())
        .map_err(|e| format!("approvals cannot be created ({e})"))
}

/// Pending approvals; `None` without an approval queue.
async fn pending(state: &State) -> Result<Option<u64>, String> {
    let Some(approvals) = &state.approvals else {
        return Ok(None);
    };
    match tokio::time::timeout(PROBE_TIMEOUT, approvals.pending()).await {
        Ok(r) => r.map(Some).map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "the queue did not answer within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
}

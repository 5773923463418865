//! Server-sent events: one `approval` event (`{"id": ...}`) per change the
//! [`ApprovalHub`](scopegate_store::ApprovalHub) signals — new holds,
//! decisions, here or (on Postgres) on any replica. A `ready` event opens
//! the stream; `resync` says events were dropped and the client should
//! reload. Streams end when the dashboard shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::stream::{self, StreamExt as _};
use tokio::sync::broadcast::error::RecvError;

use crate::{ApiUser, Shared};

pub async fn stream(
    ApiUser(_who): ApiUser,
    State(state): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.hub.subscribe();
    let mut stop = state.shutdown.subscribe();
    stop.mark_unchanged();
    let ready = stream::once(async { Ok(Event::default().event("ready").data("{}")) });
    let changes = stream::unfold((rx, stop), |(mut rx, mut stop)| async move {
        if *stop.borrow() {
            return None;
        }
        let event = tokio::select! {
            _ = stop.changed() => return None,
            ev = rx.recv() => match ev {
                Ok(e) => Event::default()
                    .event("approval")
                    .data(serde_json::json!({ "id": e.id }).to_string()),
                Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                Err(RecvError::Closed) => return None,
            },
        };
        Some((Ok(event), (rx, stop)))
    });
    Sse::new(ready.chain(changes)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

//! The dashboard on a real listener: the CLI's client against it, and a
//! shutdown that ends open event streams instead of waiting on them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use scopegate_model::Resolution;
use std::time::Duration;

use common::*;
use scopegate_web::{ApiClient, ClientError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[tokio::test]
async fn the_cli_client_lists_and_decides_and_shutdown_ends_event_streams() {
    let app = app().await;
    let id = hold(&app.store, "apr_cli").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.dashboard.clone().serve(listener, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");

    let c = ApiClient::new(&base, ADMIN_API_TOKEN).unwrap();
    let pending = c.list(Some("pending")).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].approval.id, id);
    assert!(pending[0].summary.contains("volumeId vol-123"));
    match c.resolve(id.as_str(), Resolution::Approve, "").await {
        Err(ClientError::Refused {
            status: 422, error, ..
        }) => assert_eq!(error, "confirmation_required"),
        other => panic!("a destructive approval needs its confirmation: {other:?}"),
    }
    let a = c
        .resolve_with(
            id.as_str(),
            Resolution::Approve,
            "from the cli",
            Some("vol-123"),
        )
        .await
        .unwrap();
    assert_eq!(
        (a.approval.state.as_str(), a.approval.decided_by.as_deref()),
        ("approved", Some("root"))
    );
    match c.resolve(id.as_str(), Resolution::Reject, "").await {
        Err(ClientError::Refused {
            status: 409, error, ..
        }) => assert_eq!(error, "not_pending"),
        other => panic!("{other:?}"),
    }
    match ApiClient::new(&base, AGENT_TOKEN).unwrap().list(None).await {
        Err(ClientError::Refused { status: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.get(id.as_str()).await.unwrap().approval.note.as_deref(),
        Some("from the cli")
    );

    // an open event stream
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET /events HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {ADMIN_API_TOKEN}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("200 OK"));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("shutdown does not wait on event streams")
        .unwrap()
        .unwrap();
}

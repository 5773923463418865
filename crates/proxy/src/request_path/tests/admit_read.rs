//! admit and read: what is refused from the head, and reading the body.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use hyper::body::Frame;

use super::*;
use crate::request_path::admit::{Admitted, admit};
use crate::request_path::read::{Limits, read};

fn limits(max_body: usize) -> Limits {
    Limits {
        max_body,
        timeout: Duration::from_millis(50),
    }
}

fn head(host: &str) -> http::request::Builder {
    Request::post("/graphql/v2").header("host", host)
}

#[test]
fn the_request_must_name_the_tunnels_host() {
    let c = conn();
    for ok in [
        "backboard.railway.com",
        "BACKBOARD.railway.com:443",
        "backboard.railway.com.",
    ] {
        let req = head(ok).body(()).unwrap();
        assert!(admit(&c, req).is_ok(), "{ok}");
    }
    for other in ["api.github.com", "railway.com", "evil.com"] {
        let req = head(other).body(()).unwrap();
        assert!(
            matches!(admit(&c, req), Err(Refusal::AuthorityMismatch)),
            "{other}"
        );
    }
    let absolute = Request::get("https://api.github.com/user")
        .body(())
        .unwrap();
    assert!(matches!(
        admit(&c, absolute),
        Err(Refusal::AuthorityMismatch)
    ));
}

#[test]
fn upgrades_are_refused_before_the_body() {
    let c = conn();
    let ws = head("backboard.railway.com")
        .header("upgrade", "websocket")
        .body(())
        .unwrap();
    assert!(matches!(admit(&c, ws), Err(Refusal::Upgrade)));
    let connect = Request::connect("backboard.railway.com:443")
        .body(())
        .unwrap();
    assert!(matches!(admit(&c, connect), Err(Refusal::Upgrade)));
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_unread() {
    let c = conn();
    let at = |n: usize, expect: bool| {
        let mut b = head("backboard.railway.com").header("content-length", n.to_string());
        if expect {
            b = b.header("expect", "100-continue");
        }
        let (parts, ()) = b.body(()).unwrap().into_parts();
        admit(
            &c,
            Request::from_parts(parts, Full::new(Bytes::from(vec![b'x'; n]))),
        )
        .unwrap()
    };
    assert!(read(&limits(100), at(100, false)).await.is_ok());
    let unread = read(&limits(100), at(101, false)).await.unwrap_err();
    assert!(matches!(unread.why, Refusal::BodyTooLarge { max: 100 }));
    assert_eq!(unread.parts.uri.path(), "/graphql/v2", "the head is kept");
    // A client waiting for `100 Continue` is answered at once, unread.
    let (parts, ()) = head("backboard.railway.com")
        .header("content-length", "101")
        .header("expect", "100-continue")
        .body(())
        .unwrap()
        .into_parts();
    let waiting = Admitted {
        parts,
        body: Silent,
    };
    let unread = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        read(&limits(100), waiting),
    )
    .await
    .expect("not drained")
    .unwrap_err();
    assert!(matches!(unread.why, Refusal::BodyTooLarge { max: 100 }));
}

#[tokio::test]
async fn the_body_is_read_whole_and_exact() {
    let req = streaming(graphql(READ, TOKEN));
    let expected = serde_json::json!({ "query": READ }).to_string();
    let admitted = admit(&conn(), req).unwrap();
    let inbound = read(&limits(1 << 20), admitted).await.unwrap();
    assert_eq!(inbound.body, expected.as_bytes());
    assert_eq!(inbound.target(), "/graphql/v2");
}

#[tokio::test]
async fn a_body_streaming_past_the_limit_is_refused() {
    // No Content-Length: the limit is enforced while reading.
    let admitted = Admitted {
        parts: head("backboard.railway.com")
            .body(())
            .unwrap()
            .into_parts()
            .0,
        body: Full::new(Bytes::from(vec![b'x'; 101])),
    };
    let r = read(&limits(100), admitted).await.unwrap_err().why;
    assert!(matches!(r, Refusal::BodyTooLarge { max: 100 }), "{r:?}");
}

/// A body that never arrives.
struct Silent;

impl hyper::body::Body for Silent {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

/// A body that breaks off.
struct Broken;

impl hyper::body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::other("reset"))))
    }
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let parts = head("backboard.railway.com")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let r = read(
        &limits(100),
        Admitted {
            parts,
            body: Silent,
        },
    )
    .await
    .unwrap_err()
    .why;
    assert!(matches!(r, Refusal::BodyTimeout), "{r:?}");
}

#[tokio::test]
async fn a_body_that_breaks_off_is_refused() {
    let parts = head("backboard.railway.com")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let r = read(
        &limits(100),
        Admitted {
            parts,
            body: Broken,
        },
    )
    .await
    .unwrap_err()
    .why;
    assert!(matches!(r, Refusal::BodyUnreadable), "{r:?}");
}

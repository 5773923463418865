//! JSON responses scopegate makes itself.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use serde_json::json;

use crate::body::{Body, full};

/// A response for a problem that is not a policy decision.
pub fn problem(status: StatusCode, message: &str) -> Response<Body> {
    json_response(
        status,
        &json!({ "message": super::phrases::defused(&format!("scopegate: {message}")), "scopegate": { "status": status.as_u16() } }),
    )
}

pub fn json_response(status: StatusCode, v: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(full(v.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

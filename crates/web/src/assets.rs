//! The one stylesheet and the one script, compiled in.

use axum::response::IntoResponse;
use http::{HeaderValue, header};

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const ICON: &str = include_str!("../assets/favicon.svg");

fn asset(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=300"),
            ),
        ],
        body,
    )
}

pub async fn css() -> impl IntoResponse {
    asset(CSS, "text/css; charset=utf-8")
}

pub async fn js() -> impl IntoResponse {
    asset(JS, "text/javascript; charset=utf-8")
}

pub async fn icon() -> impl IntoResponse {
    asset(ICON, "image/svg+xml")
}

//! The checks every provider request passes before it is read, in order:
//! target, query, path, method, body encoding, content type, method
//! overrides. Any failure makes the request `unknown`, with its label.

use std::borrow::Cow;

use super::{Inspector, Unread, method_override};
use crate::catalog::Catalog;
use crate::{RequestView, decode, rest};

/// A request ready to be read: its query, path and decoded body.
pub struct Prepared<'a> {
    pub query_pairs: Vec<(String, String)>,
    pub segments: Vec<String>,
    /// The path holds an encoded slash: only a REST route can read it.
    pub encoded_slash: bool,
    pub content_type: Option<&'a str>,
    pub body: Cow<'a, [u8]>,
}

pub fn prepare<'a>(
    inspector: &Inspector,
    catalog: &Catalog,
    req: &'a RequestView<'a>,
    query_pairs: Option<Option<Vec<(String, String)>>>,
    segments: Result<Vec<String>, rest::PathError>,
) -> Result<Prepared<'a>, Unread> {
    if req.target.contains('#') {
        return Err((
            "unreadable-target",
            "the request target holds a fragment".into(),
        ));
    }
    let Some(query_pairs) = query_pairs.unwrap_or(Some(Vec::new())) else {
        return Err((
            "unreadable-query",
            "the query string does not decode".into(),
        ));
    };
    let (segments, encoded_slash) = match segments {
        Ok(s) => (s, false),
        Err(rest::PathError::HiddenSeparator) if !catalog.params_with_slashes.is_empty() => {
            (Vec::new(), true)
        }
        Err(e) => return Err(("unreadable-path", e.to_string())),
    };
    if !req.method.bytes().all(|b| b.is_ascii_uppercase()) || req.method.is_empty() {
        return Err((
            "unknown-method",
            format!("method `{}` is not one scopegate reads", req.method),
        ));
    }
    let body = body(inspector, req)?;
    let content_type = match req.header("content-type").collect::<Vec<_>>()[..] {
        [] => None,
        [one] => Some(
            std::str::from_utf8(one)
                .map_err(|_| ("unreadable-body", "content-type is not text".to_owned()))?,
        ),
        _ => return Err(("unreadable-body", "more than one content-type".into())),
    };
    if let Some(why) = method_override(req, &query_pairs, content_type, &body) {
        return Err(("method-override", why));
    }
    Ok(Prepared {
        query_pairs,
        segments,
        encoded_slash,
        content_type,
        body,
    })
}

/// The body with its content encodings undone, within the limits.
fn body<'a>(inspector: &Inspector, req: &'a RequestView<'a>) -> Result<Cow<'a, [u8]>, Unread> {
    let encodings: Vec<&str> = req
        .header("content-encoding")
        .map(std::str::from_utf8)
        .collect::<Result<_, _>>()
        .map_err(|_| ("unreadable-body", "content-encoding is not text".to_owned()))?;
    decode::decode(
        req.body,
        &encodings,
        inspector.limits.max_decoded_body,
        inspector.limits.max_encodings,
    )
    .map_err(|e| ("unreadable-body", e.to_string()))
}

//! The key an approval's grant is bound to: everything the inspector read
//! and everything it read it as.
//!
//! A grant releases one replay of the request a human approved. Binding it
//! to the bytes alone is not enough: the same bytes read under another
//! `Content-Type` or `Content-Encoding` can ask the provider for something
//! else. So the key covers every input inspection consults (method,
//! canonical host, target, the headers in [`READ_HEADERS`], the presented
//! credential and where it was presented, the body) and the reading itself
//! (the operations with their class and resources, and for GraphQL every
//! document, variable and operation name that reaches the provider). Two
//! requests share a key only if both their inputs and their readings are
//! identical. See docs/approvals.md.

use sha2::{Digest as _, Sha256};

use crate::canonical_host;
use crate::inspector::{Inspection, Reading, RequestView};

/// Every header inspection reads to decide what a request means, besides
/// the credential headers (bound through the presented credential). The
/// inspector reads headers only through this list (see
/// `RequestView::header`).
pub const READ_HEADERS: [&str; 5] = [
    "content-encoding",
    "content-type",
    "x-http-method",
    "x-http-method-override",
    "x-method-override",
];

/// The reading key of one request (lowercase hex SHA-256). Headers not in
/// [`READ_HEADERS`] and not credentials (`User-Agent`, tracing ids) do not
/// change it, so an identical retry matches.
pub fn reading_key(req: &RequestView<'_>, inspection: &Inspection) -> String {
    let mut h = Framed(Sha256::new());
    h.field(b"scopegate reading v1");
    h.field(req.method.as_bytes());
    let (host, port) = canonical_host(req.host, 443);
    h.field(host.as_bytes());
    h.field(&port.to_be_bytes());
    h.field(req.target.as_bytes());
    h.headers(req, &READ_HEADERS);
    if inspection.provider.as_deref() == Some(crate::aws::PROVIDER) {
        // What AWS reads the operation from besides the target and body;
        // not `authorization` (re-signed on every resend: the credential
        // is bound through the presented access key id).
        h.headers(req, &["x-amz-target", "x-amz-copy-source"]);
    }
    h.field(&json(&inspection.credential));
    h.field(req.body);
    h.field(&json(&inspection.operations));
    match &inspection.reading {
        Reading::Nothing => h.field(b"nothing"),
        Reading::Rest { query, .. } => {
            h.field(b"rest");
            h.field(&json(query));
        }
        Reading::Graphql(requests) => {
            h.field(b"graphql");
            h.field(&(requests.len() as u64).to_be_bytes());
            for r in requests {
                h.field(r.query.as_bytes());
                h.field(&json(&r.variables));
                h.field(&json(&r.operation_name));
            }
        }
    }
    scopegate_model::hex(&h.0.finalize())
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Serialising these plain data types cannot fail; an empty field would
    // still be framed, so a failure could not make two readings collide
    // with a reading that succeeded.
    serde_json::to_vec(v).unwrap_or_default()
}

/// Length-prefixed fields, so no two different field lists hash alike.
struct Framed(Sha256);

impl Framed {
    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    /// Each header in `names`: its name, how many values, each value.
    fn headers(&mut self, req: &RequestView<'_>, names: &[&str]) {
        for name in names {
            let values: Vec<&[u8]> = req
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
                .collect();
            self.field(name.as_bytes());
            self.field(&(values.len() as u64).to_be_bytes());
            values.iter().for_each(|v| self.field(v));
        }
    }
}

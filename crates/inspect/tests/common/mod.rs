//! Helpers shared by the end-to-end inspection tests.

#![allow(dead_code)]

use std::io::Write;
use std::sync::LazyLock;

use scopegate_inspect::{CatalogSet, Inspection, Inspector, Limits, RequestView};
use scopegate_model::OpClass;

pub const RAILWAY: &str = "backboard.railway.com";
pub const GITHUB: &str = "api.github.com";
pub const GQL: &str = "/graphql/v2";
pub const JSON: (&str, &[u8]) = ("Content-Type", b"application/json");

/// One inspector for the whole test binary, as the proxy has: its document
/// cache is shared between tests, which is part of what they exercise.
pub static INSPECTOR: LazyLock<Inspector> = LazyLock::new(|| {
    Inspector::new(
        CatalogSet::bundled().expect("bundled catalogues"),
        Limits::default(),
    )
});

pub fn inspect(
    method: &str,
    host: &str,
    target: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Inspection {
    INSPECTOR.inspect(&RequestView {
        method,
        host,
        target,
        headers,
        body,
    })
}

/// A JSON POST to Railway's public GraphQL endpoint.
pub fn railway_json(body: &str) -> Inspection {
    inspect("POST", RAILWAY, GQL, &[JSON], body.as_bytes())
}

/// A JSON POST of one document (and optional variables) to Railway.
pub fn railway_doc(doc: &str, variables: Option<serde_json::Value>) -> Inspection {
    let mut body = serde_json::json!({ "query": doc });
    if let Some(v) = variables {
        body["variables"] = v;
    }
    railway_json(&body.to_string())
}

/// `(name, class)` of every operation, in the order found.
pub fn ops(i: &Inspection) -> Vec<(String, OpClass)> {
    i.operations
        .iter()
        .map(|o| (o.name.clone(), o.class))
        .collect()
}

/// `(name, class)` pairs to compare with [`ops`].
pub fn want(pairs: &[(&str, OpClass)]) -> Vec<(String, OpClass)> {
    pairs.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
}

/// The inspection is exactly one `unknown` operation with this label.
#[track_caller]
pub fn assert_unknown(i: &Inspection, label: &str) {
    assert_eq!(
        ops(i),
        want(&[(label, OpClass::Unknown)]),
        "expected a single unknown `{label}`, got {:#?}",
        i.operations
    );
    let note = i.operations[0].note.as_deref().unwrap_or_default();
    assert!(!note.is_empty(), "an unknown operation must say why");
}

/// Resources of the only operation, as `(kind, values)` pairs.
pub fn resources(i: &Inspection) -> Vec<(String, Vec<String>)> {
    assert_eq!(i.operations.len(), 1, "{:#?}", i.operations);
    i.operations[0]
        .resources
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub fn res(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    pairs
        .iter()
        .map(|(k, vs)| {
            (
                (*k).to_owned(),
                vs.iter().map(|v| (*v).to_owned()).collect(),
            )
        })
        .collect()
}

/// Percent-encodes every byte outside the unreserved set.
pub fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// `Content-Encoding: deflate` is the zlib format (RFC 9110 §8.4.1.2).
pub fn deflate(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A valid brotli stream made of uncompressed meta-blocks (RFC 7932 §9.2),
/// so the tests need no brotli encoder.
pub fn brotli_stored(data: &[u8]) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, width: u32) {
            self.acc |= value << self.n;
            self.n += width;
            while self.n >= 8 {
                self.out.push((self.acc & 0xff) as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        fn align(&mut self) {
            if self.n > 0 {
                self.put(0, 8 - self.n);
            }
        }
    }
    let mut w = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    w.put(0, 1); // WBITS = 16
    for chunk in data.chunks(1 << 16) {
        w.put(0, 1); // ISLAST = 0
        w.put(0, 2); // MNIBBLES = 4
        w.put(chunk.len() as u64 - 1, 16); // MLEN - 1
        w.put(1, 1); // ISUNCOMPRESSED
        w.align();
        w.out.extend_from_slice(chunk);
    }
    w.put(1, 1); // ISLAST
    w.put(1, 1); // ISLASTEMPTY
    w.align();
    w.out
}

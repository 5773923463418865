//! Bounds checked before any parser (and above all any recursive one) sees
//! untrusted input. Exceeding one makes the request `unknown`.

/// Size, count and nesting bounds for inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest body accepted after content-decoding.
    pub max_decoded_body: usize,
    /// Largest GraphQL document text.
    pub max_document_bytes: usize,
    /// Most lexical tokens in one GraphQL document.
    pub max_document_tokens: usize,
    /// Deepest nesting of `{`, `(` and `[` in a GraphQL document.
    /// graphql-parser refuses beyond 50 on its own; we stop well before.
    pub max_document_depth: usize,
    /// Most GraphQL requests in one batched array.
    pub max_batch: usize,
    /// Most content-encodings stacked on one body.
    pub max_encodings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_decoded_body: 4 << 20,
            max_document_bytes: 256 << 10,
            max_document_tokens: 50_000,
            max_document_depth: 40,
            max_batch: 32,
            max_encodings: 2,
        }
    }
}

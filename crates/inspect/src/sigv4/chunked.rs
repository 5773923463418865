//! aws-chunked bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`): every chunk
//! is `hex-size;chunk-signature=<64 hex>\r\n<data>\r\n`, the last one of
//! size 0, each signature chained from the previous one (the first from
//! the request's seed signature).

use std::ops::Range;

use ring::hmac;

use super::encode::{eq_ct, sha256_hex};
use super::sign::hmac_hex;
use super::{SigError, single_header};

const EXT: &str = ";chunk-signature=";
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Chunk {
    data: Range<usize>,
    /// Offset of the 64 hex digits of its signature in the body.
    sig_at: usize,
}

fn malformed() -> SigError {
    SigError::Malformed("aws-chunked body")
}

fn parse(body: &[u8]) -> Result<Vec<Chunk>, SigError> {
    let mut chunks = Vec::new();
    let mut pos = 0;
    loop {
        let head = body.get(pos..).ok_or_else(malformed)?;
        let semi = head
            .iter()
            .take(17)
            .position(|&b| b == b';')
            .ok_or_else(malformed)?;
        let size = std::str::from_utf8(&head[..semi])
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or_else(malformed)?;
        let sig_at = pos + semi + EXT.len();
        let data_start = sig_at + 64 + 2;
        if body.get(pos + semi..sig_at) != Some(EXT.as_bytes())
            || body.get(sig_at + 64..data_start) != Some(b"\r\n".as_slice())
            || !body[sig_at..sig_at + 64]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        {
            return Err(malformed());
        }
        let data_end = data_start.checked_add(size).ok_or_else(malformed)?;
        if body.get(data_end..data_end.saturating_add(2)) != Some(b"\r\n".as_slice()) {
            return Err(malformed());
        }
        chunks.push(Chunk {
            data: data_start..data_end,
            sig_at,
        });
        pos = data_end + 2;
        if size == 0 {
            break;
        }
    }
    if pos != body.len() {
        return Err(SigError::Malformed(
            "data after the final aws-chunked chunk",
        ));
    }
    Ok(chunks)
}

fn chunk_signature(
    key: &hmac::Key,
    datetime: &str,
    scope: &str,
    prev: &str,
    data: &[u8],
) -> String {
    let sts = format!(
        "AWS4-HMAC-SHA256-PAYLOAD\n{datetime}\n{scope}\n{prev}\n{EMPTY_HASH}\n{}",
        sha256_hex(data)
    );
    hmac_hex(key, sts.as_bytes())
}

/// Checks every chunk signature with `key`, chained from `seed`, and that
/// `x-amz-decoded-content-length`, if sent, is the decoded length.
pub(super) fn verify(
    body: &[u8],
    headers: &[(&str, &[u8])],
    key: &hmac::Key,
    (datetime, scope): (&str, &str),
    seed: &str,
) -> Result<(), SigError> {
    let chunks = parse(body)?;
    if let Some(len) = single_header(headers, "x-amz-decoded-content-length")? {
        let total: usize = chunks.iter().map(|c| c.data.len()).sum();
        if len.trim_ascii() != total.to_string().as_bytes() {
            return Err(SigError::Malformed("x-amz-decoded-content-length"));
        }
    }
    let mut prev = seed.to_owned();
    for (i, c) in chunks.iter().enumerate() {
        let sig = chunk_signature(key, datetime, scope, &prev, &body[c.data.clone()]);
        let given = std::str::from_utf8(&body[c.sig_at..c.sig_at + 64]).map_err(|_| malformed())?;
        if !eq_ct(&sig, given) {
            return Err(SigError::ChunkSignatureMismatch(i));
        }
        prev = sig;
    }
    Ok(())
}

/// The body with every chunk signature recomputed with `key` from `seed`.
pub(super) fn resign(
    body: &[u8],
    key: &hmac::Key,
    (datetime, scope): (&str, &str),
    seed: &str,
) -> Result<Vec<u8>, SigError> {
    let mut out = body.to_vec();
    let mut prev = seed.to_owned();
    for c in parse(body)? {
        let sig = chunk_signature(key, datetime, scope, &prev, &body[c.data]);
        out[c.sig_at..c.sig_at + 64].copy_from_slice(sig.as_bytes());
        prev = sig;
    }
    Ok(out)
}

/// An aws-chunked body of `chunks` plus the final empty chunk, every
/// signature still zeros: [`super::sign`] fills them in.
pub fn aws_chunked_body(chunks: &[&[u8]]) -> Vec<u8> {
    let zeros = "0".repeat(64);
    let mut out = Vec::new();
    for data in chunks.iter().copied().chain([&[][..]]) {
        out.extend_from_slice(format!("{:x}{EXT}{zeros}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out
}

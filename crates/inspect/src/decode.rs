//! Content-encoding: gzip, deflate (zlib) and br, decoded with a cap on the
//! decoded size so a decompression bomb is refused, not expanded.

use std::borrow::Cow;
use std::io::Read;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unsupported content-encoding `{0}`")]
    Unsupported(String),
    #[error("more than {0} content-encodings stacked")]
    TooMany(usize),
    #[error("body does not decode as {0}")]
    Corrupt(&'static str),
    #[error("decoded body exceeds {0} bytes")]
    TooLarge(usize),
}

/// Decodes `body` through every encoding in `encodings` (header values in
/// order; the last applied is undone first). `identity` is a no-op.
pub fn decode<'a>(
    body: &'a [u8],
    encodings: &[&str],
    max_out: usize,
    max_layers: usize,
) -> Result<Cow<'a, [u8]>, DecodeError> {
    let mut layers: Vec<String> = Vec::new();
    for h in encodings {
        for e in h.split(',') {
            let e = e.trim().to_ascii_lowercase();
            if e.is_empty() || e == "identity" {
                continue;
            }
            layers.push(e);
        }
    }
    if layers.len() > max_layers {
        return Err(DecodeError::TooMany(max_layers));
    }
    let mut cur: Cow<'a, [u8]> = Cow::Borrowed(body);
    for e in layers.iter().rev() {
        // Bytes after the end of the compressed stream (a second gzip member,
        // which most servers decode too, or anything else) are refused: they
        // would reach the provider without being read.
        let next = match e.as_str() {
            "gzip" | "x-gzip" => {
                let mut d = flate2::bufread::GzDecoder::new(&cur[..]);
                let out = read_capped(&mut d, max_out, "gzip")?;
                whole(d.into_inner(), out, "gzip")?
            }
            "deflate" => {
                let mut d = flate2::bufread::ZlibDecoder::new(&cur[..]);
                let out = read_capped(&mut d, max_out, "deflate")?;
                whole(d.into_inner(), out, "deflate")?
            }
            "br" => brotli(&cur, max_out)?,
            other => return Err(DecodeError::Unsupported(other.to_owned())),
        };
        cur = Cow::Owned(next);
    }
    if cur.len() > max_out {
        return Err(DecodeError::TooLarge(max_out));
    }
    Ok(cur)
}

/// Brotli through the stream API, which tells how much input is left when
/// the stream ends (the `Read` adapter does not report trailing bytes).
fn brotli(input: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};
    let mut state = BrotliState::new(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
    );
    let (mut avail_in, mut in_off, mut total) = (input.len(), 0, 0);
    let mut out = Vec::new();
    let mut buf = vec![0; 16 << 10];
    loop {
        let (mut avail_out, mut out_off) = (buf.len(), 0);
        let r = BrotliDecompressStream(
            &mut avail_in,
            &mut in_off,
            input,
            &mut avail_out,
            &mut out_off,
            &mut buf,
            &mut total,
            &mut state,
        );
        out.extend_from_slice(&buf[..out_off]);
        if out.len() > max {
            return Err(DecodeError::TooLarge(max));
        }
        match r {
            BrotliResult::NeedsMoreOutput => {}
            BrotliResult::ResultSuccess if avail_in == 0 => return Ok(out),
            // corrupt, truncated, or followed by more bytes
            _ => return Err(DecodeError::Corrupt("br")),
        }
    }
}

/// `out` if the decoder consumed all of its input.
fn whole(rest: &[u8], out: Vec<u8>, name: &'static str) -> Result<Vec<u8>, DecodeError> {
    if rest.is_empty() {
        Ok(out)
    } else {
        Err(DecodeError::Corrupt(name))
    }
}

fn read_capped<R: Read>(r: &mut R, max: usize, name: &'static str) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    r.take(cap)
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::Corrupt(name))?;
    if out.len() > max {
        return Err(DecodeError::TooLarge(max));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decodes_stacked_layers() {
        let plain = b"{\"query\":\"{ me { id } }\"}";
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&gzip(plain)).unwrap();
        let both = z.finish().unwrap();
        let out = decode(&both, &["gzip, deflate"], 1 << 20, 2).unwrap();
        assert_eq!(&out[..], plain);
        assert_eq!(
            &decode(plain, &["identity"], 1 << 20, 2).unwrap()[..],
            plain
        );
    }

    #[test]
    fn refuses_bombs_unknown_and_corrupt() {
        let bomb = gzip(&vec![b'a'; 10 << 20]);
        assert!(bomb.len() < 20_000);
        assert_eq!(
            decode(&bomb, &["gzip"], 1 << 20, 2),
            Err(DecodeError::TooLarge(1 << 20))
        );
        assert_eq!(
            decode(b"x", &["zstd"], 10, 2),
            Err(DecodeError::Unsupported("zstd".into()))
        );
        assert_eq!(
            decode(b"xx", &["gzip"], 10, 2),
            Err(DecodeError::Corrupt("gzip"))
        );
        assert_eq!(
            decode(b"x", &["gzip, gzip, gzip"], 10, 2),
            Err(DecodeError::TooMany(2))
        );
    }
}

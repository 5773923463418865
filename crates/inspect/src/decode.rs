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
        let next = match e.as_str() {
            "gzip" | "x-gzip" => {
                read_capped(flate2::read::GzDecoder::new(&cur[..]), max_out, "gzip")?
            }
            "deflate" => read_capped(flate2::read::ZlibDecoder::new(&cur[..]), max_out, "deflate")?,
            "br" => read_capped(
                brotli_decompressor::Decompressor::new(&cur[..], 4096),
                max_out,
                "br",
            )?,
            other => return Err(DecodeError::Unsupported(other.to_owned())),
        };
        cur = Cow::Owned(next);
    }
    if cur.len() > max_out {
        return Err(DecodeError::TooLarge(max_out));
    }
    Ok(cur)
}

fn read_capped<R: Read>(r: R, max: usize, name: &'static str) -> Result<Vec<u8>, DecodeError> {
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

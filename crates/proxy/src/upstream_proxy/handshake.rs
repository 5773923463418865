//! The `CONNECT` scopegate sends to its upstream proxy, and reading the
//! head of the proxy's answer. Pure: bytes in, bytes or a verdict out.

use super::{Credentials, ProxyFailure};

/// The longest answer head read; a proxy that sends more is not answering
/// a `CONNECT`.
pub const MAX_HEAD: usize = 16 << 10;

/// `CONNECT target HTTP/1.1` with `Host` and, with credentials,
/// `Proxy-Authorization: Basic …`. `None` when `target` is not a bare
/// `host:port` (nothing that could break the request line).
pub fn connect_request(target: &str, credentials: Option<&Credentials>) -> Option<Vec<u8>> {
    let clean = !target.is_empty()
        && target.contains(':')
        && target.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':' | b'[' | b']')
        });
    if !clean {
        return None;
    }
    let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(c) = credentials {
        req.push_str("Proxy-Authorization: ");
        req.push_str(&c.basic());
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    Some(req.into_bytes())
}

/// What the bytes read so far say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// No blank line yet: read more.
    Incomplete,
    /// The status, and the head's length (blank line included): bytes
    /// after it are the tunnel's.
    Complete { status: u16, len: usize },
    /// Not an HTTP/1.x response head, or longer than [`MAX_HEAD`].
    Malformed,
}

/// Reads the answer's head from `buf` (everything read so far).
pub fn read_head(buf: &[u8]) -> Head {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2));
    let Some(len) = end else {
        return if buf.len() > MAX_HEAD {
            Head::Malformed
        } else {
            Head::Incomplete
        };
    };
    if len > MAX_HEAD {
        return Head::Malformed;
    }
    let line = buf[..len].split(|&b| b == b'\n').next().unwrap_or_default();
    match status_of(line) {
        Some(status) => Head::Complete { status, len },
        None => Head::Malformed,
    }
}

/// `HTTP/1.x NNN reason` → `NNN`.
fn status_of(line: &[u8]) -> Option<u16> {
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

/// A 2xx opens the tunnel; anything else is the proxy's refusal.
pub fn judge(status: u16) -> Result<(), ProxyFailure> {
    match status {
        200..=299 => Ok(()),
        407 => Err(ProxyFailure::Auth),
        500..=599 => Err(ProxyFailure::BadGateway(status)),
        100..=199 => Err(ProxyFailure::Protocol),
        _ => Err(ProxyFailure::Denied(status)),
    }
}

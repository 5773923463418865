//! Parses an HTTP/1.1 request message from bytes — the format of
//! `scopegate check` request files and of policy tests. Lines may end in
//! CRLF or LF; the body runs to `Content-Length`, is de-chunked, or is the
//! rest of the input.

use crate::RequestView;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub method: String,
    pub host: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MessageError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> MessageError {
    MessageError {
        line,
        message: message.into(),
    }
}

impl Message {
    /// Borrows the message as inspection input.
    pub fn with_view<R>(&self, f: impl FnOnce(&RequestView<'_>) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        f(&RequestView {
            method: &self.method,
            host: &self.host,
            target: &self.target,
            headers: &headers,
            body: &self.body,
        })
    }

    pub fn parse(input: &[u8]) -> Result<Self, MessageError> {
        // skip leading blank lines
        let mut rest = input;
        let mut line_no = 1;
        loop {
            let (line, after) = split_line(rest);
            if !line.iter().all(u8::is_ascii_whitespace) || after.is_empty() {
                break;
            }
            rest = after;
            line_no += 1;
        }
        let (request_line, rest) = split_line(rest);
        let request_line = std::str::from_utf8(request_line)
            .map_err(|_| err(line_no, "request line is not UTF-8"))?;
        let mut words = request_line.split_whitespace();
        let (Some(method), Some(target)) = (words.next(), words.next()) else {
            return Err(err(line_no, "expected `METHOD TARGET HTTP/1.1`"));
        };
        match words.next() {
            None | Some("HTTP/1.1" | "HTTP/1.0" | "HTTP/2") => {}
            Some(v) => return Err(err(line_no, format!("unsupported version `{v}`"))),
        }
        let (headers, rest, line_no) = headers(rest, line_no)?;
        let (host, target) = host_and_target(target, &headers)?;
        let body = body(&headers, rest, line_no)?;
        Ok(Self {
            method: method.to_owned(),
            host,
            target,
            headers,
            body,
        })
    }
}

type Headers = Vec<(String, Vec<u8>)>;

/// The header lines after the request line (numbered from `line_no`), up to
/// the blank line; what follows them, and the line number reached.
fn headers(mut rest: &[u8], mut line_no: usize) -> Result<(Headers, &[u8], usize), MessageError> {
    let mut headers = Vec::new();
    loop {
        line_no += 1;
        if rest.is_empty() {
            break;
        }
        let (line, after) = split_line(rest);
        rest = after;
        if line.is_empty() {
            break;
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| err(line_no, "header line without ':'"))?;
        let name = std::str::from_utf8(&line[..colon])
            .ok()
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| err(line_no, "invalid header name"))?;
        let value = trim(&line[colon + 1..]);
        headers.push((name.to_owned(), value.to_vec()));
    }
    Ok((headers, rest, line_no))
}

/// The host and origin-form target: from an absolute URL, or the target as
/// written with the `Host` header.
fn host_and_target(target: &str, headers: &Headers) -> Result<(String, String), MessageError> {
    if let Some(after) = target
        .strip_prefix("https://")
        .or_else(|| target.strip_prefix("http://"))
    {
        let end = after.find(['/', '?']).unwrap_or(after.len());
        let path = &after[end..];
        let path = if path.is_empty() {
            "/".to_owned()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        return Ok((after[..end].to_owned(), path));
    }
    let host = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .ok_or_else(|| {
            err(
                1,
                "origin-form target needs a Host header (or use an absolute URL)",
            )
        })?;
    Ok((host.to_owned(), target.to_owned()))
}

/// The body after the headers: dechunked, cut to one agreed Content-Length,
/// or the rest as it is.
fn body(headers: &Headers, rest: &[u8], line_no: usize) -> Result<Vec<u8>, MessageError> {
    let header = |name: &'static str| {
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    };
    let chunked = header("transfer-encoding").any(|v| v.eq_ignore_ascii_case(b"chunked"));
    let lengths: Vec<&[u8]> = header("content-length").collect();
    if chunked {
        if !lengths.is_empty() {
            return Err(err(
                line_no,
                "both Content-Length and chunked transfer-encoding",
            ));
        }
        return dechunk(rest).ok_or_else(|| err(line_no, "malformed chunked body"));
    }
    let Some(first) = lengths.first() else {
        return Ok(rest.to_vec());
    };
    if lengths.iter().any(|l| l != first) {
        return Err(err(line_no, "conflicting Content-Length headers"));
    }
    let n: usize = std::str::from_utf8(first)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| err(line_no, "invalid Content-Length"))?;
    if rest.len() < n {
        return Err(err(
            line_no,
            format!("body is {} bytes, Content-Length says {n}", rest.len()),
        ));
    }
    Ok(rest[..n].to_vec())
}

fn split_line(b: &[u8]) -> (&[u8], &[u8]) {
    match b.iter().position(|&c| c == b'\n') {
        Some(i) => {
            let line = &b[..i];
            (line.strip_suffix(b"\r").unwrap_or(line), &b[i + 1..])
        }
        None => (b, &[]),
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let (line, rest) = split_line(b);
        let size_text = std::str::from_utf8(line).ok()?.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        let after = &rest[size..];
        b = after
            .strip_prefix(b"\r\n")
            .or_else(|| after.strip_prefix(b"\n"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_and_origin_form() {
        let m = Message::parse(b"POST https://backboard.railway.com/graphql/v2 HTTP/1.1\nContent-Type: application/json\n\n{\"query\":\"{ me }\"}\n").unwrap();
        assert_eq!(
            (m.host.as_str(), m.target.as_str()),
            ("backboard.railway.com", "/graphql/v2")
        );
        assert_eq!(m.body, b"{\"query\":\"{ me }\"}\n");
        let m = Message::parse(b"DELETE /repos/a/b HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 2\r\n\r\n{}trailing").unwrap();
        assert_eq!(
            (m.host.as_str(), m.target.as_str()),
            ("api.github.com", "/repos/a/b")
        );
        assert_eq!(m.body, b"{}");
        let m = Message::parse(
            b"POST /x HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n3\nabc\n2\nde\n0\n\n",
        )
        .unwrap();
        assert_eq!(m.body, b"abcde");
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(Message::parse(b"GET /x HTTP/1.1\n").unwrap_err().line, 1);
        assert_eq!(
            Message::parse(b"GET https://h/ HTTP/1.1\nbad header\n\n")
                .unwrap_err()
                .line,
            2
        );
        assert!(
            Message::parse(b"GET https://h/ HTTP/1.1\nContent-Length: 1\nContent-Length: 2\n\nab")
                .is_err()
        );
    }
}

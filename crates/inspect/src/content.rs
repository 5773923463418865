//! Small, strict readers for the pieces of a request: media types,
//! `application/x-www-form-urlencoded` pairs and `multipart/form-data` parts.

/// A parsed `Content-Type`: lowercase essence and lowercase parameter names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    pub essence: String,
    pub params: Vec<(String, String)>,
}

impl MediaType {
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split(';');
        let essence = parts.next()?.trim().to_ascii_lowercase();
        if essence.is_empty() || !essence.contains('/') {
            return None;
        }
        let mut params = Vec::new();
        for p in parts {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            params.push((k.trim().to_ascii_lowercase(), v.to_owned()));
        }
        Some(Self { essence, params })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when no charset is given or it is UTF-8 (or its ASCII subset).
    pub fn charset_is_utf8(&self) -> bool {
        self.param("charset").is_none_or(|c| {
            matches!(
                c.to_ascii_lowercase().as_str(),
                "utf-8" | "utf8" | "us-ascii"
            )
        })
    }
}

/// Decodes `application/x-www-form-urlencoded` (also used for URL queries):
/// `+` is a space, percent-escapes must be well formed, results UTF-8.
pub fn parse_urlencoded(s: &[u8]) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    if s.is_empty() {
        return Some(out);
    }
    for pair in s.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        out.push((unescape(k)?, unescape(v)?));
    }
    Some(out)
}

fn unescape(s: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let h = s.get(i + 1..i + 3)?;
                let hi = char::from(h[0]).to_digit(16)?;
                let lo = char::from(h[1]).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// One `multipart/form-data` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub body: &'a [u8],
}

/// Splits a `multipart/form-data` body. Refuses anything irregular:
/// missing boundary lines, parts without a `name`, a missing close.
pub fn parse_multipart<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    if boundary.is_empty() || boundary.len() > 200 {
        return None;
    }
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut parts = Vec::new();
    // The body must start with the first delimiter (a preamble is legal but
    // servers disagree on it; refuse).
    let mut rest = body.strip_prefix(delim)?;
    loop {
        if let Some(after) = rest.strip_prefix(b"--") {
            // close delimiter: only whitespace may follow
            if after.iter().all(|b| b.is_ascii_whitespace()) {
                return Some(parts);
            }
            return None;
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let header_end = find(rest, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&rest[..header_end]).ok()?;
        let content = &rest[header_end + 4..];
        let mut sep = Vec::with_capacity(delim.len() + 2);
        sep.extend_from_slice(b"\r\n");
        sep.extend_from_slice(delim);
        let end = find(content, &sep)?;
        let (name, filename) = disposition(headers)?;
        parts.push(Part {
            name,
            filename,
            body: &content[..end],
        });
        rest = &content[end + sep.len()..];
    }
}

fn disposition(headers: &str) -> Option<(String, Option<String>)> {
    let mut found = None;
    for line in headers.split("\r\n") {
        let (k, v) = line.split_once(':')?;
        if !k.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        if found.is_some() {
            return None;
        }
        let mt = MediaType::parse(&format!("x/{}", v.trim()))?;
        if mt.essence != "x/form-data" {
            return None;
        }
        let name = mt.param("name")?.to_owned();
        let filename = mt.param("filename").map(str::to_owned);
        found = Some((name, filename));
    }
    found
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let m = MediaType::parse("Application/JSON; charset=\"UTF-8\"").unwrap();
        assert_eq!(m.essence, "application/json");
        assert!(m.charset_is_utf8());
        assert!(
            !MediaType::parse("application/json;charset=utf-16")
                .unwrap()
                .charset_is_utf8()
        );
        assert!(MediaType::parse("garbage").is_none());
    }

    #[test]
    fn urlencoded() {
        assert_eq!(
            parse_urlencoded(b"query=%7B+me%7D&x").unwrap(),
            vec![
                ("query".into(), "{ me}".into()),
                ("x".into(), String::new())
            ]
        );
        assert!(parse_urlencoded(b"q=%zz").is_none());
        assert!(parse_urlencoded(b"q=%ff").is_none());
    }

    #[test]
    fn multipart() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"x\"}\r\n--b\r\nContent-Disposition: form-data; name=\"0\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
        let parts = parse_multipart(body, "b").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "operations");
        assert_eq!(parts[0].body, b"{\"query\":\"x\"}");
        assert_eq!(parts[1].filename.as_deref(), Some("a.txt"));
        assert!(parse_multipart(b"junk--b--", "b").is_none());
        assert!(parse_multipart(b"--b\r\n\r\nno-disposition\r\n--b--", "b").is_none());
        assert!(
            parse_multipart(
                b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\nunterminated",
                "b"
            )
            .is_none()
        );
    }
}

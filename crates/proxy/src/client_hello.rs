//! Reading the server name from the first bytes a client sends into a
//! tunnel: a bounded parser for a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066
//! §3), possibly split across several handshake records. Pure: no IO.

/// The most a client may send before its ClientHello is complete. Real
/// ClientHellos are a few hundred bytes to ~2 KiB (post-quantum key shares);
/// anything larger is refused rather than buffered.
pub const MAX_HELLO: usize = 32 << 10;

const HANDSHAKE: u8 = 0x16;
const CLIENT_HELLO: u8 = 1;
const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_ENCRYPTED_CLIENT_HELLO: u16 = 0xfe0d;
const HOST_NAME: u8 = 0;

/// What the bytes so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hello {
    /// A TLS handshake record has begun; the ClientHello is not complete.
    NeedMore,
    /// The client did not start TLS.
    NotTls,
    /// It started TLS, but the ClientHello cannot be read unambiguously.
    Malformed(&'static str),
    /// A complete ClientHello.
    Parsed {
        /// The `host_name` of the server_name extension, as sent (checked
        /// to hold only host-name characters; not yet canonicalised).
        sni: Option<String>,
        /// It carries an encrypted ClientHello (ECH): the name it really
        /// wants is hidden from us.
        ech: bool,
    },
}

/// Reads `buf` (everything the client sent so far, from its first byte).
pub fn parse(buf: &[u8]) -> Hello {
    match buf {
        [] => return Hello::NeedMore,
        [first, ..] if *first != HANDSHAKE => return Hello::NotTls,
        [_, major, ..] if *major != 3 => return Hello::NotTls,
        _ => {}
    }
    // Join the handshake records' fragments until the message is complete.
    let mut message = Vec::new();
    let mut rest = buf;
    loop {
        if rest.len() < 5 {
            return Hello::NeedMore;
        }
        if rest[0] != HANDSHAKE || rest[1] != 3 {
            return Hello::Malformed(
                "a record other than a handshake before the ClientHello ended",
            );
        }
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if len == 0 || len > 1 << 14 {
            return Hello::Malformed("record length");
        }
        // A partial record still shows the handshake header: a wrong or
        // oversize message is refused before the rest of it is waited for.
        let complete = rest.len() >= 5 + len;
        message.extend_from_slice(&rest[5..rest.len().min(5 + len)]);
        rest = &rest[rest.len().min(5 + len)..];
        if message.len() >= 4 {
            if message[0] != CLIENT_HELLO {
                return Hello::Malformed("the first handshake message is not a ClientHello");
            }
            let body_len = usize::from(message[1]) << 16
                | usize::from(message[2]) << 8
                | usize::from(message[3]);
            if body_len + 4 > MAX_HELLO {
                return Hello::Malformed("ClientHello too large");
            }
            if complete && message.len() >= body_len + 4 {
                // Records after it (0-RTT early data) are the client's
                // business; handshake bytes in the same record are not.
                if message.len() > body_len + 4 {
                    return Hello::Malformed("handshake bytes after the ClientHello");
                }
                return client_hello(&message[4..]);
            }
        }
        if !complete {
            return Hello::NeedMore;
        }
    }
}

/// A cursor that fails instead of panicking.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// A vector with a one- or two-byte length prefix.
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

fn client_hello(body: &[u8]) -> Hello {
    let mut r = Reader(body);
    let head = (|| {
        r.take(2 + 32)?; // legacy_version, random
        let session = r.vec8()?;
        let suites = r.vec16()?;
        let compression = r.vec8()?;
        Some(session.len() <= 32 && !suites.is_empty() && !compression.is_empty())
    })();
    match head {
        None => return Hello::Malformed("truncated ClientHello"),
        Some(false) => return Hello::Malformed("ClientHello fields"),
        Some(true) => {}
    }
    if r.0.is_empty() {
        // TLS 1.2 allows a ClientHello without extensions.
        return Hello::Parsed {
            sni: None,
            ech: false,
        };
    }
    let Some(extensions) = r.vec16().filter(|_| r.0.is_empty()) else {
        return Hello::Malformed("extensions length");
    };
    let mut r = Reader(extensions);
    let mut seen = Vec::new();
    let (mut sni, mut ech) = (None, false);
    while !r.0.is_empty() {
        let (Some(kind), Some(data)) = (r.u16(), r.vec16()) else {
            return Hello::Malformed("truncated extension");
        };
        if seen.contains(&kind) {
            return Hello::Malformed("an extension sent twice");
        }
        seen.push(kind);
        match kind {
            EXT_SERVER_NAME => match server_name(data) {
                Ok(name) => sni = Some(name),
                Err(why) => return Hello::Malformed(why),
            },
            EXT_ENCRYPTED_CLIENT_HELLO => ech = true,
            _ => {}
        }
    }
    Hello::Parsed { sni, ech }
}

/// The one `host_name` of a server_name extension.
fn server_name(data: &[u8]) -> Result<String, &'static str> {
    let mut r = Reader(data);
    let list = r
        .vec16()
        .filter(|l| !l.is_empty() && r.0.is_empty())
        .ok_or("server_name list")?;
    let mut r = Reader(list);
    let (Some(HOST_NAME), Some(name)) = (r.u8(), r.vec16()) else {
        return Err("server_name entry");
    };
    if !r.0.is_empty() {
        return Err("more than one server name");
    }
    let valid = !name.is_empty()
        && name.len() <= 254
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !valid {
        return Err("server name characters");
    }
    Ok(String::from_utf8_lossy(name).into_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ClientHello (one record) with the given extensions.
    pub(crate) fn hello_with(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0, 2, 0x13, 0x01]); // one suite
        body.extend_from_slice(&[1, 0]); // null compression
        let mut ext = Vec::new();
        for (kind, data) in exts {
            ext.extend_from_slice(&kind.to_be_bytes());
            ext.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
            ext.extend_from_slice(data);
        }
        body.extend_from_slice(&u16::try_from(ext.len()).unwrap().to_be_bytes());
        body.extend_from_slice(&ext);
        records(&handshake(&body), 1 << 14)
    }

    fn handshake(body: &[u8]) -> Vec<u8> {
        let n = u32::try_from(body.len()).unwrap().to_be_bytes();
        let mut m = vec![CLIENT_HELLO, n[1], n[2], n[3]];
        m.extend_from_slice(body);
        m
    }

    /// `message` in handshake records of at most `size` bytes each.
    fn records(message: &[u8], size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in message.chunks(size) {
            out.extend_from_slice(&[HANDSHAKE, 3, 1]);
            out.extend_from_slice(&u16::try_from(chunk.len()).unwrap().to_be_bytes());
            out.extend_from_slice(chunk);
        }
        out
    }

    pub(crate) fn sni_ext(names: &[(u8, &[u8])]) -> (u16, Vec<u8>) {
        let mut list = Vec::new();
        for (kind, name) in names {
            list.push(*kind);
            list.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
            list.extend_from_slice(name);
        }
        let mut data = u16::try_from(list.len()).unwrap().to_be_bytes().to_vec();
        data.extend_from_slice(&list);
        (EXT_SERVER_NAME, data)
    }

    /// A ClientHello naming `sni` (or none).
    pub(crate) fn hello(sni: Option<&str>) -> Vec<u8> {
        match sni {
            Some(name) => hello_with(&[
                (0x000a, vec![0, 2, 0, 0x1d]),
                sni_ext(&[(0, name.as_bytes())]),
            ]),
            None => hello_with(&[(0x000a, vec![0, 2, 0, 0x1d])]),
        }
    }

    fn parsed(sni: Option<&str>, ech: bool) -> Hello {
        Hello::Parsed {
            sni: sni.map(str::to_owned),
            ech,
        }
    }

    /// What rustls really sends, for a name and with SNI turned off.
    fn rustls_hello(name: &str, enable_sni: bool) -> Vec<u8> {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        config.enable_sni = enable_sni;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let server = rustls::pki_types::ServerName::try_from(name.to_owned()).unwrap();
        let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), server).unwrap();
        let mut out = Vec::new();
        conn.write_tls(&mut out).unwrap();
        out
    }

    #[test]
    fn reads_the_server_name_rustls_sends() {
        let bytes = rustls_hello("api.github.com", true);
        assert_eq!(parse(&bytes), parsed(Some("api.github.com"), false));
        let bytes = rustls_hello("internal.example", false);
        assert_eq!(parse(&bytes), parsed(None, false));
    }

    #[test]
    fn every_prefix_of_a_hello_needs_more() {
        let bytes = rustls_hello("api.github.com", true);
        for n in 0..bytes.len() {
            assert_eq!(parse(&bytes[..n]), Hello::NeedMore, "{n} bytes");
        }
    }

    #[test]
    fn a_hello_split_across_records_is_joined() {
        let bytes = rustls_hello("api.github.com", true);
        let message = &bytes[5..];
        for size in [1, 3, 4, 5, 100] {
            let split = records(message, size);
            assert_eq!(
                parse(&split),
                parsed(Some("api.github.com"), false),
                "{size}"
            );
            for n in 0..split.len() {
                assert_eq!(parse(&split[..n]), Hello::NeedMore, "{size}: {n} bytes");
            }
        }
    }

    #[test]
    fn names_are_returned_as_sent_for_the_caller_to_canonicalise() {
        assert_eq!(
            parse(&hello(Some("API.GitHub.COM."))),
            parsed(Some("API.GitHub.COM."), false)
        );
    }

    #[test]
    fn other_protocols_are_not_tls() {
        for bytes in [
            &b"GET / HTTP/1.1\r\nHost: api.github.com\r\n\r\n"[..],
            b"SSH-2.0-OpenSSH_9.6\r\n",
            b"\x16\x01",
            b"\x80\x2e\x01\x03\x01", // SSLv2-style hello
            b"PRI * HTTP/2.0\r\n",
        ] {
            assert_eq!(parse(bytes), Hello::NotTls, "{bytes:?}");
        }
    }

    #[test]
    fn early_data_after_the_hello_is_left_for_the_server() {
        let mut bytes = hello(Some("a.example"));
        bytes.extend_from_slice(&[0x14, 3, 3, 0, 1, 1, 0x17, 3, 3, 0, 1, 0]);
        assert_eq!(parse(&bytes), parsed(Some("a.example"), false));
    }

    #[test]
    fn an_encrypted_client_hello_is_flagged() {
        let bytes = hello_with(&[
            sni_ext(&[(0, b"cover.example")]),
            (EXT_ENCRYPTED_CLIENT_HELLO, vec![0; 40]),
        ]);
        assert_eq!(parse(&bytes), parsed(Some("cover.example"), true));
    }

    #[test]
    fn ambiguous_or_odd_hellos_are_malformed() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "two server_name extensions",
                hello_with(&[
                    sni_ext(&[(0, b"internal.example")]),
                    sni_ext(&[(0, b"api.github.com")]),
                ]),
            ),
            (
                "two names in the list",
                hello_with(&[sni_ext(&[(0, b"internal.example"), (0, b"api.github.com")])]),
            ),
            (
                "a name of another type",
                hello_with(&[sni_ext(&[(1, b"api.github.com")])]),
            ),
            (
                "an empty list",
                hello_with(&[(EXT_SERVER_NAME, vec![0, 0])]),
            ),
            ("an empty name", hello_with(&[sni_ext(&[(0, b"")])])),
            (
                "a port in the name",
                hello_with(&[sni_ext(&[(0, b"api.github.com:443")])]),
            ),
            (
                "userinfo in the name",
                hello_with(&[sni_ext(&[(0, b"a@api.github.com")])]),
            ),
            (
                "a NUL in the name",
                hello_with(&[sni_ext(&[(0, b"internal.example\0api.github.com")])]),
            ),
            (
                "a space",
                hello_with(&[sni_ext(&[(0, b"api.github.com ")])]),
            ),
            (
                "a short list",
                hello_with(&[(EXT_SERVER_NAME, vec![0, 9, 0, 0, 3, b'a'])]),
            ),
        ];
        for (what, bytes) in cases {
            assert!(
                matches!(parse(&bytes), Hello::Malformed(_)),
                "{what}: {:?}",
                parse(&bytes)
            );
        }
        // Not a ClientHello, a record of another type, an oversize message,
        // bytes after the hello.
        let mut server_hello = hello(Some("a.example"));
        server_hello[5] = 2;
        let mut message = hello(Some("a.example"))[5..].to_vec();
        message.extend_from_slice(&[1, 0, 0, 0]);
        let extra = records(&message, 1 << 14);
        let huge = [0x16, 3, 1, 0x40, 0, 1, 0x01, 0, 0];
        let mut bad_record = vec![0x16, 3, 1, 0, 2, 1, 0];
        bad_record.extend_from_slice(&[0x15, 3, 3, 0, 2, 2, 40]);
        for (what, bytes) in [
            ("a ServerHello", server_hello),
            ("handshake bytes after the hello in its record", extra),
            ("a message over MAX_HELLO", huge.to_vec()),
            ("an alert inside the hello", bad_record),
            ("a zero-length record", vec![0x16, 3, 1, 0, 0]),
        ] {
            assert!(
                matches!(parse(&bytes), Hello::Malformed(_)),
                "{what}: {:?}",
                parse(&bytes)
            );
        }
    }

    #[test]
    fn garbage_never_panics() {
        let base = rustls_hello("api.github.com", true);
        for i in 0..base.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut b = base.clone();
                b[i] = v;
                let _ = parse(&b);
            }
        }
    }
}

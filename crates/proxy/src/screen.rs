//! Before a tunnel to a non-provider host carries a byte upstream: read the
//! client's first bytes (its TLS ClientHello) and refuse a tunnel that could
//! reach a provider uninspected. The rule (docs/egress-and-sni.md):
//!
//! - a server name (SNI) that is a provider host: refused, whatever the
//!   CONNECT host (a provider is only reached through interception);
//! - a server name other than the CONNECT host: refused;
//! - no server name, or the real one encrypted (ECH): `proxy.missing_sni`;
//! - not TLS: refused on port 443, else `proxy.missing_sni`;
//! - a ClientHello that cannot be read unambiguously, or that does not
//!   arrive within the header timeout: refused.

use std::time::Duration;

use scopegate_inspect::canonical_host;
use tokio::io::{AsyncRead, AsyncReadExt as _};

use crate::client_hello::{self, Hello, MAX_HELLO};
use crate::config::MissingSni;

/// Bytes asked of the first read: a whole ClientHello, post-quantum key
/// shares included, fits; larger ones double the buffer up to [`MAX_HELLO`].
const FIRST_READ: usize = 4 << 10;

/// A tunnel refused after its CONNECT was answered: a metrics label and a
/// sentence for the log. The client sees its connection closed (after a
/// TLS `access_denied` alert when it spoke TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub reason: &'static str,
    pub message: String,
    /// The client started TLS: answer with an alert.
    pub tls: bool,
}

fn refused(reason: &'static str, tls: bool, message: String) -> Refused {
    Refused {
        reason,
        message,
        tls,
    }
}

/// What the client sent first.
#[derive(Debug)]
pub enum First {
    /// Everything read so far (to send upstream first) and what it says.
    Read(Vec<u8>, Hello),
    /// Closed before its first bytes were complete: nothing to decide.
    Gone,
    Refused(Refused),
}

/// Reads until the first bytes say what they are: usually one read; more
/// only while a ClientHello is incomplete, bounded by [`MAX_HELLO`] bytes
/// and by `timeout` in all.
pub async fn read_first<S: AsyncRead + Unpin>(io: &mut S, timeout: Duration) -> First {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = Vec::new();
    loop {
        let start = buf.len();
        if start >= MAX_HELLO {
            return First::Refused(refused(
                "tunnel-bad-hello",
                true,
                format!("no complete ClientHello in {MAX_HELLO} bytes"),
            ));
        }
        let want = if start == 0 {
            FIRST_READ
        } else {
            (start * 2).min(MAX_HELLO)
        };
        buf.resize(want, 0);
        let n = match tokio::time::timeout_at(deadline, io.read(&mut buf[start..])).await {
            Ok(Ok(0) | Err(_)) => return First::Gone,
            Ok(Ok(n)) => n,
            Err(_) => {
                return First::Refused(refused(
                    "tunnel-timeout",
                    start > 0,
                    format!(
                        "the client's first bytes were not complete within {}s",
                        timeout.as_secs()
                    ),
                ));
            }
        };
        buf.truncate(start + n);
        match client_hello::parse(&buf) {
            Hello::NeedMore => {}
            hello => return First::Read(buf, hello),
        }
    }
}

/// The rule, for a tunnel to the (canonical, non-provider) `host:port`.
pub fn rule(
    hello: &Hello,
    host: &str,
    port: u16,
    missing: MissingSni,
    is_provider: impl Fn(&str) -> bool,
) -> Result<(), Refused> {
    let unnamed = |reason: &'static str, tls: bool, what: &str| match missing {
        MissingSni::Tunnel => Ok(()),
        MissingSni::Refuse => Err(refused(
            reason,
            tls,
            format!("{what}, and proxy.missing_sni = \"refuse\""),
        )),
    };
    match hello {
        Hello::Parsed {
            sni: Some(name),
            ech,
        } => {
            let sni = canonical_host(name, 443).0;
            if is_provider(&sni) {
                return Err(refused(
                    "tunnel-sni-provider",
                    true,
                    format!(
                        "TLS server name {sni} is a provider host, in a tunnel to {host}: a provider is reached only through CONNECT {sni}, where scopegate inspects it"
                    ),
                ));
            }
            if sni != host {
                return Err(refused(
                    "tunnel-sni-mismatch",
                    true,
                    format!("TLS server name {sni} differs from the CONNECT host {host}"),
                ));
            }
            if *ech {
                return unnamed(
                    "tunnel-sni-hidden",
                    true,
                    "the ClientHello hides its real server name (ECH)",
                );
            }
            Ok(())
        }
        Hello::Parsed { sni: None, ech } => {
            let (reason, what) = if *ech {
                (
                    "tunnel-sni-hidden",
                    "the ClientHello hides its real server name (ECH)",
                )
            } else {
                ("tunnel-sni-missing", "the ClientHello names no server")
            };
            unnamed(reason, true, what)
        }
        Hello::NotTls if port == 443 => Err(refused(
            "tunnel-not-tls",
            false,
            "the client did not start TLS on port 443".to_owned(),
        )),
        Hello::NotTls => unnamed(
            "tunnel-not-tls",
            false,
            &format!("the client did not start TLS (port {port})"),
        ),
        Hello::Malformed(why) => Err(refused(
            "tunnel-bad-hello",
            true,
            format!("unreadable ClientHello: {why}"),
        )),
        Hello::NeedMore => Err(refused(
            "tunnel-bad-hello",
            true,
            "incomplete ClientHello".to_owned(),
        )),
    }
}

/// A fatal `access_denied` alert (TLS 1.2 record framing, which TLS 1.3
/// clients accept before the handshake), so the client reports a refusal
/// rather than a reset.
pub const ACCESS_DENIED: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 49];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_hello::tests::{hello, hello_with, sni_ext};

    const HOST: &str = "internal.example";

    fn provider(h: &str) -> bool {
        matches!(h, "api.github.com" | "backboard.railway.com")
    }

    fn screened(bytes: &[u8], port: u16, missing: MissingSni) -> Result<(), &'static str> {
        rule(&client_hello::parse(bytes), HOST, port, missing, provider).map_err(|r| r.reason)
    }

    #[test]
    fn a_provider_name_is_refused_however_it_is_written() {
        for name in [
            "api.github.com",
            "API.GitHub.COM",
            "api.github.com.",
            "Backboard.Railway.Com.",
        ] {
            for missing in [MissingSni::Tunnel, MissingSni::Refuse] {
                assert_eq!(
                    screened(&hello(Some(name)), 443, missing),
                    Err("tunnel-sni-provider"),
                    "{name}"
                );
            }
        }
        // Also in a tunnel to a routed IP literal.
        let r = rule(
            &client_hello::parse(&hello(Some("api.github.com"))),
            "203.0.113.9",
            443,
            MissingSni::Tunnel,
            provider,
        );
        assert_eq!(r.unwrap_err().reason, "tunnel-sni-provider");
    }

    #[test]
    fn another_name_than_the_connect_host_is_refused() {
        for name in [
            "other.example",
            "internal.example.evil",
            "xinternal.example",
        ] {
            assert_eq!(
                screened(&hello(Some(name)), 443, MissingSni::Tunnel),
                Err("tunnel-sni-mismatch"),
                "{name}"
            );
        }
    }

    #[test]
    fn the_connect_host_passes_in_any_case() {
        for name in [HOST, "Internal.Example", "internal.example."] {
            assert_eq!(
                screened(&hello(Some(name)), 443, MissingSni::Refuse),
                Ok(())
            );
        }
    }

    #[test]
    fn no_name_follows_the_setting() {
        let ech = hello_with(&[(0xfe0d, vec![0; 8])]);
        let ech_cover = hello_with(&[sni_ext(&[(0, HOST.as_bytes())]), (0xfe0d, vec![0; 8])]);
        for (bytes, reason) in [
            (hello(None), "tunnel-sni-missing"),
            (ech, "tunnel-sni-hidden"),
            (ech_cover, "tunnel-sni-hidden"),
        ] {
            assert_eq!(screened(&bytes, 443, MissingSni::Tunnel), Ok(()));
            assert_eq!(screened(&bytes, 443, MissingSni::Refuse), Err(reason));
        }
    }

    #[test]
    fn other_protocols_are_refused_on_443_and_follow_the_setting_elsewhere() {
        let http = b"GET / HTTP/1.1\r\nHost: api.github.com\r\n\r\n";
        for missing in [MissingSni::Tunnel, MissingSni::Refuse] {
            assert_eq!(screened(http, 443, missing), Err("tunnel-not-tls"));
        }
        assert_eq!(screened(http, 80, MissingSni::Tunnel), Ok(()));
        assert_eq!(
            screened(http, 80, MissingSni::Refuse),
            Err("tunnel-not-tls")
        );
        assert_eq!(
            screened(b"SSH-2.0-OpenSSH_9.6\r\n", 22, MissingSni::Tunnel),
            Ok(())
        );
    }

    #[test]
    fn unreadable_hellos_are_refused() {
        let two = hello_with(&[sni_ext(&[(0, HOST.as_bytes()), (0, b"api.github.com")])]);
        for missing in [MissingSni::Tunnel, MissingSni::Refuse] {
            assert_eq!(screened(&two, 443, missing), Err("tunnel-bad-hello"));
        }
    }

    /// A reader that hands out its bytes in fixed slices, then stalls or ends.
    struct Slices(Vec<Vec<u8>>, bool);

    impl AsyncRead for Slices {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            if self.0.is_empty() {
                return if self.1 {
                    std::task::Poll::Pending
                } else {
                    std::task::Poll::Ready(Ok(()))
                };
            }
            let mut chunk = self.0.remove(0);
            let n = chunk.len().min(buf.remaining());
            let rest = chunk.split_off(n);
            buf.put_slice(&chunk);
            if !rest.is_empty() {
                self.0.insert(0, rest);
            }
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn reading_stops_at_the_end_of_the_hello() {
        let bytes = hello(Some(HOST));
        let (a, b) = bytes.split_at(7);
        let mut io = Slices(vec![a.to_vec(), b.to_vec(), b"next".to_vec()], true);
        match read_first(&mut io, Duration::from_secs(5)).await {
            First::Read(got, Hello::Parsed { sni, .. }) => {
                assert_eq!(got, bytes);
                assert_eq!(sni.as_deref(), Some(HOST));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(io.0, vec![b"next".to_vec()], "nothing read past the hello");
    }

    #[tokio::test]
    async fn a_silent_or_slow_client_times_out_and_a_closed_one_is_gone() {
        let mut silent = Slices(vec![], true);
        match read_first(&mut silent, Duration::from_millis(50)).await {
            First::Refused(r) => assert_eq!(r.reason, "tunnel-timeout"),
            other => panic!("{other:?}"),
        }
        let mut partial = Slices(vec![hello(Some(HOST))[..20].to_vec()], true);
        match read_first(&mut partial, Duration::from_millis(50)).await {
            First::Refused(r) => assert_eq!(r.reason, "tunnel-timeout"),
            other => panic!("{other:?}"),
        }
        let mut closed = Slices(vec![hello(Some(HOST))[..20].to_vec()], false);
        assert!(matches!(
            read_first(&mut closed, Duration::from_secs(5)).await,
            First::Gone
        ));
    }

    #[tokio::test]
    async fn an_endless_hello_is_cut_off() {
        // A ClientHello announced at 30,000 bytes, sent one byte per record:
        // the records outgrow MAX_HELLO long before the message completes.
        let mut chunks = vec![vec![0x16, 3, 1, 0, 4, 1, 0x00, 0x75, 0x30]];
        for _ in 0..10 {
            chunks.push([0x16, 3, 1, 0, 1, 0].repeat(600));
        }
        let mut io = Slices(chunks, true);
        match read_first(&mut io, Duration::from_secs(5)).await {
            First::Refused(r) => assert_eq!(r.reason, "tunnel-bad-hello"),
            other => panic!("{other:?}"),
        }
        // A message announced over the bound is refused at once.
        let mut io = Slices(vec![vec![0x16, 3, 1, 0, 4, 1, 0x00, 0xff, 0xff]], true);
        assert!(matches!(
            read_first(&mut io, Duration::from_secs(5)).await,
            First::Read(_, Hello::Malformed(_))
        ));
    }
}

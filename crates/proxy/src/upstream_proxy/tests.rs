use super::handshake::{Head, connect_request, judge, read_head};
use super::*;

fn creds(user: &str, password: &str) -> Credentials {
    Credentials {
        user: user.into(),
        password: password.into(),
    }
}

#[test]
fn reads_http_urls_with_and_without_credentials() {
    let p = UpstreamProxy::parse("http://Corp-Proxy.example:3128").unwrap();
    assert_eq!(p.host, "corp-proxy.example");
    assert_eq!(p.port, 3128);
    assert_eq!(p.auth, None);
    assert_eq!(p.to_string(), "corp-proxy.example:3128");

    let p = UpstreamProxy::parse("HTTP://alice:s3cr%40t%3Ax@10.0.0.5:8080/").unwrap();
    assert_eq!(p.host, "10.0.0.5");
    assert_eq!(
        p.auth,
        Some(ProxyAuth::Inline(creds("alice", "s3cr@t:x"))),
        "percent-decoded"
    );
    assert_eq!(p.to_string(), "10.0.0.5:8080", "no credentials in its name");

    // an unencoded @ in the password: the last @ ends the userinfo
    let p = UpstreamProxy::parse("http://bob:p@ss@proxy:3128").unwrap();
    assert_eq!(p.auth, Some(ProxyAuth::Inline(creds("bob", "p@ss"))));

    let p = UpstreamProxy::parse("http://[::1]:3128").unwrap();
    assert_eq!((p.host.as_str(), p.port), ("[::1]", 3128));
}

#[test]
fn refuses_other_schemes_and_incomplete_urls() {
    let cases = [
        ("https://corp:3128", UrlProblem::Scheme("https".into())),
        ("socks5://corp:1080", UrlProblem::Scheme("socks5".into())),
        ("corp:3128", UrlProblem::NoScheme),
        ("http://corp", UrlProblem::NoPort),
        ("http://corp:", UrlProblem::NoPort),
        ("http://corp:0", UrlProblem::BadPort),
        ("http://corp:99999", UrlProblem::BadPort),
        ("http://corp:+80", UrlProblem::BadPort),
        ("http://:3128", UrlProblem::NoHost),
        ("http://", UrlProblem::NoHost),
        ("http://co rp:3128", UrlProblem::BadHost),
        ("http://[zz]:3128", UrlProblem::BadHost),
        ("http://corp:3128/proxy", UrlProblem::Path),
        ("http://corp:3128?x", UrlProblem::Path),
        ("http://alice@corp:3128", UrlProblem::Userinfo),
        ("http://:pw@corp:3128", UrlProblem::Userinfo),
        ("http://alice:p%zz@corp:3128", UrlProblem::Userinfo),
    ];
    for (url, problem) in cases {
        assert_eq!(UpstreamProxy::parse(url), Err(problem), "{url}");
    }
}

#[test]
fn messages_never_show_the_password() {
    let url = "https://alice:hunter2@corp:3128";
    let problem = UpstreamProxy::parse(url).unwrap_err();
    let message = problem.message(url);
    assert!(message.contains("alice:***@corp:3128"), "{message}");
    assert!(message.contains("only http://"), "{message}");
    assert!(problem.help().contains("http://"), "the fix is named");
    for url in [
        "http://alice:hunter2@corp:3128/x",
        "http://alice:hunter2@corp",
        "http://alice:hun%zzter2@corp:3128",
        "alice:hunter2@corp:3128",
    ] {
        let message = UpstreamProxy::parse(url).unwrap_err().message(url);
        assert!(!message.contains("hunter2"), "{message}");
    }
    assert_eq!(redact("http://corp:3128"), "http://corp:3128");
    assert_eq!(redact("http://hunter2@corp:1"), "http://***:***@corp:1");

    let p = UpstreamProxy::parse("http://alice:hunter2@corp:3128").unwrap();
    let shown = format!("{p:?} {p}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("alice"), "the user may show: {shown}");
}

#[test]
fn credentials_from_a_variable_or_file_are_user_colon_password() {
    let c = Credentials::parse("  carol:pa:ss\n").unwrap();
    assert_eq!((c.user(), c.password()), ("carol", "pa:ss"));
    assert_eq!(Credentials::parse("no-colon"), None);
    assert_eq!(Credentials::parse(":pw"), None);
    // RFC 7617: base64 of user:password
    assert_eq!(
        creds("Aladdin", "open sesame").basic(),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
}

#[test]
fn builds_the_connect_request() {
    let req = connect_request("backboard.railway.com:443", None).unwrap();
    assert_eq!(
        String::from_utf8(req).unwrap(),
        "CONNECT backboard.railway.com:443 HTTP/1.1\r\nHost: backboard.railway.com:443\r\n\r\n"
    );
    let req = connect_request("[::1]:8443", Some(&creds("Aladdin", "open sesame"))).unwrap();
    assert_eq!(
        String::from_utf8(req).unwrap(),
        "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"
    );
    for bad in ["", "host", "a.b:443\r\nX-Evil: 1", "a b:443", "u@h:443"] {
        assert_eq!(connect_request(bad, None), None, "{bad:?}");
    }
}

#[test]
fn reads_the_answer_head_and_its_status() {
    assert_eq!(read_head(b""), Head::Incomplete);
    assert_eq!(read_head(b"HTTP/1.1 200 Connection est"), Head::Incomplete);
    let ok = b"HTTP/1.1 200 Connection established\r\n\r\n";
    assert_eq!(
        read_head(ok),
        Head::Complete {
            status: 200,
            len: ok.len()
        }
    );
    // bytes after the head are the tunnel's
    let mut more = ok.to_vec();
    more.extend_from_slice(b"SSH-2.0-banner");
    assert_eq!(
        read_head(&more),
        Head::Complete {
            status: 200,
            len: ok.len()
        }
    );
    let denied = b"HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n\r\n";
    assert!(matches!(
        read_head(denied),
        Head::Complete { status: 407, .. }
    ));
    assert!(matches!(
        read_head(b"HTTP/1.1 502 Bad Gateway\n\n"),
        Head::Complete { status: 502, .. }
    ));
    for bad in [
        &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
    ] {
        assert_eq!(read_head(bad), Head::Malformed, "{bad:?}");
    }
    let endless = vec![b'x'; handshake::MAX_HEAD + 1];
    assert_eq!(read_head(&endless), Head::Malformed);
}

#[test]
fn only_2xx_opens_the_tunnel() {
    assert_eq!(judge(200), Ok(()));
    assert_eq!(judge(204), Ok(()));
    assert_eq!(judge(407), Err(ProxyFailure::Auth));
    assert_eq!(judge(403), Err(ProxyFailure::Denied(403)));
    assert_eq!(judge(302), Err(ProxyFailure::Denied(302)));
    assert_eq!(judge(502), Err(ProxyFailure::BadGateway(502)));
    assert_eq!(judge(504), Err(ProxyFailure::BadGateway(504)));
    assert_eq!(judge(100), Err(ProxyFailure::Protocol));
}

#[test]
fn failures_name_the_proxy_and_the_fix() {
    let e = ProxyError {
        proxy: "corp:3128".into(),
        failure: ProxyFailure::Auth,
    };
    let m = e.message("api.github.com");
    assert!(m.contains("corp:3128") && m.contains("407"), "{m}");
    assert!(m.contains("proxy_auth"), "names the fix: {m}");
    let m = ProxyError {
        failure: ProxyFailure::BadGateway(502),
        ..e.clone()
    }
    .message("api.github.com");
    assert!(m.contains("could not reach api.github.com (502)"), "{m}");
    assert_eq!(
        e.to_string(),
        "upstream proxy corp:3128: it refused scopegate's credentials, or asked for some (407)"
    );
    assert_eq!(ProxyFailure::Auth.label(), "proxy-auth");
}

/// A one-shot proxy on port 0: reads the request head, answers `answer`
/// (`None`: closes without answering), hands back what it read.
async fn one_shot(
    answer: Option<&'static [u8]>,
) -> (UpstreamProxy, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if s.read(&mut b).await.unwrap() == 0 {
                break;
            }
            head.push(b[0]);
        }
        if let Some(a) = answer {
            s.write_all(a).await.unwrap();
        }
        String::from_utf8(head).unwrap()
    });
    let proxy = UpstreamProxy {
        host: "127.0.0.1".into(),
        port,
        auth: None,
    };
    (proxy, task)
}

#[tokio::test]
async fn dial_opens_the_tunnel_on_2xx_and_keeps_early_bytes() {
    let (mut proxy, seen) = one_shot(Some(
        b"HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0-x\r\n",
    ))
    .await;
    proxy.auth = Some(ProxyAuth::Inline(creds("Aladdin", "open sesame")));
    let opened = dial::open(&proxy, "git.example:22").await.unwrap();
    assert_eq!(opened.early, b"SSH-2.0-x\r\n");
    let seen = seen.await.unwrap();
    assert!(
        seen.starts_with("CONNECT git.example:22 HTTP/1.1\r\n"),
        "{seen}"
    );
    assert!(
        seen.contains("Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"),
        "{seen}"
    );
}

#[tokio::test]
async fn dial_failures_are_named() {
    let (proxy, _) = one_shot(Some(
        b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n",
    ))
    .await;
    let e = dial::open(&proxy, "a.example:443").await.err().unwrap();
    assert_eq!(e.failure, ProxyFailure::Auth);
    assert_eq!(e.proxy, proxy.to_string());

    let (proxy, _) = one_shot(Some(b"HTTP/1.1 403 Forbidden\r\n\r\n")).await;
    let e = dial::open(&proxy, "a.example:443").await.err().unwrap();
    assert_eq!(e.failure, ProxyFailure::Denied(403));

    let (proxy, _) = one_shot(None).await;
    let e = dial::open(&proxy, "a.example:443").await.err().unwrap();
    assert_eq!(
        e.failure,
        ProxyFailure::Protocol,
        "closed without an answer"
    );

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = UpstreamProxy {
        host: "127.0.0.1".into(),
        port: closed,
        auth: None,
    };
    let e = dial::open(&refused, "a.example:443").await.err().unwrap();
    assert_eq!(e.failure, ProxyFailure::Connect);

    let missing = UpstreamProxy {
        auth: Some(ProxyAuth::File("/nonexistent/scopegate-proxy-auth".into())),
        ..refused.clone()
    };
    let e = dial::open(&missing, "a.example:443").await.err().unwrap();
    assert_eq!(e.failure, ProxyFailure::Credentials);
}

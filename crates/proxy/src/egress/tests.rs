use super::*;

#[test]
fn private_ranges() {
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:169.254.169.254",
    ] {
        assert!(is_private(ip.parse().unwrap()), "{ip}");
    }
    for ip in ["1.1.1.1", "140.82.112.6", "2606:4700::1111"] {
        assert!(!is_private(ip.parse().unwrap()), "{ip}");
    }
}

fn config() -> ProxyConfig {
    crate::test_state::config(std::path::Path::new("/nonexistent"))
}

#[tokio::test]
async fn ip_literals_are_refused_unless_routed() {
    let mut c = config();
    let e = check(&c, "1.2.3.4", 443).await.unwrap_err();
    assert_eq!(
        e,
        EgressRefusal::IpLiteral {
            host: "1.2.3.4".into()
        }
    );
    let e = check(&c, "[::1]", 443).await.unwrap_err();
    assert!(matches!(e, EgressRefusal::IpLiteral { .. }), "{e:?}");
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    c.upstream.routes.insert("1.2.3.4".into(), addr);
    assert_eq!(
        check(&c, "1.2.3.4", 443).await.unwrap().hop(),
        &Hop::Direct(vec![addr])
    );
}

#[tokio::test]
async fn refused_egress_lets_only_allowed_hosts_through() {
    let mut c = config();
    c.proxy.egress = Egress::Refuse;
    c.proxy.egress_allow = vec!["*.allowed.test".into()];
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    c.upstream.routes.insert("a.allowed.test".into(), addr);
    c.upstream.routes.insert("other.test".into(), addr);
    assert!(check(&c, "a.allowed.test", 443).await.is_ok());
    let e = check(&c, "other.test", 443).await.unwrap_err();
    assert_eq!(
        e,
        EgressRefusal::NotAllowed {
            host: "other.test".into()
        }
    );
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed_or_routed() {
    let mut c = config();
    let e = check(&c, "localhost", 443).await.unwrap_err();
    assert_eq!(
        e,
        EgressRefusal::Private {
            host: "localhost".into()
        }
    );
    // A route override is the operator's explicit exception.
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    c.upstream.routes.insert("localhost".into(), addr);
    assert_eq!(
        check(&c, "localhost", 443).await.unwrap().hop(),
        &Hop::Direct(vec![addr])
    );
    c.upstream.routes.clear();
    c.proxy.unsafe_allow_private = true;
    assert!(check(&c, "localhost", 443).await.is_ok());
}

fn chained() -> ProxyConfig {
    let mut c = config();
    c.upstream.proxy = Some(UpstreamProxy::parse("http://corp-proxy.invalid:3128").unwrap());
    c
}

fn via(c: &ProxyConfig, target: &str) -> Hop {
    Hop::Proxy {
        proxy: c.upstream.proxy.clone().unwrap(),
        target: target.into(),
    }
}

#[tokio::test]
async fn through_an_upstream_proxy_names_are_not_resolved_here() {
    let c = chained();
    // A name scopegate cannot resolve is the upstream proxy's to resolve.
    let p = check(&c, "nowhere.scopegate-test.invalid", 443)
        .await
        .unwrap();
    assert_eq!(p.hop(), &via(&c, "nowhere.scopegate-test.invalid:443"));
    let p = check(&c, "git.example", 22).await.unwrap();
    assert_eq!(p.hop(), &via(&c, "git.example:22"));
}

#[tokio::test]
async fn through_an_upstream_proxy_host_rules_still_apply() {
    let mut c = chained();
    // IP literals: refused unless routed, as without a proxy
    let e = check(&c, "169.254.169.254", 80).await.unwrap_err();
    assert!(matches!(e, EgressRefusal::IpLiteral { .. }), "{e:?}");
    // loopback by definition, whoever resolves it
    for host in ["localhost", "metadata.localhost"] {
        let e = check(&c, host, 443).await.unwrap_err();
        assert!(matches!(e, EgressRefusal::Private { .. }), "{host}: {e:?}");
    }
    // a route names the address the upstream proxy is asked for
    let addr: std::net::SocketAddr = "10.9.8.7:8443".parse().unwrap();
    c.upstream.routes.insert("mirror.example".into(), addr);
    let p = check(&c, "mirror.example", 443).await.unwrap();
    assert_eq!(p.hop(), &via(&c, "10.9.8.7:8443"));
    // egress = "refuse" still refuses what is not allowed
    c.proxy.egress = Egress::Refuse;
    c.proxy.egress_allow = vec!["*.allowed.test".into()];
    let e = check(&c, "other.test", 443).await.unwrap_err();
    assert!(matches!(e, EgressRefusal::NotAllowed { .. }), "{e:?}");
    assert!(check(&c, "a.allowed.test", 443).await.is_ok());
}

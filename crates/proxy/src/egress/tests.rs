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
    assert_eq!(check(&c, "1.2.3.4", 443).await.unwrap().addrs(), &[addr]);
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
    assert_eq!(check(&c, "localhost", 443).await.unwrap().addrs(), &[addr]);
    c.upstream.routes.clear();
    c.proxy.unsafe_allow_private = true;
    assert!(check(&c, "localhost", 443).await.is_ok());
}

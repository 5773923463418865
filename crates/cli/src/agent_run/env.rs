//! The environment `scopegate run` gives a command: every ecosystem's
//! proxy and CA variables pointed at scopegate, and the switches that stop
//! CLIs from making calls of their own that scopegate would refuse. Pure.

use std::path::Path;

/// Variables that would send traffic elsewhere, removed.
pub const REMOVED: &[&str] = &["ALL_PROXY", "all_proxy"];

/// Proxy variables, each set to the proxy's URL (both cases: curl reads
/// only the lowercase `http_proxy`, Go reads both).
pub const PROXY_VARS: &[&str] = &["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/// Variables that replace a client's trusted roots: given the combined
/// bundle (the system's roots and scopegate's CA), so that hosts scopegate
/// tunnels untouched still verify.
pub const BUNDLE_VARS: &[&str] = &[
    "SSL_CERT_FILE",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "AWS_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "CARGO_HTTP_CAINFO",
    "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
];

/// Variables that add to a client's roots: given scopegate's CA alone.
pub const EXTRA_CA_VARS: &[&str] = &["NODE_EXTRA_CA_CERTS", "DENO_CERT"];

/// Switches for clients that otherwise ignore the proxy or call home.
pub const SWITCHES: &[(&str, &str)] = &[
    // Node ≥ 24: global fetch and http honour HTTPS_PROXY.
    ("NODE_USE_ENV_PROXY", "1"),
    // The Railway CLI's update check and telemetry: three refused calls
    // on every command otherwise.
    ("RAILWAY_NO_AUTO_UPDATE", "1"),
    ("RAILWAY_NO_TELEMETRY", "1"),
];

/// Loopback stays direct: it is the agent's own machine (or, isolated, its
/// own namespace), never a provider.
pub const NO_PROXY: &str = "localhost,127.0.0.1,::1";

/// Where the CA files are for the command.
pub struct Trust<'a> {
    /// scopegate's CA certificate alone.
    pub ca: &'a Path,
    /// The system's roots and scopegate's CA.
    pub bundle: &'a Path,
    /// A folder holding only the bundle (`SSL_CERT_DIR`).
    pub bundle_dir: &'a Path,
}

/// Every variable `run` sets, in order.
pub fn agent_env(proxy_url: &str, trust: &Trust<'_>) -> Vec<(&'static str, String)> {
    let path = |p: &Path| p.display().to_string();
    let mut env: Vec<(&'static str, String)> = PROXY_VARS
        .iter()
        .map(|v| (*v, proxy_url.to_owned()))
        .collect();
    env.push(("NO_PROXY", NO_PROXY.to_owned()));
    env.push(("no_proxy", NO_PROXY.to_owned()));
    env.extend(BUNDLE_VARS.iter().map(|v| (*v, path(trust.bundle))));
    env.push(("SSL_CERT_DIR", path(trust.bundle_dir)));
    env.extend(EXTRA_CA_VARS.iter().map(|v| (*v, path(trust.ca))));
    env.extend(SWITCHES.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

/// The proxy's URL for an agent: `http://[agent:key@]host:port`. The key
/// is percent-encoded so that any byte survives in the userinfo.
pub fn proxy_url(authority: &str, agent: Option<(&str, &str)>) -> String {
    match agent {
        Some((name, key)) => format!("http://{}:{}@{authority}", encode(name), encode(key)),
        None => format!("http://{authority}"),
    }
}

/// The same URL with its host and port replaced (the isolated namespace's
/// relay), userinfo kept.
pub fn with_authority(url: &str, authority: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let rest = rest.split('/').next().unwrap_or(rest);
    match rest.rsplit_once('@') {
        Some((userinfo, _)) => format!("http://{userinfo}@{authority}"),
        None => format!("http://{authority}"),
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust() -> Trust<'static> {
        Trust {
            ca: Path::new("/r/ca.pem"),
            bundle: Path::new("/r/bundle/bundle.pem"),
            bundle_dir: Path::new("/r/bundle"),
        }
    }

    fn get<'a>(env: &'a [(&str, String)], k: &str) -> Option<&'a str> {
        env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_ecosystem_is_pointed_at_scopegate() {
        let env = agent_env("http://127.0.0.1:8080", &trust());
        for v in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
            assert_eq!(get(&env, v), Some("http://127.0.0.1:8080"), "{v}");
        }
        // replacing roots: the bundle, so blind tunnels still verify
        for v in [
            "SSL_CERT_FILE",
            "CURL_CA_BUNDLE",
            "REQUESTS_CA_BUNDLE",
            "AWS_CA_BUNDLE",
            "GIT_SSL_CAINFO",
            "CARGO_HTTP_CAINFO",
            "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
        ] {
            assert_eq!(get(&env, v), Some("/r/bundle/bundle.pem"), "{v}");
        }
        assert_eq!(get(&env, "SSL_CERT_DIR"), Some("/r/bundle"));
        // adding to roots: the CA alone
        assert_eq!(get(&env, "NODE_EXTRA_CA_CERTS"), Some("/r/ca.pem"));
        assert_eq!(get(&env, "DENO_CERT"), Some("/r/ca.pem"));
        assert_eq!(get(&env, "NODE_USE_ENV_PROXY"), Some("1"));
        assert_eq!(get(&env, "RAILWAY_NO_AUTO_UPDATE"), Some("1"));
        assert_eq!(get(&env, "RAILWAY_NO_TELEMETRY"), Some("1"));
        assert_eq!(get(&env, "NO_PROXY"), Some("localhost,127.0.0.1,::1"));
        assert!(get(&env, "ALL_PROXY").is_none());
    }

    #[test]
    fn agent_credentials_ride_in_the_proxy_url() {
        assert_eq!(proxy_url("127.0.0.1:8080", None), "http://127.0.0.1:8080");
        assert_eq!(
            proxy_url("127.0.0.1:8080", Some(("ci-bot", "k:y@/%"))),
            "http://ci-bot:k%3Ay%40%2F%25@127.0.0.1:8080"
        );
        assert_eq!(
            with_authority("http://ci-bot:k%3A@127.0.0.1:8080", "127.0.0.1:4000"),
            "http://ci-bot:k%3A@127.0.0.1:4000"
        );
        assert_eq!(
            with_authority("http://127.0.0.1:8080", "127.0.0.1:4000"),
            "http://127.0.0.1:4000"
        );
    }
}

//! `[upstream] proxy` and `proxy_auth`: the HTTP proxy scopegate chains
//! to, and where its credentials are kept. No message here ever shows a
//! password: URLs are shown redacted, `proxy_auth` values not at all.

use scopegate_proxy::config::{ProxyAuth, UpstreamProxy};

use super::validate::Validate;

const AUTH_HELP: &str = "proxy_auth = { env = \"CORP_PROXY_AUTH\" } or { file = \"corp-proxy-auth\" }, holding user:password";

impl Validate<'_, '_> {
    /// The proxy, with its credentials from the URL or from `proxy_auth`
    /// (one or the other: one key per knob).
    pub fn upstream_proxy(
        &mut self,
        url: Option<&str>,
        auth: Option<&toml::Value>,
    ) -> Option<UpstreamProxy> {
        let Some(url) = url else {
            if auth.is_some() {
                self.bad(
                    &["upstream", "proxy_auth"],
                    "upstream.proxy_auth is set but upstream.proxy is not",
                    Some("set proxy = \"http://host:port\", or remove proxy_auth"),
                );
            }
            return None;
        };
        // Both read before either is judged: every problem at once.
        let from = auth.map(|a| self.proxy_auth(a));
        let mut proxy = match UpstreamProxy::parse(url) {
            Ok(p) => p,
            Err(problem) => {
                self.bad(
                    &["upstream", "proxy"],
                    problem.message(url),
                    Some(problem.help()),
                );
                return None;
            }
        };
        if let Some(from) = from {
            if proxy.auth.is_some() {
                self.bad(
                    &["upstream", "proxy_auth"],
                    "the upstream proxy's credentials are given twice: in upstream.proxy's URL and in upstream.proxy_auth",
                    Some("keep proxy_auth and write the URL as http://host:port"),
                );
            }
            proxy.auth = from;
        }
        Some(proxy)
    }

    /// `{ env = "VAR" }` or `{ file = "path" }` (relative to the settings).
    fn proxy_auth(&mut self, value: &toml::Value) -> Option<ProxyAuth> {
        let only = value
            .as_table()
            .filter(|t| t.len() == 1)
            .and_then(|t| t.iter().next());
        match only {
            Some((k, toml::Value::String(v))) if k == "env" && !v.is_empty() => {
                Some(ProxyAuth::Env(v.clone()))
            }
            Some((k, toml::Value::String(v))) if k == "file" && !v.is_empty() => {
                Some(ProxyAuth::File(self.rel(v)))
            }
            _ => {
                self.bad(
                    &["upstream", "proxy_auth"],
                    "upstream.proxy_auth names where the proxy credentials are kept, not the credentials (its value is not shown)",
                    Some(AUTH_HELP),
                );
                None
            }
        }
    }
}

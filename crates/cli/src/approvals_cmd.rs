//! `scopegate approvals list | approve ID | reject ID`: the dashboard's JSON
//! API from the command line, authenticated with an approver's API token
//! (`SCOPEGATE_API_TOKEN`) — never an agent's credential.

use std::path::Path;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use scopegate_proxy::Settings;
use serde_json::{Value, json};

/// The dashboard's base URL: `--url`, else `[dashboard] public_url`, else
/// the default listener.
pub fn base_url(config: &Path, url: Option<&str>) -> String {
    if let Some(u) = url {
        return u.trim_end_matches('/').to_owned();
    }
    Settings::load(config)
        .ok()
        .and_then(|s| s.dashboard)
        .and_then(|d| {
            d.get("public_url")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "http://127.0.0.1:9091".into())
        .trim_end_matches('/')
        .to_owned()
}

async fn call(
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let tls = scopegate_tls::upstream_client_config(scopegate_tls::provider(), &[])?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let mut req = http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json");
    let payload = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Bytes::from(b.to_string())
        }
        None => Bytes::new(),
    };
    let resp = client
        .request(req.body(Full::new(payload))?)
        .await
        .with_context(|| format!("cannot reach the dashboard at {url}"))?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| json!({ "message": String::from_utf8_lossy(&bytes) }));
    Ok((status, v))
}

fn token() -> anyhow::Result<String> {
    std::env::var("SCOPEGATE_API_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .context("set SCOPEGATE_API_TOKEN to a dashboard user's API token (see docs/approvals.md)")
}

fn line(a: &Value) -> String {
    let ops: Vec<String> = a["detail"]["operations"]
        .as_array()
        .map(|ops| {
            ops.iter()
                .map(|o| {
                    format!(
                        "{}:{} ({})",
                        o["provider"].as_str().unwrap_or(""),
                        o["name"].as_str().unwrap_or(""),
                        o["class"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{:<30} {:<9} {:<40} token={} agent={}",
        a["id"].as_str().unwrap_or("?"),
        a["state"].as_str().unwrap_or("?"),
        ops.join(", "),
        a["token"].as_str().unwrap_or("-"),
        a["agent"].as_str().unwrap_or("-"),
    )
}

pub fn list(base: &str, state: &str) -> anyhow::Result<i32> {
    let token = token()?;
    crate::audit::runtime()?.block_on(async {
        let (status, v) = call(
            "GET",
            &format!("{base}/api/approvals?state={state}"),
            &token,
            None,
        )
        .await?;
        anyhow::ensure!(
            status == 200,
            "the dashboard answered {status}: {}",
            v["message"].as_str().unwrap_or("")
        );
        let items = v
            .as_array()
            .or_else(|| v["approvals"].as_array())
            .cloned()
            .unwrap_or_default();
        if items.is_empty() {
            println!("no {state} approvals");
        }
        for a in &items {
            println!("{}", line(a));
        }
        Ok(0)
    })
}

pub fn decide(base: &str, id: &str, approve: bool, note: &str) -> anyhow::Result<i32> {
    let token = token()?;
    let verb = if approve { "approve" } else { "reject" };
    crate::audit::runtime()?.block_on(async {
        let (status, v) = call(
            "POST",
            &format!("{base}/api/approvals/{id}/{verb}"),
            &token,
            Some(json!({ "note": note })),
        )
        .await?;
        match status {
            200 => {
                println!("{}", line(&v));
                Ok(0)
            }
            409 => {
                println!(
                    "{id} is no longer pending: {}",
                    v["message"].as_str().unwrap_or("")
                );
                Ok(1)
            }
            _ => anyhow::bail!(
                "the dashboard answered {status}: {}",
                v["message"].as_str().unwrap_or("")
            ),
        }
    })
}

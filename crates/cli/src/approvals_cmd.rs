//! `scopegate approvals list | approve ID | reject ID`: the dashboard's JSON
//! API from the command line, authenticated with an approver's API token
//! (`SCOPEGATE_API_TOKEN`) — never an agent's credential.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use scopegate_cli::dashboard_settings;
use scopegate_cli::outln;
use scopegate_model::Resolution;
use serde_json::{Value, json};

/// The dashboard's base URL: `--url`, else `[dashboard] public_url`, else
/// `[dashboard] listen` from the settings file; with neither a `--url` nor a
/// readable settings file, an error saying so.
pub fn base_url(config: &Path, url: Option<&str>) -> anyhow::Result<Base> {
    if let Some(u) = url {
        return Ok(Base {
            url: u.trim_end_matches('/').to_owned(),
            from: "--url".into(),
        });
    }
    let dashboard = dashboard_settings::load(config)
        .context("the dashboard's address comes from the settings file (-c FILE) or --url")?
        .unwrap_or_default();
    let from = if dashboard.public_url.is_some() {
        "[dashboard] public_url"
    } else {
        "[dashboard] listen"
    };
    Ok(Base {
        url: dashboard_settings::client_url(&dashboard),
        from: format!("{from} in {}", config.display()),
    })
}

/// The dashboard's address and where it came from, for errors.
pub struct Base {
    pub url: String,
    pub from: String,
}

async fn call(
    method: &str,
    base: &Base,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let url = format!("{}{path}", base.url);
    let tls = scopegate_tls::upstream_client_config(scopegate_tls::provider(), &[])?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let mut req = http::Request::builder()
        .method(method)
        .uri(&url)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json");
    let payload = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Bytes::from(b.to_string())
        }
        None => Bytes::new(),
    };
    let req = req
        .body(Full::new(payload))
        .with_context(|| format!("`{url}` (from {}) is not a usable URL", base.from))?;
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .map_err(|_| anyhow::anyhow!("no answer within 30 s"))
        .and_then(|r| r.map_err(|e| anyhow::anyhow!(cause(&e))))
        .with_context(|| {
            format!(
                "cannot reach the dashboard at {} (from {}; set [dashboard] public_url or pass --url)",
                base.url, base.from
            )
        })?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| json!({ "message": String::from_utf8_lossy(&bytes) }));
    Ok((status, v))
}

/// The innermost cause of a client error ("Connection refused (os error
/// 111)"), not hyper's outer "client error (Connect)".
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(s) = inner.source() {
        inner = s;
    }
    inner.to_string()
}

/// An answer other than the one expected, blaming what the status says.
fn refused(base: &Base, status: u16, v: &Value) -> anyhow::Error {
    let message = v["message"].as_str().unwrap_or("");
    match status {
        401 => anyhow::anyhow!(
            "the dashboard at {} does not accept this API token (401: {message}); SCOPEGATE_API_TOKEN must be one whose fingerprint a [[dashboard.users]] entry lists (docs/dashboard.md)",
            base.url
        ),
        403 => anyhow::anyhow!(
            "the dashboard at {} refused: {message} (403; deciding needs an approver or admin)",
            base.url
        ),
        _ => anyhow::anyhow!("the dashboard at {} answered {status}: {message}", base.url),
    }
}

fn token() -> anyhow::Result<String> {
    std::env::var("SCOPEGATE_API_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .context("set SCOPEGATE_API_TOKEN to a dashboard user's API token (`scopegate dashboard api-token` makes one; see docs/dashboard.md)")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// "42s", "3m", "5h", "2d".
fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// One approval on one line: id, state, age, attempts, operations with
/// their resources, token and agent.
fn line(a: &Value, now: i64) -> String {
    let ops: Vec<String> = a["detail"]["operations"]
        .as_array()
        .map(|ops| ops.iter().map(operation).collect())
        .unwrap_or_default();
    format!(
        "{}  {}  age={}  attempts={}  {}  token={} agent={}",
        a["id"].as_str().unwrap_or("?"),
        a["state"].as_str().unwrap_or("?"),
        a["created_ms"]
            .as_i64()
            .map_or_else(|| "?".into(), |c| age(now - c)),
        a["attempts"].as_i64().unwrap_or(0),
        if ops.is_empty() {
            "(no operations recorded)".to_owned()
        } else {
            ops.join(", ")
        },
        a["token"].as_str().unwrap_or("-"),
        a["agent"].as_str().unwrap_or("-"),
    )
}

/// The blast radius under an approval's line, indented: what it would
/// delete and where, what could not be resolved, a safer step
/// (`scopegate_web::blast_radius`, as the dashboard card says it).
fn blast_lines(a: &Value, now: i64) -> Vec<String> {
    let ops: Vec<scopegate_model::Operation> =
        serde_json::from_value(a["detail"]["operations"].clone()).unwrap_or_default();
    scopegate_web::blast_radius::describe_bundled(&ops, now)
        .iter()
        .map(|s| format!("    {}", s.plain()))
        .collect()
}

/// `railway:volumeDelete (destructive) volumeId=vol-1`
fn operation(o: &Value) -> String {
    let mut s = format!(
        "{}:{} ({})",
        o["provider"].as_str().unwrap_or(""),
        o["name"].as_str().unwrap_or(""),
        o["class"].as_str().unwrap_or("")
    );
    if let Some(res) = o["resources"].as_object() {
        for (kind, values) in res {
            let values: Vec<&str> = values
                .as_array()
                .map(|vs| vs.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            s.push_str(&format!(" {kind}={}", values.join("|")));
        }
    }
    s
}

/// Approvals in `state`, narrowed by `filters` (`operation`, `token`,
/// `resource`: the API's filters, each given or not).
pub fn list(base: &Base, state: &str, filters: &[(&str, Option<String>)]) -> anyhow::Result<i32> {
    let token = token()?;
    crate::audit::runtime()?.block_on(async {
        let mut path = format!(
            "/api/approvals?state={}",
            scopegate_web::html::query_value(state)
        );
        for (name, value) in filters {
            if let Some(v) = value {
                path.push_str(&format!("&{name}={}", scopegate_web::html::query_value(v)));
            }
        }
        let (status, v) = call("GET", base, &path, &token, None).await?;
        if status != 200 {
            return Err(refused(base, status, &v));
        }
        let items = v
            .as_array()
            .or_else(|| v["approvals"].as_array())
            .cloned()
            .unwrap_or_default();
        if items.is_empty() {
            if filters.iter().any(|(_, v)| v.is_some()) {
                outln!("no {state} approvals match")?;
            } else {
                outln!("no {state} approvals")?;
            }
        }
        if v["truncated"].as_bool() == Some(true) {
            outln!(
                "(only the newest {} {state} approvals were searched)",
                scopegate_web::list_filter::FILTER_SCAN
            )?;
        }
        let now = now_ms();
        for a in &items {
            outln!("{}", line(a, now))?;
            for l in blast_lines(a, now) {
                outln!("{l}")?;
            }
        }
        Ok(0)
    })
}

/// Resolves approval `id`: approves or rejects it, with `note` (and, to
/// approve a destructive request, `confirm`: what it destroys).
pub fn resolve(
    base: &Base,
    id: &str,
    resolution: Resolution,
    note: &str,
    confirm: Option<&str>,
) -> anyhow::Result<i32> {
    let token = token()?;
    let verb = match resolution {
        Resolution::Approve => "approve",
        Resolution::Reject => "reject",
    };
    crate::audit::runtime()?.block_on(async {
        let path = format!(
            "/api/approvals/{}/{verb}",
            scopegate_web::html::url_segment(id)
        );
        let body = json!({ "note": note, "confirm": confirm });
        let (status, v) = call("POST", base, &path, &token, Some(body)).await?;
        match status {
            200 => {
                outln!("{}", line(&v, now_ms()))?;
                Ok(0)
            }
            _ if matches!(
                v["error"].as_str(),
                Some("confirmation_required" | "self_approval" | "already_approved")
            ) =>
            {
                outln!(
                    "{id} was not {}: {}",
                    resolution.state(),
                    v["message"].as_str().unwrap_or("")
                )?;
                Ok(1)
            }
            409 => {
                outln!(
                    "{id} is no longer pending: {}",
                    v["message"].as_str().unwrap_or("")
                )?;
                Ok(1)
            }
            _ => Err(refused(base, status, &v)),
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_listed_approval_says_its_blast_radius_under_its_line() {
        let a = json!({"id": "apr_1", "state": "pending", "detail": {"operations": [{
            "provider": "railway", "name": "volumeDelete", "class": "destructive",
            "resources": {"volumeId": ["vol-1"]},
            "attributes": {
                "volume": {"known": ["postgres-data"]},
                "volume.backups": {"known": ["3"]},
                "project": {"known": ["pocketos"]},
                "environment": {"unresolved": "lookup timed out after 2 s"}
            }
        }]}});
        assert_eq!(
            blast_lines(&a, 0),
            [
                "    Delete volume postgres-data (3 backups; its backups are deleted with it) in project pocketos.",
                "    Could not resolve the environment of volume `vol-1` (lookup timed out after 2 s).",
                "    Safer: create a backup first: `volumeInstanceBackupCreate`.",
            ]
        );
        assert!(line(&a, 0).contains("railway:volumeDelete (destructive) volumeId=vol-1"));
        assert!(blast_lines(&json!({"detail": {}}), 0).is_empty());
    }
}

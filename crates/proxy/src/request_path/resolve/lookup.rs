//! An active lookup: scopegate's own read (the resolver's GraphQL query,
//! or a REST kind's GET), sent to the provider with the request's
//! credential (the real secret in place of a surrogate) through the
//! verified upstream client, with a short timeout. Logged and counted as a
//! lookup, never as an agent decision.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, header};
use http_body_util::{BodyExt as _, Limited};
use scopegate_inspect::Inspection;
use scopegate_inspect::resolve::Resolver;
use scopegate_model::{CredentialLocation, PresentedCredential};

use crate::engine::Engine;
use crate::resolve::passive::CAP;
use crate::shared::State;
use crate::upstream::{Destination, ForwardError, Forwardable, forward};

use super::super::conn::Conn;
use super::super::credential::swap_surrogate;
use super::super::read::Inbound;

/// scopegate's own lookup request (not an agent's: it never carries
/// anything the agent sent but its credential).
struct Lookup(http::request::Parts, Bytes);

impl Forwardable for Lookup {
    fn into_request(self) -> (http::request::Parts, Bytes) {
        (self.0, self.1)
    }
}

/// What scopegate asks.
pub enum Ask<'a> {
    /// A GraphQL query to the resolver's endpoint: its operation name,
    /// text and variables.
    Graphql {
        name: &'a str,
        text: &'a str,
        variables: serde_json::Value,
    },
    /// A REST read of this path.
    Get { path: &'a str },
}

/// Sends the lookup; its JSON answer (GraphQL: with `data`), or why it
/// gave nothing.
pub async fn send(
    state: &State,
    engine: &Engine,
    conn: &Conn,
    inbound: &Inbound,
    inspection: &Inspection,
    resolver: &'static Resolver,
    query: &Ask<'_>,
) -> Result<serde_json::Value, String> {
    let started = Instant::now();
    let timeout = state.resolution.settings.lookup_timeout;
    let answer = match tokio::time::timeout(
        timeout,
        ask(state, engine, conn, inbound, inspection, resolver, query),
    )
    .await
    {
        Ok(answer) => answer,
        Err(_) => Err((
            "timeout",
            format!("lookup timed out after {} ms", timeout.as_millis()),
        )),
    };
    let outcome = match &answer {
        Ok(_) => "ok",
        Err((outcome, _)) => outcome,
    };
    state.metrics.lookup(&resolver.provider, outcome);
    tracing::info!(
        provider = %resolver.provider,
        host = %conn.host,
        outcome,
        millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "resolve: lookup"
    );
    answer.map_err(|(_, why)| why)
}

type Failed = (&'static str, String);

async fn ask(
    state: &State,
    engine: &Engine,
    conn: &Conn,
    inbound: &Inbound,
    inspection: &Inspection,
    resolver: &'static Resolver,
    query: &Ask<'_>,
) -> Result<serde_json::Value, Failed> {
    let request = request(
        engine,
        conn,
        inbound,
        &inspection.credential,
        resolver,
        query,
    )
    .map_err(|why| ("failed", format!("lookup not sent: {why}")))?;
    let to = Destination {
        host: &conn.host,
        port: conn.port,
        scheme: conn.scheme,
    };
    let timeout = state.resolution.settings.lookup_timeout;
    let resp = forward(&state.client, request, to, timeout)
        .await
        .map_err(|e| match e {
            ForwardError::Timeout(t) => (
                "timeout",
                format!("lookup timed out after {} ms", t.as_millis()),
            ),
            e => ("failed", format!("lookup failed: {e}")),
        })?;
    let status = resp.status();
    if !status.is_success() {
        return Err(("failed", format!("lookup failed: HTTP {}", status.as_u16())));
    }
    let body = Limited::new(resp.into_body(), CAP)
        .collect()
        .await
        .map_err(|_| {
            (
                "failed",
                "lookup failed: the answer could not be read (or is over 1 MiB)".to_owned(),
            )
        })?
        .to_bytes();
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| ("failed", "lookup failed: the answer is not JSON".to_owned()))?;
    let answered = match query {
        Ask::Graphql { .. } => value.get("data").is_some_and(|d| !d.is_null()),
        Ask::Get { .. } => value.is_object(),
    };
    if !answered {
        return Err((
            "failed",
            "lookup failed: the provider answered with errors".to_owned(),
        ));
    }
    Ok(value)
}

/// The lookup's head and body: the query or read, with the credential the
/// request presented (the real secret for a surrogate).
fn request(
    engine: &Engine,
    conn: &Conn,
    inbound: &Inbound,
    credential: &PresentedCredential,
    resolver: &Resolver,
    query: &Ask<'_>,
) -> Result<Lookup, String> {
    let mut headers = credential_headers(&inbound.parts.headers, credential);
    swap_surrogate(engine, credential, &mut headers)?;
    let (method, uri, body) = match query {
        Ask::Graphql {
            name,
            text,
            variables,
        } => {
            let endpoint = resolver.endpoint.as_deref().ok_or("no GraphQL endpoint")?;
            let body =
                serde_json::json!({ "query": text, "operationName": name, "variables": variables });
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            (Method::POST, endpoint, Bytes::from(body.to_string()))
        }
        Ask::Get { path } => (Method::GET, *path, Bytes::new()),
    };
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        header::USER_AGENT,
        HeaderValue::from_static("scopegate-resolve"),
    );
    let host = HeaderValue::from_str(&conn.host).map_err(|_| "bad host".to_owned())?;
    headers.insert(header::HOST, host);
    let (mut parts, ()) = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .map_err(|e| e.to_string())?
        .into_parts();
    parts.headers = headers;
    Ok(Lookup(parts, body))
}

/// Only the headers that carry the presented credential.
fn credential_headers(from: &HeaderMap, credential: &PresentedCredential) -> HeaderMap {
    let mut out = HeaderMap::new();
    let PresentedCredential::One { location, also, .. } = credential else {
        return out;
    };
    for place in std::iter::once(location).chain(also) {
        let name = match place {
            CredentialLocation::Authorization(_) => header::AUTHORIZATION,
            CredentialLocation::Header(h) => match header::HeaderName::from_bytes(h.as_bytes()) {
                Ok(name) => name,
                Err(_) => continue,
            },
            _ => continue,
        };
        if let Some(v) = from.get(&name) {
            out.insert(name, v.clone());
        }
    }
    out
}

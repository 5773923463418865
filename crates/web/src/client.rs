//! A small client for the dashboard's JSON API, for `scopegate approvals
//! list | approve ID | reject ID`.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use scopegate_model::Resolution;
use scopegate_store::Approval;
use serde::Deserialize;
use serde_json::Value;

use crate::DashboardError;
use crate::approval_json::ApprovalJson;
use crate::html::{query_value, url_segment};
use crate::notify::{HttpClient, http_client};

/// An approval as the API returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "ApiApprovalJson")]
pub struct ApiApproval {
    pub approval: Approval,
    /// "railway:volumeDelete — destructive — volumeId vol-1 — token ..."
    pub summary: String,
    /// The dashboard page for it.
    pub link: String,
    /// After a decision, what became of the request in words (one
    /// approval's answer only, not lists).
    pub what_happened: Option<String>,
}

/// [`ApiApproval`] as the JSON reads.
#[derive(Deserialize)]
struct ApiApprovalJson {
    #[serde(flatten)]
    approval: ApprovalJson,
    summary: String,
    link: String,
    #[serde(default)]
    what_happened: Option<String>,
}

impl TryFrom<ApiApprovalJson> for ApiApproval {
    type Error = serde_json::Error;

    fn try_from(j: ApiApprovalJson) -> Result<Self, Self::Error> {
        Ok(Self {
            approval: j.approval.into_approval()?,
            summary: j.summary,
            link: j.link,
            what_happened: j.what_happened,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the dashboard: {0}")]
    Unreachable(String),
    /// The dashboard answered with an error (`error` is its code, e.g.
    /// `not_pending`, `forbidden`, `unauthenticated`).
    #[error("{message} ({status})")]
    Refused {
        status: u16,
        error: String,
        message: String,
    },
    #[error("unexpected answer from the dashboard: {0}")]
    Decode(String),
}

pub struct ApiClient {
    base: String,
    token: String,
    client: HttpClient,
    timeout: Duration,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// `base_url` is the dashboard's public URL; `api_token` one whose
    /// fingerprint a `[[dashboard.users]]` entry lists.
    pub fn new(base_url: &str, api_token: &str) -> Result<Self, DashboardError> {
        Ok(Self {
            base: base_url.trim_end_matches('/').to_owned(),
            token: api_token.to_owned(),
            client: http_client()?,
            timeout: Duration::from_secs(30),
        })
    }

    async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ClientError> {
        let uri = format!("{}{path}", self.base);
        let mut req = http::Request::builder()
            .method(method)
            .uri(&uri)
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(http::header::ACCEPT, "application/json");
        let bytes = match body {
            Some(b) => {
                req = req.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(b.to_string())
            }
            None => Bytes::new(),
        };
        let req = req
            .body(Full::new(bytes))
            .map_err(|e| ClientError::Unreachable(format!("{uri}: {e}")))?;
        let res = tokio::time::timeout(self.timeout, async {
            let res = self
                .client
                .request(req)
                .await
                .map_err(|e| ClientError::Unreachable(format!("{uri}: {e}")))?;
            let status = res.status();
            let body = res
                .into_body()
                .collect()
                .await
                .map_err(|e| ClientError::Unreachable(e.to_string()))?
                .to_bytes();
            Ok::<_, ClientError>((status, body))
        })
        .await
        .map_err(|_| {
            ClientError::Unreachable(format!("{uri}: no answer within {:?}", self.timeout))
        })??;
        let (status, body) = res;
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ClientError::Decode(format!("{status}: {e}")))?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(ClientError::Refused {
                status: status.as_u16(),
                error: v["error"].as_str().unwrap_or("").to_owned(),
                message: v["message"].as_str().unwrap_or("").to_owned(),
            })
        }
    }

    /// Approvals, newest first; `state` pending | approved | rejected |
    /// expired | used, or `None` for all.
    pub async fn list(&self, state: Option<&str>) -> Result<Vec<ApiApproval>, ClientError> {
        let path = format!(
            "/api/approvals?state={}",
            query_value(state.unwrap_or("all"))
        );
        let v = self.call(http::Method::GET, &path, None).await?;
        serde_json::from_value(v["approvals"].clone())
            .map_err(|e| ClientError::Decode(e.to_string()))
    }

    pub async fn get(&self, id: &str) -> Result<ApiApproval, ClientError> {
        let v = self
            .call(
                http::Method::GET,
                &format!("/api/approvals/{}", url_segment(id)),
                None,
            )
            .await?;
        serde_json::from_value(v).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Resolves an approval: approves or rejects it;
    /// `Refused { error: "not_pending", .. }` (409) when it was resolved
    /// already or expired.
    pub async fn resolve(
        &self,
        id: &str,
        resolution: Resolution,
        note: &str,
    ) -> Result<ApiApproval, ClientError> {
        self.resolve_with(id, resolution, note, None).await
    }

    /// [`ApiClient::resolve`] with the typed confirmation a destructive
    /// approval needs (the resource's name, or its id; the approval's
    /// `confirm` field says which); without it the dashboard answers
    /// `Refused { error: "confirmation_required", .. }` (422).
    pub async fn resolve_with(
        &self,
        id: &str,
        resolution: Resolution,
        note: &str,
        confirm: Option<&str>,
    ) -> Result<ApiApproval, ClientError> {
        let path = format!(
            "/api/approvals/{}/{}",
            url_segment(id),
            match resolution {
                Resolution::Approve => "approve",
                Resolution::Reject => "reject",
            }
        );
        let v = self
            .call(
                http::Method::POST,
                &path,
                Some(serde_json::json!({ "note": note, "confirm": confirm })),
            )
            .await?;
        serde_json::from_value(v).map_err(|e| ClientError::Decode(e.to_string()))
    }
}

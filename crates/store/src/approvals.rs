//! The approval queue: held requests, humans' resolutions, and the one-time
//! grants approvals create. State changes are signalled in-process (a
//! broadcast) and, on Postgres, to every replica with NOTIFY; waiters also
//! poll as a safety net.

use std::time::Duration;

use scopegate_model::{ApprovalId, ApprovalState, Grant, HeldDetail, HeldRequest, Resolution};
use sqlx::Row as _;
use tokio::sync::broadcast;

use crate::db::Store;

pub const CHANNEL: &str = "scopegate_approvals";

/// A held request and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub id: ApprovalId,
    pub state: ApprovalState,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
    /// How many times the request was sent while pending (retries attach).
    pub attempts: i64,
    /// What was held.
    pub held: HeldRequest,
}

/// A change to an approval, for waiters and live dashboards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalEvent {
    pub id: ApprovalId,
}

/// In-process signal of approval changes.
#[derive(Debug, Clone)]
pub struct ApprovalHub {
    tx: broadcast::Sender<ApprovalEvent>,
}

impl Default for ApprovalHub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl ApprovalHub {
    pub fn subscribe(&self) -> broadcast::Receiver<ApprovalEvent> {
        self.tx.subscribe()
    }

    pub fn publish(&self, id: &ApprovalId) {
        let _ = self.tx.send(ApprovalEvent { id: id.clone() });
    }

    /// On Postgres, relays NOTIFYs from every replica into this hub;
    /// reconnects after errors.
    pub fn listen(&self, store: &Store) {
        let Store::Pg(pool) = store else { return };
        let pool = pool.clone();
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut l) => {
                        if l.listen(CHANNEL).await.is_ok() {
                            while let Ok(n) = l.recv().await {
                                hub.publish(&ApprovalId::new(n.payload()));
                            }
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "approval listener cannot connect; retrying")
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

const COLUMNS: &str = "id, grant_key, state, created_ms, expires_ms, decided_ms, decided_by, note, decision_id, attempts, token, fingerprint_prefix, agent, provider, host, method, path, rule, reason, detail";

macro_rules! row_to_approval {
    ($row:expr) => {{
        let r = $row;
        let state: String = r.try_get("state")?;
        let detail: String = r.try_get("detail")?;
        let mut held = HeldRequest {
            decision_id: r.try_get::<String, _>("decision_id")?.into(),
            grant_key: r.try_get("grant_key")?,
            token: r.try_get("token")?,
            fingerprint_prefix: r.try_get("fingerprint_prefix")?,
            agent: r.try_get("agent")?,
            provider: r.try_get("provider")?,
            host: r.try_get("host")?,
            method: r.try_get("method")?,
            path: r.try_get("path")?,
            rule: r.try_get("rule")?,
            reason: r.try_get("reason")?,
            operations: Vec::new(),
            request: serde_json::Value::Null,
            rule_note: None,
            agent_reason: None,
            who_decides: Default::default(),
        };
        held.set_detail(read_detail(&detail));
        Approval {
            id: r.try_get::<String, _>("id")?.into(),
            state: parse_state(&state)?,
            created_ms: r.try_get("created_ms")?,
            expires_ms: r.try_get("expires_ms")?,
            decided_ms: r.try_get("decided_ms")?,
            decided_by: r.try_get("decided_by")?,
            note: r.try_get("note")?,
            attempts: r.try_get::<i64, _>("attempts")?,
            held,
        }
    }};
}

fn parse_state(s: &str) -> Result<ApprovalState, sqlx::Error> {
    ApprovalState::parse(s).ok_or_else(|| {
        sqlx::Error::Decode(format!("unknown approval state {s:?} in the approvals table").into())
    })
}

/// The `detail` column: `{"operations": [...], "request": {...}}`. A
/// column that does not read as one shows no operations and no request
/// (as before it was typed), and says so in the log.
fn read_detail(text: &str) -> HeldDetail {
    match serde_json::from_str(text).and_then(HeldDetail::from_value) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "an approval's detail column does not read; shown without operations");
            HeldDetail::default()
        }
    }
}

impl Store {
    /// Holds a request: attaches to the pending approval for the same
    /// grant key (a retry), or creates one. Returns it and whether it is new.
    /// `pending_for` is how long the approval may stay pending; `new_id`
    /// its id if it is new.
    pub async fn hold(
        &self,
        h: &HeldRequest,
        pending_for: Duration,
        new_id: &ApprovalId,
    ) -> Result<(Approval, bool), sqlx::Error> {
        let now = now_ms();
        let until = now + i64::try_from(pending_for.as_millis()).unwrap_or(i64::MAX / 2);
        for _ in 0..3 {
            let attached: Option<String> = on_backend!(self, |pool| {
                sqlx::query("UPDATE approvals SET state = 'expired' WHERE grant_key = $1 AND state = 'pending' AND expires_ms <= $2")
                    .bind(&h.grant_key)
                    .bind(now)
                    .execute(pool)
                    .await?;
                sqlx::query_scalar("UPDATE approvals SET attempts = attempts + 1 WHERE grant_key = $1 AND state = 'pending' RETURNING id")
                    .bind(&h.grant_key)
                    .fetch_optional(pool)
                    .await?
            });
            if let Some(id) = attached {
                let a = self
                    .approval(&ApprovalId::new(id))
                    .await?
                    .ok_or(sqlx::Error::RowNotFound)?;
                return Ok((a, false));
            }
            // The column's JSON, as it has always been written.
            let detail = h.detail().to_string();
            let inserted = on_backend!(self, |pool| {
                sqlx::query(
                    "INSERT INTO approvals (id, grant_key, state, created_ms, expires_ms, decision_id, attempts, token, fingerprint_prefix, agent, provider, host, method, path, rule, reason, detail) \
                     VALUES ($1, $2, 'pending', $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(new_id.as_str())
                .bind(&h.grant_key)
                .bind(now)
                .bind(until)
                .bind(h.decision_id.as_str())
                .bind(&h.token)
                .bind(&h.fingerprint_prefix)
                .bind(&h.agent)
                .bind(&h.provider)
                .bind(&h.host)
                .bind(&h.method)
                .bind(&h.path)
                .bind(&h.rule)
                .bind(&h.reason)
                .bind(&detail)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
            });
            match inserted {
                Ok(_) => {
                    let a = self
                        .approval(new_id)
                        .await?
                        .ok_or(sqlx::Error::RowNotFound)?;
                    self.notify(new_id).await;
                    return Ok((a, true));
                }
                // A concurrent retry created it first: attach on the next pass.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(sqlx::Error::RowNotFound)
    }

    /// Uses an approved grant for this key, once, within its window.
    /// Returns the approval it used and who approved it.
    pub async fn take_grant(&self, grant_key: &str) -> Result<Option<Grant>, sqlx::Error> {
        let now = now_ms();
        let row: Option<(String, Option<String>)> = on_backend!(self, |pool| {
            sqlx::query_as(
                "UPDATE approvals SET state = 'used' WHERE id = (SELECT id FROM approvals WHERE grant_key = $1 AND state = 'approved' AND expires_ms > $2 ORDER BY decided_ms LIMIT 1) AND state = 'approved' RETURNING id, decided_by",
            )
            .bind(grant_key)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id, approved_by)| Grant {
            approval_id: id.into(),
            approved_by,
        }))
    }

    pub async fn approval(&self, id: &ApprovalId) -> Result<Option<Approval>, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM approvals WHERE id = $1"));
        on_backend!(self, |pool| {
            match sqlx::query(sql)
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Ok(Some(row_to_approval!(r))),
                None => Ok(None),
            }
        })
    }

    /// Resolves a pending approval: a human approves or rejects it. An
    /// approval opens a grant window; returns `None` if it was not pending
    /// (already resolved, expired).
    pub async fn resolve(
        &self,
        id: &ApprovalId,
        resolution: Resolution,
        by: &str,
        note: &str,
        grant_window: Duration,
    ) -> Result<Option<Approval>, sqlx::Error> {
        let now = now_ms();
        let state = resolution.state().as_str();
        let until = now + i64::try_from(grant_window.as_millis()).unwrap_or(i64::MAX / 2);
        let changed: Option<String> = on_backend!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE approvals SET state = $2, decided_ms = $3, decided_by = $4, note = $5, expires_ms = $6 WHERE id = $1 AND state = 'pending' AND expires_ms > $3 RETURNING id",
            )
            .bind(id.as_str())
            .bind(state)
            .bind(now)
            .bind(by)
            .bind(note)
            .bind(until)
            .fetch_optional(pool)
            .await?
        });
        if changed.is_none() {
            return Ok(None);
        }
        self.notify(id).await;
        self.approval(id).await
    }

    /// Approvals, newest first; `state` filters.
    pub async fn approvals(
        &self,
        state: Option<ApprovalState>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Approval>, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM approvals WHERE ($1 = '' OR state = $1) ORDER BY created_ms DESC, id DESC LIMIT $2 OFFSET $3"
        ));
        let state = state.map_or("", ApprovalState::as_str);
        on_backend!(self, |pool| {
            let rows = sqlx::query(sql)
                .bind(state)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            rows.into_iter().map(|r| Ok(row_to_approval!(r))).collect()
        })
    }

    /// Approvals still waiting for a human (not yet past their time).
    pub async fn pending_count(&self) -> Result<u64, sqlx::Error> {
        let now = now_ms();
        let n: i64 = on_backend!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM approvals WHERE state = 'pending' AND expires_ms > $1",
            )
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Marks pending approvals and unused grants past their time as expired;
    /// returns them (as they are now), so each expiry can be recorded.
    pub async fn expire_approvals(&self) -> Result<Vec<Approval>, sqlx::Error> {
        let now = now_ms();
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE approvals SET state = 'expired' WHERE state IN ('pending', 'approved') AND expires_ms <= $1 RETURNING {COLUMNS}"
        ));
        on_backend!(self, |pool| {
            let rows = sqlx::query(sql).bind(now).fetch_all(pool).await?;
            rows.into_iter().map(|r| Ok(row_to_approval!(r))).collect()
        })
    }

    /// Tells every replica that an approval changed (Postgres NOTIFY).
    pub async fn notify(&self, id: &ApprovalId) {
        if let Store::Pg(pool) = self {
            let _ = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(id.as_str())
                .execute(pool)
                .await;
        }
    }

    /// Waits until the approval leaves `pending` or `timeout` passes;
    /// returns its latest state.
    pub async fn wait_resolved(
        &self,
        hub: &ApprovalHub,
        id: &ApprovalId,
        timeout: Duration,
    ) -> Result<Option<Approval>, sqlx::Error> {
        let mut rx = hub.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let a = self.approval(id).await?;
            if a.as_ref().is_none_or(|a| a.state != ApprovalState::Pending) {
                return Ok(a);
            }
            tokio::select! {
                ev = rx.recv() => {
                    if let Err(broadcast::error::RecvError::Closed) = ev {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                // Safety net for a lost notification.
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = tokio::time::sleep_until(deadline) => return Ok(a),
            }
        }
    }
}

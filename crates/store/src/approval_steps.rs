//! Each approver's approve on an approval that needs more than one
//! (a rule's `approvers = 2`). The approval stays pending until enough
//! different approvers have approved; then it is resolved as usual, with
//! every approver named.

use scopegate_model::ApprovalId;

use crate::approvals::now_ms;
use crate::db::Store;

/// One approver's approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalStep {
    pub approver: String,
    pub at_ms: i64,
    pub note: String,
}

impl Store {
    /// Records `by`'s approve of `id`; `false` when `by` had already
    /// approved it (nothing changes).
    pub async fn add_approval_step(
        &self,
        id: &ApprovalId,
        by: &str,
        note: &str,
    ) -> Result<bool, sqlx::Error> {
        const SQL: &str = "INSERT INTO approval_steps (approval_id, approver, step_ms, note) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
        let now = now_ms();
        let added = on_backend!(self, |pool| {
            sqlx::query(SQL)
                .bind(id.as_str())
                .bind(by)
                .bind(now)
                .bind(note)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(added == 1)
    }

    /// The approves recorded for `id`, first first.
    pub async fn approval_steps(&self, id: &ApprovalId) -> Result<Vec<ApprovalStep>, sqlx::Error> {
        const SQL: &str = "SELECT approver, step_ms, note FROM approval_steps WHERE approval_id = $1 ORDER BY step_ms, approver";
        let rows: Vec<(String, i64, String)> = on_backend!(self, |pool| {
            sqlx::query_as(SQL)
                .bind(id.as_str())
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(approver, at_ms, note)| ApprovalStep {
                approver,
                at_ms,
                note,
            })
            .collect())
    }
}

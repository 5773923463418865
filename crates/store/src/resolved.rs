//! The resolution cache replicas share (docs/resource-context.md), on
//! Postgres: resolved ids' attributes, keyed by provider, a hash of the
//! credential's fingerprint, resource kind and id, timed by the database's
//! clock so that every replica reads the same ages. SQLite has no shared
//! cache (one process): its calls fail.

use std::collections::BTreeMap;
use std::time::Duration;

use scopegate_model::{ResolvedAttributes, ResolvedKey};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use sqlx::postgres::PgPool;

use crate::db::Store;

/// The database's clock, in milliseconds.
const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// What the table keeps for a credential: hex(SHA-256 of
/// "scopegate-resolved\n" and the fingerprint), which is no fingerprint
/// usable elsewhere.
pub fn credential_column(fingerprint: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"scopegate-resolved\n");
    h.update(fingerprint.as_bytes());
    scopegate_model::hex(&h.finalize())
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    fn resolved_pool(&self) -> Result<&PgPool, sqlx::Error> {
        match self {
            Self::Pg(pool) => Ok(pool),
            Self::Sqlite(_) => Err(sqlx::Error::Configuration(
                "the resolution cache is shared only through Postgres".into(),
            )),
        }
    }

    /// The attributes stored for `key` less than `ttl` ago, and their age.
    pub async fn resolved_get(
        &self,
        key: &ResolvedKey,
        ttl: Duration,
    ) -> Result<Option<(ResolvedAttributes, Duration)>, sqlx::Error> {
        let pool = self.resolved_pool()?;
        let sql = format!(
            "SELECT attributes, GREATEST({NOW_MS} - resolved_ms, 0) AS age_ms FROM resolved \
             WHERE provider = $1 AND credential = $2 AND kind = $3 AND id = $4 \
             AND resolved_ms > {NOW_MS} - $5"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&key.provider)
            .bind(credential_column(&key.credential))
            .bind(&key.kind)
            .bind(&key.id)
            .bind(millis(ttl))
            .fetch_optional(pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get("attributes")?;
        let age: i64 = row.try_get("age_ms")?;
        let found = serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))?;
        Ok(Some((
            found,
            Duration::from_millis(u64::try_from(age).unwrap_or(0)),
        )))
    }

    /// Stores the entries as resolved now, in one statement (a key given
    /// twice keeps its last attributes).
    pub async fn resolved_put(
        &self,
        entries: &[(ResolvedKey, ResolvedAttributes)],
    ) -> Result<(), sqlx::Error> {
        let pool = self.resolved_pool()?;
        // One row per key, in key order (concurrent writers lock alike).
        let mut rows = BTreeMap::new();
        for (k, found) in entries {
            let json = serde_json::to_string(found).map_err(|e| sqlx::Error::Encode(e.into()))?;
            let key = (
                k.provider.clone(),
                credential_column(&k.credential),
                k.kind.clone(),
                k.id.clone(),
            );
            rows.insert(key, json);
        }
        if rows.is_empty() {
            return Ok(());
        }
        let mut cols: [Vec<String>; 5] = Default::default();
        for ((p, c, k, i), a) in rows {
            for (col, v) in cols.iter_mut().zip([p, c, k, i, a]) {
                col.push(v);
            }
        }
        let [p, c, k, i, a] = cols;
        let sql = format!(
            "INSERT INTO resolved (provider, credential, kind, id, attributes, resolved_ms) \
             SELECT p, c, k, i, a, {NOW_MS} \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(p, c, k, i, a) \
             ON CONFLICT (provider, credential, kind, id) \
             DO UPDATE SET attributes = EXCLUDED.attributes, resolved_ms = EXCLUDED.resolved_ms"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(p)
            .bind(c)
            .bind(k)
            .bind(i)
            .bind(a)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Deletes entries older than `ttl`, then the oldest beyond
    /// `max_entries`; returns how many were deleted.
    pub async fn resolved_prune(
        &self,
        ttl: Duration,
        max_entries: usize,
    ) -> Result<u64, sqlx::Error> {
        let pool = self.resolved_pool()?;
        let expired = format!("DELETE FROM resolved WHERE resolved_ms <= {NOW_MS} - $1");
        let expired = sqlx::query(sqlx::AssertSqlSafe(expired))
            .bind(millis(ttl))
            .execute(pool)
            .await?
            .rows_affected();
        let beyond = sqlx::query(
            "DELETE FROM resolved WHERE (provider, credential, kind, id) IN \
             (SELECT provider, credential, kind, id FROM resolved \
              ORDER BY resolved_ms DESC OFFSET $1)",
        )
        .bind(i64::try_from(max_entries).unwrap_or(i64::MAX))
        .execute(pool)
        .await?
        .rows_affected();
        Ok(expired + beyond)
    }
}

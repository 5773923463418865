//! What became of an approved request: the decision that used its grant
//! and what the provider answered (docs/approvals.md, "After a decision").

use sqlx::Row as _;

use crate::db::Store;
use scopegate_model::ApprovalId;

/// How long before an approval's creation the request it released may have
/// been read: a released waiting request keeps the time it arrived, which
/// is just before it was held.
pub const EARLIEST_MS: i64 = 5 * 60 * 1000;

/// The request an approval let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The decision it was forwarded under.
    pub decision_id: String,
    pub at_ms: i64,
    /// The provider's HTTP status, once it answered.
    pub upstream_status: Option<u16>,
    /// Why the provider gave no answer, if it did not.
    pub error: Option<String>,
}

/// `%"approval":"<step> <id> %`, with LIKE's wildcards in the id escaped.
fn pattern(step: &str, id: &ApprovalId) -> String {
    let id: String = id
        .as_str()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%\"approval\":\"{step} {id} %")
}

impl Store {
    /// The first decision, stamped at or after `since_ms`, that used approval
    /// `id`'s grant (a waiting request released, or an identical resend),
    /// with its outcome; `None` while nothing has used it.
    pub async fn release_of(
        &self,
        id: &ApprovalId,
        since_ms: i64,
    ) -> Result<Option<Release>, sqlx::Error> {
        let sql = "SELECT d.id AS id, d.at_ms AS at_ms, o.upstream_status AS status, o.error AS error \
                   FROM decisions d LEFT JOIN decision_outcomes o ON o.decision_id = d.id \
                   WHERE d.at_ms >= $1 AND (d.record LIKE $2 ESCAPE '\\' OR d.record LIKE $3 ESCAPE '\\') \
                   ORDER BY d.seq LIMIT 1";
        let (used, granted) = (pattern("used", id), pattern("granted", id));
        macro_rules! run {
            ($pool:expr) => {{
                let row = sqlx::query(sql)
                    .bind(since_ms)
                    .bind(&used)
                    .bind(&granted)
                    .fetch_optional($pool)
                    .await?;
                match row {
                    Some(r) => Some(Release {
                        decision_id: r.try_get("id")?,
                        at_ms: r.try_get("at_ms")?,
                        upstream_status: r
                            .try_get::<Option<i64>, _>("status")
                            .or_else(|_| {
                                r.try_get::<Option<i32>, _>("status")
                                    .map(|s| s.map(i64::from))
                            })?
                            .and_then(|s| u16::try_from(s).ok()),
                        error: r.try_get("error")?,
                    }),
                    None => None,
                }
            }};
        }
        Ok(match self {
            Store::Pg(pool) => run!(pool),
            Store::Sqlite(pool) => run!(pool),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_matches_the_step_and_id_exactly() {
        let id = ApprovalId::new("apr_a%b");
        assert_eq!(pattern("used", &id), "%\"approval\":\"used apr\\_a\\%b %");
    }
}

//! The database: Postgres for production and replicas, SQLite embedded.
//! One enum, the same method set, each backend with its native types; no
//! compile-time query macros.

use std::str::FromStr as _;
use std::time::Duration;

use scopegate_model::{DecisionOutcome, DecisionRecord, JournalEntry};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row as _, raw_sql};

use crate::chain::{ChainRow, GENESIS, link};

/// A database URL, read before anything is opened: which backend, and
/// the URL to give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbUrl<'a> {
    Postgres(&'a str),
    Sqlite(&'a str),
}

impl<'a> DbUrl<'a> {
    /// `postgres://` or `postgresql://` for Postgres; `sqlite://path`,
    /// `sqlite:path` or `sqlite::memory:` for SQLite. Anything else is an
    /// error that names what is wrong: another database's scheme
    /// (`mysql://`), a scheme missing its `://` (`postgres//host`), or no
    /// scheme at all (a bare path).
    pub fn parse(url: &'a str) -> Result<Self, String> {
        const USE: &str = "use postgres://user@host/db or sqlite://path";
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Self::Postgres(url));
        }
        if lower.starts_with("sqlite:") {
            return Ok(Self::Sqlite(url));
        }
        if let Some((scheme, _)) = url.split_once("://")
            && !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(format!(
                "unsupported database URL scheme `{scheme}` (use postgres:// or sqlite:)"
            ));
        }
        for known in ["postgresql", "postgres", "sqlite"] {
            if lower.starts_with(known) {
                // the name and the punctuation that follows it: `postgres//`
                let rest = &url[known.len()..];
                let punct = rest.len() - rest.trim_start_matches([':', '/']).len();
                let scheme = &url[..known.len() + punct];
                return Err(format!(
                    "malformed database URL scheme `{scheme}` (write `{known}://`; {USE})"
                ));
            }
        }
        Err(format!(
            "`{}` is not a database URL ({USE})",
            redact_url(url)
        ))
    }
}

#[cfg(test)]
mod url_tests {
    use super::DbUrl;

    #[test]
    fn postgres_and_sqlite_urls_are_read_as_such() {
        for u in [
            "postgres://u@h/db",
            "postgresql://h:5433/db",
            "POSTGRES://h/db",
        ] {
            assert_eq!(DbUrl::parse(u), Ok(DbUrl::Postgres(u)));
        }
        for u in [
            "sqlite://data/x.db",
            "sqlite:x.db",
            "sqlite::memory:",
            "sqlite:///abs/x.db",
        ] {
            assert_eq!(DbUrl::parse(u), Ok(DbUrl::Sqlite(u)));
        }
    }

    #[test]
    fn other_schemes_are_named_not_opened_as_paths() {
        for (u, scheme) in [
            ("mysql://root:secret@db/scopegate", "mysql"),
            ("mariadb://db/x", "mariadb"),
            ("pg://db/x", "pg"),
            ("https://db.example/x", "https"),
        ] {
            let e = DbUrl::parse(u).unwrap_err();
            assert_eq!(
                e,
                format!("unsupported database URL scheme `{scheme}` (use postgres:// or sqlite:)")
            );
            assert!(!e.contains("secret"));
        }
    }

    #[test]
    fn a_malformed_scheme_is_named() {
        for (u, scheme) in [
            ("postgres//db/x", "postgres//"),
            ("postgres:/db/x", "postgres:/"),
            ("postgresql:db", "postgresql:"),
            ("postgres@db/x", "postgres"),
        ] {
            let e = DbUrl::parse(u).unwrap_err();
            assert!(
                e.starts_with(&format!("malformed database URL scheme `{scheme}`")),
                "{u}: {e}"
            );
        }
        let e = DbUrl::parse("data/scopegate.db").unwrap_err();
        assert!(e.contains("is not a database URL"), "{e}");
        let e = DbUrl::parse("u:secret@db/x").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[tokio::test]
    async fn an_unreachable_postgres_says_connection_refused_at_host_port() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // the listener is gone: the port is closed
        let s = super::Store::connect(&format!("postgres://postgres:pw@127.0.0.1:{port}/x"))
            .await
            .unwrap();
        let want = format!("connection refused at 127.0.0.1:{port}");
        let e = s.ping().await.unwrap_err().to_string();
        assert!(e.contains(&want), "{e}");
        assert!(!e.contains("pw"), "{e}");
        let e = s.migrate().await.unwrap_err().to_string();
        assert!(e.contains(&want), "{e}");
    }

    #[tokio::test]
    async fn connect_refuses_a_wrong_scheme_and_creates_no_file() {
        let e = super::Store::connect("mysql://db/scopegate")
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("unsupported database URL scheme `mysql`"),
            "{e}"
        );
        assert!(!std::path::Path::new("mysql:").exists());
    }
}

/// The URL without a password, for error messages.
fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => url.to_owned(),
    }
}

#[derive(Clone, Debug)]
pub enum Store {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

const PG_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "decisions",
        include_str!("../../../migrations/postgres/0001_decisions.sql"),
    ),
    (
        2,
        "insert_only_role",
        include_str!("../../../migrations/postgres/0002_insert_only_role.sql"),
    ),
    (
        3,
        "approvals",
        include_str!("../../../migrations/postgres/0003_approvals.sql"),
    ),
    (
        4,
        "outcomes",
        include_str!("../../../migrations/postgres/0004_outcomes.sql"),
    ),
    (
        5,
        "resolved",
        include_str!("../../../migrations/postgres/0005_resolved.sql"),
    ),
    (
        6,
        "approval_steps",
        include_str!("../../../migrations/postgres/0006_approval_steps.sql"),
    ),
    (
        7,
        "outcome_breadth",
        include_str!("../../../migrations/postgres/0007_outcome_breadth.sql"),
    ),
];
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "decisions",
        include_str!("../../../migrations/sqlite/0001_decisions.sql"),
    ),
    (
        2,
        "approvals",
        include_str!("../../../migrations/sqlite/0002_approvals.sql"),
    ),
    (
        3,
        "outcomes",
        include_str!("../../../migrations/sqlite/0003_outcomes.sql"),
    ),
    (
        4,
        "approval_steps",
        include_str!("../../../migrations/sqlite/0004_approval_steps.sql"),
    ),
    (
        5,
        "outcome_breadth",
        include_str!("../../../migrations/sqlite/0005_outcome_breadth.sql"),
    ),
];

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub seq: i64,
    pub record: DecisionRecord,
    pub hash: String,
}

/// Export and tail filters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub token: Option<String>,
    pub agent: Option<String>,
    pub verdict: Option<String>,
    pub provider: Option<String>,
}

impl Store {
    /// `postgres://...` or `sqlite://path` (created if missing). Any other
    /// scheme, or a malformed one, is refused before anything is opened
    /// (see [`DbUrl::parse`]).
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        match DbUrl::parse(url).map_err(|e| sqlx::Error::Configuration(e.into()))? {
            DbUrl::Postgres(url) => {
                // Lazy: the proxy starts and serves while the database is
                // down; the log's writer retries until it answers.
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(3))
                    .connect_lazy(url)?;
                Ok(Self::Pg(pool))
            }
            DbUrl::Sqlite(url) => {
                let opts = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(opts)
                    .await?;
                Ok(Self::Sqlite(pool))
            }
        }
    }

    /// Opens one connection now, outside the pool (whose timeout hides the
    /// cause), so that a command that needs the database at once can say
    /// what is wrong and where: "connection refused at 127.0.0.1:5433".
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        use sqlx::Connection as _;
        let Self::Pg(pool) = self else {
            return Ok(());
        };
        let opts = pool.connect_options();
        match sqlx::PgConnection::connect_with(&opts).await {
            Ok(c) => c.close().await,
            Err(sqlx::Error::Io(e)) => {
                let at = format!("{}:{}", opts.get_host(), opts.get_port());
                let what = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                    std::io::ErrorKind::TimedOut => "connection timed out".to_owned(),
                    _ => e.to_string(),
                };
                Err(sqlx::Error::Io(std::io::Error::new(
                    e.kind(),
                    format!("{what} at {at} (is PostgreSQL running there?)"),
                )))
            }
            Err(e) => Err(e),
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Pg(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }

    /// Applies pending migrations; returns the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i64>, sqlx::Error> {
        // An unreachable server is reported as such, not as a pool timeout.
        self.ping().await?;
        const TABLE: &str = "CREATE TABLE IF NOT EXISTS scopegate_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)";
        let now = now_ms();
        let mut applied = Vec::new();
        match self {
            Self::Pg(pool) => {
                raw_sql(TABLE).execute(pool).await?;
                for (v, name, sql) in PG_MIGRATIONS {
                    let mut tx = pool.begin().await?;
                    // One migrator at a time across replicas.
                    raw_sql("LOCK TABLE scopegate_migrations IN EXCLUSIVE MODE")
                        .execute(&mut *tx)
                        .await?;
                    let done: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM scopegate_migrations WHERE version = $1",
                    )
                    .bind(v)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if done.is_none() {
                        raw_sql(*sql).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO scopegate_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)").bind(v).bind(*name).bind(now).execute(&mut *tx).await?;
                        applied.push(*v);
                    }
                    tx.commit().await?;
                }
            }
            Self::Sqlite(pool) => {
                raw_sql(TABLE).execute(pool).await?;
                for (v, name, sql) in SQLITE_MIGRATIONS {
                    let mut tx = pool.begin().await?;
                    let done: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM scopegate_migrations WHERE version = $1",
                    )
                    .bind(v)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if done.is_none() {
                        raw_sql(*sql).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO scopegate_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)").bind(v).bind(*name).bind(now).execute(&mut *tx).await?;
                        applied.push(*v);
                    }
                    tx.commit().await?;
                }
            }
        }
        Ok(applied)
    }

    /// Appends records in order, in one transaction, extending the chain.
    /// Records already present (by decision id) are skipped, so replaying a
    /// journal is idempotent.
    pub async fn append(&self, records: &[DecisionRecord]) -> Result<(), sqlx::Error> {
        let records: Vec<&DecisionRecord> = records.iter().collect();
        self.append_batch(&records, &[], Stored::Maybe).await
    }

    /// Records and the outcomes that follow them, in one transaction.
    async fn append_batch(
        &self,
        records: &[&DecisionRecord],
        outcomes: &[&DecisionOutcome],
        stored: Stored,
    ) -> Result<(), sqlx::Error> {
        match self {
            Self::Pg(pool) => append_pg(pool, records, outcomes, stored).await,
            Self::Sqlite(pool) => append_sqlite(pool, records, outcomes, stored).await,
        }
    }

    /// Appends journal entries in order: records extend the chain (see
    /// [`Store::append`]), outcomes are attached to their decision.
    /// `Stored::No` skips looking for records already stored; if one is,
    /// the decision id's unique constraint fails the whole batch, which
    /// changes nothing, and the caller retries it with `Stored::Maybe`.
    pub async fn append_entries(
        &self,
        entries: &[JournalEntry],
        stored: Stored,
    ) -> Result<(), sqlx::Error> {
        let mut records = Vec::new();
        let mut outcomes = Vec::new();
        for e in entries {
            match e {
                JournalEntry::Record(r) => records.push(&**r),
                JournalEntry::Outcome { outcome } => outcomes.push(outcome),
            }
        }
        if records.is_empty() && outcomes.is_empty() {
            return Ok(());
        }
        self.append_batch(&records, &outcomes, stored).await
    }

    /// Rows after `after_seq` matching `filter`, in chain order.
    pub async fn rows(
        &self,
        filter: &Filter,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredRow>, sqlx::Error> {
        self.rows_ordered(filter, after_seq, limit, false).await
    }

    /// Rows before `before_seq` (all, when `None`) matching `filter`,
    /// newest first: what a person browsing the log wants to see first.
    pub async fn rows_newest(
        &self,
        filter: &Filter,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredRow>, sqlx::Error> {
        self.rows_ordered(filter, before_seq.unwrap_or(i64::MAX), limit, true)
            .await
    }

    async fn rows_ordered(
        &self,
        filter: &Filter,
        bound: i64,
        limit: i64,
        newest_first: bool,
    ) -> Result<Vec<StoredRow>, sqlx::Error> {
        macro_rules! rows_sql {
            ($big:literal, $text:literal, $cmp:literal, $order:literal) => {
                concat!(
                    "SELECT seq, record, hash, o.upstream_status AS up_status, o.upstream_ms AS up_ms, o.breadth AS breadth ",
                    "FROM decisions LEFT JOIN decision_outcomes o ON o.decision_id = decisions.id WHERE seq ", $cmp, " $1 ",
                    "AND ($2", $big, " IS NULL OR at_ms >= $2) AND ($3", $big, " IS NULL OR at_ms <= $3) ",
                    "AND ($4", $text, " IS NULL OR token = $4) AND ($5", $text, " IS NULL OR agent = $5) ",
                    "AND ($6", $text, " IS NULL OR verdict = $6) AND ($7", $text, " IS NULL OR provider = $7) ",
                    "ORDER BY seq ", $order, " LIMIT $8"
                )
            };
        }
        let after_seq = bound;
        let (pg, sqlite) = if newest_first {
            (
                rows_sql!("::BIGINT", "::TEXT", "<", "DESC"),
                rows_sql!("", "", "<", "DESC"),
            )
        } else {
            (
                rows_sql!("::BIGINT", "::TEXT", ">", "ASC"),
                rows_sql!("", "", ">", "ASC"),
            )
        };
        macro_rules! rows_with {
            ($pool:expr, $sql:expr) => {{
                let rows = sqlx::query($sql)
                    .bind(after_seq)
                    .bind(filter.since_ms)
                    .bind(filter.until_ms)
                    .bind(&filter.token)
                    .bind(&filter.agent)
                    .bind(&filter.verdict)
                    .bind(&filter.provider)
                    .bind(limit)
                    .fetch_all($pool)
                    .await?;
                rows.into_iter()
                    .map(|row| {
                        let json: String = row.try_get("record")?;
                        let mut record: DecisionRecord = serde_json::from_str(&json)
                            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                        let up_status: Option<i32> = row.try_get("up_status")?;
                        let up_ms: Option<i64> = row.try_get("up_ms")?;
                        if let Some(ms) = up_ms {
                            record.upstream_status = up_status.and_then(|s| u16::try_from(s).ok());
                            record.upstream_millis = u64::try_from(ms).ok();
                        }
                        let breadth: Option<String> = row.try_get("breadth")?;
                        // Unreadable breadth is dropped, not an error: it
                        // is evidence, not the record.
                        record.breadth = breadth.and_then(|b| serde_json::from_str(&b).ok());
                        Ok(StoredRow {
                            seq: row.try_get("seq")?,
                            record,
                            hash: row.try_get("hash")?,
                        })
                    })
                    .collect()
            }};
        }
        match self {
            Self::Pg(pool) => rows_with!(pool, pg),
            Self::Sqlite(pool) => rows_with!(pool, sqlite),
        }
    }

    /// Every row as the chain verifier sees it, and the chain head.
    pub async fn chain(&self) -> Result<(Vec<ChainRow>, (i64, String)), sqlx::Error> {
        const ROWS: &str =
            "SELECT seq, id, verdict, record, prev_hash, hash FROM decisions ORDER BY seq";
        const HEAD: &str = "SELECT last_seq, last_hash FROM decision_chain WHERE id = 1";
        macro_rules! chain_with {
            ($pool:expr) => {{
                let rows = sqlx::query(ROWS).fetch_all($pool).await?;
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        Ok(ChainRow {
                            seq: r.try_get("seq")?,
                            id: r.try_get("id")?,
                            verdict: r.try_get("verdict")?,
                            record: r.try_get("record")?,
                            prev_hash: r.try_get("prev_hash")?,
                            hash: r.try_get("hash")?,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()?;
                let head = sqlx::query(HEAD).fetch_optional($pool).await?;
                let head = match head {
                    Some(h) => (h.try_get("last_seq")?, h.try_get("last_hash")?),
                    None => (0, GENESIS.to_owned()),
                };
                Ok((rows, head))
            }};
        }
        match self {
            Self::Pg(pool) => chain_with!(pool),
            Self::Sqlite(pool) => chain_with!(pool),
        }
    }

    pub async fn count(&self) -> Result<i64, sqlx::Error> {
        match self {
            Self::Pg(pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM decisions")
                    .fetch_one(pool)
                    .await
            }
            Self::Sqlite(pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM decisions")
                    .fetch_one(pool)
                    .await
            }
        }
    }
}

/// A record as it joins the chain.
struct Linked<'a> {
    seq: i64,
    record: &'a DecisionRecord,
    json: String,
    prev: String,
    hash: String,
}

/// Whether some records of a batch may already be in the database: ones
/// replayed from the journal at start-up, or a batch retried after a
/// failure (its transaction may have committed before the error reached
/// us). Looking them up costs a probe per record (~12 ms per 8,192 on
/// Postgres), so batches of records only just appended skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Look up each record's id first and skip those present.
    Maybe,
    /// None is: insert them all.
    No,
}

/// Links onto the chain head `(seq, hash)` the records that are not stored
/// yet: a record whose id is in `existing`, or repeats earlier in the batch,
/// is skipped (a replayed journal). Returns the rows and the new head. Both
/// backends insert exactly these rows.
fn link_new<'a>(
    records: &[&'a DecisionRecord],
    existing: Vec<String>,
    (mut seq, mut prev): (i64, String),
) -> Result<(Vec<Linked<'a>>, (i64, String)), sqlx::Error> {
    let mut seen: std::collections::HashSet<String> = existing.into_iter().collect();
    let mut rows = Vec::with_capacity(records.len());
    for &r in records {
        if !seen.insert(r.id.as_str().to_owned()) {
            continue;
        }
        let json = serde_json::to_string(r).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let hash = link(&prev, &json);
        seq += 1;
        rows.push(Linked {
            seq,
            record: r,
            json,
            prev: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    Ok((rows, (seq, prev)))
}

/// Rows per multi-row SQLite insert (17 columns: 2,176 parameters).
const SQLITE_CHUNK: usize = 128;

/// A batch as chunks of 128 rows, then the binary digits of the rest (64,
/// 32, … 1), so sqlx's statement cache holds at most eight shapes per table.
fn sqlite_chunks<T>(mut rows: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    while !rows.is_empty() {
        let n = if rows.len() >= SQLITE_CHUNK {
            SQLITE_CHUNK
        } else {
            1 << rows.len().ilog2()
        };
        let (chunk, rest) = rows.split_at(n);
        out.push(chunk);
        rows = rest;
    }
    out
}

/// `INSERT INTO table (cols) VALUES (?, …), … tail` for `rows` rows.
fn values_sql(insert: &str, cols: usize, rows: usize, tail: &str) -> String {
    let one = format!("({})", vec!["?"; cols].join(", "));
    format!("{insert} VALUES {}{tail}", vec![one; rows].join(", "))
}

/// SQLite: a whole batch in a few multi-row `INSERT … VALUES` statements,
/// not a statement per entry (each statement is a round trip to sqlx's
/// SQLite worker thread). Rows are bound as parameters: passing them as one
/// JSON array and reading it back with `json_each` and `->>` made SQLite
/// render and re-parse each row once per column, which was half the
/// writer's CPU (docs/performance.md).
async fn append_sqlite(
    pool: &SqlitePool,
    records: &[&DecisionRecord],
    outcomes: &[&DecisionOutcome],
    stored: Stored,
) -> Result<(), sqlx::Error> {
    let encode = |e: serde_json::Error| sqlx::Error::Encode(Box::new(e));
    let mut tx = pool.begin().await?;
    if !records.is_empty() {
        let head = sqlx::query("SELECT last_seq, last_hash FROM decision_chain WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let head = (head.try_get("last_seq")?, head.try_get("last_hash")?);
        let existing: Vec<String> = if stored == Stored::Maybe {
            let ids = serde_json::to_string(&records.iter().map(|r| &r.id).collect::<Vec<_>>())
                .map_err(encode)?;
            sqlx::query_scalar(
                "SELECT id FROM decisions WHERE id IN (SELECT value FROM json_each($1))",
            )
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?
        } else {
            Vec::new()
        };
        let (linked, (seq, prev)) = link_new(records, existing, head)?;
        for chunk in sqlite_chunks(&linked) {
            let sql = values_sql(
                "INSERT INTO decisions (seq, id, at_ms, agent, token, fingerprint_prefix, provider, host, method, path, verdict, mode, forwarded, rule, record, prev_hash, hash)",
                17,
                chunk.len(),
                "",
            );
            // Only literals and placeholders: nothing from a request is in the SQL.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                let r = l.record;
                q = q
                    .bind(l.seq)
                    .bind(r.id.as_str())
                    .bind(r.at_unix_ms)
                    .bind(r.agent.as_deref())
                    .bind(r.token.as_deref())
                    .bind(r.fingerprint_prefix.as_deref())
                    .bind(r.provider.as_str())
                    .bind(r.host.as_str())
                    .bind(r.method.as_str())
                    .bind(r.path.as_str())
                    .bind(r.verdict.as_str())
                    .bind(r.mode.as_str())
                    .bind(r.forwarded)
                    .bind(r.rule.as_str())
                    .bind(l.json.as_str())
                    .bind(l.prev.as_str())
                    .bind(l.hash.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        if !linked.is_empty() {
            sqlx::query("UPDATE decision_chain SET last_seq = $1, last_hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(&prev)
                .execute(&mut *tx)
                .await?;
        }
    }
    for chunk in sqlite_chunks(outcomes) {
        let sql = values_sql(
            "INSERT INTO decision_outcomes (decision_id, upstream_status, upstream_ms, error, breadth)",
            5,
            chunk.len(),
            " ON CONFLICT (decision_id) DO NOTHING",
        );
        // Only literals and placeholders: nothing from a request is in the SQL.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for o in chunk {
            q = q
                .bind(o.decision_id.as_str())
                .bind(o.upstream_status.map(i32::from))
                .bind(i64::try_from(o.upstream_millis).unwrap_or(i64::MAX))
                .bind(o.error.as_deref())
                .bind(breadth_json(o));
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// An outcome's breadth as stored: JSON, or NULL.
fn breadth_json(o: &DecisionOutcome) -> Option<String> {
    o.breadth
        .as_ref()
        .and_then(|b| serde_json::to_string(b).ok())
}

async fn append_pg(
    pool: &PgPool,
    records: &[&DecisionRecord],
    outcomes: &[&DecisionOutcome],
    stored: Stored,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    if !records.is_empty() {
        append_pg_records(&mut tx, records, stored).await?;
    }
    if !outcomes.is_empty() {
        let ids: Vec<&str> = outcomes.iter().map(|o| o.decision_id.as_str()).collect();
        let statuses: Vec<Option<i32>> = outcomes
            .iter()
            .map(|o| o.upstream_status.map(i32::from))
            .collect();
        let millis: Vec<i64> = outcomes
            .iter()
            .map(|o| i64::try_from(o.upstream_millis).unwrap_or(i64::MAX))
            .collect();
        let errors: Vec<Option<&str>> = outcomes.iter().map(|o| o.error.as_deref()).collect();
        let breadths: Vec<Option<String>> = outcomes.iter().map(|o| breadth_json(o)).collect();
        sqlx::query(
            "INSERT INTO decision_outcomes (decision_id, upstream_status, upstream_ms, error, breadth) \
             SELECT * FROM UNNEST($1::TEXT[], $2::INT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[]) \
             ON CONFLICT (decision_id) DO NOTHING",
        )
        .bind(ids)
        .bind(statuses)
        .bind(millis)
        .bind(errors)
        .bind(breadths)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The records of a Postgres batch: the chain head is locked, the records
/// not stored yet (looked up once per batch, so replay stays idempotent) are
/// linked onto it and inserted with one `UNNEST` of column arrays.
async fn append_pg_records(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    records: &[&DecisionRecord],
    stored: Stored,
) -> Result<(), sqlx::Error> {
    let head =
        sqlx::query("SELECT last_seq, last_hash FROM decision_chain WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut **tx)
            .await?;
    let head = (head.try_get("last_seq")?, head.try_get("last_hash")?);
    let existing: Vec<String> = if stored == Stored::Maybe {
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        sqlx::query_scalar("SELECT id FROM decisions WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut **tx)
            .await?
    } else {
        Vec::new()
    };
    let (linked, (seq, prev)) = link_new(records, existing, head)?;
    if linked.is_empty() {
        return Ok(());
    }
    // Columns borrow from the batch: nothing is copied to be bound.
    let col =
        |f: for<'b> fn(&'b Linked<'_>) -> &'b str| linked.iter().map(f).collect::<Vec<&str>>();
    let opt = |f: for<'b> fn(&'b Linked<'_>) -> Option<&'b str>| {
        linked.iter().map(f).collect::<Vec<Option<&str>>>()
    };
    sqlx::query(
        "INSERT INTO decisions (seq, id, at_ms, agent, token, fingerprint_prefix, provider, host, method, path, verdict, mode, forwarded, rule, record, prev_hash, hash) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::TEXT[], $13::BOOLEAN[], $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::TEXT[])",
    )
    .bind(linked.iter().map(|l| l.seq).collect::<Vec<i64>>())
    .bind(col(|l| l.record.id.as_str()))
    .bind(linked.iter().map(|l| l.record.at_unix_ms).collect::<Vec<i64>>())
    .bind(opt(|l| l.record.agent.as_deref()))
    .bind(opt(|l| l.record.token.as_deref()))
    .bind(opt(|l| l.record.fingerprint_prefix.as_deref()))
    .bind(col(|l| &l.record.provider))
    .bind(col(|l| &l.record.host))
    .bind(col(|l| &l.record.method))
    .bind(col(|l| &l.record.path))
    .bind(col(|l| l.record.verdict.as_str()))
    .bind(col(|l| l.record.mode.as_str()))
    .bind(linked.iter().map(|l| l.record.forwarded).collect::<Vec<bool>>())
    .bind(col(|l| &l.record.rule))
    .bind(col(|l| &l.json))
    .bind(col(|l| &l.prev))
    .bind(col(|l| &l.hash))
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE decision_chain SET last_seq = $1, last_hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

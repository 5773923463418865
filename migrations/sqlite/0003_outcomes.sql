-- What happened upstream to forwarded requests (see the Postgres migration).
CREATE TABLE IF NOT EXISTS decision_outcomes (
    decision_id TEXT PRIMARY KEY,
    upstream_status INTEGER,
    upstream_ms INTEGER NOT NULL,
    error TEXT
);

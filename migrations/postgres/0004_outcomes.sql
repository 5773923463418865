-- What happened upstream to forwarded requests. The decision row is written
-- before anything is forwarded; this row follows when the provider answered
-- (or failed). Insert-only, one row per decision.
CREATE TABLE IF NOT EXISTS decision_outcomes (
    decision_id TEXT PRIMARY KEY,
    upstream_status INTEGER,
    upstream_ms BIGINT NOT NULL,
    error TEXT
);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scopegate_proxy') THEN
        GRANT SELECT, INSERT ON decision_outcomes TO scopegate_proxy;
    END IF;
END
$$;

-- Held requests waiting for a human, and the grants approvals create.
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,                 -- apr_...
    -- What a later request must match to use the grant: SHA-256 over the
    -- credential's fingerprint, method, host, target and body.
    grant_key TEXT NOT NULL,
    -- pending -> approved | rejected | expired; approved -> used | expired
    state TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    -- Until when the request may wait (pending) or the grant may be used (approved).
    expires_ms BIGINT NOT NULL,
    decided_ms BIGINT,
    decided_by TEXT,
    note TEXT,
    -- The first decision that held it (dec_...), and how many retries attached.
    decision_id TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    token TEXT,
    fingerprint_prefix TEXT,
    agent TEXT,
    provider TEXT NOT NULL,
    host TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- JSON: operations with resources, and the redacted request (GraphQL
    -- document and variables with secret values masked). Never credentials.
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_state ON approvals (state, created_ms);
CREATE INDEX IF NOT EXISTS approvals_grant ON approvals (grant_key, state);
-- Retries of a held request attach to its one pending approval.
CREATE UNIQUE INDEX IF NOT EXISTS approvals_one_pending ON approvals (grant_key) WHERE state = 'pending';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scopegate_proxy') THEN
        GRANT SELECT, INSERT, UPDATE ON approvals TO scopegate_proxy;
    END IF;
END
$$;

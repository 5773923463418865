-- The resolution cache shared by replicas (docs/resource-context.md):
-- what an id resolved to, for one credential, and when.
CREATE TABLE IF NOT EXISTS resolved (
    provider TEXT NOT NULL,
    -- hex(SHA-256("scopegate-resolved\n" || fingerprint)): never the
    -- credential's fingerprint itself.
    credential TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- volumeId, environmentId, ...
    id TEXT NOT NULL,
    -- JSON: attribute -> values ({"environment": ["staging"]}).
    attributes TEXT NOT NULL,
    resolved_ms BIGINT NOT NULL,         -- the database's clock
    PRIMARY KEY (provider, credential, kind, id)
);
CREATE INDEX IF NOT EXISTS resolved_age ON resolved (resolved_ms);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scopegate_proxy') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON resolved TO scopegate_proxy;
    END IF;
END
$$;

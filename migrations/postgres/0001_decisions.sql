-- The decision log: one row per decision, hash-chained.
CREATE TABLE IF NOT EXISTS decisions (
    -- Position in the chain, 1, 2, 3 ... assigned under the chain-head lock.
    seq BIGINT PRIMARY KEY,
    -- The decision id (dec_...), also in every refusal the agent saw.
    id TEXT NOT NULL UNIQUE,
    -- When the decision was made (Unix ms).
    at_ms BIGINT NOT NULL,
    agent TEXT,
    -- Token name from the scope map and the first 12 hex digits of the
    -- presented credential's SHA-256. Never the credential.
    token TEXT,
    fingerprint_prefix TEXT,
    provider TEXT NOT NULL,
    host TEXT NOT NULL,
    method TEXT NOT NULL,
    -- Path without the query string (queries can carry tokens).
    path TEXT NOT NULL,
    verdict TEXT NOT NULL,
    mode TEXT NOT NULL,
    forwarded BOOLEAN NOT NULL,
    rule TEXT NOT NULL,
    -- The canonical JSON of the whole record (operations, resources,
    -- reason, digest, timings, upstream status). The hash covers it.
    record TEXT NOT NULL,
    -- hash = sha256(prev_hash || "\n" || record), hex.
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_at ON decisions (at_ms);
CREATE INDEX IF NOT EXISTS decisions_token ON decisions (token);
CREATE INDEX IF NOT EXISTS decisions_agent ON decisions (agent);
CREATE INDEX IF NOT EXISTS decisions_verdict ON decisions (verdict);

-- The head of the chain: locked by every writer (FOR UPDATE), so replicas
-- sharing one database append to one chain.
CREATE TABLE IF NOT EXISTS decision_chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO decision_chain (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT (id) DO NOTHING;

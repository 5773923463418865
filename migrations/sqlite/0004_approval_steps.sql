-- Each approver's approve on an approval that needs more than one (see
-- the Postgres migration).
CREATE TABLE IF NOT EXISTS approval_steps (
    approval_id TEXT NOT NULL REFERENCES approvals (id),
    approver TEXT NOT NULL,
    step_ms INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (approval_id, approver)
);

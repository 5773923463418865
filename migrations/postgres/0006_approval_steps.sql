-- Each approver's approve on an approval that needs more than one
-- (a rule's `approvers = 2`): who, when, with what note. The approval
-- itself stays pending until enough different approvers have approved.
CREATE TABLE IF NOT EXISTS approval_steps (
    approval_id TEXT NOT NULL REFERENCES approvals (id),
    approver TEXT NOT NULL,
    step_ms BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (approval_id, approver)
);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scopegate_proxy') THEN
        GRANT SELECT, INSERT ON approval_steps TO scopegate_proxy;
    END IF;
END
$$;

-- The proxy's own role: it may append decisions and read them, never
-- change or remove one. Run scopegate with a URL for this role (and give it
-- a password) in production; migrations run as the owner.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scopegate_proxy') THEN
        CREATE ROLE scopegate_proxy NOLOGIN;
    END IF;
END
$$;
REVOKE ALL ON decisions FROM scopegate_proxy;
GRANT SELECT, INSERT ON decisions TO scopegate_proxy;
-- The chain head must be updated to append; it holds no evidence itself.
GRANT SELECT, UPDATE ON decision_chain TO scopegate_proxy;

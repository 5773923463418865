-- What the provider's answer said of the token's power (see the Postgres
-- migration).
ALTER TABLE decision_outcomes ADD COLUMN breadth TEXT;

-- What the provider's answer said of the token's power (docs/token-breadth.md):
-- JSON, or NULL when it said nothing. Part of the outcome, not of the hashed
-- decision record.
ALTER TABLE decision_outcomes ADD COLUMN IF NOT EXISTS breadth TEXT;

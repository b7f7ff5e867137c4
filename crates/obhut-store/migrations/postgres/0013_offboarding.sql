-- Offboarding: a staff account's whole life. When an account was disabled (`disabled` stays
-- the switch), whether the password was set by an administrator and must be changed at the
-- next sign-in, when each API token was last used (written at most about once a minute),
-- and who revoked it. Tokens are listed per user, hence the index.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoked_by TEXT;
CREATE INDEX api_tokens_user ON api_tokens(user_id);

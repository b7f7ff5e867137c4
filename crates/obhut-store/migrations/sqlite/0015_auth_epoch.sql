-- Who a token or a session acts as can change in another process (the CLI disabling a user
-- while a server runs, a second server). Every change to what decides it bumps one counter,
-- whatever code path makes it, so a server may keep verified tokens in memory and still see
-- such a change on the very next request by reading this one number.
INSERT INTO counters (name, value) VALUES ('auth_epoch', 0);
CREATE TRIGGER users_auth_epoch_update AFTER UPDATE ON users
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_epoch'; END;
CREATE TRIGGER users_auth_epoch_delete AFTER DELETE ON users
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_epoch'; END;
-- A token's last use is written once a minute: it decides nothing.
CREATE TRIGGER api_tokens_auth_epoch_update AFTER UPDATE OF user_id, token_hash, expires_at, revoked_at ON api_tokens
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_epoch'; END;
CREATE TRIGGER api_tokens_auth_epoch_delete AFTER DELETE ON api_tokens
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_epoch'; END;
-- A processor's grant (purposes, scope tag, window) is part of its users' actor.
CREATE TRIGGER processors_auth_epoch_insert AFTER INSERT ON processors
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_epoch'; END;
CREATE TRIGGER processors_auth_epoch_update AFTER UPDATE ON processors
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_epoch'; END;
CREATE TRIGGER processors_auth_epoch_delete AFTER DELETE ON processors
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_epoch'; END;

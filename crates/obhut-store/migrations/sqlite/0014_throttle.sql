-- Sign-in throttling that holds across restarts and servers (issue 13): the state lives here,
-- not in a server's memory.
--
-- Failed sign-ins per key: 'account:<keyed pseudonym of the name>', 'network:<cidr>' (/24,
-- /56) or 'device:<cookie hash>'. Forgotten a while after the last failure.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
CREATE INDEX login_throttle_last ON login_throttle(last_failure_at);

-- Devices that signed in to an account before (OWASP device cookies): the SHA-256 of the
-- random cookie, bound to the account. Such a device is spared the account's throttle and
-- has a limit of its own.
CREATE TABLE login_devices (
    token_hash BLOB PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_devices_user ON login_devices(user_id);
CREATE INDEX login_devices_expiry ON login_devices(expires_at);

-- Failed sign-ins of the current minute per account pseudonym and network; each closed
-- minute becomes one audit event with the counts, so a flood cannot grow the audit chain
-- without bound.
CREATE TABLE login_failure_tally (
    minute BIGINT NOT NULL,
    account TEXT NOT NULL,
    network TEXT NOT NULL,
    user_id TEXT,
    failures BIGINT NOT NULL,
    throttled BIGINT NOT NULL,
    PRIMARY KEY (minute, account, network)
);

-- Files at rest: when the file transport's copy of a delivered mail was removed from
-- DATA_DIR/outbox/ (it holds the address and live links in the clear).
ALTER TABLE outbox ADD COLUMN file_removed_at BIGINT;
CREATE INDEX outbox_file_copies ON outbox(transport, file_removed_at, sent_at);

//! Sign-in throttling in the manner of OWASP's "Blocking Brute Force Attacks": failed sign-ins
//! are limited per account and per client network (/24, /56), and the account's limit slows
//! down instead of locking out — a device that signed in to the account before carries a
//! device cookie (random, stored only as its hash, bound to the account) and is spared the
//! account's and the network's limits; it has a limit of its own. So the right password from
//! the owner's usual browser works while someone else guesses at the account.
//!
//! Two layers. The counts that must hold across a restart and a second server live in the
//! database (`obhut_store::throttle`): `governor` keeps its state in the process's memory, so
//! it cannot carry them. In front of them, a `governor` limiter (GCRA, on the injected clock)
//! caps the raw rate of sign-in attempts per network in memory, so a flood is refused before
//! it reaches the database or the password hash; the public sign-up form's limit is another.
//!
//! Failed sign-ins are audited per minute: one `login.failed` event per account pseudonym
//! (a keyed hash of the name, never the name: people type passwords into the name field) and
//! network, carrying the count, so a flood cannot grow the audit chain without bound.

use crate::app::App;
use crate::error::{ServiceError, ServiceResult};
use crate::limiter::take;
use obhut_core::ids::UserId;
use obhut_store::throttle::{self as store, Failures, Tally};
use std::net::IpAddr;

/// Failed sign-ins of an account (from devices it does not know) before each further one waits.
pub const ACCOUNT_FREE: i64 = 5;
/// Failed sign-ins from a known device before each further one waits.
pub const DEVICE_FREE: i64 = 5;
/// The first wait; it doubles with each further failure, up to [`MAX_DELAY_MS`].
const BASE_DELAY_MS: i64 = 2_000;
pub const MAX_DELAY_MS: i64 = 15 * 60_000;
/// An account's or device's failures are forgotten a day after the last one; a network's
/// after an hour (many people share one network, few share an account).
const ACCOUNT_FORGET_MS: i64 = 24 * 3_600_000;
const NETWORK_FORGET_MS: i64 = 3_600_000;
/// How long a device cookie lasts after its last sign-in.
pub const DEVICE_DAYS: i64 = 180;

/// Where a sign-in comes from: the client's address (none for a local caller such as a test
/// or the command line) and the device cookie its browser sent.
#[derive(Debug, Clone, Default)]
pub struct SignInFrom {
    pub ip: Option<IpAddr>,
    pub device: Option<String>,
}

impl SignInFrom {
    /// The client network as the throttle and the audit name it.
    pub fn network(&self) -> String {
        self.ip.map_or_else(|| "local".to_string(), |ip| crate::client::network(ip).to_string())
    }
}

/// The keyed pseudonym of a sign-in name: an HMAC under a key derived from the master key,
/// so the audit can tell accounts apart without holding what was typed.
pub fn account_pseudonym(app: &App, name: &str) -> String {
    let b = app.store.crypto.blind("login-account", name);
    format!("acct-{}", hex::encode(&b[..8]))
}

/// The wait before the next attempt after `failures` failures, the first `free` without one.
pub fn delay_ms(failures: i64, free: i64) -> i64 {
    if failures < free {
        0
    } else {
        (BASE_DELAY_MS << (failures - free).min(20)).min(MAX_DELAY_MS)
    }
}

fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(60_000) * 60_000
}

/// One key an attempt is counted under, with its allowance.
#[derive(Debug, Clone)]
struct Limit {
    key: String,
    free: i64,
    forget_ms: i64,
}

impl Limit {
    fn wait_ms(&self, f: &Failures, now: i64) -> i64 {
        if f.last_failure_at < now - self.forget_ms {
            return 0;
        }
        (f.last_failure_at + delay_ms(f.failures, self.free) - now).max(0)
    }
}

/// A sign-in attempt that passed the throttle: counted in advance under its keys, so parallel
/// guesses cannot all pass; a right password takes the counts back.
#[derive(Debug)]
pub struct Attempt {
    limits: Vec<Limit>,
    account: String,
    network: String,
    minute: i64,
    /// The hash of a device cookie that is live for this account.
    known_device: Option<Vec<u8>>,
}

/// The in-memory flood guard, asked before the database is: at most [`crate::limiter::ATTEMPTS_PER_MINUTE`]
/// sign-in attempts per network. A request with a device cookie passes here; [`begin`] asks
/// the guard for it once the cookie turns out not to be a live one of the account.
pub fn guard(app: &App, from: &SignInFrom) -> ServiceResult<()> {
    if from.device.is_some() {
        return Ok(());
    }
    guard_network(app, from)
}

fn guard_network(app: &App, from: &SignInFrom) -> ServiceResult<()> {
    if let Some(ip) = from.ip {
        if let Err(secs) = take(&app.login_attempts, &crate::client::network(ip)) {
            metrics::counter!("obhut_login_throttled_total", "layer" => "memory").increment(1);
            return Err(ServiceError::RateLimited(secs));
        }
    }
    Ok(())
}

/// Checks the throttle for a sign-in as `name` (the account `user`, if it exists) and counts
/// the attempt in advance. Refused: `RateLimited` with the seconds to wait. Call [`guard`]
/// first.
pub async fn begin(app: &App, name: &str, user: Option<UserId>, from: &SignInFrom) -> ServiceResult<Attempt> {
    let now = app.now_ms();
    let account = account_pseudonym(app, name);
    let network = from.network();
    let mut conn = app.conn().await?;
    let mut known_device = None;
    if let (Some(token), Some(uid)) = (&from.device, user) {
        let hash = crate::auth::secret_hash(token);
        if store::device_of(&mut conn, &hash, &uid.to_string(), now).await? {
            known_device = Some(hash);
        }
    }
    let limits = match &known_device {
        Some(hash) => vec![Limit { key: device_key(hash), free: DEVICE_FREE, forget_ms: ACCOUNT_FORGET_MS }],
        None => {
            if from.device.is_some() {
                guard_network(app, from)?;
            }
            vec![
                Limit { key: format!("account:{account}"), free: ACCOUNT_FREE, forget_ms: ACCOUNT_FORGET_MS },
                Limit { key: format!("network:{network}"), free: app.config.login_failures_per_network, forget_ms: NETWORK_FORGET_MS },
            ]
        }
    };
    let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
    let counts = store::failures(&mut conn, &keys).await?;
    let wait = limits.iter().filter_map(|l| counts.iter().find(|f| f.key == l.key).map(|f| l.wait_ms(f, now))).max().unwrap_or(0);
    let attempt = Attempt { limits, account, network, minute: minute_of(now), known_device };
    if wait > 0 {
        store::add_to_tally(&mut conn, &attempt.tally(user, 0, 1)).await?;
        metrics::counter!("obhut_login_throttled_total", "layer" => "database").increment(1);
        return Err(ServiceError::RateLimited(((wait + 999) / 1000) as u64));
    }
    for l in &attempt.limits {
        store::add_failure(&mut conn, &l.key, now, now - l.forget_ms).await?;
    }
    Ok(attempt)
}

fn device_key(hash: &[u8]) -> String {
    format!("device:{}", hex::encode(&hash[..hash.len().min(16)]))
}

impl Attempt {
    fn tally(&self, user: Option<UserId>, failures: i64, throttled: i64) -> Tally {
        Tally {
            minute: self.minute,
            account: self.account.clone(),
            network: self.network.clone(),
            user_id: user.map(|u| u.to_string()),
            failures,
            throttled,
        }
    }

    /// The client network the attempt came from.
    pub fn network(&self) -> &str {
        &self.network
    }

    /// A wrong password or unknown name: the advance counts stand, and the minute's tally grows.
    pub async fn failed(&self, app: &App, user: Option<UserId>) -> ServiceResult<()> {
        let mut conn = app.conn().await?;
        store::add_to_tally(&mut conn, &self.tally(user, 1, 0)).await?;
        metrics::counter!("obhut_login_failures_total").increment(1);
        Ok(())
    }

    /// The right password: the account's and device's failures are forgotten, the network's
    /// advance count taken back, and the device is (again) known to the account. Returns the
    /// device cookie's value. Runs in the transaction that opens the session.
    pub async fn succeeded(&self, app: &App, conn: &mut obhut_store::Conn, user: UserId) -> ServiceResult<String> {
        for l in &self.limits {
            if l.key.starts_with("network:") {
                store::take_back(conn, &l.key).await?;
            } else {
                store::clear(conn, &l.key).await?;
            }
        }
        let now = app.now_ms();
        let (token, hash) = match &self.known_device {
            // The browser's cookie stays as it is; only the row is renewed.
            Some(hash) => (None, hash.clone()),
            None => {
                let t = crate::auth::random_secret("");
                let h = crate::auth::secret_hash(&t);
                (Some(t), h)
            }
        };
        store::save_device(conn, &hash, &user.to_string(), now, now + DEVICE_DAYS * 86_400_000).await?;
        Ok(token.unwrap_or_default())
    }
}

/// Writes the tallies of closed minutes into the audit chain: one `login.failed` event per
/// account pseudonym and network and minute, with the counts. Returns how many events.
pub async fn audit_closed_minutes(app: &App) -> ServiceResult<usize> {
    let minute = minute_of(app.now_ms());
    {
        let mut conn = app.conn().await?;
        if !store::closed_tallies_wait(&mut conn, minute).await? {
            return Ok(0);
        }
    }
    let mut tx = app.begin_write().await?;
    let tallies = store::take_closed_tallies(&mut tx, minute).await?;
    let events: Vec<obhut_store::audit::AuditEntry> = tallies
        .iter()
        .map(|t| {
            let at = obhut_core::clock::from_millis(t.minute).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            obhut_store::audit::AuditEntry {
                actor: "anonymous".into(),
                action: "login.failed".into(),
                record_type: "user".into(),
                record_id: t.user_id.clone(),
                fields: vec![
                    format!("account={}", t.account),
                    format!("network={}", t.network),
                    format!("minute={at}"),
                    format!("failures={}", t.failures),
                    format!("throttled={}", t.throttled),
                ],
                ..Default::default()
            }
        })
        .collect();
    if !events.is_empty() {
        obhut_store::audit::append(&mut tx, &app.store.crypto, app.now_ms(), &events).await?;
    }
    tx.commit().await?;
    Ok(events.len())
}

/// Housekeeping: forgets old counts and expired devices, and trims the in-memory limiters.
pub async fn upkeep(app: &App) -> ServiceResult<()> {
    app.login_attempts.retain_recent();
    app.signups.retain_recent();
    let now = app.now_ms();
    let mut conn = app.conn().await?;
    store::delete_stale(&mut conn, now - ACCOUNT_FORGET_MS.max(NETWORK_FORGET_MS), now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limiter::limiter;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn the_wait_doubles_after_the_free_attempts_and_is_capped() {
        assert_eq!(delay_ms(4, 5), 0);
        assert_eq!(delay_ms(5, 5), 2_000);
        assert_eq!(delay_ms(6, 5), 4_000);
        assert_eq!(delay_ms(100, 5), MAX_DELAY_MS);
        assert_eq!(minute_of(125_000), 120_000);
    }

    #[test]
    fn an_in_memory_limiter_refuses_beyond_its_burst_until_time_moves() {
        let clock = obhut_core::clock::ManualClock::at(time::macros::datetime!(2026-11-23 09:00 UTC));
        let l = limiter(3, Duration::from_secs(60), Arc::new(clock.clone()));
        let net = crate::client::network("192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        let other = crate::client::network("198.51.100.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        for _ in 0..3 {
            assert_eq!(take(&l, &net), Ok(()));
        }
        assert_eq!(take(&l, &net), Err(20), "one cell comes back every 20 seconds");
        assert_eq!(take(&l, &other), Ok(()), "another network has its own allowance");
        clock.advance(time::Duration::seconds(20));
        assert_eq!(take(&l, &net), Ok(()));
    }
}

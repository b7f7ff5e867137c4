//! In-memory rate limits per client network (GCRA, on the injected clock): the flood guard in
//! front of the sign-in throttle kept in the database, and the public sign-up form's limit.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Sign-in attempts (right or wrong) one network may make per minute before any is even checked.
pub const ATTEMPTS_PER_MINUTE: u32 = 60;

/// The injected clock, as `governor` reads time: time since the epoch.
#[derive(Clone)]
pub struct GovClock(pub Arc<dyn obhut_core::clock::Clock>);

impl governor::clock::Clock for GovClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Duration::from_millis(obhut_core::clock::to_millis(self.0.now()).max(0) as u64)
    }
}

/// An in-memory rate limiter per client network.
pub type Limiter = governor::RateLimiter<
    ipnet::IpNet,
    governor::state::keyed::HashMapStateStore<ipnet::IpNet>,
    GovClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// `n` per `period`, all of them at once if need be.
pub fn limiter(n: u32, period: Duration, clock: Arc<dyn obhut_core::clock::Clock>) -> Limiter {
    let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    let quota = governor::Quota::with_period(period / n.get()).unwrap_or_else(|| governor::Quota::per_second(n)).allow_burst(n);
    governor::RateLimiter::hashmap_with_clock(quota, GovClock(clock))
}

/// Takes one cell of `key`'s allowance, or says how many seconds to wait.
pub fn take(limiter: &Limiter, key: &ipnet::IpNet) -> Result<(), u64> {
    use governor::clock::Clock;
    match limiter.check_key(key) {
        Ok(_) => Ok(()),
        Err(not_until) => {
            let wait = not_until.wait_time_from(limiter.clock().now());
            Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        }
    }
}

/// Most sign-ups one network (/24, /56) may send at once; one more each 3 minutes after.
pub const SIGNUPS_PER_HOUR: u32 = 20;

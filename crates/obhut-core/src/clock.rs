//! Time is an input (invariant 6): every deadline and retention rule reads an injected clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that tests set and move.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(t: OffsetDateTime) -> Self {
        Self(Arc::new(AtomicI64::new(to_millis(t))))
    }
    pub fn set(&self, t: OffsetDateTime) {
        self.0.store(to_millis(t), Ordering::SeqCst);
    }
    pub fn advance(&self, d: time::Duration) {
        self.0.fetch_add(d.whole_milliseconds() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// Milliseconds since the Unix epoch: how times are stored.
pub fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::at(time::macros::datetime!(2026-01-31 12:00 UTC));
        assert_eq!(c.now(), time::macros::datetime!(2026-01-31 12:00 UTC));
        c.advance(time::Duration::days(1));
        assert_eq!(c.now(), time::macros::datetime!(2026-02-01 12:00 UTC));
    }
}

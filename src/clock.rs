//! Time is passed in, so expiry, idle timeouts and throttling are tested without sleeping.

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> NaiveDateTime;
}

/// Truncated to microseconds: PostgreSQL stores no finer, and a value must compare equal
/// after a round trip through either database.
fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        truncate(Utc::now().naive_utc())
    }
}

/// A moment as pages and notices show it to people: to the minute, in UTC.
pub fn display_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A clock the tests move by hand.
pub struct ManualClock(Mutex<NaiveDateTime>);

impl ManualClock {
    pub fn starting_now() -> Self {
        Self(Mutex::new(SystemClock.now()))
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

//! Counts failures per key (a username, a client id, an address) and refuses further tries
//! for a while once there are too many. Checked before any password is hashed, so a flood of
//! guesses costs a map lookup, not an argon2 run.
//!
//! Policy: `max_failures` failures within `window` lock the key until `lockout` has passed
//! since the last failure; a success clears the key.

use chrono::{NaiveDateTime, TimeDelta};
use std::collections::HashMap;
use std::sync::Mutex;

/// Above this many tracked keys, expired entries are dropped so memory stays bounded.
const PRUNE_ABOVE: usize = 10_000;

pub struct Throttle {
    max_failures: u32,
    window: TimeDelta,
    lockout: TimeDelta,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    first_failure: NaiveDateTime,
    last_failure: NaiveDateTime,
}

impl Throttle {
    pub fn new(max_failures: u32, window: TimeDelta, lockout: TimeDelta) -> Self {
        Self {
            max_failures,
            window,
            lockout,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How long the key must wait, if it is locked at `now`.
    pub fn retry_after(&self, key: &str, now: NaiveDateTime) -> Option<TimeDelta> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(key)?;
        if entry.failures < self.max_failures {
            return None;
        }
        let until = entry.last_failure + self.lockout;
        (until > now).then(|| until - now)
    }

    pub fn record_failure(&self, key: &str, now: NaiveDateTime) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > PRUNE_ABOVE {
            let horizon = self.window.max(self.lockout);
            entries.retain(|_, e| e.last_failure + horizon > now);
        }
        let entry = entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            first_failure: now,
            last_failure: now,
        });
        // A count ends with its window, or, once it locked the key, with the lockout: a key
        // that served its time starts again from zero, not one failure from the next lock.
        let ended = if entry.failures >= self.max_failures {
            now - entry.last_failure >= self.lockout
        } else {
            now - entry.first_failure > self.window
        };
        if ended {
            entry.failures = 0;
            entry.first_failure = now;
        }
        entry.failures += 1;
        entry.last_failure = now;
    }

    pub fn record_success(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// Whole seconds for a `Retry-After` header, never zero.
pub fn retry_after_seconds(wait: TimeDelta) -> i64 {
    (wait.num_milliseconds() + 999).div_euclid(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, SystemClock};

    fn throttle() -> Throttle {
        Throttle::new(3, TimeDelta::minutes(15), TimeDelta::minutes(15))
    }

    #[test]
    fn the_key_locks_after_the_allowed_failures_and_unlocks_later() {
        let t = throttle();
        let now = SystemClock.now();
        for _ in 0..2 {
            t.record_failure("ann", now);
        }
        assert!(t.retry_after("ann", now).is_none());
        t.record_failure("ann", now);
        assert_eq!(t.retry_after("ann", now), Some(TimeDelta::minutes(15)));
        assert!(t.retry_after("bob", now).is_none());
        assert!(t.retry_after("ann", now + TimeDelta::minutes(16)).is_none());
    }

    #[test]
    fn after_the_lockout_the_count_starts_again_from_zero() {
        let t = throttle();
        let now = SystemClock.now();
        for _ in 0..3 {
            t.record_failure("ann", now);
        }
        let later = now + TimeDelta::minutes(16);
        assert!(t.retry_after("ann", later).is_none());
        t.record_failure("ann", later);
        assert!(
            t.retry_after("ann", later).is_none(),
            "one failure is not a new lock"
        );
    }

    #[test]
    fn a_success_clears_the_count() {
        let t = throttle();
        let now = SystemClock.now();
        t.record_failure("ann", now);
        t.record_failure("ann", now);
        t.record_success("ann");
        t.record_failure("ann", now);
        assert!(t.retry_after("ann", now).is_none());
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_add_up() {
        let t = throttle();
        let now = SystemClock.now();
        t.record_failure("ann", now);
        t.record_failure("ann", now);
        t.record_failure("ann", now + TimeDelta::minutes(20));
        assert!(t.retry_after("ann", now + TimeDelta::minutes(20)).is_none());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1500)), 2);
    }
}

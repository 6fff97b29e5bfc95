//! Whether mail is being delivered, for `/readyz`. Two ways it is not:
//!
//! - **the worker is not running**: this process's worker has not finished a step (a look
//!   at the outbox, or one message) for `WORKER_SILENCE`, or it panicked and waits to be
//!   restarted;
//! - **the outbox is stuck**: a pending notice has been due for more than `STUCK_AFTER`,
//!   so no worker of any server sharing the database is taking due rows.
//!
//! Notices waiting after an SMTP error are not a readiness failure: their retries are
//! scheduled, and System › Notifications shows them.

use chrono::{NaiveDateTime, TimeDelta};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longer than the slowest step: one message at its full SMTP timeout plus the database.
pub const WORKER_SILENCE: Duration = Duration::from_secs(90);
/// A due row is taken within a second by a running worker; five minutes is far beyond.
pub const STUCK_AFTER: TimeDelta = TimeDelta::minutes(5);

pub struct MailHealth {
    last_step: Mutex<Instant>,
    running: AtomicBool,
}

impl Default for MailHealth {
    fn default() -> Self {
        Self {
            last_step: Mutex::new(Instant::now()),
            running: AtomicBool::new(true),
        }
    }
}

impl MailHealth {
    /// The worker finished a step.
    pub fn step(&self) {
        if let Ok(mut last) = self.last_step.lock() {
            *last = Instant::now();
        }
        self.running.store(true, Ordering::Relaxed);
    }

    /// The worker ended (it panicked) and waits to be restarted.
    pub fn stopped(&self) {
        self.running.store(false, Ordering::Relaxed);
    }

    /// Why mail is not being delivered, if it is not. `oldest_due` is when the longest-due
    /// pending row came due.
    pub fn problem(
        &self,
        oldest_due: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Option<&'static str> {
        let silent = self
            .last_step
            .lock()
            .map_or(true, |last| last.elapsed() > WORKER_SILENCE);
        if !self.running.load(Ordering::Relaxed) || silent {
            return Some("mail worker not running");
        }
        if oldest_due.is_some_and(|due| now - due > STUCK_AFTER) {
            return Some("mail outbox stuck");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + TimeDelta::minutes(minutes)
    }

    #[test]
    fn a_running_worker_with_nothing_long_due_is_healthy() {
        let health = MailHealth::default();
        assert_eq!(health.problem(None, at(0)), None);
        assert_eq!(health.problem(Some(at(-4)), at(0)), None);
    }

    #[test]
    fn a_row_due_for_more_than_five_minutes_means_the_outbox_is_stuck() {
        let health = MailHealth::default();
        assert_eq!(
            health.problem(Some(at(-6)), at(0)),
            Some("mail outbox stuck")
        );
    }

    #[test]
    fn a_stopped_worker_is_reported_until_it_steps_again() {
        let health = MailHealth::default();
        health.stopped();
        assert_eq!(health.problem(None, at(0)), Some("mail worker not running"));
        health.step();
        assert_eq!(health.problem(None, at(0)), None);
    }
}

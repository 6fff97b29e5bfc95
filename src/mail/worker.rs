//! The one mail worker of a process: it claims due outbox rows, sends them, and marks each
//! sent, or schedules the next attempt with exponential backoff and jitter until it gives up.
//! Rows left over from a previous run are simply due, so a restart sends them.

use crate::config::Settings;
use crate::db::models::mail_outbox::{self, OutboxMail};
use crate::db::{self, DbFailure};
use crate::mail::{Addressing, MailSetupError, Mailer, SendError};
use crate::state::AppState;
use actix_web::web;
use chrono::TimeDelta;
use std::time::Duration;

/// How often the outbox is looked at when nobody wakes the worker.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Rows claimed per round; a full round is followed by another at once.
const BATCH: i64 = 5;
/// How long a claimed row is reserved, so that only a process that died mid-send lets its
/// rows come due again.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// The longest a claimed row can wait for its send: every row before it in the round took
/// its full SMTP timeout, with the database waiting its full pool timeout before and after.
const WORST_ROUND_SECONDS: u64 = BATCH as u64
    * (crate::mail::transport::SMTP_MESSAGE_TIMEOUT.as_secs()
        + 2 * crate::db::POOL_TIMEOUT.as_secs());
// A row still unsent when its lease ends would be claimed and sent by another server too.
const _: () = assert!(WORST_ROUND_SECONDS < LEASE.num_seconds() as u64);
/// After this many attempts a row is marked failed: with the delays below, about three to
/// five hours of outage.
pub const MAX_ATTEMPTS: i32 = 12;
const FIRST_RETRY: TimeDelta = TimeDelta::seconds(30);
const LONGEST_RETRY: TimeDelta = TimeDelta::hours(1);

pub struct MailWorker {
    mailer: Mailer,
    addressing: Addressing,
}

impl MailWorker {
    /// Checks the mail settings, so a wrong one stops the start instead of every send.
    pub fn from_settings(settings: &Settings) -> Result<Self, MailSetupError> {
        Ok(Self {
            mailer: Mailer::from_settings(settings)?,
            addressing: Addressing::from_settings(settings)?,
        })
    }

    pub fn describe(&self) -> String {
        match self.addressing.override_to() {
            Some(to) => format!("{}, every notice to {to}", self.mailer.describe()),
            None => self.mailer.describe(),
        }
    }

    /// Runs for as long as the server does; `AppState::mail_queued` wakes it before its
    /// next poll. Each step is reported to `AppState::mail_health`.
    pub async fn run(self: std::sync::Arc<Self>, state: web::Data<AppState>) {
        loop {
            let outcome = self.deliver_due(&state).await;
            state.mail_health.step();
            let busy = match outcome {
                Ok(claimed) => claimed as i64 == BATCH,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the mail outbox");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = state.mail_wakeup.notified() => {}
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
        }
    }

    async fn deliver_due(&self, state: &AppState) -> Result<usize, DbFailure> {
        let now = state.now();
        let claimed = db::run(&state.pool, move |conn| {
            mail_outbox::claim_due(conn, now, now + LEASE, BATCH).map_err(DbFailure::from)
        })
        .await?;
        let count = claimed.len();
        for mail in claimed {
            if mail.attempts == 1 {
                state.metrics.notice_queued();
            }
            let outcome = self.deliver(&mail).await;
            state.mail_health.step();
            let now = state.now();
            let id = mail.id;
            match outcome {
                Ok(()) => {
                    db::run(&state.pool, move |conn| {
                        mail_outbox::mark_sent(conn, id, now).map_err(DbFailure::from)
                    })
                    .await?;
                    state.metrics.notice_sent();
                    tracing::info!(mail_id = id, attempts = mail.attempts, "mail sent");
                }
                Err(e) => {
                    let retry_at = (!e.is_permanent() && mail.attempts < MAX_ATTEMPTS)
                        .then(|| now + backoff(mail.attempts));
                    match retry_at {
                        Some(at) => tracing::warn!(
                            mail_id = id, attempts = mail.attempts, error = %e, retry_at = %at,
                            "mail not delivered; will retry"
                        ),
                        None => tracing::error!(
                            mail_id = id, attempts = mail.attempts, error = %e,
                            "mail not delivered; given up until retried from Notifications"
                        ),
                    }
                    state.metrics.notice_failed(retry_at.is_none());
                    let error = e.to_string();
                    db::run(&state.pool, move |conn| {
                        mail_outbox::mark_attempt_failed(conn, id, &error, retry_at)
                            .map_err(DbFailure::from)
                    })
                    .await?;
                }
            }
        }
        Ok(count)
    }

    async fn deliver(&self, mail: &OutboxMail) -> Result<(), SendError> {
        let message = self.addressing.compose(mail)?;
        self.mailer.send(mail, &message).await
    }
}

/// Doubles from 30 s up to an hour; each wait is drawn from its upper half, so rows that
/// failed together during an outage do not all come back at the same moment.
fn backoff(attempts: i32) -> TimeDelta {
    let doublings = attempts.clamp(1, 20) - 1;
    let ceiling = (FIRST_RETRY * 2_i32.pow(doublings as u32)).min(LONGEST_RETRY);
    let half = ceiling.num_milliseconds() / 2;
    TimeDelta::milliseconds(half + rand::random_range(0..=half))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_jitter_and_stops_growing_at_an_hour() {
        for attempts in 1..=MAX_ATTEMPTS {
            let ceiling = (FIRST_RETRY * 2_i32.pow((attempts - 1) as u32)).min(LONGEST_RETRY);
            for _ in 0..50 {
                let wait = backoff(attempts);
                assert!(wait <= ceiling, "attempt {attempts}: {wait} > {ceiling}");
                assert!(wait >= ceiling / 2, "attempt {attempts}: {wait} < half");
            }
        }
        assert!(backoff(1) <= TimeDelta::seconds(30));
        assert!(backoff(MAX_ATTEMPTS) >= TimeDelta::minutes(30));
    }
}

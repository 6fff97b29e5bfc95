//! Throttles that hold across instances: several Tessera processes on one database lock a
//! key together.
//!
//! Checks stay in memory, so a request never waits for the database to be told whether it
//! may try, and a success writes nothing. Failures only are shared: every `SYNC_INTERVAL`
//! each instance appends the failures it saw to `throttle_failures` (the key hashed, the
//! time, the instance) and merges the rows other instances appended since its last look
//! into its own counts. A failure on one instance therefore counts on every other within
//! about two intervals. At start an instance reads the failures of the last lockout period,
//! so a restart or a new instance does not forget a lock; rows older than that are pruned.

use super::Throttle;
use super::bounded::Key;
use crate::db::models::throttle_failure::{self, NewThrottleFailure};
use crate::db::{self, DbFailure};
use crate::domain::secret::random_hex;
use crate::state::AppState;
use actix_web::web;
use chrono::TimeDelta;
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

/// How often failures are written and other instances' failures read.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(250);
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);
/// Rows merged per look; a longer backlog is taken over the next looks.
const READ_LIMIT: i64 = 10_000;

/// Every throttle of the server, each under the name its rows carry.
pub fn all(state: &AppState) -> [&Throttle; 6] {
    let token = &state.token_throttles;
    [
        &state.sign_in_by_user,
        &state.sign_in_by_address,
        &token.client,
        &token.client_address,
        &token.password_user,
        &token.password_address,
    ]
}

/// Shares failures with the other instances until the server stops.
pub async fn run(state: web::Data<AppState>) {
    let instance = random_hex(8);
    let mut cursor = 0;
    let mut ticker = tokio::time::interval(SYNC_INTERVAL);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut next_prune = Instant::now();
    loop {
        ticker.tick().await;
        let prune = Instant::now() >= next_prune;
        if prune {
            next_prune = Instant::now() + PRUNE_INTERVAL;
        }
        match sync(&state, &instance, cursor, prune).await {
            Ok(seen) => cursor = seen,
            Err(e) => {
                tracing::warn!(error = %e, "throttle failures could not be shared with other instances");
            }
        }
    }
}

/// Writes this instance's new failures, merges the other instances' ones after `cursor`,
/// and answers the last id seen.
async fn sync(
    state: &AppState,
    instance: &str,
    cursor: i64,
    prune: bool,
) -> Result<i64, DbFailure> {
    let throttles = all(state);
    let now = state.now();
    for throttle in &throttles {
        throttle.forget_expired(now);
    }
    let horizon = throttles
        .iter()
        .map(|t| t.horizon())
        .max()
        .unwrap_or(TimeDelta::zero());
    let outgoing: Vec<(&'static str, String, chrono::NaiveDateTime)> = throttles
        .iter()
        .flat_map(|t| {
            t.take_unshared()
                .into_iter()
                .map(|(key, at)| (t.name(), to_hex(&key), at))
        })
        .collect();
    let writer = instance.to_owned();
    let rows = db::run(&state.pool, move |conn| {
        let rows: Vec<NewThrottleFailure<'_>> = outgoing
            .iter()
            .map(|(throttle, key_hash, failed_at)| NewThrottleFailure {
                throttle,
                key_hash,
                instance: &writer,
                failed_at: *failed_at,
            })
            .collect();
        throttle_failure::append(conn, &rows)?;
        if prune {
            throttle_failure::prune(conn, now - horizon)?;
        }
        Ok::<_, DbFailure>(throttle_failure::newer_than(
            conn,
            cursor,
            now - horizon,
            READ_LIMIT,
        )?)
    })
    .await?;
    let mut seen = cursor;
    for row in rows {
        seen = seen.max(row.id);
        if row.instance == instance {
            continue;
        }
        let throttle = throttles.iter().find(|t| t.name() == row.throttle);
        if let (Some(throttle), Some(key)) = (throttle, from_hex(&row.key_hash)) {
            throttle.merge_failure(key, row.failed_at, now);
        }
    }
    Ok(seen)
}

fn to_hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Key> {
    let mut key = [0; 16];
    if text.len() != key.len() * 2 {
        return None;
    }
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_the_trip_through_hex() {
        let key: Key = std::array::from_fn(|i| (i * 17) as u8);
        assert_eq!(from_hex(&to_hex(&key)), Some(key));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex(&"g".repeat(32)), None);
    }
}

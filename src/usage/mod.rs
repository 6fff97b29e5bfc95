//! Usage of the token endpoint per application, counted in memory and written to
//! `usage_counts` as aggregated rows about once a minute: no database write per token.
//!
//! The token path takes a read lock on the map of applications (a write lock only the first
//! time an application is seen) and adds to atomics. The flush swaps every
//! count for zero and writes what it took as rows of the minute the period started in; if
//! the write fails, the counts are put back for the next flush. What was counted since the
//! last flush is lost if the process dies: at most about a minute.

use crate::db::models::usage::{EVENT_FAILURE, EVENT_THROTTLED, EVENT_TOKEN, NewUsage};
mod flush;

pub use flush::{flush, run};

use crate::domain::GrantType;
use chrono::{DurationRound, NaiveDateTime, TimeDelta};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

const GRANTS: usize = GrantType::ALL.len();
/// How often the flush task looks at the clock.
pub(crate) const CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Counts {
    tokens: [AtomicU64; GRANTS],
    failures: AtomicU64,
    throttled: AtomicU64,
}

impl Counts {
    /// Takes the counts, leaving zeros, as rows of `minute`.
    fn take(&self, minute: NaiveDateTime, client_id: Option<i64>, rows: &mut Vec<NewUsage>) {
        let mut push = |event, grant_type, count: u64| {
            if count > 0 {
                rows.push(NewUsage {
                    minute,
                    client_id,
                    event,
                    grant_type,
                    count: i64::try_from(count).unwrap_or(i64::MAX),
                });
            }
        };
        for (grant, count) in GrantType::ALL.iter().zip(&self.tokens) {
            push(
                EVENT_TOKEN,
                grant.as_str(),
                count.swap(0, Ordering::Relaxed),
            );
        }
        push(EVENT_FAILURE, "", self.failures.swap(0, Ordering::Relaxed));
        push(
            EVENT_THROTTLED,
            "",
            self.throttled.swap(0, Ordering::Relaxed),
        );
    }

    /// Puts back what a failed flush took.
    fn restore(&self, row: &NewUsage) {
        let count = u64::try_from(row.count).unwrap_or(0);
        let counter = match row.event {
            EVENT_TOKEN => GrantType::parse(row.grant_type)
                .and_then(|g| GrantType::ALL.iter().position(|x| *x == g))
                .map(|i| &self.tokens[i]),
            EVENT_FAILURE => Some(&self.failures),
            _ => Some(&self.throttled),
        };
        if let Some(counter) = counter {
            counter.fetch_add(count, Ordering::Relaxed);
        }
    }
}

pub struct Usage {
    per_client: RwLock<HashMap<i64, Counts>>,
    /// Failures of no known application, and throttled requests.
    unattributed: Counts,
    /// When the period being counted started.
    period_start: Mutex<NaiveDateTime>,
    retention: TimeDelta,
}

impl Usage {
    pub fn new(now: NaiveDateTime, retention: TimeDelta) -> Self {
        Self {
            per_client: RwLock::new(HashMap::new()),
            unattributed: Counts::default(),
            period_start: Mutex::new(now),
            retention,
        }
    }

    /// Counts for the application, under the map's read lock; its first count takes the
    /// write lock once to add its entry.
    fn count(&self, client_id: i64, count: impl FnOnce(&Counts)) {
        if let Some(counts) = self
            .per_client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&client_id)
        {
            return count(counts);
        }
        count(
            self.per_client
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .entry(client_id)
                .or_default(),
        );
    }

    /// A token issued to the application of primary key `client_id`.
    pub fn token(&self, client_id: i64, grant: GrantType) {
        if let Some(i) = GrantType::ALL.iter().position(|g| *g == grant) {
            self.count(client_id, |c| {
                c.tokens[i].fetch_add(1, Ordering::Relaxed);
            });
        }
    }

    /// A refused token request, of an application when it is known.
    pub fn failure(&self, client_id: Option<i64>) {
        match client_id {
            Some(id) => self.count(id, |c| {
                c.failures.fetch_add(1, Ordering::Relaxed);
            }),
            None => {
                self.unattributed.failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn throttled(&self) {
        self.unattributed.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes every count as rows of the minute the period started in, and starts a new
    /// period at `now`.
    fn take(&self, now: NaiveDateTime) -> Vec<NewUsage> {
        let start = std::mem::replace(
            &mut *self.period_start.lock().unwrap_or_else(|p| p.into_inner()),
            now,
        );
        let minute = start.duration_trunc(TimeDelta::minutes(1)).unwrap_or(start);
        let mut rows = Vec::new();
        // Entries stay in the map (one per application used since the start): a token
        // counted while its entry is being read out lands in the next period, never in an
        // entry that was dropped.
        for (id, counts) in self
            .per_client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            counts.take(minute, Some(*id), &mut rows);
        }
        self.unattributed.take(minute, None, &mut rows);
        rows
    }

    /// Whether the minute the period started in is over at `now`.
    fn minute_ended(&self, now: NaiveDateTime) -> bool {
        let start = *self.period_start.lock().unwrap_or_else(|p| p.into_inner());
        let minute = |t: NaiveDateTime| t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t);
        minute(now) > minute(start)
    }

    fn restore(&self, rows: &[NewUsage]) {
        for row in rows {
            match row.client_id {
                Some(id) => self.count(id, |c| c.restore(row)),
                None => self.unattributed.restore(row),
            }
        }
    }
}

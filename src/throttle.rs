//! Counts failures per key (a username, a client id, an address) and refuses further tries
//! for a while once there are too many.
//!
//! Policy: `max_failures` failures within `window` lock the key until `lockout` has passed
//! since the last failure; a success clears the key.
//!
//! An attempt counts before its verification starts, so concurrency cannot multiply the
//! guesses: however many connections send at once, no more than `max_failures` attempts
//! for one key are ever verified in a window. Two ways, by the cost of the verification:
//!
//! - [`reserve`], for slow checks (an argon2 run): the attempt takes a place in every count
//!   it touches before it starts, and its [`Attempt`] guard turns into a failure when
//!   dropped, unless it is released as a success (or abandoned because the check never ran).
//!   While the failures and the places taken reach the limit, further attempts are refused.
//! - [`decide`], for checks of a few hundred nanoseconds (a constant-time comparison of
//!   SHA-256 hashes): the counts stay locked while the check runs, so the decision and its
//!   record are one step. Legitimate clients may send many requests at once; they are
//!   never refused for being in flight together.
//!
//! Memory is bounded: each throttle keeps at most `capacity` keys (hashed to 128 bits) and
//! forgets the least recently failing one to make room, at O(1) per update.
//!
//! A throttle that remembers no key (no failure, no attempt in flight) is quiet: checking
//! and clearing against it needs neither its lock nor the hash of the key, so the usual
//! request, from a client that does not fail, costs two atomic reads.
//!
//! Failures are also queued for the other instances sharing the database; see [`shared`].

mod bounded;
pub mod shared;

use bounded::{BoundedMap, Key};
use chrono::{NaiveDateTime, TimeDelta};
use sha2::{Digest, Sha256};
use std::cell::OnceCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Keys each throttle remembers. Full, a throttle has reserved about 4 MiB; a flood from more
/// distinct addresses than this pushes out the quietest ones, never the memory.
pub const CAPACITY: usize = 32_768;

/// Failures waiting to be written for the other instances, per throttle. Beyond it (a
/// database slower than the flood) the oldest waiting are dropped: this instance still
/// counts them.
const MAX_UNSHARED: usize = 10_000;

/// What a refused attempt is told when the limit is reached by attempts still in flight
/// rather than by failures: their outcome decides within moments.
const IN_FLIGHT_WAIT: TimeDelta = TimeDelta::seconds(1);

pub struct Throttle {
    name: &'static str,
    max_failures: u32,
    window: TimeDelta,
    lockout: TimeDelta,
    inner: Mutex<Inner>,
    /// How many keys the map holds, as of the last time its lock was released.
    remembered: AtomicUsize,
}

struct Inner {
    entries: BoundedMap<Entry>,
    unshared: Vec<(Key, NaiveDateTime)>,
}

#[derive(Clone, Copy, Default)]
struct Entry {
    failures: u32,
    /// Attempts reserved and not yet settled.
    pending: u32,
    first_failure: NaiveDateTime,
    last_failure: NaiveDateTime,
}

/// Whether a success clears the key's failures (a username, a client) or leaves them to
/// expire (an address: one valid account must not reset the count between guesses).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OnSuccess {
    Clear,
    Keep,
}

/// One key of one throttle that an attempt counts against. The key is hashed when first
/// needed, which a quiet throttle never does.
pub struct Hold<'a> {
    throttle: &'a Throttle,
    text: String,
    key: OnceCell<Key>,
    on_success: OnSuccess,
}

impl Hold<'_> {
    fn key(&self) -> Key {
        *self.key.get_or_init(|| hash_key(&self.text))
    }

    /// How long this key must wait at `now`, if it is refused.
    pub fn refusal(&self, now: NaiveDateTime) -> Option<TimeDelta> {
        if self.throttle.is_quiet() {
            return None;
        }
        let inner = self.throttle.lock();
        self.throttle.refusal(inner.entries.get(&self.key())?, now)
    }
}

/// The throttle's map, locked; the count of keys is published when it is unlocked.
struct Locked<'a> {
    guard: MutexGuard<'a, Inner>,
    remembered: &'a AtomicUsize,
}

impl Deref for Locked<'_> {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.guard
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.remembered
            .store(self.guard.entries.len(), Ordering::Release);
    }
}

enum Settle {
    Failure,
    Success(OnSuccess),
    Abandon,
}

impl Throttle {
    /// `name` identifies the throttle in the table shared by instances.
    pub fn new(
        name: &'static str,
        max_failures: u32,
        window: TimeDelta,
        lockout: TimeDelta,
    ) -> Self {
        Self::with_capacity(name, max_failures, window, lockout, CAPACITY)
    }

    pub fn with_capacity(
        name: &'static str,
        max_failures: u32,
        window: TimeDelta,
        lockout: TimeDelta,
        capacity: usize,
    ) -> Self {
        Self {
            name,
            max_failures: max_failures.max(1),
            window,
            lockout,
            inner: Mutex::new(Inner {
                entries: BoundedMap::new(capacity),
                unshared: Vec::new(),
            }),
            remembered: AtomicUsize::new(0),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How long failures are remembered: the longer of the window and the lockout.
    pub fn horizon(&self) -> TimeDelta {
        self.window.max(self.lockout)
    }

    pub fn hold(&self, key: impl Into<String>, on_success: OnSuccess) -> Hold<'_> {
        Hold {
            throttle: self,
            text: key.into(),
            key: OnceCell::new(),
            on_success,
        }
    }

    /// Whether the throttle remembers no key at all: then it refuses nothing and a success
    /// has nothing to clear.
    fn is_quiet(&self) -> bool {
        self.remembered.load(Ordering::Acquire) == 0
    }

    /// How many keys are remembered, and at most.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.lock().entries.capacity()
    }

    /// Bytes the throttle's map has reserved.
    pub fn reserved_bytes(&self) -> usize {
        self.lock().entries.reserved_bytes()
    }

    /// How long `key` must wait at `now`, if it is refused.
    pub fn retry_after(&self, key: &str, now: NaiveDateTime) -> Option<TimeDelta> {
        let inner = self.lock();
        self.refusal(inner.entries.get(&hash_key(key))?, now)
    }

    fn lock(&self) -> Locked<'_> {
        Locked {
            guard: self.inner.lock().unwrap_or_else(|p| p.into_inner()),
            remembered: &self.remembered,
        }
    }

    /// Failures that still count at `now`: a count ends with its window, or, once it
    /// locked the key, with the lockout.
    fn live_failures(&self, entry: &Entry, now: NaiveDateTime) -> u32 {
        let ended = if entry.failures >= self.max_failures {
            now - entry.last_failure >= self.lockout
        } else {
            now - entry.first_failure > self.window
        };
        if ended { 0 } else { entry.failures }
    }

    fn refusal(&self, entry: &Entry, now: NaiveDateTime) -> Option<TimeDelta> {
        let failures = self.live_failures(entry, now);
        if failures >= self.max_failures {
            return Some(entry.last_failure + self.lockout - now);
        }
        (failures + entry.pending >= self.max_failures).then_some(IN_FLIGHT_WAIT)
    }

    fn add_failure(&self, entry: &mut Entry, at: NaiveDateTime) {
        // A key that served its time, or whose window passed, starts again from zero, not
        // one failure from the next lock.
        if self.live_failures(entry, at) == 0 {
            entry.failures = 0;
            entry.first_failure = at;
            entry.last_failure = at;
        }
        entry.failures += 1;
        entry.first_failure = entry.first_failure.min(at);
        entry.last_failure = entry.last_failure.max(at);
    }

    /// Records a failure; `reserved` when it settles a place taken by [`reserve`].
    fn fail(&self, inner: &mut Inner, key: Key, at: NaiveDateTime, reserved: bool) {
        let entry = inner.entries.touch(key);
        if reserved {
            entry.pending = entry.pending.saturating_sub(1);
        }
        self.add_failure(entry, at);
        if inner.unshared.len() >= MAX_UNSHARED {
            inner.unshared.remove(0);
        }
        inner.unshared.push((key, at));
    }

    fn succeed(&self, inner: &mut Inner, key: &Key, on_success: OnSuccess) {
        let Some(entry) = inner.entries.get_mut(key) else {
            return;
        };
        if on_success == OnSuccess::Clear {
            entry.failures = 0;
        }
        if entry.failures == 0 && entry.pending == 0 {
            inner.entries.remove(key);
        }
    }

    fn try_reserve(&self, key: Key, now: NaiveDateTime) -> Result<(), TimeDelta> {
        let mut inner = self.lock();
        if let Some(wait) = inner
            .entries
            .get(&key)
            .and_then(|entry| self.refusal(entry, now))
        {
            return Err(wait);
        }
        inner.entries.touch(key).pending += 1;
        Ok(())
    }

    fn settle(&self, key: Key, now: NaiveDateTime, how: Settle) {
        let mut inner = self.lock();
        match how {
            Settle::Failure => self.fail(&mut inner, key, now, true),
            Settle::Success(on_success) => self.release(&mut inner, &key, on_success),
            Settle::Abandon => self.release(&mut inner, &key, OnSuccess::Keep),
        }
    }

    fn release(&self, inner: &mut Inner, key: &Key, on_success: OnSuccess) {
        if let Some(entry) = inner.entries.get_mut(key) {
            entry.pending = entry.pending.saturating_sub(1);
        }
        self.succeed(inner, key, on_success);
    }

    /// Forgets the keys whose failures no longer count at `now` and that have no attempt in
    /// flight, least recently updated first, so a throttle whose failures have all expired
    /// is quiet again.
    pub(crate) fn forget_expired(&self, now: NaiveDateTime) {
        let mut inner = self.lock();
        while let Some((key, entry)) = inner.entries.oldest() {
            if self.live_failures(entry, now) > 0 || entry.pending > 0 {
                break;
            }
            inner.entries.remove(&key);
        }
    }

    /// A failure another instance saw at `at`, merged into this instance's count.
    pub(crate) fn merge_failure(&self, key: Key, at: NaiveDateTime, now: NaiveDateTime) {
        if at + self.horizon() <= now {
            return;
        }
        let mut inner = self.lock();
        let entry = inner.entries.touch(key);
        self.add_failure(entry, at);
    }

    /// The failures recorded here since the last call, for the other instances.
    pub(crate) fn take_unshared(&self) -> Vec<(Key, NaiveDateTime)> {
        std::mem::take(&mut self.lock().unshared)
    }
}

/// An attempt holding its place in every count it touches; a failure unless settled otherwise.
#[must_use = "dropping an attempt records it as a failure"]
pub struct Attempt<'a> {
    holds: Vec<Hold<'a>>,
    started: NaiveDateTime,
}

impl Attempt<'_> {
    /// The attempt succeeded: its places are released and the keys marked
    /// [`OnSuccess::Clear`] forget their failures.
    pub fn succeeded(mut self) {
        self.settle(|hold| Settle::Success(hold.on_success));
    }

    /// When `result` is an error (a database failure before anything was verified), the
    /// attempt gives its places back without counting as a failure.
    pub fn abandon_on_error<T, E>(&mut self, result: Result<T, E>) -> Result<T, E> {
        if result.is_err() {
            self.settle(|_| Settle::Abandon);
        }
        result
    }

    fn settle(&mut self, how: impl Fn(&Hold<'_>) -> Settle) {
        for hold in self.holds.drain(..) {
            hold.throttle.settle(hold.key(), self.started, how(&hold));
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.settle(|_| Settle::Failure);
    }
}

/// Takes a place for the attempt in each hold's count, or answers how long to wait when
/// one of them is locked or full of attempts in flight.
pub fn reserve<'a>(
    now: NaiveDateTime,
    holds: impl IntoIterator<Item = Hold<'a>>,
) -> Result<Attempt<'a>, TimeDelta> {
    let mut attempt = Attempt {
        holds: Vec::with_capacity(2),
        started: now,
    };
    for hold in holds {
        if let Err(wait) = hold.throttle.try_reserve(hold.key(), now) {
            attempt.settle(|_| Settle::Abandon);
            return Err(wait);
        }
        attempt.holds.push(hold);
    }
    Ok(attempt)
}

/// How long to wait, when one of the holds' counts is locked; records nothing.
pub fn refused(now: NaiveDateTime, holds: &[Hold<'_>]) -> Option<TimeDelta> {
    holds.iter().find_map(|hold| hold.refusal(now))
}

/// Records a success decided without the counts (the token endpoint's copy in memory, right
/// after `refused` let it through): keys marked [`OnSuccess::Clear`] forget their failures.
pub fn succeeded(holds: &[Hold<'_>]) {
    for hold in holds.iter().filter(|hold| !hold.throttle.is_quiet()) {
        let mut inner = hold.throttle.lock();
        hold.throttle
            .succeed(&mut inner, &hold.key(), hold.on_success);
    }
}

/// Runs a quick `verify` while the counts of every hold are locked, and records its outcome
/// before they are unlocked: `Err` is a failure. Refused (with the wait) when a count is
/// locked. Holds must always be given in the same order of throttles.
pub fn decide<T, F>(
    now: NaiveDateTime,
    holds: &[Hold<'_>],
    verify: impl FnOnce() -> Result<T, F>,
) -> Result<Result<T, F>, TimeDelta> {
    let mut guards: Vec<Locked<'_>> = holds.iter().map(|hold| hold.throttle.lock()).collect();
    for (hold, inner) in holds.iter().zip(&guards) {
        if let Some(wait) = inner
            .entries
            .get(&hold.key())
            .and_then(|entry| hold.throttle.refusal(entry, now))
        {
            return Err(wait);
        }
    }
    let outcome = verify();
    for (hold, inner) in holds.iter().zip(guards.iter_mut()) {
        match &outcome {
            Ok(_) => hold.throttle.succeed(inner, &hold.key(), hold.on_success),
            Err(_) => hold.throttle.fail(inner, hold.key(), now, false),
        }
    }
    Ok(outcome)
}

fn hash_key(key: &str) -> Key {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
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
        Throttle::new("test", 3, TimeDelta::minutes(15), TimeDelta::minutes(15))
    }

    fn fail(t: &Throttle, key: &str, at: NaiveDateTime) {
        drop(reserve(at, [t.hold(key, OnSuccess::Clear)]).expect("not locked"));
    }

    #[test]
    fn the_key_locks_after_the_allowed_failures_and_unlocks_later() {
        let t = throttle();
        let now = SystemClock.now();
        fail(&t, "ann", now);
        fail(&t, "ann", now);
        assert!(t.retry_after("ann", now).is_none());
        fail(&t, "ann", now);
        assert_eq!(t.retry_after("ann", now), Some(TimeDelta::minutes(15)));
        assert!(reserve(now, [t.hold("ann", OnSuccess::Clear)]).is_err());
        assert!(t.retry_after("bob", now).is_none());
        assert!(t.retry_after("ann", now + TimeDelta::minutes(16)).is_none());
    }

    #[test]
    fn a_throttle_is_quiet_until_a_failure_and_again_once_its_failures_have_expired() {
        let t = throttle();
        let now = SystemClock.now();
        let ann = || [t.hold("ann", OnSuccess::Clear)];
        assert!(t.is_quiet());
        assert!(refused(now, &ann()).is_none());
        for _ in 0..3 {
            fail(&t, "ann", now);
        }
        assert!(!t.is_quiet());
        assert_eq!(refused(now, &ann()), Some(TimeDelta::minutes(15)));
        t.forget_expired(now + TimeDelta::minutes(14));
        assert_eq!(t.len(), 1, "a lock still running is remembered");
        let later = now + TimeDelta::minutes(15);
        t.forget_expired(later);
        assert!(t.is_quiet());
        assert!(refused(later, &ann()).is_none());
    }

    #[test]
    fn a_success_decided_from_memory_clears_its_key_and_keeps_the_address_count() {
        let (t, address) = (throttle(), throttle());
        let now = SystemClock.now();
        fail(&t, "ann", now);
        fail(&address, "ip", now);
        succeeded(&[
            t.hold("ann", OnSuccess::Clear),
            address.hold("ip", OnSuccess::Keep),
        ]);
        assert!(t.is_quiet());
        assert_eq!(address.len(), 1);
    }

    #[test]
    fn after_the_lockout_the_count_starts_again_from_zero() {
        let t = throttle();
        let now = SystemClock.now();
        for _ in 0..3 {
            fail(&t, "ann", now);
        }
        let later = now + TimeDelta::minutes(16);
        fail(&t, "ann", later);
        assert!(
            t.retry_after("ann", later).is_none(),
            "one failure is not a new lock"
        );
    }

    #[test]
    fn a_success_clears_the_count_of_a_clearing_key_only() {
        let t = throttle();
        let address = throttle();
        let now = SystemClock.now();
        for _ in 0..2 {
            drop(reserve(
                now,
                [
                    t.hold("ann", OnSuccess::Clear),
                    address.hold("ip", OnSuccess::Keep),
                ],
            ));
        }
        reserve(
            now,
            [
                t.hold("ann", OnSuccess::Clear),
                address.hold("ip", OnSuccess::Keep),
            ],
        )
        .unwrap()
        .succeeded();
        fail(&t, "ann", now);
        assert!(t.retry_after("ann", now).is_none());
        fail(&address, "ip", now);
        assert!(
            address.retry_after("ip", now).is_some(),
            "the address kept its count"
        );
    }

    #[test]
    fn attempts_in_flight_take_their_place_before_verification() {
        let t = throttle();
        let now = SystemClock.now();
        let first = reserve(now, [t.hold("ann", OnSuccess::Clear)]).unwrap();
        let second = reserve(now, [t.hold("ann", OnSuccess::Clear)]).unwrap();
        let _third = reserve(now, [t.hold("ann", OnSuccess::Clear)]).unwrap();
        assert_eq!(
            reserve(now, [t.hold("ann", OnSuccess::Clear)]).err(),
            Some(IN_FLIGHT_WAIT),
            "three in flight fill a limit of three"
        );
        first.succeeded();
        let mut fourth = reserve(now, [t.hold("ann", OnSuccess::Clear)]).unwrap();
        assert!(fourth.abandon_on_error(Err::<(), ()>(())).is_err());
        drop(fourth);
        drop(second);
        assert!(
            t.retry_after("ann", now).is_none(),
            "one failure, one in flight"
        );
        let _fifth = reserve(now, [t.hold("ann", OnSuccess::Clear)]).unwrap();
        assert_eq!(
            t.retry_after("ann", now),
            Some(IN_FLIGHT_WAIT),
            "one failure and two in flight fill a limit of three"
        );
    }

    #[test]
    fn a_refused_hold_gives_back_the_places_taken_before_it() {
        let user = throttle();
        let address = throttle();
        let now = SystemClock.now();
        for _ in 0..3 {
            fail(&address, "ip", now);
        }
        assert!(
            reserve(
                now,
                [
                    user.hold("ann", OnSuccess::Clear),
                    address.hold("ip", OnSuccess::Keep)
                ]
            )
            .is_err()
        );
        assert!(user.is_empty(), "nothing left behind");
    }

    #[test]
    fn a_quick_decision_counts_under_the_lock() {
        let t = throttle();
        let now = SystemClock.now();
        for _ in 0..3 {
            let outcome = decide(now, &[t.hold("c", OnSuccess::Clear)], || Err::<(), _>(()));
            assert_eq!(outcome, Ok(Err(())));
        }
        assert!(decide(now, &[t.hold("c", OnSuccess::Clear)], || Ok::<_, ()>(())).is_err());
        let fresh = throttle();
        for _ in 0..10 {
            assert_eq!(
                decide(
                    now,
                    &[fresh.hold("c", OnSuccess::Clear)],
                    || Ok::<_, ()>(())
                ),
                Ok(Ok(()))
            );
        }
        assert!(fresh.is_empty(), "successes leave nothing behind");
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_add_up() {
        let t = throttle();
        let now = SystemClock.now();
        fail(&t, "ann", now);
        fail(&t, "ann", now);
        fail(&t, "ann", now + TimeDelta::minutes(20));
        assert!(t.retry_after("ann", now + TimeDelta::minutes(20)).is_none());
    }

    #[test]
    fn failures_merged_from_other_instances_count_unless_they_are_stale() {
        let t = throttle();
        let now = SystemClock.now();
        let key = hash_key("ann");
        t.merge_failure(key, now - TimeDelta::minutes(30), now);
        assert!(t.is_empty(), "too old to matter");
        for _ in 0..3 {
            t.merge_failure(key, now, now);
        }
        assert!(t.retry_after("ann", now).is_some());
        assert!(
            t.take_unshared().is_empty(),
            "merged failures are not shared again"
        );
    }

    #[test]
    fn a_full_throttle_forgets_the_quietest_key() {
        let t =
            Throttle::with_capacity("test", 3, TimeDelta::minutes(15), TimeDelta::minutes(15), 2);
        let now = SystemClock.now();
        fail(&t, "a", now);
        fail(&t, "b", now);
        fail(&t, "c", now);
        assert_eq!(t.len(), 2);
        assert_eq!(t.take_unshared().len(), 3);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1500)), 2);
    }
}

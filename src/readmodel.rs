//! What the token endpoint reads from memory: every application with its owner and its
//! unrevoked secrets, so a `client_credentials` token needs no database trip.
//!
//! A copy in memory must never let a change be missed:
//!
//! - **This process, at once.** Every service that changes an application, a secret or a user
//!   calls [`record_change`] last in its transaction. It bumps the `change_counter` row, and
//!   the pool connection that commits the transaction ([`CommitWatch`]) raises the value this
//!   process requires of its copy before the `COMMIT` is sent. From that moment requests stop
//!   using the older copy and read the database, until the refresher has loaded a copy at
//!   least that new.
//! - **Other processes and instances, within a second.** A refresher thread per server reads
//!   the counter on a connection of its own, every 200 ms on SQLite (so a change made by the
//!   command line is seen) and every 250 ms on PostgreSQL, where it also `LISTEN`s on
//!   [`change_counter::CHANNEL`] and so learns of a commit elsewhere within about 50 ms. A
//!   higher counter stops the use of the copy at once and reloads it.
//! - **A refresher that cannot reach the database stops the copy being used:** a copy not
//!   confirmed against the counter for 900 ms is set aside, and every request reads the
//!   database as if there were no copy.
//!
//! An application not in the copy (created since, or unknown) is looked up in the database,
//! and so is any failed authentication, which writes its audit row there anyway: only
//! successes are served from memory.

pub use crate::db::changes::{Changes, record_change};
use crate::db::models::change_counter;
use crate::db::models::client::{self, Client};
use crate::db::models::client_secret;
use crate::db::models::scope;
use crate::db::models::user::User;
use crate::db::{self, DatabaseUrl, DbConn};
use crate::domain::SecretHash;
use crate::domain::secret::constant_time_eq;
use arc_swap::{ArcSwap, Guard};
use chrono::NaiveDateTime;
use diesel::Connection;
use diesel::connection::SimpleConnection;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A copy not confirmed against the database for this long is not used.
const STALE_AFTER: Duration = Duration::from_millis(900);
/// How often the counter is read on SQLite, where nothing else announces a change made by
/// another process.
const SQLITE_POLL: Duration = Duration::from_millis(200);
/// How often the counter is read on PostgreSQL, beside the notifications.
const POSTGRES_POLL: Duration = Duration::from_millis(250);
/// How often a listening PostgreSQL connection is looked at for notifications.
const LISTEN_TICK: Duration = Duration::from_millis(50);
/// While a change announced here is not yet visible (its `COMMIT` is on its way), the
/// counter is read again this often.
const LAGGING_TICK: Duration = Duration::from_millis(5);
/// A change announced here and still not visible after this long is a commit that failed.
const COMMIT_GRACE: Duration = Duration::from_secs(2);
/// Last Used At has a one-minute resolution.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// An unrevoked secret; its expiry is checked at each use.
struct CachedSecret {
    id: i64,
    hash: String,
    expires_at: Option<NaiveDateTime>,
}

/// An application as the token endpoint needs it.
pub struct Entry {
    pub client: Arc<Client>,
    pub owner: Option<Arc<User>>,
    secrets: Vec<CachedSecret>,
    /// Last Used At as this process knows it, in seconds since the epoch.
    last_used: AtomicI64,
}

impl Entry {
    /// An application read from the database for one request, outside the copy: it keeps
    /// no secrets, and Last Used At is the row's.
    pub fn read(client: Client, owner: Option<User>) -> Self {
        Self {
            last_used: AtomicI64::new(last_used_seconds(&client)),
            client: Arc::new(client),
            owner: owner.map(Arc::new),
            secrets: Vec::new(),
        }
    }

    /// The id of the live secret `presented` is the hash of. Every live secret is compared,
    /// in constant time, without stopping at a match.
    pub fn matching_secret(&self, presented: &SecretHash, now: NaiveDateTime) -> Option<i64> {
        let mut matched = None;
        for secret in &self.secrets {
            let live = secret.expires_at.is_none_or(|at| at > now);
            if constant_time_eq(secret.hash.as_bytes(), presented.as_str().as_bytes()) && live {
                matched = Some(secret.id);
            }
        }
        matched
    }

    /// The stored Last Used At was newer than this entry knew (another request wrote it
    /// before the copy was refreshed): the next write waits a minute from it, as the row's
    /// own condition does.
    pub fn note_last_used(&self, at: NaiveDateTime) {
        self.last_used
            .store(at.and_utc().timestamp(), Ordering::Release);
    }

    /// Whether this request writes Last Used At: the first one after a minute does, the
    /// others of that minute do not.
    pub fn claim_last_used(&self, now: NaiveDateTime) -> bool {
        let now = now.and_utc().timestamp();
        let last = self.last_used.load(Ordering::Acquire);
        now - last >= LAST_USED_RESOLUTION_SECONDS
            && self
                .last_used
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }
}

/// Last Used At in seconds since the epoch; never used counts as long ago.
fn last_used_seconds(client: &Client) -> i64 {
    client
        .last_used_at
        .map_or(i64::MIN / 2, |at| at.and_utc().timestamp())
}

/// One consistent copy, with the counter value it was read at.
struct Snapshot {
    counter: i64,
    clients: HashMap<String, Arc<Entry>>,
    scopes: Arc<BTreeSet<String>>,
}

impl Snapshot {
    fn empty() -> Self {
        Self {
            counter: -1,
            clients: HashMap::new(),
            scopes: Arc::default(),
        }
    }
}

pub struct ReadModel {
    changes: Arc<Changes>,
    /// Read by every token request without a lock or a reference count of its own.
    snapshot: ArcSwap<Snapshot>,
    epoch: Instant,
    /// When the copy was last confirmed current, in milliseconds since `epoch`.
    confirmed_at: AtomicU64,
    stop: AtomicBool,
}

impl ReadModel {
    pub fn new(changes: Arc<Changes>) -> Arc<Self> {
        Arc::new(Self {
            changes,
            snapshot: ArcSwap::from_pointee(Snapshot::empty()),
            epoch: Instant::now(),
            confirmed_at: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        })
    }

    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    /// The copy, if it may be used now: loaded, at least as new as every change this process
    /// knows of, and confirmed against the database a moment ago.
    fn fresh(&self) -> Option<Guard<Arc<Snapshot>>> {
        let snapshot = self.snapshot.load();
        let age = self
            .millis(Instant::now())
            .saturating_sub(self.confirmed_at.load(Ordering::Acquire));
        let current = snapshot.counter >= 0 && snapshot.counter >= self.changes.required();
        (current && u128::from(age) < STALE_AFTER.as_millis()).then_some(snapshot)
    }

    /// The application with this client id, when the copy may be used and has it.
    pub fn client(&self, client_id: &str) -> Option<Arc<Entry>> {
        self.fresh()?.clients.get(client_id).cloned()
    }

    /// The scopes of the metadata document, when the copy may be used.
    pub fn scopes(&self) -> Option<Arc<BTreeSet<String>>> {
        self.fresh().map(|s| Arc::clone(&s.scopes))
    }

    /// Starts the refresher on a connection of its own; it stops when the guard is dropped.
    pub fn start(self: &Arc<Self>, url: DatabaseUrl) -> Refresher {
        let model = self.clone();
        let spawned = std::thread::Builder::new()
            .name("tessera-readmodel".into())
            .spawn(move || model.refresh_loop(&url));
        if let Err(error) = &spawned {
            tracing::error!(%error, "cannot start the read model refresher: tokens read the database");
        }
        Refresher(self.clone())
    }

    fn refresh_loop(&self, url: &DatabaseUrl) {
        let poll = if url.is_postgres() {
            POSTGRES_POLL
        } else {
            SQLITE_POLL
        };
        let mut conn: Option<DbConn> = None;
        let mut next_poll = Instant::now();
        let mut lagging_since: Option<Instant> = None;
        while !self.stop.load(Ordering::Acquire) {
            let tick = if lagging_since.is_some() {
                LAGGING_TICK
            } else if url.is_postgres() {
                LISTEN_TICK
            } else {
                poll
            };
            let announced = self.changes.wait(tick);
            if self.stop.load(Ordering::Acquire) {
                break;
            }
            let listening = match conn.as_mut() {
                Some(c) => c,
                None => match listen(url) {
                    Ok(c) => conn.insert(c),
                    Err(error) => {
                        tracing::warn!(%error, "read model: cannot reach the database; tokens read it directly");
                        std::thread::sleep(poll);
                        continue;
                    }
                },
            };
            let notified = match notified(listening) {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(%error, "read model: lost the listening connection");
                    conn = None;
                    continue;
                }
            };
            let now = Instant::now();
            if !(announced || notified || lagging_since.is_some() || now >= next_poll) {
                continue;
            }
            next_poll = now + poll;
            match self.check(listening, now) {
                Ok(true) => lagging_since = None,
                Ok(false) => {
                    let since = *lagging_since.get_or_insert(now);
                    if now.duration_since(since) > COMMIT_GRACE {
                        self.give_up_waiting();
                        lagging_since = None;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "read model: cannot read the change counter");
                    conn = None;
                }
            }
        }
    }

    /// The counter value the copy was read at.
    fn held(&self) -> i64 {
        self.snapshot.load().counter
    }

    /// Reads the counter and reloads the copy when it is behind. `Ok(false)` when this process
    /// announced a change the database does not show yet.
    fn check(&self, conn: &mut DbConn, started: Instant) -> diesel::QueryResult<bool> {
        let counter = change_counter::read(conn)?;
        if counter > self.held() {
            // Another server changed something: stop using the old copy before reloading.
            self.changes.required.fetch_max(counter, Ordering::AcqRel);
            self.snapshot.store(Arc::new(load(conn)?));
        }
        let caught_up = self.held() >= self.changes.required();
        if caught_up {
            self.confirmed_at
                .store(self.millis(started), Ordering::Release);
        }
        Ok(caught_up)
    }

    /// A change announced here never became visible: its commit failed. The copy is as new
    /// as the database.
    fn give_up_waiting(&self) {
        let held = self.held();
        let required = self.changes.required();
        if held < required {
            let _ = self.changes.required.compare_exchange(
                required,
                held,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }
}

/// Stops the refresher when dropped.
pub struct Refresher(Arc<ReadModel>);

impl Drop for Refresher {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
        self.0.changes.announce(i64::MIN);
    }
}

/// The refresher's own connection; on PostgreSQL it listens for changes.
fn listen(url: &DatabaseUrl) -> Result<DbConn, db::DbError> {
    let mut conn = db::connect_one(url)?;
    if let DbConn::Pg(pg) = &mut conn {
        pg.batch_execute(&format!("LISTEN {}", change_counter::CHANNEL))?;
    }
    Ok(conn)
}

/// Whether notifications arrived since the last look (always false on SQLite).
fn notified(conn: &mut DbConn) -> diesel::QueryResult<bool> {
    let DbConn::Pg(pg) = conn else {
        return Ok(false);
    };
    let mut any = false;
    for notification in pg.notifications_iter() {
        notification?;
        any = true;
    }
    Ok(any)
}

/// Reads one consistent copy: the counter first, then what it counts, in one transaction.
fn load(conn: &mut DbConn) -> diesel::QueryResult<Snapshot> {
    conn.transaction(|conn| {
        let counter = change_counter::read(conn)?;
        let rows = client::list_with_owners(conn)?;
        let mut secrets: HashMap<i64, Vec<CachedSecret>> = HashMap::new();
        for secret in client_secret::list_unrevoked(conn)? {
            secrets
                .entry(secret.client_id)
                .or_default()
                .push(CachedSecret {
                    id: secret.id,
                    hash: secret.secret_hash,
                    expires_at: secret.expires_at,
                });
        }
        // The metadata's `scopes_supported`: the scope catalog (RFC 8414 §2).
        let scopes = Arc::new(scope::names(conn)?.into_iter().collect());
        let clients = rows
            .into_iter()
            .map(|(client, owner)| {
                let entry = Entry {
                    secrets: secrets.remove(&client.id).unwrap_or_default(),
                    owner: owner.map(Arc::new),
                    last_used: AtomicI64::new(last_used_seconds(&client)),
                    client: Arc::new(client),
                };
                (entry.client.client_id.clone(), Arc::new(entry))
            })
            .collect();
        Ok(Snapshot {
            counter,
            clients,
            scopes,
        })
    })
}

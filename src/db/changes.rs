//! The change counter every server watches: a service that changes an application, a secret
//! or a user bumps it in its transaction, and the commit tells this process's read model at
//! once (other processes read the counter, or are notified).

use crate::db::DbConn;
use crate::db::models::change_counter;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The counter value a server's copy must have reached to be used, shared by the server's
/// pool connections (which raise it when they commit a change) and its read model.
pub struct Changes {
    pub(crate) required: AtomicI64,
    woken: Mutex<bool>,
    wake: Condvar,
}

impl Changes {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            required: AtomicI64::new(0),
            woken: Mutex::new(false),
            wake: Condvar::new(),
        })
    }

    pub(crate) fn required(&self) -> i64 {
        self.required.load(Ordering::Acquire)
    }

    /// A change with this counter value is being committed: older copies are set aside now.
    pub(crate) fn announce(&self, value: i64) {
        self.required.fetch_max(value, Ordering::AcqRel);
        if let Ok(mut woken) = self.woken.lock() {
            *woken = true;
        }
        self.wake.notify_all();
    }

    /// Waits for an announcement or the timeout; says whether there was an announcement.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let Ok(guard) = self.woken.lock() else {
            return false;
        };
        let Ok((mut woken, _)) = self.wake.wait_timeout_while(guard, timeout, |w| !*w) else {
            return false;
        };
        std::mem::replace(&mut *woken, false)
    }
}

thread_local! {
    /// The counter value of a change recorded by the transaction running on this thread, until
    /// that transaction ends.
    static PENDING: Cell<Option<i64>> = const { Cell::new(None) };
}

/// Counts a change to an application, a secret or a user. Call it last inside the service's
/// transaction: when the transaction commits, this process stops using older copies at once,
/// and the other servers within a second.
pub fn record_change(conn: &mut DbConn) -> diesel::QueryResult<()> {
    let value = change_counter::bump(conn)?;
    PENDING.set(Some(value));
    Ok(())
}

/// Set on every pool connection: when a transaction that recorded a change commits, tells
/// the server's read model before the `COMMIT` is sent (so no request can use the old copy
/// once the change is visible); a rollback forgets it.
pub struct CommitWatch(pub Arc<Changes>);

impl Instrumentation for CommitWatch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::CommitTransaction { depth, .. } if depth.get() == 1 => {
                if let Some(value) = PENDING.take() {
                    self.0.announce(value);
                }
            }
            InstrumentationEvent::RollbackTransaction { depth, .. } if depth.get() == 1 => {
                PENDING.set(None);
            }
            _ => {}
        }
    }
}

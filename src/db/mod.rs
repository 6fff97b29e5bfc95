//! One schema over SQLite (the embedded default) and PostgreSQL, picked by the URL scheme.

pub mod changes;
pub mod models;
pub mod schema;

use changes::{Changes, CommitWatch};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a request may wait for a free connection before it fails with a 500.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite serialises writers; a waiting writer retries for this long instead of failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// Where the data lives, parsed from `TESSERA_DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| format!("`{url}` is neither a sqlite:// nor a postgres:// URL"))?;
        if path.is_empty() {
            return Err("the sqlite:// URL names no file".to_owned());
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the directory of the SQLite file {0} does not exist")]
    MissingDirectory(PathBuf),
    #[error("cannot create the SQLite file {0}: {1}")]
    CreateFile(PathBuf, std::io::Error),
    #[error("cannot open the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("cannot prepare the database connection: {0}")]
    Setup(#[from] diesel::result::Error),
    #[error("cannot open the database: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migration(String),
}

/// Chooses the backend from the URL itself: diesel's derived `establish` would hide the
/// real connection error behind "Invalid connection url".
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Told when a connection commits a change the token endpoint's copy must follow.
    changes: Arc<Changes>,
}

impl std::fmt::Debug for ConnectionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Opens one connection outside any pool, set up as pooled ones are.
pub fn connect_one(url: &DatabaseUrl) -> Result<DbConn, DbError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
            conn.batch_execute(&format!(
                "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};"
            ))?;
            Ok(DbConn::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => Ok(DbConn::Pg(PgConnection::establish(url)?)),
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        let mut conn = connect_one(&self.url)?;
        conn.set_instrumentation(CommitWatch(self.changes.clone()));
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Opens the pool and fails at once, with the driver's own words, when the database is
/// unreachable: a wrong URL should stop the start, not every later request.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<Pool, DbError> {
    connect_observed(url, max_size, Changes::new())
}

/// As `connect`, telling `changes` of every committed change (see `crate::readmodel`).
pub fn connect_observed(
    url: &DatabaseUrl,
    max_size: u32,
    changes: Arc<Changes>,
) -> Result<Pool, DbError> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        return Err(DbError::MissingDirectory(path.clone()));
    }
    if let DatabaseUrl::Sqlite(path) = url
        && path.as_os_str() != ":memory:"
    {
        // SQLite creates its WAL and shared-memory files with the database file's mode.
        crate::files::create_private_file(path)
            .map_err(|e| DbError::CreateFile(path.clone(), e))?;
    }
    let manager = ConnectionManager {
        url: url.clone(),
        changes,
    };
    // Probe once so the caller sees the real error instead of r2d2's timeout message.
    drop(manager.connect()?);
    Ok(r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        // A server connection can drop; a SQLite file cannot, and testing it at each checkout
        // (a `SELECT 1` per query) cost a tenth of the token endpoint's CPU.
        .test_on_check_out(url.is_postgres())
        .connection_timeout(POOL_TIMEOUT)
        .build(manager)?)
}

pub fn run_migrations(conn: &mut DbConn) -> Result<usize, DbError> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.len())
}

#[derive(Debug, thiserror::Error)]
pub enum DbFailure {
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("the database task was cancelled")]
    Cancelled,
}

/// Runs blocking diesel work on the blocking thread pool, never on the async executor.
pub async fn run<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbFailure> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(|e| E::from(DbFailure::Pool(e)))?;
        work(&mut conn)
    })
    .await
    .unwrap_or_else(|_| Err(E::from(DbFailure::Cancelled)))
}

/// `run` for work that only queries: its `QueryResult` becomes the caller's error through
/// `DbFailure`, so a handler needs no mapping of its own.
pub async fn query<T, F>(pool: &Pool, work: F) -> Result<T, DbFailure>
where
    F: FnOnce(&mut DbConn) -> diesel::QueryResult<T> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| work(conn).map_err(DbFailure::Query)).await
}

/// Runs `work` in a transaction. On SQLite the outermost one starts with `BEGIN IMMEDIATE`:
/// a deferred transaction that reads and then writes fails at once with "database is
/// locked" when another connection wrote in between (WAL snapshots cannot be upgraded, and
/// the busy timeout does not apply), whereas an immediate one waits its turn. Nested calls
/// become savepoints, as with diesel's own `transaction`.
pub fn transaction<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConn::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    let depth = AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth();
    if !matches!(depth, Ok(None)) {
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match work(conn) {
        Ok(value) => match <DbConn as TransactionManager<DbConn>>::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = <DbConn as TransactionManager<DbConn>>::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            <DbConn as TransactionManager<DbConn>>::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// Whether a statement failed on a unique constraint: a concurrent request got there first.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_urls_pick_their_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://var/tessera.db"),
            Ok(DatabaseUrl::Sqlite("var/tessera.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db"),
            Ok(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        assert!(
            DatabaseUrl::parse("postgresql://u@h/db")
                .unwrap()
                .is_postgres()
        );
        assert!(DatabaseUrl::parse("mysql://u@h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}

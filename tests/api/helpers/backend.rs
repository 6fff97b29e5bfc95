//! The two databases every database test runs on, and a PostgreSQL database per test.

use diesel::{Connection, PgConnection, RunQueryDsl};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `TESSERA_TEST_POSTGRES_URL`, over a plain connection unless it names an `sslmode`: the
/// tests' server is local, and libpq's TLS library cleaning up at the test process's exit,
/// while pool threads still hold connections, has aborted the run after every test passed.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("TESSERA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    Some(if url.contains("sslmode=") {
        url
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    })
}

/// Runs the test `async fn $name(backend: Backend)` once per database, as the tests
/// `$name::sqlite` and `$name::postgres`. The PostgreSQL run is compiled as ignored, and so
/// counted in the summary, when `TESSERA_TEST_POSTGRES_URL` was not set for the build (see
/// `build.rs`); under `CI=true` it is never ignored, so it fails without PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test]
            #[cfg_attr(
                not(tessera_test_postgres),
                ignore = "TESSERA_TEST_POSTGRES_URL is not set"
            )]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

/// A PostgreSQL database made for one test and dropped after it.
pub(super) struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub(super) fn create() -> (Self, String) {
        let admin_url = postgres_url()
            .expect("set TESSERA_TEST_POSTGRES_URL to the PostgreSQL server the tests may use");
        let name = format!("t_{}", tessera::domain::secret::random_hex(8));
        let mut conn = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("connect to PostgreSQL at {admin_url}: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create the test database");
        let (address, query) = admin_url
            .split_once('?')
            .map_or((admin_url.as_str(), ""), |(a, q)| (a, q));
        let base = address.rsplit_once('/').map_or(address, |(b, _)| b);
        let url = if query.is_empty() {
            format!("{base}/{name}")
        } else {
            format!("{base}/{name}?{query}")
        };
        (Self { admin_url, name }, url)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

use crate::db::DbConn;
use crate::db::schema::throttle_failures;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = throttle_failures)]
pub struct ThrottleFailure {
    pub id: i64,
    pub throttle: String,
    pub key_hash: String,
    pub instance: String,
    pub failed_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = throttle_failures)]
pub struct NewThrottleFailure<'a> {
    pub throttle: &'a str,
    pub key_hash: &'a str,
    pub instance: &'a str,
    pub failed_at: NaiveDateTime,
}

/// Rows per INSERT statement: far below either database's limit on bound parameters.
const BATCH: usize = 500;

/// Appends failures so that ids are committed in increasing order: a reader that has seen
/// id N never later finds a new row below N. SQLite has one writer at a time; on PostgreSQL
/// each writer takes the table's EXCLUSIVE lock (readers are not blocked) before drawing ids.
pub fn append(conn: &mut DbConn, rows: &[NewThrottleFailure<'_>]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        for chunk in rows.chunks(BATCH) {
            // Multi-row inserts exist per backend, not for the connection that picks one.
            match conn {
                DbConn::Sqlite(c) => diesel::insert_into(throttle_failures::table)
                    .values(chunk)
                    .execute(c)?,
                DbConn::Pg(c) => {
                    diesel::sql_query("LOCK TABLE throttle_failures IN EXCLUSIVE MODE")
                        .execute(c)?;
                    diesel::insert_into(throttle_failures::table)
                        .values(chunk)
                        .execute(c)?
                }
            };
        }
        Ok(())
    })
}

/// Rows after `after_id` no older than `since`, oldest first. The reader's own rows come
/// too, so that it can move past them.
pub fn newer_than(
    conn: &mut DbConn,
    after_id: i64,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ThrottleFailure>> {
    throttle_failures::table
        .filter(throttle_failures::id.gt(after_id))
        .filter(throttle_failures::failed_at.gt(since))
        .order(throttle_failures::id)
        .limit(limit)
        .select(ThrottleFailure::as_select())
        .load(conn)
}

pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(throttle_failures::table.filter(throttle_failures::failed_at.lt(before)))
        .execute(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    throttle_failures::table.count().get_result(conn)
}

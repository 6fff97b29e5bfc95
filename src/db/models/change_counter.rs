//! The change counter: one row whose value grows by one with every committed change to what
//! servers keep in memory for the token endpoint (applications, their secrets, their owners).
//! See `crate::readmodel` for who reads it and why.

use crate::db::DbConn;
use crate::db::schema::change_counter;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// The PostgreSQL channel a bump notifies; PostgreSQL delivers it when the transaction
/// commits, and never when it rolls back.
pub const CHANNEL: &str = "tessera_changes";

/// Counts one change; call it inside the transaction of the change. Returns the new value.
pub fn bump(conn: &mut DbConn) -> QueryResult<i64> {
    let value = diesel::update(change_counter::table.find(1))
        .set(change_counter::value.eq(change_counter::value + 1))
        .returning(change_counter::value)
        .get_result(conn)?;
    if let DbConn::Pg(pg) = conn {
        pg.batch_execute(&format!("NOTIFY {CHANNEL}"))?;
    }
    Ok(value)
}

pub fn read(conn: &mut DbConn) -> QueryResult<i64> {
    change_counter::table
        .find(1)
        .select(change_counter::value)
        .first(conn)
}

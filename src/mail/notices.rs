//! Notices about an owner's applications.

use crate::clients::{Actor, ClientEvent};
use crate::db::DbConn;
use crate::db::models::client::Client;
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// Queues the owner's notice for `event`, inside the caller's transaction.
pub fn client_event(
    _conn: &mut DbConn,
    _client: &Client,
    _event: ClientEvent,
    _actor: &Actor<'_>,
    _now: NaiveDateTime,
) -> QueryResult<()> {
    Ok(())
}

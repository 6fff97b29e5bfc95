use crate::db::DbConn;
use crate::db::schema::{clients, consents, organizations};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a person allowed an application. Revoking keeps the row, emptied, for its
/// `tokens_revoked_before`: access tokens are not stored, so the cut-off is what refuses
/// the ones issued before.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = consents)]
pub struct Consent {
    pub id: i64,
    pub user_id: i64,
    pub client_id: i64,
    pub scope: String,
    pub granted_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub tokens_revoked_before: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = consents)]
struct NewConsent<'a> {
    user_id: i64,
    client_id: i64,
    scope: &'a str,
    granted_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, user_id: i64, client_id: i64) -> QueryResult<Option<Consent>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::client_id.eq(client_id))
        .select(Consent::as_select())
        .first(conn)
        .optional()
}

/// Records `scope` as what the person granted the application now.
pub fn grant(
    conn: &mut DbConn,
    user_id: i64,
    client_id: i64,
    scope: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let updated = diesel::update(
        consents::table
            .filter(consents::user_id.eq(user_id))
            .filter(consents::client_id.eq(client_id)),
    )
    .set((
        consents::scope.eq(scope),
        consents::granted_at.eq(now),
        consents::revoked_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(consents::table)
        .values(&NewConsent {
            user_id,
            client_id,
            scope,
            granted_at: now,
        })
        .execute(conn)
}

/// Withdraws the consent and cuts off the person's tokens for the application issued
/// until now. Answers whether there was a live consent to withdraw.
pub fn revoke(
    conn: &mut DbConn,
    user_id: i64,
    client_id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        consents::table
            .filter(consents::user_id.eq(user_id))
            .filter(consents::client_id.eq(client_id))
            .filter(consents::revoked_at.is_null()),
    )
    .set((
        consents::scope.eq(""),
        consents::revoked_at.eq(now),
        consents::tokens_revoked_before.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The cut-off of a person's tokens for an application, if they revoked it.
pub fn tokens_revoked_before(
    conn: &mut DbConn,
    user_id: i64,
    client_id: i64,
) -> QueryResult<Option<NaiveDateTime>> {
    Ok(consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::client_id.eq(client_id))
        .select(consents::tokens_revoked_before)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten())
}

/// A row of /account: an application the person connected.
#[derive(Debug, Clone, Queryable)]
pub struct Connection {
    pub client_id: String,
    pub name: String,
    pub organization: String,
    pub scope: String,
    pub granted_at: NaiveDateTime,
}

pub fn connections(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<Connection>> {
    consents::table
        .inner_join(clients::table.inner_join(organizations::table))
        .filter(consents::user_id.eq(user_id))
        .filter(consents::revoked_at.is_null())
        .order((clients::name.asc(), clients::id.asc()))
        .select((
            clients::client_id,
            clients::name,
            organizations::name,
            consents::scope,
            consents::granted_at,
        ))
        .load(conn)
}

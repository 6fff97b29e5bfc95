use crate::db::DbConn;
use crate::db::schema::credential_deliveries;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A one-time link to an application's credentials, as stored: the SHA-256 of its token,
/// never the token.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = credential_deliveries)]
pub struct CredentialDelivery {
    pub id: i64,
    pub client_id: i64,
    pub owner_user_id: i64,
    pub token_hash: String,
    pub purpose: String,
    pub expire_old_seconds: Option<i64>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub collected_at: Option<NaiveDateTime>,
    pub invalidated_at: Option<NaiveDateTime>,
}

impl CredentialDelivery {
    /// Neither collected nor invalidated: it may still be expired.
    pub fn uncollected(&self) -> bool {
        self.collected_at.is_none() && self.invalidated_at.is_none()
    }

    /// Can be collected at `now`.
    pub fn open_at(&self, now: NaiveDateTime) -> bool {
        self.uncollected() && self.expires_at > now
    }
}

#[derive(Insertable)]
#[diesel(table_name = credential_deliveries)]
pub struct NewCredentialDelivery<'a> {
    pub client_id: i64,
    pub owner_user_id: i64,
    pub token_hash: &'a str,
    pub purpose: &'a str,
    pub expire_old_seconds: Option<i64>,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn create(
    conn: &mut DbConn,
    new: &NewCredentialDelivery<'_>,
) -> QueryResult<CredentialDelivery> {
    diesel::insert_into(credential_deliveries::table)
        .values(new)
        .execute(conn)?;
    credential_deliveries::table
        .filter(credential_deliveries::token_hash.eq(new.token_hash))
        .select(CredentialDelivery::as_select())
        .first(conn)
}

pub fn find_by_hash(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<Option<CredentialDelivery>> {
    credential_deliveries::table
        .filter(credential_deliveries::token_hash.eq(token_hash))
        .select(CredentialDelivery::as_select())
        .first(conn)
        .optional()
}

/// The application's newest link not yet collected nor invalidated (it may have expired).
pub fn uncollected_for_client(
    conn: &mut DbConn,
    client_id: i64,
) -> QueryResult<Option<CredentialDelivery>> {
    credential_deliveries::table
        .filter(credential_deliveries::client_id.eq(client_id))
        .filter(credential_deliveries::collected_at.is_null())
        .filter(credential_deliveries::invalidated_at.is_null())
        .order((
            credential_deliveries::created_at.desc(),
            credential_deliveries::id.desc(),
        ))
        .select(CredentialDelivery::as_select())
        .first(conn)
        .optional()
}

/// Invalidates every uncollected link of the application; returns how many.
pub fn invalidate_for_client(
    conn: &mut DbConn,
    client_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        credential_deliveries::table
            .filter(credential_deliveries::client_id.eq(client_id))
            .filter(credential_deliveries::collected_at.is_null())
            .filter(credential_deliveries::invalidated_at.is_null()),
    )
    .set(credential_deliveries::invalidated_at.eq(now))
    .execute(conn)
}

/// Marks the link collected if it is still open at `now`: of two requests racing with the
/// same link, exactly one changes the row.
pub fn mark_collected(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        credential_deliveries::table
            .find(id)
            .filter(credential_deliveries::collected_at.is_null())
            .filter(credential_deliveries::invalidated_at.is_null())
            .filter(credential_deliveries::expires_at.gt(now)),
    )
    .set(credential_deliveries::collected_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

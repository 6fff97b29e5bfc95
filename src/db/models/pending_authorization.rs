use crate::db::DbConn;
use crate::db::schema::pending_authorizations;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An authorization request that waits for the person to sign in or to consent. The
/// browser holds only a random handle (stored as its SHA-256); everything the request
/// decided — client, redirect URI, scopes, PKCE challenge — stays here, out of reach of
/// the posted forms.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = pending_authorizations)]
pub struct PendingAuthorization {
    pub id: i64,
    pub handle_hash: String,
    pub client_id: i64,
    pub response_type: String,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = pending_authorizations)]
pub struct NewPendingAuthorization<'a> {
    pub handle_hash: &'a str,
    pub client_id: i64,
    pub response_type: &'a str,
    pub redirect_uri: &'a str,
    pub redirect_uri_given: bool,
    pub scope: &'a str,
    pub state: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
    pub prompt: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Stores a request and forgets the ones that expired, so the table stays small.
pub fn create(
    conn: &mut DbConn,
    new: &NewPendingAuthorization<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        pending_authorizations::table.filter(pending_authorizations::expires_at.le(now)),
    )
    .execute(conn)?;
    diesel::insert_into(pending_authorizations::table)
        .values(new)
        .execute(conn)
}

/// The request behind a handle, while it has not expired.
pub fn find_live(
    conn: &mut DbConn,
    handle_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingAuthorization>> {
    pending_authorizations::table
        .filter(pending_authorizations::handle_hash.eq(handle_hash))
        .filter(pending_authorizations::expires_at.gt(now))
        .select(PendingAuthorization::as_select())
        .first(conn)
        .optional()
}

/// Takes the request: of two submissions of one dialog only one gets `true`.
pub fn take(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(pending_authorizations::table.find(id)).execute(conn)? == 1)
}

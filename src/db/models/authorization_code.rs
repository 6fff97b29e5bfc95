use crate::db::DbConn;
use crate::db::schema::authorization_codes;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An authorization code (RFC 6749 §4.1.2), stored as the SHA-256 of its value and bound to
/// everything the exchange must check.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = authorization_codes)]
pub struct AuthorizationCode {
    pub id: i64,
    pub code_hash: String,
    pub client_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub auth_time: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub family_id: Option<String>,
    pub access_jti: Option<String>,
    pub access_expires_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct NewAuthorizationCode<'a> {
    pub code_hash: &'a str,
    pub client_id: i64,
    pub user_id: i64,
    pub redirect_uri: &'a str,
    pub redirect_uri_given: bool,
    pub scope: &'a str,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
    pub auth_time: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// What an exchange issues, named before it is issued so that a replay racing the exchange
/// can still revoke it.
pub struct Issuance<'a> {
    pub family_id: &'a str,
    pub access_jti: &'a str,
    pub access_expires_at: NaiveDateTime,
}

/// Stores a code; codes long expired are removed on the way (they can no longer be
/// exchanged, and a replay of one is refused as unknown).
pub fn create(
    conn: &mut DbConn,
    new: &NewAuthorizationCode<'_>,
    forget_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        authorization_codes::table.filter(authorization_codes::expires_at.lt(forget_before)),
    )
    .execute(conn)?;
    diesel::insert_into(authorization_codes::table)
        .values(new)
        .execute(conn)
}

pub fn find_by_hash(conn: &mut DbConn, code_hash: &str) -> QueryResult<Option<AuthorizationCode>> {
    authorization_codes::table
        .filter(authorization_codes::code_hash.eq(code_hash))
        .select(AuthorizationCode::as_select())
        .first(conn)
        .optional()
}

/// Spends the code and records what it issues, if nobody spent it first. One conditional
/// statement, so of two concurrent exchanges exactly one sees `true`, on either database.
pub fn spend(
    conn: &mut DbConn,
    id: i64,
    issuance: &Issuance<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        authorization_codes::table
            .find(id)
            .filter(authorization_codes::used_at.is_null()),
    )
    .set((
        authorization_codes::used_at.eq(now),
        authorization_codes::family_id.eq(issuance.family_id),
        authorization_codes::access_jti.eq(issuance.access_jti),
        authorization_codes::access_expires_at.eq(issuance.access_expires_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

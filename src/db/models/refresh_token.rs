use crate::db::DbConn;
use crate::db::schema::refresh_tokens;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Revokes every live refresh token of an application (deactivation, ASVS 10.4.9).
pub fn revoke_for_client(
    conn: &mut DbConn,
    client_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::client_id.eq(client_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// Revokes every live refresh token acting as a user (the user was disabled).
pub fn revoke_for_user(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

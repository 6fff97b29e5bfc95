use crate::db::DbConn;
use crate::db::schema::revoked_access_tokens;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Access tokens are not stored when issued; a revoked one is remembered by its `jti` until
/// it would have expired anyway, after which the row is useless and removed.
#[derive(Insertable)]
#[diesel(table_name = revoked_access_tokens)]
pub struct NewRevokedAccessToken<'a> {
    pub jti: &'a str,
    pub expires_at: NaiveDateTime,
}

/// Adds the jti to the deny-list; revoking a token twice is not an error.
pub fn revoke(conn: &mut DbConn, new: &NewRevokedAccessToken<'_>) -> QueryResult<()> {
    match diesel::insert_into(revoked_access_tokens::table)
        .values(new)
        .execute(conn)
    {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn is_revoked(conn: &mut DbConn, jti: &str) -> QueryResult<bool> {
    let count: i64 = revoked_access_tokens::table
        .filter(revoked_access_tokens::jti.eq(jti))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Forgets the entries of tokens that have expired: they are refused for that already.
pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_access_tokens::table.filter(revoked_access_tokens::expires_at.le(now)))
        .execute(conn)
}

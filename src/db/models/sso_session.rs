use crate::db::DbConn;
use crate::db::models::user::User;
use crate::db::schema::{sso_sessions, users};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A person's single sign-on session at the authorization endpoint. `created_at` is the
/// time of the sign-in (a new sign-in makes a new row), so it is also the `auth_time` bound
/// into codes.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sso_sessions)]
pub struct SsoSession {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = sso_sessions)]
pub struct NewSsoSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConn, new: &NewSsoSession<'_>) -> QueryResult<usize> {
    diesel::insert_into(sso_sessions::table)
        .values(new)
        .execute(conn)
}

pub fn find_with_user(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<Option<(SsoSession, User)>> {
    sso_sessions::table
        .inner_join(users::table)
        .filter(sso_sessions::token_hash.eq(token_hash))
        .select((SsoSession::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sso_sessions::table.find(id))
        .set(sso_sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(sso_sessions::table.find(id)).execute(conn)
}

pub fn delete_by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(sso_sessions::table.filter(sso_sessions::token_hash.eq(token_hash)))
        .execute(conn)
}

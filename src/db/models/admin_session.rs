use crate::db::DbConn;
use crate::db::models::user::User;
use crate::db::schema::{admin_sessions, users};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = admin_sessions)]
pub struct AdminSession {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = admin_sessions)]
pub struct NewAdminSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConn, new: &NewAdminSession<'_>) -> QueryResult<usize> {
    diesel::insert_into(admin_sessions::table)
        .values(new)
        .execute(conn)
}

pub fn find_with_user(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<Option<(AdminSession, User)>> {
    admin_sessions::table
        .inner_join(users::table)
        .filter(admin_sessions::token_hash.eq(token_hash))
        .select((AdminSession::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(admin_sessions::table.find(id))
        .set(admin_sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(admin_sessions::table.find(id)).execute(conn)
}

pub fn delete_by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::token_hash.eq(token_hash)))
        .execute(conn)
}

pub fn delete_for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::user_id.eq(user_id))).execute(conn)
}

pub fn set_flash(conn: &mut DbConn, id: i64, message: &str) -> QueryResult<usize> {
    diesel::update(admin_sessions::table.find(id))
        .set(admin_sessions::flash.eq(message))
        .execute(conn)
}

pub fn clear_flash(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(admin_sessions::table.find(id))
        .set(admin_sessions::flash.eq(None::<String>))
        .execute(conn)
}

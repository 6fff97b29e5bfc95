use crate::db::DbConn;
use crate::db::schema::users;
use crate::domain::UserKind;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub kind: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub organization_id: Option<i64>,
    pub tokens_revoked_before: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The language notices to this user are written in (`en` unless chosen).
    pub locale: String,
}

impl User {
    pub fn kind(&self) -> UserKind {
        UserKind::parse(&self.kind).unwrap_or(UserKind::Customer)
    }

    /// Every enabled back-office user may sign in to `/admin`; what they see there is
    /// decided by their roles (`access`).
    pub fn can_sign_in_to_back_office(&self) -> bool {
        self.enabled && self.kind() == UserKind::Backoffice
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub kind: &'a str,
    pub is_admin: bool,
    pub enabled: bool,
    pub organization_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChangeset<'a> {
    pub email: &'a str,
    pub full_name: &'a str,
    pub kind: &'a str,
    pub is_admin: bool,
    pub organization_id: Option<Option<i64>>,
    pub locale: &'a str,
    pub updated_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)?;
    find_by_username(conn, new.username)?.ok_or(diesel::result::Error::NotFound)
}

/// A new user reads `en` unless this is called after `create`.
pub fn set_locale(conn: &mut DbConn, id: i64, locale: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::locale.eq(locale))
        .execute(conn)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    users::table
        .order(users::username.asc())
        .select(User::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// How many users belong to one of `organizations`.
pub fn count_in(conn: &mut DbConn, organizations: &[i64]) -> QueryResult<i64> {
    users::table
        .filter(users::organization_id.eq_any(organizations))
        .count()
        .get_result(conn)
}

pub fn count_admins(conn: &mut DbConn) -> QueryResult<i64> {
    users::table
        .filter(users::is_admin.eq(true))
        .count()
        .get_result(conn)
}

pub fn update(conn: &mut DbConn, id: i64, changes: &UserChangeset<'_>) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
}

/// Also cuts off every access token issued before now, as disabling does.
pub fn set_password_hash(
    conn: &mut DbConn,
    id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)
}

/// Sets `enabled` when it is not already so; false when another change got there first.
pub fn set_enabled(
    conn: &mut DbConn,
    id: i64,
    enabled: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(users::table.find(id).filter(users::enabled.eq(!enabled)))
        .set((users::enabled.eq(enabled), users::updated_at.eq(now)))
        .execute(conn)
        .map(|changed| changed == 1)
}

/// Access tokens acting as the user, issued before `now`, are refused from now on.
pub fn cut_off_tokens(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::tokens_revoked_before.eq(now))
        .execute(conn)
}

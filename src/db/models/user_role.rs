use crate::db::DbConn;
use crate::db::models::user::User;
use crate::db::schema::{organizations, user_roles, users};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_roles)]
pub struct UserRole {
    pub id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub role: String,
    pub created_at: NaiveDateTime,
}

/// A role with the name of its organization, as the user pages and the command line show it.
#[derive(Debug, Clone, Queryable)]
pub struct NamedRole {
    pub user_id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub role: String,
}

pub fn for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<UserRole>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(UserRole::as_select())
        .load(conn)
}

/// Every role of every user, with organization names, ordered by organization name.
pub fn all_named(conn: &mut DbConn) -> QueryResult<Vec<NamedRole>> {
    user_roles::table
        .inner_join(organizations::table)
        .order((organizations::name.asc(), user_roles::user_id.asc()))
        .select((
            user_roles::user_id,
            user_roles::organization_id,
            organizations::name,
            user_roles::role,
        ))
        .load(conn)
}

pub fn named_for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<NamedRole>> {
    user_roles::table
        .inner_join(organizations::table)
        .filter(user_roles::user_id.eq(user_id))
        .order(organizations::name.asc())
        .select((
            user_roles::user_id,
            user_roles::organization_id,
            organizations::name,
            user_roles::role,
        ))
        .load(conn)
}

/// The role `user_id` holds in `organization_id`, if any.
pub fn find(
    conn: &mut DbConn,
    user_id: i64,
    organization_id: i64,
) -> QueryResult<Option<UserRole>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .filter(user_roles::organization_id.eq(organization_id))
        .select(UserRole::as_select())
        .first(conn)
        .optional()
}

/// The enabled users holding one of `roles` in `organization_id`, oldest account first.
pub fn holders(conn: &mut DbConn, organization_id: i64, roles: &[&str]) -> QueryResult<Vec<User>> {
    user_roles::table
        .inner_join(users::table)
        .filter(user_roles::organization_id.eq(organization_id))
        .filter(user_roles::role.eq_any(roles))
        .filter(users::enabled.eq(true))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)
}

pub fn insert(
    conn: &mut DbConn,
    user_id: i64,
    organization_id: i64,
    role: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(user_roles::table)
        .values((
            user_roles::user_id.eq(user_id),
            user_roles::organization_id.eq(organization_id),
            user_roles::role.eq(role),
            user_roles::created_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_role(conn: &mut DbConn, id: i64, role: &str) -> QueryResult<usize> {
    diesel::update(user_roles::table.find(id))
        .set(user_roles::role.eq(role))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, user_id: i64, organization_id: i64) -> QueryResult<usize> {
    diesel::delete(
        user_roles::table
            .filter(user_roles::user_id.eq(user_id))
            .filter(user_roles::organization_id.eq(organization_id)),
    )
    .execute(conn)
}

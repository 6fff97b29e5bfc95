//! The scope catalog: categories, scopes, and which application may ask for which scope
//! (`client_scopes`). `clients.scopes` keeps a copy of each application's scope names, so
//! the token endpoint reads one row; the scope service writes both in one transaction, and
//! a scope in use can be neither renamed nor deleted, so the copy never goes stale.

use crate::db::DbConn;
use crate::db::schema::{client_scopes, scope_categories, scopes};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = scope_categories)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = scopes)]
pub struct CatalogScope {
    pub id: i64,
    pub name: String,
    pub category_id: i64,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = scope_categories)]
struct NewCategory<'a> {
    name: &'a str,
    description: &'a str,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = scopes)]
pub struct NewScope<'a> {
    pub name: &'a str,
    pub category_id: i64,
    pub description: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A catalog scope with its category and how many applications use it.
#[derive(Debug, Clone)]
pub struct ScopeRow {
    pub scope: CatalogScope,
    pub category: String,
    pub used_by: i64,
}

pub fn categories(conn: &mut DbConn) -> QueryResult<Vec<Category>> {
    scope_categories::table
        .order((scope_categories::name.asc(), scope_categories::id.asc()))
        .select(Category::as_select())
        .load(conn)
}

pub fn find_category(conn: &mut DbConn, name: &str) -> QueryResult<Option<Category>> {
    scope_categories::table
        .filter(scope_categories::name.eq(name))
        .select(Category::as_select())
        .first(conn)
        .optional()
}

pub fn create_category(
    conn: &mut DbConn,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<Category> {
    diesel::insert_into(scope_categories::table)
        .values(&NewCategory {
            name,
            description,
            created_at: now,
        })
        .execute(conn)?;
    find_category(conn, name)?.ok_or(diesel::result::Error::NotFound)
}

pub fn set_category_description(
    conn: &mut DbConn,
    id: i64,
    description: &str,
) -> QueryResult<usize> {
    diesel::update(scope_categories::table.find(id))
        .set(scope_categories::description.eq(description))
        .execute(conn)
}

pub fn create(conn: &mut DbConn, new: &NewScope<'_>) -> QueryResult<CatalogScope> {
    diesel::insert_into(scopes::table)
        .values(new)
        .execute(conn)?;
    find_by_name(conn, new.name)?.ok_or(diesel::result::Error::NotFound)
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<CatalogScope>> {
    scopes::table
        .find(id)
        .select(CatalogScope::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<CatalogScope>> {
    scopes::table
        .filter(scopes::name.eq(name))
        .select(CatalogScope::as_select())
        .first(conn)
        .optional()
}

/// Every scope with its category and use count, by category then name.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<ScopeRow>> {
    let rows: Vec<(CatalogScope, String)> = scopes::table
        .inner_join(scope_categories::table)
        .order((scope_categories::name.asc(), scopes::name.asc()))
        .select((CatalogScope::as_select(), scope_categories::name))
        .load(conn)?;
    let counts: Vec<(i64, i64)> = client_scopes::table
        .group_by(client_scopes::scope_id)
        .select((client_scopes::scope_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(scope, category)| {
            let used_by = counts
                .iter()
                .find(|(id, _)| *id == scope.id)
                .map_or(0, |(_, n)| *n);
            ScopeRow {
                scope,
                category,
                used_by,
            }
        })
        .collect())
}

/// Every scope name of the catalog, sorted: the metadata's `scopes_supported`.
pub fn names(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    scopes::table
        .order(scopes::name.asc())
        .select(scopes::name)
        .load(conn)
}

/// How many applications may ask for this scope.
pub fn used_by(conn: &mut DbConn, scope_id: i64) -> QueryResult<i64> {
    client_scopes::table
        .filter(client_scopes::scope_id.eq(scope_id))
        .count()
        .get_result(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    name: &str,
    category_id: i64,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(scopes::table.find(id))
        .set((
            scopes::name.eq(name),
            scopes::category_id.eq(category_id),
            scopes::description.eq(description),
            scopes::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(scopes::table.find(id)).execute(conn)
}

/// The catalog scopes an application may ask for.
pub fn for_client(conn: &mut DbConn, client_id: i64) -> QueryResult<Vec<CatalogScope>> {
    scopes::table
        .inner_join(client_scopes::table)
        .filter(client_scopes::client_id.eq(client_id))
        .order(scopes::name.asc())
        .select(CatalogScope::as_select())
        .load(conn)
}

/// The catalog scopes with these ids; unknown ids are left out.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<CatalogScope>> {
    scopes::table
        .filter(scopes::id.eq_any(ids))
        .order(scopes::name.asc())
        .select(CatalogScope::as_select())
        .load(conn)
}

/// The catalog scopes with these names; unknown names are left out.
pub fn by_names(conn: &mut DbConn, names: &[&str]) -> QueryResult<Vec<CatalogScope>> {
    scopes::table
        .filter(scopes::name.eq_any(names))
        .order(scopes::name.asc())
        .select(CatalogScope::as_select())
        .load(conn)
}

/// Replaces the scopes an application may ask for.
pub fn set_for_client(conn: &mut DbConn, client_id: i64, scope_ids: &[i64]) -> QueryResult<()> {
    diesel::delete(client_scopes::table.filter(client_scopes::client_id.eq(client_id)))
        .execute(conn)?;
    // One statement a row: a multi-row insert does not compile for both backends at once.
    for scope_id in scope_ids {
        diesel::insert_into(client_scopes::table)
            .values((
                client_scopes::client_id.eq(client_id),
                client_scopes::scope_id.eq(*scope_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

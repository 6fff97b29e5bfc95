use crate::db::DbConn;
use crate::db::schema::{clients, organizations, users};
use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = organizations)]
struct NewOrganization<'a> {
    name: &'a str,
    created_at: NaiveDateTime,
}

/// The organization every fresh installation starts with, as in Oro.
pub const DEFAULT_NAME: &str = "Default";

pub fn create(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> QueryResult<Organization> {
    diesel::insert_into(organizations::table)
        .values(&NewOrganization {
            name,
            created_at: now,
        })
        .execute(conn)?;
    find_by_name(conn, name)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<Organization>> {
    organizations::table
        .filter(organizations::name.eq(name))
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<Organization>> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Organization>> {
    organizations::table
        .order(organizations::name.asc())
        .select(Organization::as_select())
        .load(conn)
}

pub fn rename(conn: &mut DbConn, id: i64, name: &str) -> QueryResult<usize> {
    diesel::update(organizations::table.find(id))
        .set(organizations::name.eq(name))
        .execute(conn)
}

/// Creates the default organization when there is none, so a fresh install can add
/// applications at once.
pub fn ensure_default(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<()> {
    if count(conn)? == 0 {
        create(conn, DEFAULT_NAME, now)?;
    }
    Ok(())
}

/// An organization with how many users and applications it has.
pub struct OrganizationWithCounts {
    pub organization: Organization,
    pub users: i64,
    pub applications: i64,
}

/// Every organization with its counts, in two grouped queries whatever their number.
pub fn list_with_counts(conn: &mut DbConn) -> QueryResult<Vec<OrganizationWithCounts>> {
    let users: HashMap<Option<i64>, i64> = users::table
        .group_by(users::organization_id)
        .select((users::organization_id, count_star()))
        .load::<(Option<i64>, i64)>(conn)?
        .into_iter()
        .collect();
    let applications: HashMap<i64, i64> = clients::table
        .group_by(clients::organization_id)
        .select((clients::organization_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(list(conn)?
        .into_iter()
        .map(|org| OrganizationWithCounts {
            users: users.get(&Some(org.id)).copied().unwrap_or(0),
            applications: applications.get(&org.id).copied().unwrap_or(0),
            organization: org,
        })
        .collect())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    organizations::table.count().get_result(conn)
}

/// What the consent dialog shows about an organization; empty fields are not shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct ConsentDisplay {
    pub display_name: String,
    pub support_email: String,
    pub privacy_policy_url: String,
    pub terms_of_service_url: String,
}

pub fn consent_display(
    conn: &mut DbConn,
    id: i64,
) -> QueryResult<Option<(Organization, ConsentDisplay)>> {
    organizations::table
        .find(id)
        .select((Organization::as_select(), ConsentDisplay::as_select()))
        .first(conn)
        .optional()
}

pub fn set_consent_display(
    conn: &mut DbConn,
    id: i64,
    display: &ConsentDisplay,
) -> QueryResult<usize> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::display_name.eq(&display.display_name),
            organizations::support_email.eq(&display.support_email),
            organizations::privacy_policy_url.eq(&display.privacy_policy_url),
            organizations::terms_of_service_url.eq(&display.terms_of_service_url),
        ))
        .execute(conn)
}

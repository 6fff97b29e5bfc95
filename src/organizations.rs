//! Organizations: created and renamed by administrators or the command line, each change
//! audited. A name belongs to one organization only.

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::organization::{self, Organization};
use crate::domain::OrganizationName;
use chrono::NaiveDateTime;

#[derive(Debug, thiserror::Error)]
pub enum OrganizationError {
    #[error("An organization with this name already exists.")]
    NameTaken,
    #[error("There is no such organization.")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn name_taken(
    conn: &mut DbConn,
    name: &OrganizationName,
    except: Option<i64>,
) -> Result<bool, OrganizationError> {
    Ok(organization::find_by_name(conn, name.as_str())?.is_some_and(|o| Some(o.id) != except))
}

/// Two requests racing past the check: the unique index lets one through, and the other
/// hears that the name is taken.
fn taken_if_unique(e: diesel::result::Error) -> OrganizationError {
    if crate::db::is_unique_violation(&e) {
        OrganizationError::NameTaken
    } else {
        OrganizationError::Database(e)
    }
}

pub fn create(
    conn: &mut DbConn,
    name: &OrganizationName,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Organization, OrganizationError> {
    crate::db::transaction(conn, |conn| {
        if name_taken(conn, name, None)? {
            return Err(OrganizationError::NameTaken);
        }
        let created = organization::create(conn, name.as_str(), now).map_err(taken_if_unique)?;
        let action = AuditAction::OrganizationCreated;
        audit::record(conn, actor, action, Some(created.id), &created.name, now)?;
        Ok(created)
    })
}

pub fn rename(
    conn: &mut DbConn,
    id: i64,
    name: &OrganizationName,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Organization, OrganizationError> {
    crate::db::transaction(conn, |conn| {
        let existing = organization::get(conn, id)?.ok_or(OrganizationError::NotFound)?;
        if name_taken(conn, name, Some(id))? {
            return Err(OrganizationError::NameTaken);
        }
        organization::rename(conn, id, name.as_str()).map_err(taken_if_unique)?;
        let detail = format!("{} → {}", existing.name, name.as_str());
        audit::record(
            conn,
            actor,
            AuditAction::OrganizationRenamed,
            Some(id),
            &detail,
            now,
        )?;
        organization::get(conn, id)?.ok_or(OrganizationError::NotFound)
    })
}

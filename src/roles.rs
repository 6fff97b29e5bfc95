//! Granting and revoking a back-office user's role in an organization. A user holds at most
//! one role per organization: granting another replaces it. Each change is audited on the
//! user, naming the organization and the role.

use crate::access::Role;
use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::{organization, user, user_role};
use crate::domain::UserKind;
use chrono::NaiveDateTime;

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("There is no such user.")]
    UnknownUser,
    #[error("There is no such organization.")]
    UnknownOrganization,
    #[error("Only back-office users hold roles.")]
    NotBackOffice,
    #[error("The user holds no role in this organization.")]
    NoRole,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn names(
    conn: &mut DbConn,
    user_id: i64,
    organization_id: i64,
) -> Result<(user::User, String), RoleError> {
    let user = user::get(conn, user_id)?.ok_or(RoleError::UnknownUser)?;
    let org = organization::get(conn, organization_id)?.ok_or(RoleError::UnknownOrganization)?;
    Ok((user, org.name))
}

/// Gives `user_id` `role` in `organization_id`, replacing the role held there before.
pub fn grant(
    conn: &mut DbConn,
    user_id: i64,
    organization_id: i64,
    role: Role,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), RoleError> {
    crate::db::transaction(conn, |conn| {
        let (user, org) = names(conn, user_id, organization_id)?;
        if user.kind() != UserKind::Backoffice {
            return Err(RoleError::NotBackOffice);
        }
        match user_role::find(conn, user_id, organization_id)? {
            Some(held) => user_role::set_role(conn, held.id, role.as_str())?,
            None => user_role::insert(conn, user_id, organization_id, role.as_str(), now)?,
        };
        let detail = format!("{}: {} in {org}", user.username, role.as_str());
        audit::record(
            conn,
            actor,
            AuditAction::RoleGranted,
            Some(user_id),
            &detail,
            now,
        )?;
        Ok(())
    })
}

/// Takes away the role `user_id` holds in `organization_id`.
pub fn revoke(
    conn: &mut DbConn,
    user_id: i64,
    organization_id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), RoleError> {
    crate::db::transaction(conn, |conn| {
        let (user, org) = names(conn, user_id, organization_id)?;
        if user_role::delete(conn, user_id, organization_id)? == 0 {
            return Err(RoleError::NoRole);
        }
        let detail = format!("{}: no role in {org}", user.username);
        audit::record(
            conn,
            actor,
            AuditAction::RoleRevoked,
            Some(user_id),
            &detail,
            now,
        )?;
        Ok(())
    })
}

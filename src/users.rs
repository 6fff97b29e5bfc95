//! The life of a user account. Disabling one is immediate everywhere: its back-office
//! sessions end, its refresh tokens are revoked, and access tokens acting as it are refused
//! from this moment (the `tokens_revoked_before` cut-off).

use crate::clients::Actor;
use crate::db::DbConn;
use crate::db::models::audit_event::{self, NewAuditEvent};
use crate::db::models::user::{self, NewUser, User, UserChangeset};
use crate::db::models::{admin_session, organization, refresh_token};
use crate::domain::{Email, PersonName, UserKind, Username};
use chrono::NaiveDateTime;

/// A new account, already parsed; the password is already hashed.
pub struct NewAccount {
    pub username: Username,
    pub email: Email,
    pub full_name: Option<PersonName>,
    pub kind: UserKind,
    pub is_admin: bool,
    pub organization_id: Option<i64>,
    pub password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("This username is taken.")]
    UsernameTaken,
    #[error("There is no such organization.")]
    UnknownOrganization,
    #[error("There is no such user.")]
    NotFound,
    #[error("You cannot disable your own account.")]
    DisablingSelf,
    #[error("You cannot take away your own administrator access.")]
    DemotingSelf,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn record(
    conn: &mut DbConn,
    user: &User,
    action: &str,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    audit_event::record(
        conn,
        &NewAuditEvent {
            actor_user_id: actor.user_id,
            actor: actor.name,
            action,
            target_type: "user",
            target_id: Some(user.id),
            detail: &user.username,
            ip: actor.ip,
            created_at: now,
        },
    )
    .map(drop)
}

pub fn create(
    conn: &mut DbConn,
    account: &NewAccount,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let result = crate::db::transaction(conn, |conn| {
        if user::find_by_username(conn, account.username.as_str())?.is_some() {
            return Err(UserError::UsernameTaken);
        }
        if let Some(org) = account.organization_id
            && organization::get(conn, org)?.is_none()
        {
            return Err(UserError::UnknownOrganization);
        }
        let created = user::create(
            conn,
            &NewUser {
                username: account.username.as_str(),
                email: account.email.as_str(),
                full_name: account.full_name.as_ref().map_or("", |n| n.as_str()),
                password_hash: &account.password_hash,
                kind: account.kind.as_str(),
                is_admin: account.is_admin,
                enabled: true,
                organization_id: account.organization_id,
                created_at: now,
                updated_at: now,
            },
        )?;
        record(conn, &created, "user_created", actor, now)?;
        Ok(created)
    });
    // A concurrent request created the same username between the check and the insert.
    match result {
        Err(UserError::Database(e)) if crate::db::is_unique_violation(&e) => {
            Err(UserError::UsernameTaken)
        }
        other => other,
    }
}

/// What an administrator may change on an existing account.
pub struct AccountChanges {
    pub email: Email,
    pub full_name: Option<PersonName>,
    pub kind: UserKind,
    pub is_admin: bool,
    pub organization_id: Option<i64>,
    pub password_hash: Option<String>,
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    changes: &AccountChanges,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let demoted = !changes.is_admin || changes.kind != UserKind::Backoffice;
    if demoted && actor.user_id == Some(id) {
        return Err(UserError::DemotingSelf);
    }
    crate::db::transaction(conn, |conn| {
        let existing = user::get(conn, id)?.ok_or(UserError::NotFound)?;
        if let Some(org) = changes.organization_id
            && organization::get(conn, org)?.is_none()
        {
            return Err(UserError::UnknownOrganization);
        }
        user::update(
            conn,
            id,
            &UserChangeset {
                email: changes.email.as_str(),
                full_name: changes.full_name.as_ref().map_or("", |n| n.as_str()),
                kind: changes.kind.as_str(),
                is_admin: changes.is_admin,
                organization_id: Some(changes.organization_id),
                updated_at: now,
            },
        )?;
        if let Some(hash) = &changes.password_hash {
            // A new password is often a response to a leaked one: whatever the old one
            // opened closes with it.
            user::set_password_hash(conn, id, hash, now)?;
            admin_session::delete_for_user(conn, id)?;
            refresh_token::revoke_for_user(conn, id, now)?;
        }
        // Tokens carry the user's kind and act in the user's organization: after either
        // changes they would act under facts that no longer hold, so they end here, as on
        // disabling (ASVS 10.4.9).
        if existing.kind() != changes.kind || existing.organization_id != changes.organization_id {
            user::cut_off_tokens(conn, id, now)?;
            refresh_token::revoke_for_user(conn, id, now)?;
        }
        let updated = user::get(conn, id)?.ok_or(UserError::NotFound)?;
        record(conn, &updated, "user_updated", actor, now)?;
        Ok(updated)
    })
}

pub fn set_enabled(
    conn: &mut DbConn,
    id: i64,
    enabled: bool,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    if !enabled && actor.user_id == Some(id) {
        return Err(UserError::DisablingSelf);
    }
    crate::db::transaction(conn, |conn| {
        user::get(conn, id)?.ok_or(UserError::NotFound)?;
        // Checked by the update itself: of two concurrent requests only the one that changed
        // the row ends sessions and writes the audit row.
        if user::set_enabled(conn, id, enabled, now)? == 0 {
            return user::get(conn, id)?.ok_or(UserError::NotFound);
        }
        if !enabled {
            admin_session::delete_for_user(conn, id)?;
            refresh_token::revoke_for_user(conn, id, now)?;
        }
        let changed = user::get(conn, id)?.ok_or(UserError::NotFound)?;
        let action = if enabled {
            "user_enabled"
        } else {
            "user_disabled"
        };
        record(conn, &changed, action, actor, now)?;
        Ok(changed)
    })
}

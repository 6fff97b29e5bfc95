//! The life of a user account. Disabling one is immediate everywhere: its back-office
//! sessions end, its refresh tokens are revoked, and access tokens acting as it are refused
//! from this moment (the `tokens_revoked_before` cut-off).

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::user::{self, NewUser, User, UserChangeset};
use crate::db::models::{admin_session, organization, refresh_token};
use crate::domain::{Email, Locale, PersonName, UserKind, Username};
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
    /// The language of the notices they receive.
    pub locale: Locale,
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
    action: AuditAction,
    actor: &Actor,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    audit::record(conn, actor, action, Some(user.id), &user.username, now)
}

fn insert(conn: &mut DbConn, account: &NewAccount, now: NaiveDateTime) -> Result<User, UserError> {
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
    if account.locale.is_english() {
        return Ok(created);
    }
    user::set_locale(conn, created.id, account.locale.as_str())?;
    user::get(conn, created.id)?.ok_or(UserError::NotFound)
}

pub fn create(
    conn: &mut DbConn,
    account: &NewAccount,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let result = crate::db::transaction(conn, |conn| {
        let created = insert(conn, account, now)?;
        record(conn, &created, AuditAction::UserCreated, actor, now)?;
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

/// Creates the first administrator through the one-time setup link, in the default
/// organization; `None` when an administrator already exists (the link was used).
pub fn create_first_admin(
    conn: &mut DbConn,
    account: &NewAccount,
    ip: Option<String>,
    now: NaiveDateTime,
) -> Result<Option<User>, UserError> {
    crate::db::transaction(conn, |conn| {
        if user::count_admins(conn)? > 0 {
            return Ok(None);
        }
        let admin = insert(conn, account, now)?;
        let actor = Actor::user(&admin, ip);
        record(conn, &admin, AuditAction::FirstAdminCreated, &actor, now)?;
        Ok(Some(admin))
    })
}

/// What an administrator may change on an existing account.
pub struct AccountChanges {
    pub email: Email,
    pub full_name: Option<PersonName>,
    pub kind: UserKind,
    pub is_admin: bool,
    pub organization_id: Option<i64>,
    pub password_hash: Option<String>,
    pub locale: Locale,
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    changes: &AccountChanges,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    crate::db::transaction(conn, |conn| {
        let existing = user::get(conn, id)?.ok_or(UserError::NotFound)?;
        let demoted =
            (existing.is_admin && !changes.is_admin) || changes.kind != UserKind::Backoffice;
        if demoted && actor.user_id() == Some(id) {
            return Err(UserError::DemotingSelf);
        }
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
                locale: changes.locale.as_str(),
                updated_at: now,
            },
        )?;
        if let Some(hash) = &changes.password_hash {
            // A new password is often a response to a leaked one: whatever the old one
            // opened closes with it.
            user::set_password_hash(conn, id, hash, now)?;
            end_sessions_and_tokens(conn, id, now)?;
        }
        // Tokens carry the user's kind and act in the user's organization: after either
        // changes they would act under facts that no longer hold, so they end here, as on
        // disabling (ASVS 10.4.9).
        if existing.kind() != changes.kind || existing.organization_id != changes.organization_id {
            user::cut_off_tokens(conn, id, now)?;
            refresh_token::revoke_for_user(conn, id, now)?;
        }
        let updated = user::get(conn, id)?.ok_or(UserError::NotFound)?;
        record(conn, &updated, AuditAction::UserUpdated, actor, now)?;
        crate::readmodel::record_change(conn)?;
        Ok(updated)
    })
}

/// Signs the user out everywhere, revokes their refresh tokens and refuses the access
/// tokens acting as them that exist now.
fn end_sessions_and_tokens(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    admin_session::delete_for_user(conn, id)?;
    refresh_token::revoke_for_user(conn, id, now)?;
    user::cut_off_tokens(conn, id, now)?;
    Ok(())
}

/// Lets the user sign in and be acted for again. Enabling an enabled user changes nothing.
pub fn enable(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    switch(conn, id, true, actor, now)
}

/// Ends the user's sessions and tokens at once. Disabling a disabled user changes nothing.
pub fn disable(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    if actor.user_id() == Some(id) {
        return Err(UserError::DisablingSelf);
    }
    switch(conn, id, false, actor, now)
}

/// Sets `enabled`; only the change that flips the flag writes history.
fn switch(
    conn: &mut DbConn,
    id: i64,
    enabled: bool,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    crate::db::transaction(conn, |conn| {
        let flipped = user::set_enabled(conn, id, enabled, now)?;
        if flipped && !enabled {
            end_sessions_and_tokens(conn, id, now)?;
        }
        let user = user::get(conn, id)?.ok_or(UserError::NotFound)?;
        if flipped {
            let action = if enabled {
                AuditAction::UserEnabled
            } else {
                AuditAction::UserDisabled
            };
            record(conn, &user, action, actor, now)?;
            crate::readmodel::record_change(conn)?;
        }
        Ok(user)
    })
}

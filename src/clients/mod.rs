//! The life of an OAuth application: registered, changed, activated, deactivated, deleted.
//! Each step writes its audit event and queues the owner's notice in the same transaction,
//! so a change is never recorded without its history, nor its mail without the change.

pub mod notice;

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::client::{self, Client, ClientChangeset, NewClient};
use crate::db::models::client_secret::{self, NewClientSecret};
use crate::db::models::{organization, refresh_token, user};
use crate::domain::secret::{CLIENT_SECRET_PREFIX, random_hex};
use crate::domain::{ClientName, GrantType, Grants, PlainSecret, UserKind};
use chrono::NaiveDateTime;
use notice::Notice;

/// What an administrator chose for an application, already parsed.
pub struct ClientSpec {
    pub organization_id: i64,
    pub name: ClientName,
    pub grants: Grants,
    pub owner_user_id: Option<i64>,
    pub frontend: bool,
    /// Whether it may obtain tokens.
    pub active: bool,
}

/// A rule the request broke, named by the form field it belongs to.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("An application with this name already exists for this organization and owner.")]
    NameTaken,
    #[error("Choose the user the client credentials tokens act as.")]
    OwnerRequired,
    #[error("There is no such user.")]
    UnknownOwner,
    #[error("The owner is disabled.")]
    OwnerDisabled,
    #[error("The owner of a frontend application must be a customer user.")]
    FrontendNeedsCustomerOwner,
    #[error("The owner of a back-office application must be a back-office user.")]
    BackofficeNeedsBackofficeOwner,
    #[error("There is no such organization.")]
    UnknownOrganization,
    #[error("This form was already submitted.")]
    AlreadyCreated(Box<Client>),
    #[error("There is no such application.")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl ClientError {
    /// The form field the message belongs beside.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NameTaken => "name",
            Self::OwnerRequired
            | Self::UnknownOwner
            | Self::OwnerDisabled
            | Self::FrontendNeedsCustomerOwner
            | Self::BackofficeNeedsBackofficeOwner => "owner",
            Self::UnknownOrganization => "organization",
            Self::AlreadyCreated(_) | Self::NotFound | Self::Database(_) => "",
        }
    }
}

/// Checks `spec` for an application of `organization_id`: the spec's own for a new one,
/// the existing one's on edit (an application never changes organization).
fn check(
    conn: &mut DbConn,
    spec: &ClientSpec,
    organization_id: i64,
    except_id: Option<i64>,
) -> Result<(), ClientError> {
    if organization::get(conn, organization_id)?.is_none() {
        return Err(ClientError::UnknownOrganization);
    }
    match spec.owner_user_id {
        None if spec.grants.contains(GrantType::ClientCredentials) => {
            return Err(ClientError::OwnerRequired);
        }
        None => {}
        Some(owner_id) => {
            let owner = user::get(conn, owner_id)?.ok_or(ClientError::UnknownOwner)?;
            if !owner.enabled {
                return Err(ClientError::OwnerDisabled);
            }
            match (spec.frontend, owner.kind()) {
                (true, UserKind::Backoffice) => {
                    return Err(ClientError::FrontendNeedsCustomerOwner);
                }
                (false, UserKind::Customer) => {
                    return Err(ClientError::BackofficeNeedsBackofficeOwner);
                }
                _ => {}
            }
        }
    }
    if client::name_taken(
        conn,
        organization_id,
        spec.owner_user_id,
        spec.name.as_str(),
        except_id,
    )? {
        return Err(ClientError::NameTaken);
    }
    Ok(())
}

/// Writes the change's audit row and queues the owner's notice, if the change has one, in
/// the caller's transaction.
fn record(
    conn: &mut DbConn,
    client: &Client,
    action: AuditAction,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), ClientError> {
    audit::record(conn, actor, action, Some(client.id), &client.name, now)?;
    if let Some(notice) = Notice::for_action(action) {
        notice::queue(conn, client, notice, actor, now)?;
    }
    Ok(())
}

/// Creates the application and its first secret. The plaintext secret is returned once, to
/// be shown once; only its SHA-256 is stored.
///
/// `creation_key` comes from the form: a second submission of the same form finds the
/// application the first one made instead of making another.
pub fn register(
    conn: &mut DbConn,
    spec: &ClientSpec,
    creation_key: Option<&str>,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(Client, PlainSecret), ClientError> {
    let result = crate::db::transaction(conn, |conn| {
        if let Some(key) = creation_key
            && let Some(existing) = client::find_by_creation_key(conn, key)?
        {
            return Err(ClientError::AlreadyCreated(Box::new(existing)));
        }
        check(conn, spec, spec.organization_id, None)?;
        let client_id = random_hex(16);
        let created = client::create(
            conn,
            &NewClient {
                organization_id: spec.organization_id,
                name: spec.name.as_str(),
                client_id: &client_id,
                active: spec.active,
                frontend: spec.frontend,
                confidential: true,
                grants: &spec.grants.to_stored(),
                owner_user_id: spec.owner_user_id,
                creation_key,
                created_at: now,
                updated_at: now,
            },
        )?;
        let secret = PlainSecret::generate(CLIENT_SECRET_PREFIX);
        client_secret::create(
            conn,
            &NewClientSecret {
                client_id: created.id,
                secret_hash: secret.hash().as_str(),
                prefix: &secret.visible_prefix(),
                created_at: now,
            },
        )?;
        record(conn, &created, AuditAction::ClientCreated, actor, now)?;
        Ok((created, secret))
    });
    // Two submissions racing past the lookup: the unique key lets one through.
    match result {
        Err(ClientError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ))) if creation_key.is_some() => {
            let key = creation_key.unwrap_or_default();
            match client::find_by_creation_key(conn, key)? {
                Some(existing) => Err(ClientError::AlreadyCreated(Box::new(existing))),
                None => Err(ClientError::NameTaken),
            }
        }
        other => other,
    }
}

/// Saves an edit: name, grants, owner, frontend flag and whether it is active, as one
/// change. The organization never changes.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    spec: &ClientSpec,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    crate::db::transaction(conn, |conn| {
        let existing = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        check(conn, spec, existing.organization_id, Some(id))?;
        client::update(
            conn,
            id,
            &ClientChangeset {
                name: spec.name.as_str(),
                frontend: spec.frontend,
                grants: &spec.grants.to_stored(),
                owner_user_id: Some(spec.owner_user_id),
                updated_at: now,
            },
        )?;
        let updated = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        record(conn, &updated, AuditAction::ClientUpdated, actor, now)?;
        if updated.owner_user_id != existing.owner_user_id {
            notice::queue(conn, &updated, Notice::HandedOver, actor, now)?;
        }
        switch(conn, id, spec.active, actor, now)
    })
}

/// Lets the application obtain tokens again. Activating an active one changes nothing.
pub fn activate(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    switch(conn, id, true, actor, now)
}

/// Refuses the application at the token endpoint at once and cuts off every token it holds.
pub fn deactivate(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    switch(conn, id, false, actor, now)
}

/// Sets `active`. Doing what is already done changes nothing, however many ask at once: only
/// the change that flips the flag writes history and tells the owner.
fn switch(
    conn: &mut DbConn,
    id: i64,
    active: bool,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    crate::db::transaction(conn, |conn| {
        let flipped = client::set_active(conn, id, active, now)?;
        if flipped && !active {
            client::cut_off_tokens(conn, id, now)?;
            refresh_token::revoke_for_client(conn, id, now)?;
        }
        let client = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        if flipped {
            let action = if active {
                AuditAction::ClientActivated
            } else {
                AuditAction::ClientDeactivated
            };
            record(conn, &client, action, actor, now)?;
        }
        Ok(client)
    })
}

/// Deletes the application with its secrets and refresh tokens; its access tokens fail
/// because the client they name no longer exists.
pub fn delete(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    crate::db::transaction(conn, |conn| {
        let existing = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        record(conn, &existing, AuditAction::ClientDeleted, actor, now)?;
        client::delete(conn, id)?;
        Ok(existing)
    })
}

//! The life of an OAuth application: registered, changed, activated, deactivated, deleted.
//! Each step writes its audit event and queues the owner's notice in the same transaction,
//! so a change is never recorded without its history, nor its mail without the change.

use crate::db::DbConn;
use crate::db::models::audit_event::{self, NewAuditEvent};
use crate::db::models::client::{self, Client, ClientChangeset, NewClient};
use crate::db::models::client_secret::{self, NewClientSecret};
use crate::db::models::scope::{self as catalog, CatalogScope};
use crate::db::models::{organization, user};
use crate::domain::secret::{CLIENT_SECRET_PREFIX, random_hex};
use crate::domain::{
    ApplicationType, ClientName, GrantType, Grants, Lifetime, Origins, PlainSecret, RedirectUris,
    Scope, ScopeToken, UserKind,
};
use chrono::NaiveDateTime;

pub mod secrets;

/// Who made a change, for the audit log and the owner's notice.
pub struct Actor<'a> {
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEvent {
    Created,
    Updated,
    Activated,
    Deactivated,
    Deleted,
    SecretAdded,
    SecretDisabled,
}

impl ClientEvent {
    pub const fn action(self) -> &'static str {
        match self {
            Self::Created => "client_created",
            Self::Updated => "client_updated",
            Self::Activated => "client_activated",
            Self::Deactivated => "client_deactivated",
            Self::Deleted => "client_deleted",
            Self::SecretAdded => "client_secret_added",
            Self::SecretDisabled => "client_secret_disabled",
        }
    }
}

/// What an administrator chose for an application, already parsed.
pub struct ClientSpec {
    pub organization_id: i64,
    pub name: ClientName,
    /// Fixed at registration: an edit keeps the application's type.
    pub app_type: ApplicationType,
    pub grants: Grants,
    pub implicit_allowed: bool,
    pub owner_user_id: Option<i64>,
    pub frontend: bool,
    pub redirect_uris: RedirectUris,
    pub origins: Origins,
    /// Names from the scope catalog.
    pub scopes: Vec<ScopeToken>,
    pub access_token_ttl: Option<Lifetime>,
    pub refresh_token_ttl: Option<Lifetime>,
}

impl ClientSpec {
    /// An application of the type its grants imply, as registered before types existed:
    /// no redirect URIs, origins, scopes or lifetimes of its own.
    pub fn legacy(
        organization_id: i64,
        name: ClientName,
        grants: Grants,
        owner_user_id: Option<i64>,
        frontend: bool,
    ) -> Self {
        Self {
            organization_id,
            name,
            app_type: ApplicationType::of_legacy(&grants),
            grants,
            implicit_allowed: false,
            owner_user_id,
            frontend,
            redirect_uris: RedirectUris::default(),
            origins: Origins::default(),
            scopes: Vec::new(),
            access_token_ttl: None,
            refresh_token_ttl: None,
        }
    }
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
    #[error(
        "Register at least one redirect URI: the authorization code and implicit grants send the user back to one."
    )]
    RedirectUriRequired,
    #[error("Only browser applications have JavaScript origins.")]
    OriginsNotAllowed,
    #[error("The scope `{0}` is not in the scope catalog.")]
    UnknownScope(String),
    #[error("The type of an application cannot change; register a new one instead.")]
    TypeFixed,
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
            Self::RedirectUriRequired => "redirect_uris",
            Self::OriginsNotAllowed => "origins",
            Self::UnknownScope(_) => "scopes",
            Self::TypeFixed => "app_type",
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
    if (spec.grants.contains(GrantType::AuthorizationCode) || spec.implicit_allowed)
        && spec.redirect_uris.is_empty()
    {
        return Err(ClientError::RedirectUriRequired);
    }
    if !spec.origins.is_empty() && !spec.app_type.has_origins() {
        return Err(ClientError::OriginsNotAllowed);
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

/// The catalog scopes `spec` names, every one of which must exist.
fn catalog_scopes(conn: &mut DbConn, spec: &ClientSpec) -> Result<Vec<CatalogScope>, ClientError> {
    let names: Vec<&str> = spec.scopes.iter().map(ScopeToken::as_str).collect();
    let found = catalog::by_names(conn, &names)?;
    if let Some(missing) = names
        .iter()
        .find(|name| !found.iter().any(|s| s.name == **name))
    {
        return Err(ClientError::UnknownScope((*missing).to_owned()));
    }
    Ok(found)
}

/// The scope names as `clients.scopes` keeps them.
fn stored_scope(scopes: &[CatalogScope]) -> String {
    let tokens: Vec<ScopeToken> = scopes
        .iter()
        .filter_map(|s| ScopeToken::parse(&s.name).ok())
        .collect();
    Scope::of_tokens(&tokens).to_string()
}

fn record(
    conn: &mut DbConn,
    client: &Client,
    event: ClientEvent,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<(), ClientError> {
    audit_event::record(
        conn,
        &NewAuditEvent {
            actor_user_id: actor.user_id,
            actor: actor.name,
            action: event.action(),
            target_type: "client",
            target_id: Some(client.id),
            detail: &client.name,
            ip: actor.ip,
            created_at: now,
        },
    )?;
    crate::mail::notices::client_event(conn, client, event, actor, now)?;
    Ok(())
}

/// Creates the application and, for a confidential one, its first secret. The plaintext
/// secret is returned once, to be shown once; only its SHA-256 is stored. A public client
/// (a browser or native application) has no secret at all.
///
/// `creation_key` comes from the form: a second submission of the same form finds the
/// application the first one made instead of making another.
pub fn register(
    conn: &mut DbConn,
    spec: &ClientSpec,
    active: bool,
    creation_key: Option<&str>,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<(Client, Option<PlainSecret>), ClientError> {
    let result = crate::db::transaction(conn, |conn| {
        if let Some(key) = creation_key
            && let Some(existing) = client::find_by_creation_key(conn, key)?
        {
            return Err(ClientError::AlreadyCreated(Box::new(existing)));
        }
        check(conn, spec, spec.organization_id, None)?;
        let scopes = catalog_scopes(conn, spec)?;
        let client_id = random_hex(16);
        let created = client::create(
            conn,
            &NewClient {
                organization_id: spec.organization_id,
                name: spec.name.as_str(),
                client_id: &client_id,
                active,
                frontend: spec.frontend,
                confidential: spec.app_type.confidential(),
                grants: &spec.grants.to_stored(),
                owner_user_id: spec.owner_user_id,
                creation_key,
                created_at: now,
                updated_at: now,
                app_type: spec.app_type.as_str(),
                scopes: &stored_scope(&scopes),
                redirect_uris: &spec.redirect_uris.to_stored(),
                allowed_origins: &spec.origins.to_stored(),
                implicit_allowed: spec.implicit_allowed,
                access_token_ttl: spec.access_token_ttl.map(Lifetime::seconds),
                refresh_token_ttl: spec.refresh_token_ttl.map(Lifetime::seconds),
            },
        )?;
        catalog::set_for_client(
            conn,
            created.id,
            &scopes.iter().map(|s| s.id).collect::<Vec<_>>(),
        )?;
        let secret = if spec.app_type.confidential() {
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
            Some(secret)
        } else {
            None
        };
        record(conn, &created, ClientEvent::Created, actor, now)?;
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

pub fn update(
    conn: &mut DbConn,
    id: i64,
    spec: &ClientSpec,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    crate::db::transaction(conn, |conn| {
        let existing = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        if spec.app_type != existing.app_type() {
            return Err(ClientError::TypeFixed);
        }
        check(conn, spec, existing.organization_id, Some(id))?;
        let scopes = catalog_scopes(conn, spec)?;
        client::update(
            conn,
            id,
            &ClientChangeset {
                name: spec.name.as_str(),
                frontend: spec.frontend,
                grants: &spec.grants.to_stored(),
                owner_user_id: Some(spec.owner_user_id),
                updated_at: now,
                scopes: &stored_scope(&scopes),
                redirect_uris: &spec.redirect_uris.to_stored(),
                allowed_origins: &spec.origins.to_stored(),
                implicit_allowed: spec.implicit_allowed,
                access_token_ttl: Some(spec.access_token_ttl.map(Lifetime::seconds)),
                refresh_token_ttl: Some(spec.refresh_token_ttl.map(Lifetime::seconds)),
            },
        )?;
        catalog::set_for_client(conn, id, &scopes.iter().map(|s| s.id).collect::<Vec<_>>())?;
        let updated = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        record(conn, &updated, ClientEvent::Updated, actor, now)?;
        if updated.owner_user_id != existing.owner_user_id {
            // To its new owner the application has just been added to their account.
            crate::mail::notices::client_event(conn, &updated, ClientEvent::Created, actor, now)?;
        }
        Ok(updated)
    })
}

/// Activates or deactivates. Deactivating refuses the application at the token endpoint at
/// once and cuts off every token it holds; doing what is already done changes nothing.
pub fn set_active(
    conn: &mut DbConn,
    id: i64,
    active: bool,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    crate::db::transaction(conn, |conn| {
        let existing = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        if existing.active == active {
            return Ok(existing);
        }
        client::set_active(conn, id, active, now)?;
        if !active {
            crate::db::models::refresh_token::revoke_for_client(conn, id, now)?;
        }
        let changed = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        let event = if active {
            ClientEvent::Activated
        } else {
            ClientEvent::Deactivated
        };
        record(conn, &changed, event, actor, now)?;
        Ok(changed)
    })
}

/// Deletes the application with its secrets and refresh tokens; its access tokens fail
/// because the client they name no longer exists.
pub fn delete(
    conn: &mut DbConn,
    id: i64,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    crate::db::transaction(conn, |conn| {
        let existing = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        record(conn, &existing, ClientEvent::Deleted, actor, now)?;
        client::delete(conn, id)?;
        Ok(existing)
    })
}

//! The life of an OAuth application: registered, changed, activated, deactivated, deleted.
//! Each step writes its audit event and queues the owner's notice in the same transaction,
//! so a change is never recorded without its history, nor its mail without the change.

pub mod delivery;
pub mod notice;

use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::client::{self, Client, ClientChangeset, NewClient};
use crate::db::models::scope::{self as catalog, CatalogScope};
use crate::db::models::{credential_delivery, organization, refresh_token, user};
use crate::domain::secret::random_hex;
use crate::domain::{
    ApplicationType, ClientName, GrantType, Grants, Lifetime, Origins, PlainSecret, RedirectUris,
    Scope, ScopeToken, UserKind,
};
use chrono::{NaiveDateTime, TimeDelta};
use delivery::{DeliveryError, Purpose};
use notice::Notice;

pub mod secrets;

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
    /// Whether it may obtain tokens.
    pub active: bool,
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
            active: true,
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
    #[error("The owner must be a member of this organization.")]
    OwnerInOtherOrganization,
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
    Delivery(DeliveryError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<DeliveryError> for ClientError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Database(e) => Self::Database(e),
            refusal => Self::Delivery(refusal),
        }
    }
}

impl ClientError {
    /// The form field the message belongs beside.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NameTaken => "name",
            Self::OwnerRequired
            | Self::UnknownOwner
            | Self::OwnerDisabled
            | Self::OwnerInOtherOrganization
            | Self::FrontendNeedsCustomerOwner
            | Self::BackofficeNeedsBackofficeOwner => "owner",
            Self::UnknownOrganization => "organization",
            Self::RedirectUriRequired => "redirect_uris",
            Self::OriginsNotAllowed => "origins",
            Self::UnknownScope(_) => "scopes",
            Self::TypeFixed => "app_type",
            Self::Delivery(DeliveryError::NoOwner | DeliveryError::OwnerUnreachable) => "owner",
            Self::Delivery(_) => "deliver",
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
            // Its tokens act as the owner, so in the owner's organization.
            if owner.organization_id != Some(organization_id) {
                return Err(ClientError::OwnerInOtherOrganization);
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

/// Creates the application and, for a confidential one, its first secret. The plaintext
/// secret is returned once, to be shown once; only its SHA-256 is stored. A public client
/// (a browser or native application) has no secret at all.
///
/// `creation_key` comes from the form: a second submission of the same form finds the
/// application the first one made instead of making another.
pub fn register(
    conn: &mut DbConn,
    spec: &ClientSpec,
    creation_key: Option<&str>,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(Client, Option<PlainSecret>), ClientError> {
    register_as(conn, spec, creation_key, None, actor, now)
}

/// Creates the application without a secret and sends its owner a one-time link, valid
/// for `link_ttl`, where they collect it (`delivery`); until then it cannot authenticate.
/// The owner's notice of the new application is that link; the rule's other recipients
/// get the usual one. A public client has no secret: it is created as by `register`.
pub fn register_for_owner(
    conn: &mut DbConn,
    spec: &ClientSpec,
    creation_key: Option<&str>,
    link_ttl: TimeDelta,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    register_as(conn, spec, creation_key, Some(link_ttl), actor, now).map(|(client, _)| client)
}

fn register_as(
    conn: &mut DbConn,
    spec: &ClientSpec,
    creation_key: Option<&str>,
    link_ttl: Option<TimeDelta>,
    actor: &Actor,
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
                name_folded: &spec.name.folded(),
                client_id: &client_id,
                active: spec.active,
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
        let secret = match (spec.app_type.confidential(), link_ttl) {
            (false, _) => None,
            (true, None) => Some(secrets::insert(conn, created.id, now)?.1),
            (true, Some(ttl)) => {
                let action = AuditAction::ClientCreated;
                audit::record(conn, actor, action, Some(created.id), &created.name, now)?;
                let added = (Notice::AddedToAccount, notice::OwnerCopy::Skip);
                notice::queue_copy(conn, &created, added, actor, now)?;
                let (purpose, sent) = (Purpose::Application, AuditAction::CredentialsSent);
                delivery::send(conn, &created, purpose, None, ttl, sent, actor, now)?;
                crate::readmodel::record_change(conn)?;
                return Ok((created, None));
            }
        };
        record(conn, &created, AuditAction::ClientCreated, actor, now)?;
        crate::readmodel::record_change(conn)?;
        Ok((created, secret))
    });
    // Two requests racing past the checks: the unique keys let one through. The other was
    // either the same form submitted twice or another application of the same name.
    match result {
        Err(ClientError::Database(e)) if crate::db::is_unique_violation(&e) => match creation_key {
            Some(key) => match client::find_by_creation_key(conn, key)? {
                Some(existing) => Err(ClientError::AlreadyCreated(Box::new(existing))),
                None => Err(ClientError::NameTaken),
            },
            None => Err(ClientError::NameTaken),
        },
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
    let result = crate::db::transaction(conn, |conn| {
        let existing = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        if spec.app_type != existing.app_type() {
            return Err(ClientError::TypeFixed);
        }
        check(conn, spec, existing.organization_id, Some(id))?;
        let grants = spec.grants.to_stored();
        let scopes = catalog_scopes(conn, spec)?;
        client::update(
            conn,
            id,
            &ClientChangeset {
                name: spec.name.as_str(),
                name_folded: &spec.name.folded(),
                frontend: spec.frontend,
                grants: &grants,
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
        // Tokens issued under another owner, other grants or the other kind of user would
        // keep acting under facts that no longer hold: they end here, as on deactivation
        // (ASVS 10.4.9).
        if existing.owner_user_id != spec.owner_user_id
            || existing.grants() != spec.grants
            || existing.frontend != spec.frontend
        {
            client::cut_off_tokens(conn, id, now)?;
            refresh_token::revoke_for_client(conn, id, now)?;
        }
        // A link sent to the previous owner must not come back to life if they own it again.
        if existing.owner_user_id != spec.owner_user_id {
            credential_delivery::invalidate_for_client(conn, id, now)?;
        }
        catalog::set_for_client(conn, id, &scopes.iter().map(|s| s.id).collect::<Vec<_>>())?;
        let updated = client::get(conn, id)?.ok_or(ClientError::NotFound)?;
        record(conn, &updated, AuditAction::ClientUpdated, actor, now)?;
        if updated.owner_user_id != existing.owner_user_id {
            notice::queue(conn, &updated, Notice::HandedOver, actor, now)?;
        }
        crate::readmodel::record_change(conn)?;
        switch(conn, id, spec.active, actor, now)
    });
    match result {
        Err(ClientError::Database(e)) if crate::db::is_unique_violation(&e) => {
            Err(ClientError::NameTaken)
        }
        other => other,
    }
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
            crate::readmodel::record_change(conn)?;
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
        crate::readmodel::record_change(conn)?;
        Ok(existing)
    })
}

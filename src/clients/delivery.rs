//! Credentials that reach their owner: instead of showing a new secret to the administrator,
//! Tessera mails the application's owner a one-time link (256 random bits, stored as
//! SHA-256, valid for `TESSERA_CREDENTIAL_LINK_TTL`). The secret is generated only when the
//! owner, signed in, collects it, and shown to them once (ASVS 2.7, 6.3: one-time,
//! short-lived, out-of-band). At most one link of an application is open: a new one
//! invalidates the previous one in the same transaction.

use super::notice::{self, Notice, OwnerCopy};
use super::secrets::{self, SecretError};
use crate::audit::{self, Actor, AuditAction};
use crate::clock::display_time;
use crate::db::DbConn;
use crate::db::models::client::{self, Client};
use crate::db::models::credential_delivery::{self, CredentialDelivery, NewCredentialDelivery};
use crate::db::models::user;
use crate::domain::{ExpireOld, Invalid, LinkToken, PlainSecret, UserKind};
use chrono::{NaiveDateTime, TimeDelta};

/// Who receives a new secret: the administrator, on the page (or command output) that made
/// it, or the owner, through a one-time link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Show,
    Owner,
}

impl Delivery {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw.trim() {
            "show" => Ok(Self::Show),
            "owner" => Ok(Self::Owner),
            _ => Err(Invalid::new(
                "Choose whether to show the secret now or send it to the owner.",
            )),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Show => "show",
            Self::Owner => "owner",
        }
    }

    /// What the forms offer first: the secret goes to the owner, unless the one asking is
    /// the owner (or there is nobody to send it to).
    pub const fn default_for(owner_is_me: bool) -> Self {
        if owner_is_me { Self::Show } else { Self::Owner }
    }
}

/// What a link hands over: a new application's first secret, or a secret added later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Application,
    Secret,
}

impl Purpose {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Secret => "secret",
        }
    }

    fn of(delivery: &CredentialDelivery) -> Self {
        if delivery.purpose == Self::Secret.as_str() {
            Self::Secret
        } else {
            Self::Application
        }
    }

    /// The `change` the owner's notice names.
    fn change(self) -> &'static str {
        match self {
            Self::Application => "Credentials of a new application ready to collect",
            Self::Secret => "New client secret ready to collect",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("Choose an owner: the credentials are sent to the application's owner.")]
    NoOwner,
    #[error(
        "The owner is disabled or has no email address to send the link to: show the secret instead."
    )]
    OwnerUnreachable,
    #[error("A browser or native application is a public client: it has no secret to send.")]
    PublicClient,
    #[error("This application has no credentials waiting to be collected.")]
    NothingWaiting,
    #[error("There is no such application.")]
    NoClient,
    /// Unknown, used, expired, invalidated, or another person's: one answer for all.
    #[error("This link does not work any more. Ask your administrator to send you a new one.")]
    DeadLink,
    #[error(
        "This application already has {max} working secrets. Ask your administrator to disable one, then open this link again.",
        max = secrets::MAX_LIVE
    )]
    TooManySecrets,
    /// A secret cannot be added to the application now.
    #[error(transparent)]
    Secret(SecretError),
    /// Another administrator sent a link for the same application at the same moment.
    #[error("Another link was sent for this application just now: reload the page.")]
    SentMeanwhile,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<SecretError> for DeliveryError {
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::Database(e) => Self::Database(e),
            SecretError::NoClient => Self::NoClient,
            refusal => Self::Secret(refusal),
        }
    }
}

/// Opens a link to `client`'s credentials for its owner, invalidating any link still open,
/// and queues the owner's notice with it, in the caller's transaction. The token leaves
/// this function only inside that notice.
#[allow(clippy::too_many_arguments)]
pub(super) fn send(
    conn: &mut DbConn,
    client: &Client,
    purpose: Purpose,
    expire_old_seconds: Option<i64>,
    ttl: TimeDelta,
    action: AuditAction,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), DeliveryError> {
    if !client.confidential {
        return Err(DeliveryError::PublicClient);
    }
    let owner_id = client.owner_user_id.ok_or(DeliveryError::NoOwner)?;
    let owner = user::get(conn, owner_id)?.ok_or(DeliveryError::NoOwner)?;
    if !owner.enabled {
        return Err(DeliveryError::OwnerUnreachable);
    }
    credential_delivery::invalidate_for_client(conn, client.id, now)?;
    let token = LinkToken::generate();
    let expires_at = now + ttl;
    credential_delivery::create(
        conn,
        &NewCredentialDelivery {
            client_id: client.id,
            owner_user_id: owner.id,
            token_hash: token.hash().as_str(),
            purpose: purpose.as_str(),
            expire_old_seconds,
            created_by: actor.name(),
            created_at: now,
            expires_at,
        },
    )
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            DeliveryError::SentMeanwhile
        } else {
            DeliveryError::Database(e)
        }
    })?;
    let until = display_time(expires_at);
    let change = format!("{} (the link works once, until {until})", purpose.change());
    let url = crate::mail::templates::collect_url(token.expose());
    if !notice::queue_credentials_link(conn, client, &owner, url, change, actor, now)? {
        return Err(DeliveryError::OwnerUnreachable);
    }
    let detail = format!("{}: to {}, until {until}", client.name, owner.username);
    audit::record(conn, actor, action, Some(client.id), &detail, now)?;
    Ok(())
}

/// Sends the owner a one-time link to a new secret instead of making it now: nothing
/// changes to the live secrets until the owner collects it, and `expire_old` applies from
/// that moment. Any link still open for the application stops working.
pub fn send_secret(
    conn: &mut DbConn,
    client_id: i64,
    expire_old: ExpireOld,
    link_ttl: TimeDelta,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, DeliveryError> {
    crate::db::transaction(conn, |conn| {
        let client = secrets::may_add(conn, client_id, now)?;
        let expire_old = match expire_old {
            ExpireOld::Never => None,
            ExpireOld::After(delay) => Some(delay.num_seconds()),
        };
        let action = AuditAction::CredentialsSent;
        send(
            conn,
            &client,
            Purpose::Secret,
            expire_old,
            link_ttl,
            action,
            actor,
            now,
        )?;
        Ok(client)
    })
}

/// Sends the owner a new link in place of the one not yet collected (expired or not),
/// for the same purpose; the previous link stops working.
pub fn resend(
    conn: &mut DbConn,
    client_id: i64,
    ttl: TimeDelta,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Client, DeliveryError> {
    crate::db::transaction(conn, |conn| {
        let client = client::get(conn, client_id)?.ok_or(DeliveryError::NoClient)?;
        let previous = credential_delivery::uncollected_for_client(conn, client.id)?
            .ok_or(DeliveryError::NothingWaiting)?;
        let action = AuditAction::CredentialsResent;
        let (purpose, expire_old) = (Purpose::of(&previous), previous.expire_old_seconds);
        send(conn, &client, purpose, expire_old, ttl, action, actor, now)?;
        Ok(client)
    })
}

/// The application's link not yet collected, if there is one (it may have expired).
pub fn waiting(
    conn: &mut DbConn,
    client_id: i64,
) -> diesel::QueryResult<Option<CredentialDelivery>> {
    credential_delivery::uncollected_for_client(conn, client_id)
}

/// An open link, as the collection page needs it before anyone is signed in.
pub struct OpenLink {
    pub owner_user_id: i64,
    /// Which sign-in the owner uses.
    pub owner_kind: UserKind,
    pub application: String,
    pub expires_at: NaiveDateTime,
}

/// The link of `token` if it can still be collected at `now`, by the application's owner.
pub fn open_link(
    conn: &mut DbConn,
    token: &LinkToken,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<OpenLink>> {
    let Some(link) = credential_delivery::find_by_hash(conn, token.hash().as_str())? else {
        return Ok(None);
    };
    if !link.open_at(now) {
        return Ok(None);
    }
    let Some(client) = client::get(conn, link.client_id)? else {
        return Ok(None);
    };
    if client.owner_user_id != Some(link.owner_user_id) {
        return Ok(None);
    }
    Ok(user::get(conn, link.owner_user_id)?.map(|owner| OpenLink {
        owner_user_id: owner.id,
        owner_kind: owner.kind(),
        application: client.name,
        expires_at: link.expires_at,
    }))
}

/// Collects the credentials of `token` for the signed-in `user_id`: marks the link used
/// (of two concurrent collections exactly one gets here), generates the secret, stores its
/// SHA-256, applies the expiry the administrator chose for the other secrets, and audits,
/// in one transaction. The secret is returned to be shown once.
pub fn collect(
    conn: &mut DbConn,
    token: &LinkToken,
    user_id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(Client, PlainSecret), DeliveryError> {
    crate::db::transaction(conn, |conn| {
        let link = credential_delivery::find_by_hash(conn, token.hash().as_str())?
            .filter(|l| l.owner_user_id == user_id && l.open_at(now))
            .ok_or(DeliveryError::DeadLink)?;
        let client = client::get(conn, link.client_id)?
            .filter(|c| c.owner_user_id == Some(user_id))
            .ok_or(DeliveryError::DeadLink)?;
        if !credential_delivery::mark_collected(conn, link.id, now)? {
            return Err(DeliveryError::DeadLink);
        }
        if secrets::live_count(conn, client.id, now)? >= secrets::MAX_LIVE {
            return Err(DeliveryError::TooManySecrets);
        }
        let (created, secret) = secrets::insert(conn, client.id, now)?;
        if let Some(seconds) = link.expire_old_seconds {
            let at = now + TimeDelta::seconds(seconds);
            crate::db::models::client_secret::expire_others(conn, client.id, created.id, at, now)?;
        }
        let detail = format!("{}: secret {}", client.name, created.prefix);
        let action = AuditAction::CredentialsCollected;
        audit::record(conn, actor, action, Some(client.id), &detail, now)?;
        if Purpose::of(&link) == Purpose::Secret {
            // Whoever watches secrets being added hears of it; the owner collected it.
            let (added, prefix) = (Notice::SecretAdded, created.prefix.as_str());
            notice::queue_about_secret(conn, &client, added, prefix, OwnerCopy::Skip, actor, now)?;
        }
        crate::readmodel::record_change(conn)?;
        Ok((client, secret))
    })
}

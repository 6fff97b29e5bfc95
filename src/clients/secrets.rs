//! Client-secret rotation: an application holds up to five live secrets; a new one is shown
//! once, and may set how long the others keep working; a disabled secret is refused at
//! once by every endpoint that authenticates clients. Each change writes its audit event
//! and queues the owner's notice (naming the secret by its visible prefix) in the same
//! transaction.

use super::notice::{self, Notice, OwnerCopy};
use crate::audit::{self, Actor, AuditAction};
use crate::db::DbConn;
use crate::db::models::client::{self, Client};
use crate::db::models::client_secret::{self, ClientSecret, NewClientSecret};
use crate::domain::secret::CLIENT_SECRET_PREFIX;
use crate::domain::{ExpireOld, PlainSecret};
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// How many secrets an application may hold that still work.
pub const MAX_LIVE: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("This application already has {MAX_LIVE} working secrets: disable one first.")]
    TooMany,
    #[error("A browser or native application is a public client: it has no secrets.")]
    PublicClient,
    #[error("There is no such application.")]
    NoClient,
    #[error("This application has no such secret.")]
    NoSecret,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Where a secret stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Works until its expiry.
    Expiring,
    Expired,
    Disabled,
}

impl Status {
    pub fn of(secret: &ClientSecret, now: NaiveDateTime) -> Self {
        match (secret.revoked_at, secret.expires_at) {
            (Some(_), _) => Self::Disabled,
            (None, Some(at)) if at <= now => Self::Expired,
            (None, Some(_)) => Self::Expiring,
            (None, None) => Self::Active,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expiring => "Active until it expires",
            Self::Expired => "Expired",
            Self::Disabled => "Disabled",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Disabled => "disabled",
        }
    }

    pub fn is_live(self) -> bool {
        matches!(self, Self::Active | Self::Expiring)
    }
}

/// The change's audit row, the owner's notice naming the secret by its prefix, and the
/// count that makes every server's copy in memory follow, in the caller's transaction.
fn record(
    conn: &mut DbConn,
    client: &Client,
    action: AuditAction,
    prefix: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), SecretError> {
    let detail = format!("{}: secret {prefix}", client.name);
    audit::record(conn, actor, action, Some(client.id), &detail, now)?;
    if let Some(about) = Notice::for_action(action) {
        notice::queue_about_secret(conn, client, about, prefix, OwnerCopy::AsRuled, actor, now)?;
    }
    crate::readmodel::record_change(conn)?;
    Ok(())
}

/// Adds a secret to the application and returns it, the only time it exists in plain. The
/// secrets that work now keep working until `expire_old` says otherwise.
pub fn add(
    conn: &mut DbConn,
    client_id: i64,
    expire_old: ExpireOld,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(Client, ClientSecret, PlainSecret), SecretError> {
    crate::db::transaction(conn, |conn| {
        let client = may_add(conn, client_id, now)?;
        let (created, secret) = insert(conn, client.id, now)?;
        if let ExpireOld::After(delay) = expire_old {
            client_secret::expire_others(conn, client.id, created.id, now + delay, now)?;
        }
        record(
            conn,
            &client,
            AuditAction::ClientSecretAdded,
            &created.prefix,
            actor,
            now,
        )?;
        Ok((client, created, secret))
    })
}

/// The application, if a secret may be added to it now.
pub(super) fn may_add(
    conn: &mut DbConn,
    client_id: i64,
    now: NaiveDateTime,
) -> Result<Client, SecretError> {
    let client = client::get(conn, client_id)?.ok_or(SecretError::NoClient)?;
    if !client.confidential {
        return Err(SecretError::PublicClient);
    }
    if live_count(conn, client.id, now)? >= MAX_LIVE {
        return Err(SecretError::TooMany);
    }
    Ok(client)
}

/// How many of the application's secrets work at `now`.
pub(super) fn live_count(
    conn: &mut DbConn,
    client_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    Ok(client_secret::valid_for_client(conn, client_id, now)?.len())
}

/// Generates a secret for the application and stores its SHA-256; the plaintext is
/// returned to be shown once.
pub(super) fn insert(
    conn: &mut DbConn,
    client_id: i64,
    now: NaiveDateTime,
) -> QueryResult<(ClientSecret, PlainSecret)> {
    let secret = PlainSecret::generate(CLIENT_SECRET_PREFIX);
    let created = client_secret::create(
        conn,
        &NewClientSecret {
            client_id,
            secret_hash: secret.hash().as_str(),
            prefix: &secret.visible_prefix(),
            created_at: now,
        },
    )?;
    Ok((created, secret))
}

/// Disables one secret of the application: refused from this moment. Disabling a disabled
/// secret changes nothing.
pub fn disable(
    conn: &mut DbConn,
    client_id: i64,
    secret_id: i64,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(Client, ClientSecret), SecretError> {
    crate::db::transaction(conn, |conn| {
        let client = client::get(conn, client_id)?.ok_or(SecretError::NoClient)?;
        let secret = client_secret::get(conn, secret_id)?
            .filter(|s| s.client_id == client.id)
            .ok_or(SecretError::NoSecret)?;
        if client_secret::disable(conn, secret.id, now)? > 0 {
            record(
                conn,
                &client,
                AuditAction::ClientSecretDisabled,
                &secret.prefix,
                actor,
                now,
            )?;
        }
        let secret = client_secret::get(conn, secret_id)?.ok_or(SecretError::NoSecret)?;
        Ok((client, secret))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn secret(expires: Option<i64>, revoked: bool) -> ClientSecret {
        let now = chrono::DateTime::from_timestamp(1_000_000, 0)
            .unwrap()
            .naive_utc();
        ClientSecret {
            id: 1,
            client_id: 1,
            secret_hash: String::new(),
            prefix: "tsk_abcd".into(),
            created_at: now,
            expires_at: expires.map(|s| now + TimeDelta::seconds(s)),
            revoked_at: revoked.then_some(now),
            last_used_at: None,
        }
    }

    #[test]
    fn a_secret_is_live_until_it_expires_or_is_disabled() {
        let now = chrono::DateTime::from_timestamp(1_000_000, 0)
            .unwrap()
            .naive_utc();
        assert_eq!(Status::of(&secret(None, false), now), Status::Active);
        assert_eq!(Status::of(&secret(Some(60), false), now), Status::Expiring);
        assert_eq!(Status::of(&secret(Some(0), false), now), Status::Expired);
        assert_eq!(Status::of(&secret(Some(-5), false), now), Status::Expired);
        assert_eq!(Status::of(&secret(None, true), now), Status::Disabled);
        assert!(Status::Expiring.is_live() && !Status::Expired.is_live());
    }
}

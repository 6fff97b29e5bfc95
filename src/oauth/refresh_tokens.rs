//! Refresh tokens (RFC 6749 §6) as stored: opaque values kept only as SHA-256, grouped in
//! families with an absolute expiry (ASVS 10.4.8), rotated on every use. Presenting a spent
//! token, a replay or the loser of two concurrent refreshes, revokes the whole family
//! (RFC 9700 §4.14.2), since either the client or an attacker holds a copy and there is no
//! telling which. The grants, introspection and revocation all read them here.

use crate::audit::{self, Actor, AuditAction};
use crate::config::Settings;
use crate::db::DbConn;
use crate::db::models::client::Client;
use crate::db::models::refresh_token::{self as refresh_model, NewRefreshToken, RefreshToken};
use crate::db::models::user::{self, User};
use crate::domain::secret::{REFRESH_TOKEN_PREFIX, random_hex};
use crate::domain::{PlainSecret, Scope};
use chrono::{NaiveDateTime, TimeDelta};

/// The family a refresh token belongs to: a new one at sign-in, the same one at rotation,
/// so the family's absolute expiry never moves (ASVS 10.4.8).
pub struct Family {
    pub id: String,
    pub expires_at: NaiveDateTime,
}

impl Family {
    pub fn start(settings: &Settings, now: NaiveDateTime) -> Self {
        Self {
            id: random_hex(16),
            expires_at: now + settings.refresh_token_absolute_ttl,
        }
    }
}

/// Stores a new refresh token of `family` and returns its value, the only time it exists
/// in plain.
pub fn store(
    conn: &mut DbConn,
    lifetime: TimeDelta,
    family: &Family,
    client: &Client,
    user: &User,
    scope: &Scope,
    now: NaiveDateTime,
) -> diesel::QueryResult<PlainSecret> {
    let secret = PlainSecret::generate(REFRESH_TOKEN_PREFIX);
    refresh_model::create(
        conn,
        &NewRefreshToken {
            token_hash: secret.hash().as_str(),
            family_id: &family.id,
            client_id: client.id,
            user_id: Some(user.id),
            scope: &scope.to_string(),
            issued_at: now,
            expires_at: (now + lifetime).min(family.expires_at),
            family_expires_at: family.expires_at,
        },
    )?;
    Ok(secret)
}

/// What presenting a refresh token came to.
pub enum Rotation {
    Rotated {
        user: Box<User>,
        refresh_token: PlainSecret,
        scope: Scope,
    },
    Invalid,
    /// A spent token presented again: invalid, and its family now revoked.
    Reused,
    WiderScope,
}

/// Spends the token stored as `token_hash` and stores its successor, in one transaction
/// whose conditional update lets exactly one of two concurrent refreshes through. The new
/// access token may carry less than the original grant (RFC 6749 §6), never more than the
/// application may have today; the new refresh token keeps the original scope.
pub fn rotate(
    conn: &mut DbConn,
    token_hash: &str,
    client: &Client,
    requested: Option<Scope>,
    lifetime: TimeDelta,
    now: NaiveDateTime,
) -> diesel::QueryResult<Rotation> {
    let Some(token) = refresh_model::find_by_hash(conn, token_hash)? else {
        return Ok(Rotation::Invalid);
    };
    // Another application's token is not this client's to spend, nor to get revoked.
    if token.client_id != client.id || token.revoked_at.is_some() {
        return Ok(Rotation::Invalid);
    }
    if token.used_at.is_some() {
        return reused(conn, &token, client, now);
    }
    let Some(user) = live_user(conn, &token, client, now)? else {
        return Ok(Rotation::Invalid);
    };

    // RFC 6749 §6: the new access token may carry less than the original grant, and never
    // more than the application may have today; the new refresh token keeps the original.
    let original = Scope::from_stored(&token.scope);
    let available = original.intersection(&Scope::from_stored(&client.scopes));
    let scope = match requested {
        None => available,
        Some(requested) if requested.is_subset_of(&available) => requested,
        Some(_) => return Ok(Rotation::WiderScope),
    };

    let family = Family {
        id: token.family_id.clone(),
        expires_at: token.family_expires_at,
    };
    let rotated = crate::db::transaction(conn, |conn| {
        if !refresh_model::spend(conn, token.id, now)? {
            return Ok(None);
        }
        store(conn, lifetime, &family, client, &user, &original, now).map(Some)
    })?;
    match rotated {
        Some(refresh_token) => Ok(Rotation::Rotated {
            user: Box::new(user),
            refresh_token,
            scope,
        }),
        None => reused(conn, &token, client, now),
    }
}

/// The user a refresh token still acts for, or `None` when it no longer counts for `client`:
/// another application's, revoked, spent, expired, or older than its application's or its
/// user's cut-off, or its user disabled, of the wrong kind or of another organization (the
/// password grant's rule, so a user moved since the sign-in stops refreshing).
pub fn live_user(
    conn: &mut DbConn,
    token: &RefreshToken,
    client: &Client,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<User>> {
    if token.client_id != client.id
        || !client.active
        || token.revoked_at.is_some()
        || token.used_at.is_some()
        || token.expires_at <= now
        || token.family_expires_at <= now
        || client
            .tokens_revoked_before
            .is_some_and(|cut| token.issued_at <= cut)
    {
        return Ok(None);
    }
    let Some(user_id) = token.user_id else {
        return Ok(None);
    };
    Ok(user::get(conn, user_id)?.filter(|u| {
        client.may_act_as(u)
            && u.tokens_revoked_before
                .is_none_or(|cut| token.issued_at > cut)
    }))
}

fn reused(
    conn: &mut DbConn,
    token: &RefreshToken,
    client: &Client,
    now: NaiveDateTime,
) -> diesel::QueryResult<Rotation> {
    let revoked = refresh_model::revoke_family(conn, &token.family_id, now)?;
    tracing::warn!(
        client_id = %client.client_id,
        revoked,
        "a spent refresh token was presented again: its family is revoked"
    );
    audit::record(
        conn,
        &Actor::anonymous(&client.client_id, None),
        AuditAction::RefreshTokenReused,
        Some(client.id),
        "a spent refresh token was presented; its family is revoked",
        now,
    )?;
    Ok(Rotation::Reused)
}

/// The stored token and the user it acts for, while it is live for `client`.
pub fn find_live(
    conn: &mut DbConn,
    token_hash: &str,
    client: &Client,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<(RefreshToken, User)>> {
    let Some(token) = refresh_model::find_by_hash(conn, token_hash)? else {
        return Ok(None);
    };
    Ok(live_user(conn, &token, client, now)?.map(|user| (token, user)))
}

/// Revokes the family of the token stored as `token_hash` when it is `client`'s; another
/// application's token is left alone.
pub fn revoke_family_of(
    conn: &mut DbConn,
    token_hash: &str,
    client: &Client,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    if let Some(found) = refresh_model::find_by_hash(conn, token_hash)?
        && found.client_id == client.id
    {
        refresh_model::revoke_family(conn, &found.family_id, now)?;
    }
    Ok(())
}

//! RFC 6749 §6 with rotation (RFC 9700 §4.14.2): each use spends the presented token and
//! returns a new one of the same family. Presenting a spent token — a replay, or the loser
//! of two concurrent refreshes — revokes the whole family, since either the client or an
//! attacker holds a copy and there is no telling which.

use super::{Family, Issued, access_token, refresh_lifetime, store_refresh_token};
use crate::db::DbConn;
use crate::db::models::audit_event::{self, NewAuditEvent};
use crate::db::models::client::Client;
use crate::db::models::refresh_token::{self as refresh_model, RefreshToken};
use crate::db::models::user::{self, User};
use crate::domain::{PlainSecret, Scope, SecretHash};
use crate::oauth::client_auth::AuthenticatedClient;
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::state::AppState;
use chrono::{NaiveDateTime, TimeDelta};

const INVALID: &str = "The refresh token is invalid, expired or revoked.";

enum Outcome {
    Rotated {
        user: Box<User>,
        refresh_token: PlainSecret,
        scope: Scope,
    },
    Invalid,
    WiderScope,
}

pub async fn issue(
    state: &AppState,
    auth: &AuthenticatedClient,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required."))?;
    let requested = params
        .get("scope")
        .map(Scope::parse)
        .transpose()
        .map_err(|_| OAuthError::InvalidScope("The scope is malformed."))?;
    let token_hash = SecretHash::of(presented).into_string();
    let client = auth.client.clone();
    let lifetime = refresh_lifetime(state, &client);
    let now = state.now();

    let outcome = crate::db::run(&state.pool, move |conn| {
        rotate(conn, &token_hash, &client, requested, lifetime, now).map_err(OAuthError::from)
    })
    .await?;
    match outcome {
        Outcome::Rotated {
            user,
            refresh_token,
            scope,
        } => {
            let (access_token, expires_in) =
                access_token(state, &auth.client, user.id.to_string(), &user, &scope, now)?;
            Ok(Issued {
                access_token,
                expires_in,
                refresh_token: Some(refresh_token),
                scope,
            })
        }
        Outcome::Invalid => Err(OAuthError::InvalidGrant(INVALID)),
        Outcome::WiderScope => Err(OAuthError::InvalidScope(
            "A refresh can narrow the scope of the original grant, never widen it.",
        )),
    }
}

fn rotate(
    conn: &mut DbConn,
    token_hash: &str,
    client: &Client,
    requested: Option<Scope>,
    lifetime: TimeDelta,
    now: NaiveDateTime,
) -> diesel::QueryResult<Outcome> {
    let Some(token) = refresh_model::find_by_hash(conn, token_hash)? else {
        return Ok(Outcome::Invalid);
    };
    // Another application's token is not this client's to spend, nor to get revoked.
    if token.client_id != client.id || token.revoked_at.is_some() {
        return Ok(Outcome::Invalid);
    }
    if token.used_at.is_some() {
        return reused(conn, &token, client, now);
    }
    let Some(user) = live_user(conn, &token, client, now)? else {
        return Ok(Outcome::Invalid);
    };

    // RFC 6749 §6: the new access token may carry less than the original grant, and never
    // more than the application may have today; the new refresh token keeps the original.
    let original = Scope::from_stored(&token.scope);
    let available = original.intersection(&Scope::from_stored(&client.scopes));
    let scope = match requested {
        None => available,
        Some(requested) if requested.is_subset_of(&available) => requested,
        Some(_) => return Ok(Outcome::WiderScope),
    };

    let family = Family {
        id: token.family_id.clone(),
        expires_at: token.family_expires_at,
    };
    let rotated = crate::db::transaction(conn, |conn| {
        if !refresh_model::spend(conn, token.id, now)? {
            return Ok(None);
        }
        store_refresh_token(conn, lifetime, &family, client, &user, &original, now).map(Some)
    })?;
    match rotated {
        Some(refresh_token) => Ok(Outcome::Rotated {
            user: Box::new(user),
            refresh_token,
            scope,
        }),
        None => reused(conn, &token, client, now),
    }
}

/// The user a refresh token still acts for, or `None` when it no longer counts for `client`:
/// another application's, revoked, spent, expired, or older than its application's or its
/// user's cut-off, or its user disabled or of the wrong kind.
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
        u.enabled
            && u.kind() == client.user_kind()
            && u.tokens_revoked_before
                .is_none_or(|cut| token.issued_at > cut)
    }))
}

fn reused(
    conn: &mut DbConn,
    token: &RefreshToken,
    client: &Client,
    now: NaiveDateTime,
) -> diesel::QueryResult<Outcome> {
    let revoked = refresh_model::revoke_family(conn, &token.family_id, now)?;
    tracing::warn!(
        client_id = %client.client_id,
        revoked,
        "a spent refresh token was presented again: its family is revoked"
    );
    audit_event::record(
        conn,
        &NewAuditEvent {
            actor_user_id: None,
            actor: &client.client_id,
            action: "refresh_token_reused",
            target_type: "client",
            target_id: Some(client.id),
            detail: "a spent refresh token was presented; its family is revoked",
            ip: None,
            created_at: now,
        },
    )?;
    Ok(Outcome::Invalid)
}

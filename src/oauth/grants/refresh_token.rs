//! The refresh_token grant (RFC 6749 §6): each use spends the presented token and returns a
//! new one of the same family (rotation and reuse detection live in
//! `oauth::refresh_tokens`).

use super::{Issued, access_token, refresh_lifetime};
use crate::domain::{Scope, SecretHash};
use crate::oauth::client_auth::AuthenticatedClient;
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::refresh_tokens::{self, Rotation};
use crate::state::AppState;
use chrono::NaiveDateTime;

const INVALID: &str = "The refresh token is invalid, expired or revoked.";

pub async fn issue(
    state: &AppState,
    auth: &AuthenticatedClient,
    params: &Params,
    now: NaiveDateTime,
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
    let client = auth.shared_client();
    let lifetime = refresh_lifetime(state, &client);

    let rotation = crate::db::query(&state.pool, move |conn| {
        refresh_tokens::rotate(conn, &token_hash, &client, requested, lifetime, now)
    })
    .await?;
    match rotation {
        Rotation::Rotated {
            user,
            refresh_token,
            scope,
        } => {
            let (access_token, expires_in) = access_token(
                state,
                auth.client(),
                user.id.to_string(),
                &user,
                &scope,
                now,
            )?;
            Ok(Issued {
                access_token,
                expires_in,
                refresh_token: Some(refresh_token),
                scope,
            })
        }
        Rotation::Invalid => Err(OAuthError::InvalidGrant(INVALID)),
        Rotation::Reused => {
            state.metrics.refresh_token_reused();
            Err(OAuthError::InvalidGrant(INVALID))
        }
        Rotation::WiderScope => Err(OAuthError::InvalidScope(
            "A refresh can narrow the scope of the original grant, never widen it.",
        )),
    }
}

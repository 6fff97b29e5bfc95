//! The request behind the sign-in and consent dialogs, kept server-side: the browser holds
//! a random handle (256 bits; the row keeps its SHA-256), and every form answers for that
//! handle — nothing posted can change the client, redirect URI, scopes or PKCE challenge
//! (RFC 9700 §4.7).

use super::AuthorizeError;
use super::request::{AuthorizationRequest, Challenge, Prompt, ResponseType};
use crate::db::models::client;
use crate::db::models::pending_authorization::{self as model, NewPendingAuthorization};
use crate::domain::{PlainSecret, Scope, SecretHash};
use crate::oauth::pkce::Method;
use crate::state::AppState;
use chrono::NaiveDateTime;

/// A stored request, as a dialog reads it back.
pub struct Pending {
    pub id: i64,
    pub handle: String,
    pub request: AuthorizationRequest,
    /// When the request arrived: `prompt=login` asks for a sign-in after this.
    pub started_at: NaiveDateTime,
}

/// Stores `request` and returns its handle.
pub async fn store(
    state: &AppState,
    request: &AuthorizationRequest,
    now: NaiveDateTime,
) -> Result<String, AuthorizeError> {
    let handle = PlainSecret::generate("");
    let handle_hash = handle.hash().into_string();
    let request = request.clone();
    let expires_at = now + state.settings.authorization_request_ttl;
    crate::db::run(&state.pool, move |conn| {
        model::create(
            conn,
            &NewPendingAuthorization {
                handle_hash: &handle_hash,
                client_id: request.client.id,
                response_type: request.response_type.as_str(),
                redirect_uri: &request.redirect_uri,
                redirect_uri_given: request.redirect_uri_given,
                scope: &request.scope.to_string(),
                state: request.state.as_deref(),
                code_challenge: request.challenge.as_ref().map(|c| c.value.as_str()),
                code_challenge_method: request.challenge.as_ref().map(|c| c.method.as_str()),
                prompt: &request.prompt.to_stored(),
                created_at: now,
                expires_at,
            },
            now,
        )
        .map_err(AuthorizeError::from)
    })
    .await?;
    Ok(handle.expose().to_owned())
}

/// The live request behind `handle`, with its application as it is now: a request whose
/// application was deactivated meanwhile is gone.
pub async fn load(state: &AppState, handle: &str) -> Result<Pending, AuthorizeError> {
    let handle_hash = SecretHash::of(handle).into_string();
    let now = state.now();
    let handle = handle.to_owned();
    crate::db::run(&state.pool, move |conn| {
        let Some(row) = model::find_live(conn, &handle_hash, now)? else {
            return Err(AuthorizeError::Expired);
        };
        let Some(client) = client::get(conn, row.client_id)?.filter(|c| c.active) else {
            return Err(AuthorizeError::Expired);
        };
        let options = client::authorize_options(conn, client.id)?;
        let challenge = match (row.code_challenge, row.code_challenge_method.as_deref()) {
            (Some(value), Some(method)) => Some(Challenge {
                value,
                method: Method::parse(method).ok_or(AuthorizeError::Expired)?,
            }),
            _ => None,
        };
        Ok(Pending {
            id: row.id,
            handle,
            request: AuthorizationRequest {
                client,
                options,
                response_type: ResponseType::parse(&row.response_type)
                    .ok_or(AuthorizeError::Expired)?,
                redirect_uri: row.redirect_uri,
                redirect_uri_given: row.redirect_uri_given,
                scope: Scope::from_stored(&row.scope),
                state: row.state,
                challenge,
                prompt: Prompt::parse(&row.prompt).unwrap_or_default(),
            },
            started_at: row.created_at,
        })
    })
    .await
}

/// Takes the request so it is answered once; `Expired` if another submission took it.
pub async fn take(state: &AppState, pending: &Pending) -> Result<(), AuthorizeError> {
    let id = pending.id;
    let taken = crate::db::run(&state.pool, move |conn| {
        model::take(conn, id).map_err(AuthorizeError::from)
    })
    .await?;
    if taken {
        Ok(())
    } else {
        Err(AuthorizeError::Expired)
    }
}

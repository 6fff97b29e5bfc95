//! POST /oauth2-token (RFC 6749 §3.2): parse, authenticate the client, check the grant is
//! the client's to use, dispatch, answer.

use crate::db::models::client::{self, Client};
use crate::db::models::client_secret;
use crate::domain::{ApplicationType, GrantType};
use crate::oauth::client_auth::{self, AuthenticatedClient, PublicClients};
use crate::oauth::error::{OAuthError, no_store};
use crate::oauth::grants::{self, Issued};
use crate::oauth::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Serialize;
use std::time::Instant;

/// RFC 6749 §5.1.
#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: &'a str,
}

/// What the answer was about, as far as it got: for the metrics and the usage counts.
#[derive(Default)]
struct Seen {
    /// Client authentication was attempted: it counts its own failures.
    authenticating: bool,
    client: Option<i64>,
    grant: Option<GrantType>,
}

pub async fn issue(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    let started = Instant::now();
    let mut seen = Seen::default();
    let result = answer(&req, &state, payload, &mut seen).await;
    match &result {
        Ok(_) => {
            if let (Some(client), Some(grant)) = (seen.client, seen.grant) {
                state.metrics.token_issued(grant);
                state.usage.token(client, grant);
            }
        }
        Err(e) => {
            state.metrics.token_error(e.code());
            // Failed client authentications and throttled requests are counted where they
            // are decided.
            let counted = matches!(e, OAuthError::Throttled { .. })
                || (seen.authenticating && matches!(e, OAuthError::InvalidClient));
            if !counted {
                state.usage.failure(seen.client);
            }
        }
    }
    state.metrics.token_latency(started.elapsed());
    result
}

#[tracing::instrument(level = "debug", skip_all)]
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
    seen: &mut Seen,
) -> Result<HttpResponse, OAuthError> {
    let params = Params::read(req, payload).await?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required."))?;
    state.signing_keys()?;
    let grant = GrantType::parse(grant_type)
        .filter(|g| *g != GrantType::RefreshToken || state.settings.refresh_tokens);
    let public = match grant {
        Some(g) if ApplicationType::public_may_use(g) => PublicClients::Accepted,
        _ => PublicClients::Refused,
    };
    seen.authenticating = true;
    let auth = client_auth::authenticate(state, req, &params, public, state.now()).await?;
    // The grant's moment, for the token's times, the expiry of what it presents and Last
    // Used At, is taken once the client is authenticated: a code or refresh token that
    // expired while the client was looked up in the database is expired.
    let now = state.now();
    let client = auth.client();
    seen.client = Some(client.id);
    crate::logging::record_client_id(&client.client_id);
    let grant = grant.ok_or(OAuthError::UnsupportedGrantType)?;
    if !may_use(client, grant) {
        return Err(OAuthError::UnauthorizedClient(
            "The application may not use this grant type.",
        ));
    }
    let issued = match grant {
        GrantType::AuthorizationCode => {
            grants::authorization_code::issue(state, client, &params, now).await?
        }
        GrantType::ClientCredentials => {
            grants::client_credentials::issue(state, &auth, &params, now)?
        }
        GrantType::Password => grants::password::issue(state, req, &auth, &params, now).await?,
        GrantType::RefreshToken => grants::refresh_token::issue(state, &auth, &params, now).await?,
    };
    seen.grant = Some(grant);
    touch_last_used(state, &auth, now).await;
    Ok(respond(&issued))
}

/// Refresh tokens come with the password and authorization code grants: an application
/// that may sign users in may keep them signed in.
fn may_use(client: &Client, grant: GrantType) -> bool {
    let grants = client.grants();
    match grant {
        GrantType::RefreshToken => {
            grants.contains(GrantType::Password) || grants.contains(GrantType::AuthorizationCode)
        }
        other => grants.contains(other),
    }
}

/// Last Used At, of the application and of the secret it used, has a one-minute
/// resolution; the entry the client was authenticated with already says whether a write is
/// due, so most requests write nothing. It is informative only: the tokens are already
/// issued (a refresh already rotated), so a failed write is logged and the answer still
/// goes out.
async fn touch_last_used(state: &AppState, auth: &AuthenticatedClient, now: NaiveDateTime) {
    if !auth.entry.claim_last_used(now) {
        return;
    }
    let (id, secret_id) = (auth.client().id, auth.secret_id);
    let touched = crate::db::query(&state.pool, move |conn| {
        let written = client::touch_last_used(conn, id, now)? > 0;
        if let Some(secret_id) = secret_id {
            client_secret::touch_last_used(conn, secret_id, now)?;
        }
        // Not written: the row was touched within the minute by a request this copy did not
        // see. Its time becomes the copy's, so the next write comes a minute after it.
        match written {
            true => Ok(None),
            false => Ok(client::get(conn, id)?.and_then(|c| c.last_used_at)),
        }
    })
    .await;
    match touched {
        Ok(Some(stored)) => auth.entry.note_last_used(stored),
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(?error, client_id = %auth.client().client_id, "could not record Last Used At");
        }
    }
}

fn respond(issued: &Issued) -> HttpResponse {
    let scope = issued.scope.to_string();
    no_store(&mut HttpResponse::Ok()).json(TokenResponse {
        access_token: &issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        refresh_token: issued.refresh_token.as_ref().map(|t| t.expose()),
        scope: &scope,
    })
}

/// Any method but POST (RFC 6749 §3.2).
pub async fn method_not_allowed() -> Result<HttpResponse, OAuthError> {
    Err(OAuthError::MethodNotAllowed)
}

//! POST /oauth2-introspect (RFC 7662). Only the application a token was issued to may
//! introspect it; a token that is expired, revoked, unknown, another application's or not a
//! token at all is exactly `{"active":false}` (§2.2), so the answer reveals nothing else.

use crate::db::models::client::Client;
use crate::domain::SecretHash;
use crate::domain::secret::REFRESH_TOKEN_PREFIX;
use crate::oauth::bearer;
use crate::oauth::client_auth::{self, PublicClients};
use crate::oauth::error::{OAuthError, no_store};
use crate::oauth::refresh_tokens;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

#[tracing::instrument(level = "debug", skip_all)]
pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    // Introspection is for resource servers, which are confidential clients.
    let (auth, token) =
        client_auth::token_request(&req, &state, payload, PublicClients::Refused).await?;
    let token = token.as_str();
    let answer = if token.starts_with(REFRESH_TOKEN_PREFIX) {
        refresh_token(&state, auth.client(), token).await?
    } else {
        access_token(&state, &auth.client().client_id, token).await?
    };
    Ok(no_store(&mut HttpResponse::Ok()).json(answer.unwrap_or_else(|| json!({"active": false}))))
}

async fn access_token(
    state: &AppState,
    client_id: &str,
    token: &str,
) -> Result<Option<Value>, OAuthError> {
    let caller = match bearer::check(state, token).await {
        Ok(caller) => caller,
        Err(OAuthError::InvalidToken(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let claims = &caller.claims;
    if claims.client_id != client_id {
        return Ok(None);
    }
    Ok(Some(json!({
        "active": true,
        "token_type": "Bearer",
        "scope": claims.scope,
        "client_id": claims.client_id,
        "username": caller.user.username,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "nbf": claims.nbf,
        "jti": claims.jti,
        "tessera_user": claims.tessera_user,
        "tessera_kind": claims.tessera_kind,
    })))
}

async fn refresh_token(
    state: &AppState,
    client: &Client,
    token: &str,
) -> Result<Option<Value>, OAuthError> {
    let hash = SecretHash::of(token).into_string();
    let client = client.clone();
    let now = state.now();
    let issuer = state.settings.issuer.clone();
    Ok(crate::db::query(&state.pool, move |conn| {
        let Some((token, user)) = refresh_tokens::find_live(conn, &hash, &client, now)? else {
            return Ok(None);
        };
        Ok(Some(json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": token.scope,
            "client_id": client.client_id,
            "username": user.username,
            "sub": user.id.to_string(),
            "iss": issuer,
            "exp": token.expires_at.and_utc().timestamp(),
            "iat": token.issued_at.and_utc().timestamp(),
        })))
    })
    .await?)
}

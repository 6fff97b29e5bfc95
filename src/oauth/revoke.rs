//! POST /oauth2-revoke (RFC 7009). The answer is 200 whether or not the token existed
//! (§2.2), and a token of another application is left alone with the same 200, so the
//! endpoint never tells a caller whether someone else's token is valid.
//!
//! A refresh token takes its whole family with it; an access token's `jti` goes on the
//! deny-list until the token would have expired.

use crate::db::models::revoked_access_token::{self, NewRevokedAccessToken};
use crate::domain::SecretHash;
use crate::domain::secret::REFRESH_TOKEN_PREFIX;
use crate::oauth::client_auth::{self, PublicClients};
use crate::oauth::error::{OAuthError, no_store};
use crate::oauth::jwt;
use crate::oauth::refresh_tokens;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::DateTime;

#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    // RFC 7009 §2.1: a public client revokes its own tokens with its client_id alone.
    let (auth, token) =
        client_auth::token_request(&req, &state, payload, PublicClients::Accepted).await?;
    let token = token.as_str();
    let now = state.now();
    let client = auth.shared_client();
    if token.starts_with(REFRESH_TOKEN_PREFIX) {
        let hash = SecretHash::of(token).into_string();
        crate::db::query(&state.pool, move |conn| {
            refresh_tokens::revoke_family_of(conn, &hash, &client, now)
        })
        .await?;
    } else if let Ok(keys) = &state.keys
        && let Ok(claims) = jwt::verify(keys, token, &state.settings.issuer, now)
        && claims.client_id == client.client_id
    {
        let expires_at = DateTime::from_timestamp(claims.exp, 0)
            .map(|t| t.naive_utc())
            .ok_or(OAuthError::Internal("a signed token expires out of range"))?;
        crate::db::query(&state.pool, move |conn| {
            revoked_access_token::delete_expired(conn, now)?;
            revoked_access_token::revoke(
                conn,
                &NewRevokedAccessToken {
                    jti: &claims.jti,
                    expires_at,
                },
            )
        })
        .await?;
    }
    Ok(no_store(&mut HttpResponse::Ok()).finish())
}
